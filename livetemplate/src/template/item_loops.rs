//! Which loops can render item by item, decided once when a template loads.
//!
//! A loop qualifies when each iteration's output depends only on its item and
//! on variables the body names: then an item that did not change keeps the
//! output it had, and a 10,000-row table re-renders one row, not all of them
//! (see [`super::memo`]). The analysis is over tokens and errs on the safe
//! side: anything it cannot see through (`loop.*`, includes, `caller`,
//! `break`, a loop filter, tuple targets, nesting inside another loop or a
//! captured block) leaves the loop rendered whole, as before.

use std::collections::HashMap;

use minijinja::machinery::{Span, Token};

/// How to render one qualifying loop item by item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ItemLoop {
    /// The loop variable (`row` in `for row in rows`).
    pub target: String,
    /// The iterable expression's source (`rows`).
    pub iterable: String,
    /// Names the body reads from outside (a superset: a keyword or a name
    /// the body sets itself may be among them, which costs nothing).
    pub reads: Vec<String>,
}

/// Words the body may contain that never name a variable of the loop's scope.
const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "in",
    "is",
    "if",
    "else",
    "elif",
    "endif",
    "for",
    "endfor",
    "set",
    "endset",
    "with",
    "endwith",
    "filter",
    "endfilter",
    "autoescape",
    "endautoescape",
    "true",
    "false",
    "none",
    "True",
    "False",
    "None",
    "as",
    "raw",
    "endraw",
];

/// Names whose meaning depends on where the body renders: a loop using them
/// renders whole.
const POSITIONAL: &[&str] = &["loop", "self", "super", "caller", "varargs", "kwargs"];

/// Tags that reach outside the body (the whole context, the template's
/// blocks) or steer the loop: a loop containing them renders whole.
const ESCAPING_TAGS: &[&str] = &[
    "include", "import", "from", "extends", "block", "macro", "call", "break", "continue",
];

/// Tags whose body minijinja captures as a string: a loop inside one is
/// left alone, since its output is not written where it stands.
const CAPTURING_TAGS: &[&str] = &["macro", "call", "filter", "set"];

/// The qualifying loops of a template, by the index of their `{%` token.
pub(crate) fn plan(tokens: &[(Token<'_>, Span)], source: &str) -> HashMap<usize, ItemLoop> {
    let tags = tags(tokens);
    let mut plans = HashMap::new();
    // The names of the block tags open at this point.
    let mut open: Vec<&str> = Vec::new();
    for (t, tag) in tags.iter().enumerate() {
        let name = tag.name(tokens);
        if name == "for"
            && !open
                .iter()
                .any(|o| *o == "for" || CAPTURING_TAGS.contains(o))
        {
            if let Some(item_loop) = analyse(tokens, source, &tags, t) {
                plans.insert(tag.start, item_loop);
            }
        }
        match name {
            "set"
                if tag
                    .inner(tokens)
                    .iter()
                    .any(|(t, _)| matches!(t, Token::Assign)) => {}
            "if" | "for" | "macro" | "call" | "filter" | "set" | "block" | "with"
            | "autoescape" => open.push(name),
            n if n.starts_with("end") => {
                open.pop();
            }
            _ => {}
        }
    }
    plans
}

/// One `{% … %}` tag: the indexes of its `{%` and `%}` tokens.
#[derive(Debug, Clone, Copy)]
struct Tag {
    start: usize,
    end: usize,
}

impl Tag {
    fn inner<'t, 'a>(&self, tokens: &'t [(Token<'a>, Span)]) -> &'t [(Token<'a>, Span)] {
        &tokens[self.start + 1..self.end]
    }

    fn name<'a>(&self, tokens: &[(Token<'a>, Span)]) -> &'a str {
        match tokens.get(self.start + 1) {
            Some((Token::Ident(name), _)) => name,
            _ => "",
        }
    }
}

