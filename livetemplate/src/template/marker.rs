//! The markers the instrumented template writes around its live parts.
//!
//! A marker is `U+E000`, a per-environment random nonce, one kind letter and
//! `U+E001`. User data can contain the two private-use characters (they pass
//! through HTML escaping untouched), but it cannot guess the nonce, so a
//! value can never be mistaken for structure. Markers never leave the server:
//! the tree builder removes every one of them.

use std::fmt::Write;
use std::sync::Arc;

pub(crate) const OPEN: char = '\u{E000}';
pub(crate) const CLOSE: char = '\u{E001}';

/// What a marker says about the output that follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    /// Start of an expression's output (a text slot, or a node if it holds markers).
    ExprStart,
    /// Start of a conditional: its content is always a nested node.
    NodeStart,
    /// End of an expression or conditional.
    End,
    /// Start of a loop.
    RangeStart,
    /// Start of one loop iteration.
    Item,
    /// Start of a loop's `else` output (the loop had no items).
    RangeElse,
    /// End of a loop.
    RangeEnd,
    /// A loop rendered item by item, made apart from this output: the
    /// number says which (see `template::memo`).
    Lifted(u32),
}

impl Mark {
    /// Every kind, for tests that try them all.
    #[cfg(test)]
    pub(crate) const ALL: [Mark; 8] = [
        Mark::ExprStart,
        Mark::NodeStart,
        Mark::End,
        Mark::RangeStart,
        Mark::Item,
        Mark::RangeElse,
        Mark::RangeEnd,
        Mark::Lifted(0),
    ];

    fn letter(self) -> char {
        match self {
            Mark::ExprStart => 'e',
            Mark::NodeStart => 'n',
            Mark::End => 'z',
            Mark::RangeStart => 'r',
            Mark::Item => 'i',
            Mark::RangeElse => 'x',
            Mark::RangeEnd => 'q',
            Mark::Lifted(_) => 'l',
        }
    }

    fn from_letter(c: u8) -> Option<Mark> {
        Some(match c {
            b'e' => Mark::ExprStart,
            b'n' => Mark::NodeStart,
            b'z' => Mark::End,
            b'r' => Mark::RangeStart,
            b'i' => Mark::Item,
            b'x' => Mark::RangeElse,
            b'q' => Mark::RangeEnd,
            _ => return None,
        })
    }
}

/// The secret that makes markers unforgeable, and the codec for them.
#[derive(Debug, Clone)]
pub(crate) struct Markers {
    /// `U+E000` followed by the nonce: every marker starts with this.
    /// Shared: every render clones the markers.
    prefix: Arc<str>,
}

impl Markers {
    /// Markers with a fresh random nonce.
    pub(crate) fn random() -> Markers {
        let bytes: [u8; 12] = crate::random::bytes();
        let mut prefix = String::from(OPEN);
        for b in bytes {
            let _ = write!(prefix, "{b:02x}");
        }
        Markers {
            prefix: prefix.into(),
        }
    }

    /// Markers with the all-zero nonce: what a naive forger would try.
    #[cfg(test)]
    pub(crate) fn zero_for_tests() -> Markers {
        Markers {
            prefix: format!("{OPEN}{}", "0".repeat(24)).into(),
        }
    }

    /// The nonce (with the opening character): unique to these markers.
    pub(crate) fn nonce(&self) -> &str {
        &self.prefix
    }

    /// The text of one marker.
    pub(crate) fn text(&self, mark: Mark) -> String {
        let mut s = self.prefix.to_string();
        s.push(mark.letter());
        if let Mark::Lifted(n) = mark {
            let _ = write!(s, "{n}");
        }
        s.push(CLOSE);
        s
    }

    /// Splits rendered output into text pieces and markers, in order.
    pub(crate) fn scan<'a>(&'a self, output: &'a str) -> Scan<'a> {
        Scan {
            rest: output,
            prefix: &self.prefix,
        }
    }

