//! Server → client frames.

use serde::Serialize;
use serde_json::{Map, Value};

/// An update: `{"tree": …, "meta": …}`.
#[derive(Debug, Clone, Serialize)]
pub struct Envelope {
    /// The tree update (`{}` when nothing changed).
    pub tree: Value,
    /// What happened; left out of pushes that went well (nothing to say,
    /// and every byte counts when a push fans out to many tabs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// The `meta` of an update.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Meta {
    /// Whether the action succeeded.
    pub success: bool,
    /// Field → message; `_general` for the action as a whole.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub errors: Map<String, Value>,
    /// The action this answers (absent on server pushes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// What the server supports (first frame only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Vec<&'static str>>,
}

impl Envelope {
    /// An update answering `action`, or a push when `action` is `None`
    /// (a push carries `meta` only to report errors).
    pub fn update(tree: Value, errors: &Map<String, Value>, action: Option<&str>) -> Envelope {
        let meta = (action.is_some() || !errors.is_empty()).then(|| Meta {
            success: errors.is_empty(),
            errors: errors.clone(),
            action: action.map(str::to_string),
            capabilities: None,
        });
        Envelope { tree, meta }
    }

    /// The first frame of a connection: the full tree and the capabilities.
    pub fn first(tree: Value, capabilities: Vec<&'static str>) -> Envelope {
        Envelope {
            tree,
            meta: Some(Meta {
                success: true,
                capabilities: Some(capabilities),
                ..Meta::default()
            }),
        }
    }

    /// The frame as JSON text.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| r#"{"tree":{}}"#.to_string())
    }
}

/// `{"type":"error","code":…,"message":…}`: a frame the client surfaces as
/// an `lvt:error` event on the wrapper, for messages that answer no action.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorFrame {
    #[serde(rename = "type")]
    kind: &'static str,
    /// A stable, machine-readable code.
    pub code: &'static str,
    /// What was wrong, for people.
    pub message: String,
}

impl ErrorFrame {
    /// An error frame.
    pub fn new(code: &'static str, message: impl Into<String>) -> ErrorFrame {
        ErrorFrame {
            kind: "error",
            code,
            message: message.into(),
        }
    }

    /// The error frame for a frame the server could not take.
    pub fn of(error: &super::FrameError) -> ErrorFrame {
        ErrorFrame::new(error.code(), error.to_string())
    }

    /// The frame as JSON text.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}
