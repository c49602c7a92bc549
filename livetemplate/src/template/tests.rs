use minijinja::context;
use minijinja::syntax::SyntaxConfig;

use super::Templates;
use crate::tree::Slot;

fn one(src: &'static str) -> Templates {
    Templates::from_fn(move |name| (name == "t.html").then(|| src.to_string()))
}

/// The tree's HTML must be exactly what plain minijinja renders.
fn assert_same(t: &Templates, ctx: minijinja::Value) {
    let tree = t.render_tree("t.html", &ctx).unwrap();
    let plain = t.render_plain("t.html", &ctx).unwrap();
    assert_eq!(tree.to_html(), plain);
}

#[test]
fn expression_becomes_a_text_slot() {
    let t = one("<p>{{ n }} items</p>");
    let tree = t.render_tree("t.html", context! { n => 3 }).unwrap();
    assert_eq!(tree.statics, ["<p>", " items</p>"]);
    assert_eq!(tree.slots, [Slot::Text("3".into())]);
}

#[test]
fn escaping_is_on_for_every_file_name() {
    let t = Templates::from_fn(|_| Some("{{ v }}".into()));
    for name in ["page.tmpl", "page.txt", "page", "page.html"] {
        let tree = t.render_tree(name, context! { v => "<script>" }).unwrap();
        assert_eq!(tree.to_html(), "&lt;script&gt;", "{name}");
        assert_eq!(
            t.render_plain(name, context! { v => "<script>" }).unwrap(),
            "&lt;script&gt;"
        );
    }
}

#[test]
fn conditional_becomes_a_nested_node_or_text_without_slots() {
    let t = one("{% if on %}<b>{{ x }}</b>{% elif other %}o{% else %}off{% endif %}!");
    let tree = t
        .render_tree("t.html", context! { on => true, x => 1 })
        .unwrap();
    let Slot::Node(branch) = &tree.slots[0] else {
        panic!("{tree:?}")
    };
    assert_eq!(branch.statics, ["<b>", "</b>"]);
    let tree = t.render_tree("t.html", context! { on => false }).unwrap();
    assert_eq!(
        tree.slots[0],
        Slot::Text("off".into()),
        "a branch of text only is text"
    );
    for ctx in [
        context! { on => true, x => "<" },
        context! { other => 1 },
        context! {},
    ] {
        assert_same(&t, ctx);
    }
}

#[test]
fn loop_becomes_a_range_with_shared_statics() {
    let t = one("<ul>{% for i in items %}<li>{{ i }}</li>{% else %}<li>none</li>{% endfor %}</ul>");
    let tree = t
        .render_tree("t.html", context! { items => [1, 2] })
        .unwrap();
    let Slot::Range(r) = &tree.slots[0] else {
        panic!()
    };
    assert_eq!(r.statics, ["<li>", "</li>"]);
    assert_eq!(r.items.len(), 2);
    let tree = t
        .render_tree("t.html", context! { items => Vec::<i32>::new() })
        .unwrap();
    let Slot::Range(r) = &tree.slots[0] else {
        panic!()
    };
    assert!(r.items.is_empty());
    assert_eq!(r.else_node.as_ref().unwrap().statics, ["<li>none</li>"]);
    assert_same(&t, context! { items => [1, 2, 3] });
    assert_same(&t, context! { items => Vec::<i32>::new() });
}

#[test]
fn whitespace_control_matches_plain_minijinja() {
    let src = "<ul>\n  {%- for i in items %}\n    <li>{{ i -}}  </li>\n  {% endfor -%}\n</ul>\n{# c #}\n  {% if x %}\n  y\n  {% endif %}\n";
    for (trim, lstrip, keep) in [
        (false, false, false),
        (true, true, false),
        (true, false, true),
        (false, true, true),
    ] {
        let syntax = SyntaxConfig::builder()
            .trim_blocks(trim)
            .lstrip_blocks(lstrip)
            .keep_trailing_newline(keep)
            .build()
            .unwrap();
        let t = Templates::builder(move |_| Some(src.to_string()))
            .syntax(syntax)
            .build();
        for ctx in [
            context! { items => [1, 2], x => true },
            context! { items => [3] },
        ] {
            assert_same(&t, ctx);
        }
    }
}

