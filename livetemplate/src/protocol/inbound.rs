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
    /// A body (or a form field in it) that is not valid UTF-8.
    #[error("the message is not valid UTF-8")]
    NotUtf8,
}

impl FrameError {
    /// The code of the error frame sent for it.
    pub fn code(&self) -> &'static str {
        match self {
            FrameError::Malformed(_) => "malformed_message",
            FrameError::TooLarge { .. } => "message_too_large",
            FrameError::Binary => "binary_frame",
            FrameError::NotUtf8 => "not_utf8",
        }
    }
}

impl ClientMessage {
    /// Parses a text frame: a JSON object (an array, which serde would
    /// also take for this struct, is not the protocol's form).
    pub fn parse(text: &str, limit: usize) -> Result<ClientMessage, FrameError> {
        if text.len() > limit {
            return Err(FrameError::TooLarge {
                size: text.len(),
                limit,
            });
        }
        if !text.trim_start().starts_with('{') {
            return Err(FrameError::Malformed(
                "expected a JSON object {\"action\": …, \"data\": …}".into(),
            ));
        }
        serde_json::from_str(text).map_err(|e| FrameError::Malformed(e.to_string()))
    }

    /// Parses a POSTed JSON body, which must be UTF-8.
    pub fn parse_bytes(body: &[u8], limit: usize) -> Result<ClientMessage, FrameError> {
        let text = std::str::from_utf8(body).map_err(|_| FrameError::NotUtf8)?;
        ClientMessage::parse(text, limit)
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
        assert!(
            matches!(
                ClientMessage::parse(r#"["ringAll",{}]"#, 100),
                Err(FrameError::Malformed(_))
            ),
            "only the object form is an action"
        );
        assert_eq!(
            ClientMessage::parse_bytes(b"{\"action\":\"a\xff\"}", 100).unwrap_err(),
            FrameError::NotUtf8
        );
        assert_eq!(
            ClientMessage::parse(&"x".repeat(101), 100).unwrap_err(),
            FrameError::TooLarge {
                size: 101,
                limit: 100
            }
        );
    }
}
