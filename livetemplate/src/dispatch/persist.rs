//! Laying persisted fields over a state, and saving them when they change.

use std::sync::Arc;

use serde::{de::DeserializeOwned, Serialize};
use serde_json::{Map, Value};

use crate::store::{Fields, Store, StoreError};
use crate::template::StateText;

/// The persisted fields of one page.
pub(crate) struct Persist {
    pub store: Arc<dyn Store>,
    pub fields: &'static [&'static str],
    /// Keeps pages apart in the store (the page's template).
    pub scope: String,
}

impl Persist {
    fn key(&self, group: &str) -> String {
        format!("{}\u{1f}{group}", self.scope)
    }

    /// The group's saved fields (`None`: nothing saved yet).
    pub(crate) async fn load(&self, group: &str) -> Result<Option<Fields>, StoreError> {
        self.store.load(&self.key(group)).await
    }

    /// `state` with `saved` laid over it. A saved value that no longer fits
    /// the state's type is ignored (the type changed).
    pub(crate) fn restore<S: Serialize + DeserializeOwned>(&self, saved: &Fields, state: S) -> S {
        let Ok(Value::Object(mut map)) = serde_json::to_value(&state) else {
            return state;
        };
        for field in self.fields {
            if let Some(v) = saved.get(*field) {
                map.insert((*field).to_string(), v.clone());
            }
        }
        serde_json::from_value(Value::Object(map)).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "persisted fields no longer fit the state; ignored");
            state
        })
    }

    /// The persisted fields of a state, from its text.
    pub(crate) fn fields_of(&self, state: &StateText) -> Map<String, Value> {
        self.fields
            .iter()
            .filter_map(|f| Some(((*f).to_string(), state.value_of(state.field(f)?))))
            .collect()
    }

    /// The persisted fields' fingerprints, to tell whether they changed
    /// without writing them out (a persisted list may be long).
    pub(crate) fn prints_of(&self, state: &StateText) -> Vec<u64> {
        self.fields
            .iter()
            .map(|f| state.field(f).map_or(0, |field| state.field_print(field)))
            .collect()
    }

    /// Saves `fields` for the group.
    pub(crate) fn save(&self, group: &str, fields: Map<String, Value>) {
        self.store.save(&self.key(group), fields);
    }
}