#[test]
fn macros_sets_includes_raw_and_filters_render_as_plain() {
    let t = Templates::from_fn(|name| {
        Some(
            match name {
                "t.html" => concat!(
                    "{% macro item(x) %}<i>{{ x }}</i>{% endmacro %}",
                    "{% set greeting %}Hi {{ who }}{% endset %}{{ greeting|upper }}",
                    "{% for x in xs %}{{ item(x) }}{% if loop.last %}.{% endif %}{% endfor %}",
                    "{% include 'part.html' %}{% raw %}{{ not a tag }}{% endraw %}",
                    "{% filter upper %}{{ who }}{% endfilter %}",
                    "{% macro wrap() %}<w>{{ caller() }}</w>{% endmacro %}",
                    "{% call wrap() %}inner {{ who }}{% endcall %}",
                    "{% with y = 2 %}{{ y }}{% endwith %}{% set z = 3 %}{{ z }}",
                ),
                "part.html" => "<part>{% if who %}{{ who }}{% endif %}</part>",
                _ => return None,
            }
            .to_string(),
        )
    });
    assert_same(&t, context! { who => "<ann>", xs => [1, 2] });
    assert_same(&t, context! { xs => Vec::<i32>::new() });
}

#[test]
fn extends_and_blocks_render_as_plain() {
    let t = Templates::from_fn(|name| {
        Some(
            match name {
                "t.html" => {
                    "{% extends 'base.html' %}{% block body %}[{{ x }}]{{ super() }}{% endblock %}"
                }
                "base.html" => "<main>{% block body %}base{% endblock %}</main>",
                _ => return None,
            }
            .to_string(),
        )
    });
    assert_same(&t, context! { x => 1 });
}

#[test]
fn recursive_loops_render_as_plain() {
    let t = one("{% for n in tree recursive %}<li>{{ n.name }}{% if n.children %}<ul>{{ loop(n.children) }}</ul>{% endif %}</li>{% endfor %}");
    let ctx =
        context! { tree => [context! { name => "a", children => [context! { name => "b" }] }] };
    assert_same(&t, ctx);
}

#[test]
fn hostile_values_cannot_forge_markers() {
    let t = one("<p title=\"{{ v }}\">{{ v }}</p>{% if v %}{{ v|safe }}{% endif %}");
    let hostile = [
        "\u{E000}",
        "\u{E001}",
        "\u{E000}e\u{E001}",
        "\u{E000}000000000000000000000000n\u{E001}",
        "<script>alert(1)</script>",
        "\"'><",
        "{{ x }}",
    ];
    for v in hostile {
        let ctx = context! { v => v };
        let tree = t.render_tree("t.html", &ctx).unwrap();
        assert_eq!(tree.statics.len(), 4, "{v:?}: {tree:?}");
        assert_eq!(tree.to_html(), t.render_plain("t.html", &ctx).unwrap());
        assert!(!tree.to_html().contains("<script>") || v.contains("<script>"));
    }
}

#[test]
fn a_value_forging_any_kind_of_marker_stays_text() {
    use crate::template::marker::{Mark, Markers};
    let t = one(concat!(
        "<p title=\"{{ v }}\">{{ v }}</p>{% if v %}<i>{{ v|safe }}</i>{% endif %}",
        "<ul>{% for x in [v, v ~ '!'] %}<li data-key=\"{{ x }}\">{{ x }}</li>{% endfor %}</ul>",
    ));
    let shape = t.render_tree("t.html", context! { v => "plain" }).unwrap();
    // An attacker guesses a nonce: a random one, and the all-zero one.
    let guesses = [Markers::random(), Markers::zero_for_tests()];
    for mark in Mark::ALL {
        for guess in &guesses {
            let forged = guess.text(mark);
            for v in [
                forged.clone(),
                format!("a{forged}b{forged}"),
                format!("<script>{forged}\"'"),
            ] {
                let ctx = context! { v => v.clone() };
                let tree = t.render_tree("t.html", &ctx).unwrap();
                assert_eq!(
                    tree.statics, shape.statics,
                    "{mark:?} {v:?}: structure changed"
                );
                assert_eq!(tree.to_html(), t.render_plain("t.html", &ctx).unwrap());
                assert!(
                    tree.to_html().contains(&forged),
                    "{mark:?}: the value is shown as written"
                );
                // Only the `|safe` output is unescaped, by the template's choice.
                assert!(tree.to_html().matches("<script>").count() <= 1, "escaped");
            }
        }
    }
}

