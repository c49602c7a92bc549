//! Client → server messages.

use serde::Deserialize;
use serde_json::{Map, Value};

/// One action message: `{"action":"save","data":{…},"submitter":"save"}`.
#[derive(Debug, Clone, Deserialize)]
pub struct ClientMessage {
    /// The action name; empty means the submitter's name, else `submit`.
    #[serde(default)]
    pub action: String,
    /// Form fields or element data.
    #[serde(default)]
    pub data: Value,
    /// The name of the button that submitted a form.
    #[serde(default)]
    pub submitter: Option<String>,
}

/// A frame the server could not take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Not JSON, or not an action message.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// Over the inbound size limit.
    #[error("message of {size} bytes is over the limit of {limit} bytes")]
    TooLarge {
        /// The message's size.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A binary frame where JSON text was expected.
    #[error("binary frames are not part of the protocol")]
    Binary,
}

impl FrameError {
    /// The code of the error frame sent for it.
    pub fn code(&self) -> &'static str {
        match self {
            FrameError::Malformed(_) => "malformed_message",
            FrameError::TooLarge { .. } => "message_too_large",
            FrameError::Binary => "binary_frame",
        }
    }
}

impl ClientMessage {
    /// Parses a text frame.
    pub fn parse(text: &str, limit: usize) -> Result<ClientMessage, FrameError> {
        if text.len() > limit {
            return Err(FrameError::TooLarge {
                size: text.len(),
                limit,
            });
        }
        serde_json::from_str(text).map_err(|e| FrameError::Malformed(e.to_string()))
    }

    /// The action this message asks for.
    pub fn action_name(&self) -> &str {
        if !self.action.is_empty() {
            &self.action
        } else {
            self.submitter
                .as_deref()
                .filter(|s| !s.is_empty())
                .unwrap_or("submit")
        }
    }

    /// The data as an object (anything else is no data).
    pub fn data_map(&self) -> Map<String, Value> {
        match &self.data {
            Value::Object(map) => map.clone(),
            _ => Map::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_action_falls_back_to_submitter_then_submit() {
        let m = ClientMessage::parse(r#"{"action":"","submitter":"save"}"#, 100).unwrap();
        assert_eq!(m.action_name(), "save");
        let m = ClientMessage::parse(r#"{"data":{"a":1}}"#, 100).unwrap();
        assert_eq!(m.action_name(), "submit");
        assert_eq!(m.data_map()["a"], 1);
    }

    #[test]
    fn bad_frames_are_typed_errors() {
        assert!(matches!(
            ClientMessage::parse("{nope", 100),
            Err(FrameError::Malformed(_))
        ));
        assert!(matches!(
            ClientMessage::parse("[1]", 100),
            Err(FrameError::Malformed(_))
        ));
        assert_eq!(
            ClientMessage::parse(&"x".repeat(101), 100).unwrap_err(),
            FrameError::TooLarge {
                size: 101,
                limit: 100
            }
        );
    }
}
