//! The render context from a JSON state, with top-level lists left as JSON.
//!
//! Converting a 50,000-item list into template values took longer than the
//! whole update may. A top-level list stays a [`JsonList`]: an item becomes a
//! template value only when the template reads it, and [`super::memo`] can
//! fingerprint its items as JSON, without converting them.

use std::collections::BTreeMap;
use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectRepr, Serde};
use minijinja::Value;
use serde_json::Map;

/// The state a render reads: a JSON object, shared rather than copied.
pub(crate) type State = Arc<Map<String, serde_json::Value>>;

/// A top-level JSON array of the state, seen by templates as a sequence.
#[derive(Debug)]
pub(crate) struct JsonList {
    state: State,
    field: String,
}

impl JsonList {
    /// The array's items.
    pub(crate) fn items(&self) -> &[serde_json::Value] {
        match self.state.get(&self.field) {
            Some(serde_json::Value::Array(items)) => items,
            _ => &[],
        }
    }
}

impl Object for JsonList {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.items().get(key.as_usize()?).map(item_value)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.items().len())
    }
}

/// One item as a template value, exactly as minijinja's own conversion makes it.
pub(crate) fn item_value(item: &serde_json::Value) -> Value {
    Value::from(Serde(item))
}

/// The context for a state's JSON object: each top-level list a [`JsonList`],
/// every other value converted as minijinja's own conversion does; `extra`
/// names a value to add (over a state field of the same name).
pub(crate) fn context(state: &State, extra: Option<(&str, Value)>) -> Value {
    let mut fields: BTreeMap<String, Value> = state
        .iter()
        .map(|(name, value)| {
            let value = match value {
                serde_json::Value::Array(_) => Value::from_object(JsonList {
                    state: state.clone(),
                    field: name.clone(),
                }),
                other => item_value(other),
            };
            (name.clone(), value)
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
        let serde_json::Value::Object(map) = state else {
            unreachable!()
        };
        let ours = env.render_str(src, context(&Arc::new(map), None)).unwrap();
        assert_eq!(ours, plain);
    }
}