    /// The output with every marker removed.
    pub(crate) fn strip(&self, output: &str) -> String {
        let mut out = String::with_capacity(output.len());
        for piece in self.scan(output) {
            if let Piece::Text(t) = piece {
                out.push_str(t);
            }
        }
        out
    }
}

/// One piece of marked output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    Text(&'a str),
    Mark(Mark),
}

/// Iterator over the pieces of marked output (see [`Markers::scan`]).
pub(crate) struct Scan<'a> {
    rest: &'a str,
    prefix: &'a str,
}

impl<'a> Iterator for Scan<'a> {
    type Item = Piece<'a>;

    fn next(&mut self) -> Option<Piece<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        let mut from = 0;
        // Searching for the one private-use character is a memchr; building
        // a substring searcher for the whole prefix on every call was the
        // largest cost of a render.
        while let Some(pos) = self.rest[from..].find(OPEN).map(|p| p + from) {
            if !self.rest[pos..].starts_with(self.prefix) {
                from = pos + OPEN.len_utf8();
                continue;
            }
            let after = &self.rest[pos + self.prefix.len()..];
            if let Some((mark, len)) = parse_kind(after) {
                if pos > 0 {
                    let text = &self.rest[..pos];
                    self.rest = &self.rest[pos..];
                    return Some(Piece::Text(text));
                }
                self.rest = &self.rest[self.prefix.len() + len..];
                return Some(Piece::Mark(mark));
            }
            // A prefix without a valid kind: ordinary text, keep looking.
            from = pos + OPEN.len_utf8();
        }
        let text = self.rest;
        self.rest = "";
        Some(Piece::Text(text))
    }
}

/// The mark after a marker's prefix and the length of what encodes it, up
/// to and including `CLOSE`.
fn parse_kind(after: &str) -> Option<(Mark, usize)> {
    // The kind letter and digits are ASCII, so slicing after them is on a
    // char boundary.
    let bytes = after.as_bytes();
    let (mark, len) = match *bytes.first()? {
        b'l' => {
            let digits = bytes[1..].iter().take_while(|b| b.is_ascii_digit()).count();
            let n = after.get(1..1 + digits)?.parse().ok()?;
            (Mark::Lifted(n), 1 + digits)
        }
        letter => (Mark::from_letter(letter)?, 1),
    };
    after[len..]
        .starts_with(CLOSE)
        .then_some((mark, len + CLOSE.len_utf8()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_finds_markers_between_text() {
        let m = Markers::random();
        let s = format!("a{}b{}c", m.text(Mark::ExprStart), m.text(Mark::End));
        let pieces: Vec<_> = m.scan(&s).collect();
        assert_eq!(
            pieces,
            vec![
                Piece::Text("a"),
                Piece::Mark(Mark::ExprStart),
                Piece::Text("b"),
                Piece::Mark(Mark::End),
                Piece::Text("c"),
            ]
        );
    }

    #[test]
    fn forged_markers_without_the_nonce_are_text() {
        let m = Markers::random();
        let forged = "\u{E000}000000000000000000000000e\u{E001}x\u{E000}\u{E001}";
        let pieces: Vec<_> = m.scan(forged).collect();
        assert_eq!(pieces, vec![Piece::Text(forged)]);
    }

    #[test]
    fn lifted_marks_carry_their_number() {
        let m = Markers::random();
        let s = format!("a{}b", m.text(Mark::Lifted(107)));
        let pieces: Vec<_> = m.scan(&s).collect();
        assert_eq!(
            pieces,
            [
                Piece::Text("a"),
                Piece::Mark(Mark::Lifted(107)),
                Piece::Text("b")
            ]
        );
        let bad = format!("{}l{}", m.prefix, CLOSE);
        assert_eq!(m.scan(&bad).collect::<Vec<_>>(), [Piece::Text(&bad)]);
    }

    #[test]
    fn prefix_with_unknown_kind_is_text() {
        let m = Markers::random();
        let s = format!("{}Q{}", m.prefix, CLOSE);
        assert_eq!(m.scan(&s).collect::<Vec<_>>(), vec![Piece::Text(&s)]);
    }
}
