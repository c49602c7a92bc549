//! Reading a template's own HTML: its tags and their literal attributes.
//!
//! What the runtime checks or infers when a page is built (the action
//! names a template can send, the validation its form fields ask for) is
//! written in the template's markup. Values made by template expressions
//! cannot be known ahead; they read as absent.

/// One start tag of a template's source.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tag<'a> {
    /// The tag's name, lower-cased as written (`input`, `/form`).
    pub name: &'a str,
    /// Everything between the name and the closing `>`.
    pub attrs: &'a str,
}

impl<'a> Tag<'a> {
    /// The literal value of attribute `name` (`None` when absent or when
    /// a template expression makes it).
    pub fn attr(&self, name: &str) -> Option<&'a str> {
        attr(self.attrs, name).filter(|v| !is_dynamic(v))
    }

    /// Whether boolean attribute `name` is written (`required`,
    /// `formnovalidate`), outside quotes and outside template blocks.
    pub fn flag(&self, name: &str) -> bool {
        bare(self.attrs)
            .split(|c: char| c.is_ascii_whitespace() || c == '=' || c == '/')
            .any(|w| w.eq_ignore_ascii_case(name))
    }

    /// Whether template blocks (`{% if %}` …) decide part of the tag: its
    /// attributes other than the name are then not taken at their word.
    pub fn has_blocks(&self) -> bool {
        self.attrs.contains("{%")
    }
}

/// The start and end tags of `source`, in order; a `>` inside a template
/// expression or block (`{{ a > b }}`) does not end a tag.
pub(crate) fn tags(source: &str) -> impl Iterator<Item = Tag<'_>> {
    let mut rest = source;
    std::iter::from_fn(move || loop {
        let open = rest.find('<')?;
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '/' || c == '-'))
            .unwrap_or(after.len());
        if name_len == 0 || after.starts_with("/>") {
            rest = after;
            continue;
        }
        let end = tag_end(&after[name_len..]);
        let tag = Tag {
            name: &after[..name_len],
            attrs: &after[name_len..name_len + end],
        };
        rest = after[name_len + end..]
            .strip_prefix('>')
            .unwrap_or(&after[name_len + end..]);
        return Some(tag);
    })
}

/// Where a tag's `>` is in `s`, skipping template expressions and quotes.
fn tag_end(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut quote = None;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'{' && matches!(bytes.get(i + 1), Some(b'{' | b'%' | b'#')) {
            let close = match bytes[i + 1] {
                b'{' => "}}",
                b'%' => "%}",
                _ => "#}",
            };
            match s[i + 2..].find(close) {
                Some(p) => i += p + 4,
                None => return s.len(),
            }
            continue;
        }
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'>' => return i,
            None => {}
        }
        i += 1;
    }
    s.len()
}

/// A tag's attribute text without quoted values and template syntax, so
/// its words are attribute names. Everything from the first block on is
/// dropped: a block (`{% if x %}required{% endif %}`) makes what it wraps
/// conditional.
fn bare(attrs: &str) -> String {
    let mut plain = String::with_capacity(attrs.len());
    let bytes = attrs.as_bytes();
    let (mut i, mut quote) = (0, None);
    while i < bytes.len() {
        let b = bytes[i];
        if quote.is_none() && b == b'{' && matches!(bytes.get(i + 1), Some(b'{' | b'%' | b'#')) {
            if bytes[i + 1] == b'%' {
                break;
            }
            let close = if bytes[i + 1] == b'{' { "}}" } else { "#}" };
            match attrs[i + 2..].find(close) {
                Some(p) => i += p + 4,
                None => break,
            }
            plain.push(' ');
            continue;
        }
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None => plain.push(char::from(b)),
        }
        i += 1;
    }
    plain
}

/// Templates named literally by `include`, `extends`, `import` or
/// `from … import` in `source`.
pub(crate) fn named_templates(source: &str) -> impl Iterator<Item = &str> {
    source.split("{%").skip(1).filter_map(|block| {
        let block = block
            .split("%}")
            .next()?
            .trim_start_matches(['-', '+'])
            .trim();
        let (keyword, rest) = block.split_once(char::is_whitespace)?;
        matches!(keyword, "include" | "extends" | "import" | "from")
            .then(|| quoted(rest))
            .flatten()
    })
}

/// Whether a literal value is made by a template expression.
fn is_dynamic(value: &str) -> bool {
    value.contains("{{") || value.contains("{%")
}

/// The value of attribute `name` in a tag's text, if written in quotes.
pub(crate) fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = lower[from..].find(name).map(|p| p + from) {
        let before_ok = pos > 0 && lower.as_bytes()[pos - 1].is_ascii_whitespace();
        let after = lower[pos + name.len()..].trim_start();
        if before_ok && after.starts_with('=') {
            let offset = tag.len() - after.len() + 1;
            return quoted(&tag[offset..]);
        }
        from = pos + name.len();
    }
    None
}

/// The text of a quoted value at the start of `s`.
pub(crate) fn quoted(s: &str) -> Option<&str> {
    let s = s.trim_start();
    let q = s.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &s[1..];
    rest.find(q).map(|end| &rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_end_at_their_own_bracket() {
        let src = r#"<p>x</p><input name="a" value="{{ a > b }}" required><br/>"#;
        let names: Vec<_> = tags(src).map(|t| t.name).collect();
        assert_eq!(names, ["p", "/p", "input", "br/"]);
        let input = tags(src).nth(2).unwrap();
        assert_eq!(input.attr("name"), Some("a"));
        assert_eq!(input.attr("value"), None, "made by an expression");
        assert!(input.flag("required"));
        assert!(!input.flag("a"), "a value is not an attribute name");
    }

    #[test]
    fn flags_under_a_block_are_not_taken_at_their_word() {
        let src = r#"<input name="a" {% if strict %}required{% endif %} title="required">"#;
        let input = tags(src).next().unwrap();
        assert!(!input.flag("required"));
        assert!(input.has_blocks());
    }
}
