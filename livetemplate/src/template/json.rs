//! The render context from a serialized state, with top-level lists left
//! as text.
//!
//! Converting a 50,000-item list into template values took longer than the
//! whole update may. A top-level list stays text ([`JsonList`]): a row
//! becomes a template value only when the template reads it, and
//! [`super::memo`] can fingerprint its rows by their text, without parsing
//! them.

use std::collections::BTreeMap;
use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectRepr, Serde};
use minijinja::Value;

use super::state::{Rows, StateText};

/// A top-level list of the state, seen by templates as a sequence.
#[derive(Debug)]
pub(crate) struct JsonList {
    state: Arc<StateText>,
    /// Which field of the state.
    field: usize,
}

impl JsonList {
    /// The list's rows.
    pub(crate) fn rows(&self) -> Rows<'_> {
        let field = &self.state.fields()[self.field];
        self.state
            .rows_of(field)
            .expect("a JsonList is made for list fields only")
    }
}

impl Object for JsonList {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.rows()
            .value(key.as_usize()?)
            .map(|row| item_value(&row))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.rows().len())
    }
}

/// One value as a template value, exactly as minijinja's own conversion makes it.
pub(crate) fn item_value(item: &serde_json::Value) -> Value {
    Value::from(Serde(item))
}

/// The context for a serialized state: each top-level list a [`JsonList`],
/// every other field converted as minijinja's own conversion does; `extra`
/// names a value to add (over a state field of the same name).
pub(crate) fn context(state: &Arc<StateText>, extra: Option<(&str, Value)>) -> Value {
    let mut fields: BTreeMap<String, Value> = state
        .fields()
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let value = if state.is_list(field) {
                Value::from_object(JsonList {
                    state: state.clone(),
                    field: i,
                })
            } else {
                item_value(&state.value_of(field))
            };
            (field.name.to_string(), value)
        })
        .collect();
    if let Some((name, value)) = extra {
        fields.insert(name.to_string(), value);
    }
    Value::from(fields)
}

#[cfg(test)]
mod tests {
    use minijinja::Environment;
    use serde_json::json;

    use super::*;

    /// Every way a template can look at a list gives what minijinja's own
    /// conversion gives.
    #[test]
    fn a_json_list_reads_like_a_converted_one() {
        let state = json!({
            "rows": [{"id": 1, "label": "a<b"}, {"id": 2, "label": "c", "tags": [1.0, 2]}],
            "empty": [],
            "n": 3,
        });
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        let src = "{{ rows }}|{{ rows|length }}|{{ rows[-1].label }}|{{ rows[0:1] }}|\
                   {{ rows|map(attribute='id')|join(',') }}|{{ rows|tojson }}|{{ empty }}|\
                   {% if empty %}x{% else %}y{% endif %}|{{ rows|last }}|{{ rows|reverse|list }}|\
                   {{ rows == rows }}|{{ [] == empty }}|{{ rows is sequence }}|{{ rows[1].tags }}|\
                   {% for r in rows %}{{ loop.index }}/{{ loop.length }}:{{ r.label }}{% endfor %}";
        let plain = env.render_str(src, Value::from(Serde(&state))).unwrap();
        let text = Arc::new(StateText::of(&Arc::new(state)).unwrap());
        let ours = env.render_str(src, context(&text, None)).unwrap();
        assert_eq!(ours, plain);
    }
}
