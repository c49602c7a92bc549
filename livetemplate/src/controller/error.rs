//! Why an action failed, as the page shows it.

use serde_json::{Map, Value};

/// Why an action failed. The state is left unchanged and the message is
/// shown to the template as `lvt.errors` (and sent in `meta.errors`).
///
/// ```
/// use livetemplate::ActionError;
/// let e = ActionError::field("email", "that does not look like an address");
/// assert_eq!(e.to_string(), "invalid input: email: that does not look like an address");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    /// A failure of the action as a whole (`errors._general`).
    #[error("{0}")]
    General(String),
    /// Failures of particular fields (`errors.<field>`).
    #[error("invalid input: {}", fields.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join(", "))]
    Fields {
        /// Field name → message.
        fields: Vec<(String, String)>,
    },
}

/// A background task that could not start fails the action, with the
/// reason for the person using the page (`errors._general`).
impl From<crate::session::SpawnError> for ActionError {
    fn from(e: crate::session::SpawnError) -> ActionError {
        ActionError::General(e.to_string())
    }
}

impl ActionError {
    /// A general error with this message.
    pub fn msg(message: impl Into<String>) -> ActionError {
        ActionError::General(message.into())
    }

    /// An error about one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> ActionError {
        ActionError::Fields {
            fields: vec![(field.into(), message.into())],
        }
    }

    /// The errors as `meta.errors` spells them.
    pub(crate) fn to_map(&self) -> Map<String, Value> {
        let mut map = Map::new();
        match self {
            ActionError::General(m) => {
                map.insert("_general".into(), m.clone().into());
            }
            ActionError::Fields { fields } => {
                for (f, m) in fields {
                    map.insert(f.clone(), m.clone().into());
                }
            }
        }
        map
    }
}
