//! A small Markdown renderer whose output is data, not HTML.
//!
//! `pulldown-cmark` parses; this walks its events and keeps a safe subset as
//! typed [`Block`]s: headings, paragraphs, quotes, code blocks, rules and
//! lists, with runs of text that may be strong, emphasised, code or a link.
//! No string of markup is produced here, so nothing typed can become a tag:
//! the template writes every tag itself and escapes every text and
//! attribute. Raw HTML stays text; images show their alt text; a link keeps
//! its URL only if it is `http:`, `https:` or `mailto:` (an allow-list, so
//! `javascript:` and friends, however spelled, are dropped).

use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};

use crate::catalog::Source;

/// This file, shown beside the example that uses it.
pub const SOURCE: Source = crate::this_file!();

/// One block of the preview, as the template draws it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Block {
    /// `#` is level 3, `##` level 4 and so on (the page has its own 1 and 2).
    Heading {
        level: u8,
        spans: Vec<Span>,
    },
    Paragraph {
        spans: Vec<Span>,
    },
    Quote {
        spans: Vec<Span>,
    },
    Code {
        text: String,
    },
    Rule,
    /// Nested lists are kept flat, each item with its depth (0 to 3).
    List {
        ordered: bool,
        items: Vec<Item>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub depth: u8,
    pub spans: Vec<Span>,
}

/// A run of text with one style.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Span {
    pub text: String,
    pub strong: bool,
    pub em: bool,
    pub code: bool,
    /// A link's URL, when its scheme is allowed.
    pub href: Option<String>,
    /// The text of a link whose URL was dropped.
    pub dropped: bool,
}

impl Span {
    fn style(&self) -> (bool, bool, bool, Option<&str>, bool) {
        let href = self.href.as_deref();
        (self.strong, self.em, self.code, href, self.dropped)
    }
}

/// The blocks of `source`.
pub fn render(source: &str) -> Vec<Block> {
    let mut walk = Walk::default();
    for event in Parser::new(source) {
        walk.event(event);
    }
    walk.blocks
}

/// The URL if its scheme is on the allow-list.
fn allowed(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
        .then(|| url.trim().to_string())
}

/// Where the walk is.
#[derive(Default)]
struct Walk {
    blocks: Vec<Block>,
    spans: Vec<Span>,
    /// The text of the code block being read.
    code: Option<String>,
    /// The list being read (outermost), and how deep in it the walk is.
    list: Option<(bool, Vec<Item>)>,
    depth: u8,
    heading: Option<u8>,
    quotes: usize,
    strong: usize,
    em: usize,
    /// Inside a link: its URL, if allowed.
    link: Option<Option<String>>,
}