#[test]
fn error_lines_point_at_the_original_source() {
    let t = one("a\n\n{%- if x -%}\n\n{% endif %}\n{# comment\n#}\n{{ 1 / 0 }}");
    let err = t.render_tree("t.html", context! {}).unwrap_err();
    let plain = t.render_plain("t.html", context! {}).unwrap_err();
    assert_eq!(err.source.line(), plain.source.line());
    assert_eq!(err.source.line(), Some(8));
    assert!(
        !format!("{err:#}").contains('\u{E000}'),
        "markers leak into errors: {err:#}"
    );
}

/// Loops rendered item by item with a [`super::RenderCache`] give the same
/// tree as rendering everything, over any sequence of states.
mod cached {
    use std::sync::Arc;

    use proptest::prelude::*;
    use serde_json::{json, Map, Value};

    use super::super::{RenderCache, Templates};
    use crate::tree::Slot;

    const TEMPLATES: &[&str] = &[
        // The plain case, keyed, with a conditional class.
        r#"<ul>{% for r in rows %}<li data-key="{{ r.id }}" class="{% if r.on %}on{% endif %}">{{ r.label }}</li>{% endfor %}</ul>"#,
        // A body reading an outer value, a `set` before the loop, an else.
        r#"{% set suffix = "!" ~ n %}{% for r in rows %}<p>{{ r.label }}{% if r.id == n %}{{ suffix }}{% endif %}</p>{% else %}<p>none</p>{% endfor %}"#,
        // A nested loop and a filter in the body; a second loop over the same list.
        r#"{% for r in rows %}<div>{% for c in r.label|list %}<b>{{ c }}</b>{% endfor %}{{ r.label|upper }}</div>{% endfor %}<i>{{ rows|length }}</i>{% for r in rows %}{{ r.id }},{% endfor %}"#,
        // Not item by item: the position, a filtered list, a nested list.
        r#"{% for r in rows %}{{ loop.index }}{{ r.label }}{% endfor %}{% for r in rows|reverse %}{{ r.id }}{% endfor %}{% for x in data.xs %}{{ x }}{% endfor %}"#,
        // Inside a conditional, with a value that is sometimes a float.
        r#"{% if flag %}<table>{% for r in rows %}<tr><td>{{ r.n }}</td><td>{{ flag }}</td></tr>{% endfor %}</table>{% endif %}"#,
        // A macro called from the body: declined, rendered whole.
        r#"{% macro m(x) %}<em>{{ x }}</em>{% endmacro %}{% for r in rows %}{{ m(r.label) }}{% endfor %}"#,
    ];

    fn row() -> impl Strategy<Value = Value> {
        (
            0u8..6,
            "[ab<]{0,2}",
            any::<bool>(),
            prop_oneof![Just(json!(1)), Just(json!(1.0)), Just(json!("1"))],
        )
            .prop_map(|(id, label, on, n)| json!({ "id": id, "label": label, "on": on, "n": n }))
    }

    fn state() -> impl Strategy<Value = Map<String, Value>> {
        (prop::collection::vec(row(), 0..6), 0u8..6, any::<bool>()).prop_map(|(rows, n, flag)| {
            let xs: Vec<u8> = rows
                .iter()
                .map(|r| r["id"].as_u64().unwrap_or(0) as u8)
                .collect();
            let Value::Object(map) =
                json!({ "rows": rows, "n": n, "flag": flag, "data": { "xs": xs } })
            else {
                unreachable!()
            };
            map
        })
    }

