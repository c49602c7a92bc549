//! The upload messages of `@livetemplate/client`, both ways.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// Client → server: `upload_start`.
pub(crate) const START: &str = "upload_start";
/// Client → server: `upload_chunk`.
pub(crate) const CHUNK: &str = "upload_chunk";
/// Client → server: `upload_complete`.
pub(crate) const COMPLETE: &str = "upload_complete";
/// Client → server: `cancel_upload` (also what a template's cancel button sends).
pub(crate) const CANCEL: &str = "cancel_upload";

/// Whether `action` is one of the upload messages.
pub(crate) fn is_upload_action(action: &str) -> bool {
    matches!(action, START | CHUNK | COMPLETE | CANCEL)
}

/// The action a finished upload runs: `upload_<name>_complete`, as the
/// client names it in its multipart posts.
pub(crate) fn complete_action(upload: &str) -> String {
    format!("upload_{upload}_complete")
}

/// One file the client wants to send.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct FileMeta {
    #[serde(default)]
    pub name: String,
    #[serde(default, rename = "type")]
    pub content_type: String,
    /// Declared size; a negative or fractional size is refused as malformed.
    pub size: u64,
}

/// `{"action":"upload_start","upload_name":…,"files":[…]}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Start {
    pub upload_name: String,
    #[serde(default)]
    pub files: Vec<FileMeta>,
}

/// `{"action":"upload_chunk","entry_id":…,"chunk_base64":…,"offset":…,"total":…}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Chunk<'a> {
    pub entry_id: String,
    /// Borrowed from the frame: a chunk's text is not copied before decoding.
    #[serde(borrow)]
    pub chunk_base64: Cow<'a, str>,
    pub offset: u64,
    pub total: u64,
}

/// `{"action":"upload_complete","upload_name":…,"entry_ids":[…]}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Complete {
    #[serde(default)]
    pub upload_name: String,
    #[serde(default)]
    pub entry_ids: Vec<String>,
}

/// `{"action":"cancel_upload","entry_id":…}`, or a button's
/// `{"action":"cancel_upload","data":{"value":…}}` (`<button name="cancel_upload" value="{{ entry.id }}">`).
#[derive(Debug, Deserialize)]
pub(crate) struct Cancel {
    #[serde(default)]
    pub entry_id: Option<String>,
    #[serde(default)]
    pub data: Option<CancelData>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CancelData {
    #[serde(default, alias = "entryId", alias = "entry-id", alias = "value")]
    pub entry_id: Option<serde_json::Value>,
}

impl Cancel {
    /// The entry named, at the top or in `data`.
    pub(crate) fn entry(&self) -> Option<String> {
        if let Some(id) = &self.entry_id {
            return Some(id.clone());
        }
        match self.data.as_ref()?.entry_id.as_ref()? {
            serde_json::Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }
}

/// Server → client: the answer to `upload_start`.
#[derive(Debug, Serialize)]
pub(crate) struct StartReply {
    pub upload_name: String,
    pub entries: Vec<EntryInfo>,
}

/// One file's verdict in a [`StartReply`].
#[derive(Debug, Clone, Serialize)]
pub(crate) struct EntryInfo {
    pub entry_id: String,
    /// The name as the client sent it: the client finds its file by it.
    pub client_name: String,
    pub valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub auto_upload: bool,
    /// Always `volume`: chunks over the socket, or one multipart POST
    /// when the socket is down.
    pub mode: &'static str,
}

/// Server → client: `{"type":"upload_progress",…}` after each chunk.
#[derive(Debug, Serialize)]
pub(crate) struct Progress<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub upload_name: &'a str,
    pub entry_id: &'a str,
    pub client_name: &'a str,
    pub progress: u8,
    pub bytes_recv: u64,
    pub bytes_total: u64,
}

/// Server → client: the answer to `upload_complete`.
#[derive(Debug, Serialize)]
pub(crate) struct CompleteReply {
    pub upload_name: String,
    pub success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Serializes a reply (these types always serialize).
pub(crate) fn text<T: Serialize>(reply: &T) -> String {
    serde_json::to_string(reply).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_borrow_their_text_and_refuse_negative_offsets() {
        let frame = r#"{"action":"upload_chunk","entry_id":"e","chunk_base64":"QUJD","offset":0,"total":3}"#;
        let chunk: Chunk = serde_json::from_str(frame).unwrap();
        assert!(matches!(chunk.chunk_base64, Cow::Borrowed("QUJD")));
        let negative = r#"{"entry_id":"e","chunk_base64":"QUJD","offset":-1,"total":3}"#;
        assert!(serde_json::from_str::<Chunk>(negative).is_err());
    }

    #[test]
    fn a_cancel_names_its_entry_at_the_top_or_in_data() {
        let top: Cancel =
            serde_json::from_str(r#"{"action":"cancel_upload","entry_id":"a"}"#).unwrap();
        assert_eq!(top.entry().as_deref(), Some("a"));
        let button: Cancel =
            serde_json::from_str(r#"{"action":"cancel_upload","data":{"entry_id":"b"}}"#).unwrap();
        assert_eq!(button.entry().as_deref(), Some("b"));
        let none: Cancel = serde_json::from_str(r#"{"action":"cancel_upload"}"#).unwrap();
        assert_eq!(none.entry(), None);
    }
}