fn tags(tokens: &[(Token<'_>, Span)]) -> Vec<Tag> {
    let mut tags = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if matches!(tokens[i].0, Token::BlockStart) {
            let end = tokens[i..]
                .iter()
                .position(|(t, _)| matches!(t, Token::BlockEnd))
                .map_or(tokens.len(), |p| p + i);
            tags.push(Tag { start: i, end });
            i = end;
        }
        i += 1;
    }
    tags
}

/// The plan for the loop opened by `tags[at]`, if it qualifies.
fn analyse(
    tokens: &[(Token<'_>, Span)],
    source: &str,
    tags: &[Tag],
    at: usize,
) -> Option<ItemLoop> {
    let head = tags[at].inner(tokens);
    // `for <ident> in <expr>`, with no filter and not recursive.
    let (Token::Ident(target), Token::Ident("in")) = (&head.get(1)?.0, &head.get(2)?.0) else {
        return None;
    };
    let expr = &head[3..];
    if expr.is_empty()
        || expr
            .iter()
            .any(|(t, _)| matches!(t, Token::Ident("if" | "recursive")))
    {
        return None;
    }
    let iterable = source
        .get(expr[0].1.start_offset as usize..expr[expr.len() - 1].1.end_offset as usize)?
        .to_string();
    if iterable.contains('\n') {
        // Copied into one line of the rewrite, it would shift later lines.
        return None;
    }

    // The body: up to the matching `else` or `endfor`.
    let mut depth = 0usize;
    let mut body_end = None;
    for tag in &tags[at + 1..] {
        match tag.name(tokens) {
            "for" => depth += 1,
            "endfor" if depth == 0 => {
                body_end = Some(tag.start);
                break;
            }
            "else" if depth == 0 => {
                body_end = Some(tag.start);
                break;
            }
            "endfor" => depth -= 1,
            name if ESCAPING_TAGS.contains(&name) => return None,
            _ => {}
        }
    }
    let body = &tokens[tags[at].end + 1..body_end?];
    let reads = reads(body, target)?;
    Some(ItemLoop {
        target: target.to_string(),
        iterable,
        reads,
    })
}

/// The names `body` reads, or `None` when it uses a positional name.
fn reads(body: &[(Token<'_>, Span)], target: &str) -> Option<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    let mut prev: Option<&Token<'_>> = None;
    let mut before_prev: Option<&Token<'_>> = None;
    for (token, _) in body {
        if let Token::Ident(name) = token {
            let attribute_or_filter = matches!(prev, Some(Token::Dot | Token::Pipe));
            let test = matches!(prev, Some(Token::Ident("is")))
                || (matches!(prev, Some(Token::Ident("not")))
                    && matches!(before_prev, Some(Token::Ident("is"))));
            if !attribute_or_filter && !test {
                if POSITIONAL.contains(name) {
                    return None;
                }
                if *name != target && !KEYWORDS.contains(name) && !names.iter().any(|n| n == name) {
                    names.push(name.to_string());
                }
            }
        }
        before_prev = prev;
        prev = Some(token);
    }
    Some(names)
}

#[cfg(test)]
mod tests {
    use minijinja::machinery::tokenize;
    use minijinja::syntax::SyntaxConfig;

    use super::*;

    fn plans(src: &str) -> Vec<ItemLoop> {
        let tokens: Vec<_> = tokenize(src, false, SyntaxConfig::default())
            .collect::<Result<_, _>>()
            .unwrap();
        let mut p: Vec<_> = plan(&tokens, src).into_iter().collect();
        p.sort_by_key(|(i, _)| *i);
        p.into_iter().map(|(_, l)| l).collect()
    }

    #[test]
    fn a_simple_loop_reads_its_free_names() {
        let p = plans(
            "{% for row in data.rows %}<tr class=\"{{ 'on' if row.id == selected }}\">\
             {{ row.label|upper }}{% if row is defined %}{% endif %}</tr>{% endfor %}",
        );
        assert_eq!(
            p,
            [ItemLoop {
                target: "row".into(),
                iterable: "data.rows".into(),
                reads: vec!["selected".into()],
            }]
        );
    }

    #[test]
    fn loops_that_depend_on_their_position_or_reach_outside_render_whole() {
        for src in [
            "{% for r in rows %}{{ loop.index }}{% endfor %}",
            "{% for r in rows %}{% include 'x' %}{% endfor %}",
            "{% for r in rows if r.on %}{{ r }}{% endfor %}",
            "{% for a, b in rows %}{{ a }}{% endfor %}",
            "{% for r in rows recursive %}{{ r }}{% endfor %}",
            "{% for r in rows %}{% if r %}{% break %}{% endif %}{% endfor %}",
            "{% macro m() %}{% for r in rows %}{{ r }}{% endfor %}{% endmacro %}",
            "{% set x %}{% for r in rows %}{{ r }}{% endfor %}{% endset %}",
        ] {
            assert_eq!(plans(src), [], "{src}");
        }
    }

    #[test]
    fn only_the_outer_loop_of_a_nest_renders_item_by_item() {
        let p = plans("{% for r in rows %}{% for c in r.cells %}{{ c }}{% endfor %}{% endfor %}");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].target, "r");
        assert_eq!(p[0].reads, ["c"]);
    }

    #[test]
    fn a_loop_with_else_and_a_set_assignment_qualifies() {
        let p = plans("{% set n = 3 %}{% for r in rows %}{{ r }}{{ n }}{% else %}none{% endfor %}");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].reads, ["n"]);
    }
}