    proptest! {
        #[test]
        fn cached_renders_equal_whole_renders(states in prop::collection::vec(state(), 1..8)) {
            for src in TEMPLATES {
                let t = Templates::from_fn(move |_| Some(src.to_string()));
                let mut cache = RenderCache::default();
                for s in &states {
                    let cached = t.render_tree_cached("t.html", &std::sync::Arc::new(s.clone()), &mut cache).unwrap();
                    let whole = t.render_tree("t.html", s).unwrap();
                    prop_assert_eq!(&cached, &whole, "{}", src);
                    prop_assert_eq!(cached.to_html(), t.render_plain("t.html", s).unwrap());
                }
            }
        }
    }

    fn rows(labels: &[&str]) -> Map<String, Value> {
        let rows: Vec<Value> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| json!({ "id": i, "label": l }))
            .collect();
        let Value::Object(map) = json!({ "rows": rows }) else {
            unreachable!()
        };
        map
    }

    #[test]
    fn unchanged_rows_keep_their_slots_and_a_changed_one_renders_again() {
        let t = Templates::from_fn(|_| Some(TEMPLATES[0].to_string()));
        let mut cache = RenderCache::default();
        let items = |tree: &crate::tree::Node| match &tree.slots[0] {
            Slot::Range(r) => r.items.clone(),
            other => panic!("{other:?}"),
        };
        let before = items(
            &t.render_tree_cached(
                "t.html",
                &std::sync::Arc::new(rows(&["a", "b", "c"])),
                &mut cache,
            )
            .unwrap(),
        );
        let after = items(
            &t.render_tree_cached(
                "t.html",
                &std::sync::Arc::new(rows(&["a", "B", "c"])),
                &mut cache,
            )
            .unwrap(),
        );
        assert!(
            Arc::ptr_eq(&before[0], &after[0]),
            "row a was rendered again"
        );
        assert!(
            Arc::ptr_eq(&before[2], &after[2]),
            "row c was rendered again"
        );
        assert!(!Arc::ptr_eq(&before[1], &after[1]));
        assert_eq!(after[1][2], Slot::Text("B".into()));
    }

    #[test]
    fn rows_that_moved_keep_their_slots() {
        let t = Templates::from_fn(|_| Some(TEMPLATES[0].to_string()));
        let mut cache = RenderCache::default();
        let labels = ["a", "b", "c", "d", "e", "f", "g", "h"];
        let mut items = |state: Map<String, Value>| match &t
            .render_tree_cached("t.html", &std::sync::Arc::new(state), &mut cache)
            .unwrap()
            .slots[0]
        {
            Slot::Range(r) => r.items.clone(),
            other => panic!("{other:?}"),
        };
        let before = items(rows(&labels));
        // The first row removed: every other row is one place up.
        let mut state = rows(&labels);
        if let Some(Value::Array(list)) = state.get_mut("rows") {
            list.remove(0);
        }
        let after = items(state);
        for (old, new) in before[1..].iter().zip(&after) {
            assert!(Arc::ptr_eq(old, new), "a moved row was rendered again");
        }
    }

    #[test]
    fn a_function_in_the_body_is_called_on_every_render() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = calls.clone();
        let t = Templates::builder(|_| {
            Some("{% for r in rows %}{{ r.label }}{{ tick() }}{% endfor %}".into())
        })
        .configure(move |env| {
            let c = counted.clone();
            env.add_function("tick", move || c.fetch_add(1, Ordering::SeqCst));
        })
        .build();
        let mut cache = RenderCache::default();
        let first = t
            .render_tree_cached("t.html", &std::sync::Arc::new(rows(&["a"])), &mut cache)
            .unwrap()
            .to_html();
        let second = t
            .render_tree_cached("t.html", &std::sync::Arc::new(rows(&["a"])), &mut cache)
            .unwrap()
            .to_html();
        assert_ne!(first, second, "the clock-like function was memoized");
    }
}
