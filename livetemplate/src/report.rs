//! Errors as one line, causes included: error types keep their causes
//! (`#[source]`); where one line is wanted — a log field, a message on the
//! page — it names them all.

/// `e` and its causes: "outer: inner: innermost".
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
