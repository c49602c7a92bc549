//! Finds the action names a template's markup can send, for the start-up
//! check that each has a handler.
//!
//! The client names an action after a button (`<button name="save">`), a
//! form's `lvt-form:action` or `name`, or an `lvt-on:EVENT` attribute. Names
//! built by template expressions cannot be known ahead and are skipped.

use super::markup::{attr, quoted};

/// Action names used literally in `source`, in order of first use.
pub(crate) fn action_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let lower = source.to_ascii_lowercase();
    let mut push = |name: &str| {
        if !name.is_empty()
            && !name.contains("{{")
            && !name.contains("{%")
            && !names.iter().any(|n| n == name)
        {
            names.push(name.to_string());
        }
    };
    for tag in ["<button", "<form"] {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(tag).map(|p| p + from) {
            let end = lower[pos..]
                .find('>')
                .map(|p| p + pos)
                .unwrap_or(lower.len());
            let attrs = &source[pos..end];
            if tag == "<form" {
                if let Some(v) = attr(attrs, "lvt-form:action") {
                    push(v);
                }
            } else if let Some(v) = attr(attrs, "name") {
                push(v);
            }
            from = end.max(pos + 1);
        }
    }
    let mut from = 0;
    while let Some(pos) = lower[from..].find("lvt-on:").map(|p| p + from) {
        let rest = &source[pos..];
        if let Some(eq) = rest.find('=') {
            if let Some(v) = quoted(&rest[eq + 1..]) {
                push(v);
            }
        }
        from = pos + 1;
    }
    names
}

#[cfg(test)]
mod tests {
    use super::action_names;

    #[test]
    fn finds_buttons_forms_and_lvt_on() {
        let src = r#"<form method="POST" lvt-form:action="save"><button name="startTimer">Go</button>
            <button type="button" name='reset'>R</button><div lvt-on:click="toggle"></div>
            <button name="{{ dynamic }}">x</button><button>plain</button></form>"#;
        assert_eq!(action_names(src), ["startTimer", "reset", "save", "toggle"]);
    }
}