impl Walk {
    fn event(&mut self, event: Event) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) | Event::Html(text) | Event::InlineHtml(text) => match &mut self.code
            {
                Some(code) => code.push_str(&text),
                None => self.push(&text, false),
            },
            Event::Code(text) => self.push(&text, true),
            Event::SoftBreak | Event::HardBreak => self.push(" ", false),
            Event::Rule if self.list.is_none() => self.blocks.push(Block::Rule),
            _ => {}
        }
    }

    fn start(&mut self, tag: Tag) {
        match tag {
            Tag::Heading { level, .. } => self.heading = Some((level as u8 + 2).min(6)),
            Tag::CodeBlock(_) if self.list.is_none() => self.code = Some(String::new()),
            Tag::BlockQuote(_) => self.quotes += 1,
            Tag::List(start) => match self.list {
                None => self.list = Some((start.is_some(), Vec::new())),
                Some(_) => {
                    // The parent item's own text comes first.
                    self.item();
                    self.depth += 1;
                }
            },
            Tag::Strong => self.strong += 1,
            Tag::Emphasis => self.em += 1,
            Tag::Link { dest_url, .. } => self.link = Some(allowed(&dest_url)),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_) => {
                let level = self.heading.take().unwrap_or(3);
                let spans = std::mem::take(&mut self.spans);
                self.blocks.push(Block::Heading { level, spans });
            }
            TagEnd::Paragraph | TagEnd::HtmlBlock if self.list.is_none() => {
                let spans = std::mem::take(&mut self.spans);
                if !spans.is_empty() {
                    self.blocks.push(if self.quotes > 0 {
                        Block::Quote { spans }
                    } else {
                        Block::Paragraph { spans }
                    });
                }
            }
            TagEnd::CodeBlock => {
                if let Some(text) = self.code.take() {
                    self.blocks.push(Block::Code { text });
                }
            }
            TagEnd::BlockQuote(_) => self.quotes = self.quotes.saturating_sub(1),
            TagEnd::Item => self.item(),
            TagEnd::List(_) if self.depth > 0 => self.depth -= 1,
            TagEnd::List(_) => {
                if let Some((ordered, items)) = self.list.take() {
                    self.blocks.push(Block::List { ordered, items });
                }
            }
            TagEnd::Strong => self.strong = self.strong.saturating_sub(1),
            TagEnd::Emphasis => self.em = self.em.saturating_sub(1),
            TagEnd::Link => self.link = None,
            _ => {}
        }
    }

    /// Ends the list item read so far (if it has any text).
    fn item(&mut self) {
        let spans = std::mem::take(&mut self.spans);
        if let (Some((_, items)), false) = (&mut self.list, spans.is_empty()) {
            items.push(Item {
                depth: self.depth.min(3),
                spans,
            });
        }
    }

    /// Adds text in the current style, joining it to the last run if alike.
    fn push(&mut self, text: &str, code: bool) {
        let span = Span {
            text: text.to_string(),
            strong: self.strong > 0,
            em: self.em > 0,
            code,
            href: self.link.clone().flatten(),
            dropped: matches!(self.link, Some(None)),
        };
        match self.spans.last_mut() {
            Some(last) if last.style() == span.style() => last.text.push_str(text),
            _ => self.spans.push(span),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(blocks: &[Block]) -> String {
        serde_json::to_string(blocks).unwrap_or_default()
    }

    #[test]
    fn raw_html_stays_text() {
        let blocks = render("<script>alert(1)</script>\n\nhi <b>there</b>");
        assert_eq!(blocks.len(), 2, "{blocks:?}");
        assert!(text(&blocks).contains("<script>alert(1)</script>"));
        assert!(text(&blocks).contains("<b>"));
    }

    #[test]
    fn only_http_https_and_mailto_links_keep_their_url() {
        let source = "[a](javascript:alert(1)) [b](JaVaScRiPt:x) [c](jav&#x61;script:x) \
                      [d](data:text/html,x) [e](/relative) <javascript:y> \
                      [ok](https://example.com) [m](mailto:a@example.com)";
        let Block::Paragraph { spans } = &render(source)[0] else {
            panic!("a paragraph")
        };
        let hrefs: Vec<_> = spans.iter().filter_map(|s| s.href.clone()).collect();
        assert_eq!(hrefs, ["https://example.com", "mailto:a@example.com"]);
        assert!(spans.iter().any(|s| s.dropped && s.text == "a"));
    }

    #[test]
    fn headings_lists_code_and_styles() {
        let blocks =
            render("# Title\n\n- one **bold**\n  - two\n\n```\nlet x = 1;\n```\n\n> quoted *em*");
        let Block::Heading { level: 3, .. } = &blocks[0] else {
            panic!("{blocks:?}")
        };
        let Block::List {
            ordered: false,
            items,
        } = &blocks[1]
        else {
            panic!("{blocks:?}")
        };
        assert_eq!(items.len(), 2);
        assert_eq!((items[0].depth, items[1].depth), (0, 1));
        assert!(items[0].spans.iter().any(|s| s.strong && s.text == "bold"));
        assert_eq!(
            blocks[2],
            Block::Code {
                text: "let x = 1;\n".into()
            }
        );
        let Block::Quote { spans } = &blocks[3] else {
            panic!("{blocks:?}")
        };
        assert!(spans.iter().any(|s| s.em && s.text == "em"));
    }
}
