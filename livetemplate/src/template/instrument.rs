//! Rewrites a template so its output marks where the live parts are.
//!
//! The rewrite runs minijinja's own lexer with the user's whitespace settings,
//! so whitespace control (`{%-`, `-%}`, `trim_blocks`, `lstrip_blocks`, the
//! trailing newline) is applied exactly once, here. The rewritten source is
//! compiled with neutral whitespace settings and renders the same bytes as the
//! original, plus markers:
//!
//! * `{{ expr }}`, `{% include %}`, `{% call %}` and `{% filter %}` output is
//!   wrapped as an expression slot;
//! * `{% if %}…{% endif %}` is wrapped as a nested node;
//! * `{% for %}` marks the loop, each iteration, and its `else`; a loop that
//!   can render item by item (see `item_loops`) is also written as a call
//!   that does so, its body becoming a template of its own (a *fragment*),
//!   with the marked loop kept as the fallback.
//!
//! Bodies whose output minijinja captures (macros, `{% set %}` blocks, call
//! and filter blocks) are left unmarked, so captured strings stay exactly
//! what plain minijinja would produce. Lines are padded so error messages
//! point at the user's own line numbers.

use std::collections::HashMap;
use std::fmt::Write as _;

use minijinja::machinery::{tokenize, Span, Token};
use minijinja::syntax::SyntaxConfig;

use super::item_loops::{self, ItemLoop};
use super::marker::{Mark, Markers};

/// The name of fragment `n` of template `name`: the body of its `n`th loop
/// that renders item by item.
pub(crate) fn fragment_name(name: &str, n: usize) -> String {
    format!("{name}#lvt-loop-{n}")
}

/// The template and fragment number a fragment name stands for.
pub(crate) fn parse_fragment_name(name: &str) -> Option<(&str, usize)> {
    let (base, n) = name.rsplit_once("#lvt-loop-")?;
    Some((base, n.parse().ok()?))
}

/// A rewritten template and the bodies of its item-by-item loops.
#[derive(Debug)]
pub(crate) struct Instrumented {
    /// The rewritten source.
    pub source: String,
    /// Fragment `n`'s source, padded so its lines are the original's.
    pub fragments: Vec<String>,
}

/// What an open block tag does to the markers inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// `if`: wrapped as a nested node.
    If,
    /// `for`: a range; `lifted` when it also renders item by item.
    For { lifted: bool },
    /// Output captured by minijinja; `wrap` when the capture is written out
    /// where the block stands (call and filter blocks).
    Captured { wrap: bool },
    /// `block`, `with`, `autoescape`: markers pass through.
    Transparent,
    /// Any block tag inside a captured body.
    Plain,
}

/// Rewrites `source` as described in the module docs.
pub(crate) fn instrument(
    name: &str,
    source: &str,
    syntax: &SyntaxConfig,
    markers: &Markers,
) -> Result<Instrumented, minijinja::Error> {
    let tokens: Vec<(Token<'_>, Span)> =
        tokenize(source, false, syntax.clone()).collect::<Result<_, _>>()?;
    let mut w = Writer {
        name,
        source,
        markers,
        out: String::with_capacity(source.len() + source.len() / 4),
        line: 1,
        stack: Vec::new(),
        item_loops: item_loops::plan(&tokens, source),
        fragments: Vec::new(),
        body: None,
    };
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i].0 {
            Token::TemplateData(text) => {
                w.text(text);
                i += 1;
            }
            Token::VariableStart | Token::BlockStart => {
                let is_block = matches!(tokens[i].0, Token::BlockStart);
                let start_line = tokens[i].1.start_line;
                let end = tokens[i + 1..]
                    .iter()
                    .position(|(t, _)| matches!(t, Token::VariableEnd | Token::BlockEnd))
                    .map(|p| p + i + 1)
                    .unwrap_or(tokens.len());
                let inner = &tokens[i + 1..end];
                if is_block {
                    w.block(i, inner, start_line);
                } else {
                    w.variable(inner, start_line);
                }
                i = end + 1;
            }
            _ => i += 1,
        }
    }
    Ok(Instrumented {
        source: w.out,
        fragments: w.fragments,
    })
}

struct Writer<'a> {
    name: &'a str,
    source: &'a str,
    markers: &'a Markers,
    out: String,
    /// The line the writer is on in `out` (1-based).
    line: u32,
    stack: Vec<Frame>,
    /// The loops that render item by item, by the index of their `{%` token.
    item_loops: HashMap<usize, ItemLoop>,
    fragments: Vec<String>,
    /// Where the body of the item-by-item loop being written started in
    /// `out`, and on which line.
    body: Option<(usize, u32)>,
}

impl Writer<'_> {
    fn marking(&self) -> bool {
        !self
            .stack
            .iter()
            .any(|f| matches!(f, Frame::Captured { .. }))
    }

    fn mark(&mut self, mark: Mark) {
        if self.marking() {
            let text = self.markers.text(mark);
            self.out.push_str(&text);
        }
    }

    fn text(&mut self, text: &str) {
        if text.contains("{{") || text.contains("{%") || text.contains("{#") {
            self.out.push_str("{% raw %}");
            self.out.push_str(text);
            self.out.push_str("{% endraw %}");
        } else {
            self.out.push_str(text);
        }
        self.line += text.matches('\n').count() as u32;
    }

    /// Writes a tag with its original inner source; pads lines first so the
    /// tag sits on the line it had in the original.
    fn tag(&mut self, open: &str, close: &str, inner: &[(Token<'_>, Span)], start_line: u16) {
        self.out.push_str(open);
        while self.line < u32::from(start_line) {
            self.out.push('\n');
            self.line += 1;
        }
        self.out.push(' ');
        if let (Some(first), Some(last)) = (inner.first(), inner.last()) {
            let src = &self.source[first.1.start_offset as usize..last.1.end_offset as usize];
            self.line += src.matches('\n').count() as u32;
            self.out.push_str(src);
        }
        self.out.push(' ');
        self.out.push_str(close);
    }

    fn variable(&mut self, inner: &[(Token<'_>, Span)], line: u16) {
        self.mark(Mark::ExprStart);
        self.tag("{{", "}}", inner, line);
        self.mark(Mark::End);
    }

    fn block(&mut self, at: usize, inner: &[(Token<'_>, Span)], line: u16) {
        let name = match inner.first() {
            Some((Token::Ident(name), _)) => *name,
            _ => "",
        };
        let marking = self.marking();
        let top = self.stack.last().copied();
        match name {
            "if" => {
                self.mark(Mark::NodeStart);
                self.tag("{%", "%}", inner, line);
                self.stack
                    .push(if marking { Frame::If } else { Frame::Plain });
            }
            "for" => {
                let item_loop = self.item_loops.remove(&at).filter(|_| marking);
                let lifted = item_loop.is_some();
                if let Some(item_loop) = item_loop {
                    self.open_item_loop(&item_loop);
                }
                self.mark(Mark::RangeStart);
                self.tag("{%", "%}", inner, line);
                self.mark(Mark::Item);
                if lifted {
                    self.body = Some((self.out.len(), self.line));
                }
                self.stack.push(if marking {
                    Frame::For { lifted }
                } else {
                    Frame::Plain
                });
            }
            "else" if matches!(top, Some(Frame::For { .. })) => {
                if top == Some(Frame::For { lifted: true }) {
                    self.end_body();
                }
                self.tag("{%", "%}", inner, line);
                self.mark(Mark::RangeElse);
            }
            "endif" => {
                self.tag("{%", "%}", inner, line);
                self.stack.pop();
                self.mark(Mark::End);
            }
            "endfor" => {
                if top == Some(Frame::For { lifted: true }) {
                    self.end_body();
                }
                self.tag("{%", "%}", inner, line);
                let frame = self.stack.pop();
                self.mark(Mark::RangeEnd);
                if frame == Some(Frame::For { lifted: true }) {
                    self.out.push_str("{% else %}{{ __lvt_items }}{% endif %}");
                }
            }
            "call" | "filter" => {
                self.mark(Mark::ExprStart);
                self.tag("{%", "%}", inner, line);
                self.stack.push(Frame::Captured { wrap: marking });
            }
            "macro" => {
                self.tag("{%", "%}", inner, line);
                self.stack.push(Frame::Captured { wrap: false });
            }
            "set" if !inner.iter().any(|(t, _)| matches!(t, Token::Assign)) => {
                self.tag("{%", "%}", inner, line);
                self.stack.push(Frame::Captured { wrap: false });
            }
            "block" | "with" | "autoescape" => {
                self.tag("{%", "%}", inner, line);
                self.stack.push(if marking {
                    Frame::Transparent
                } else {
                    Frame::Plain
                });
            }
            "endcall" | "endfilter" | "endmacro" | "endset" | "endblock" | "endwith"
            | "endautoescape" => {
                self.tag("{%", "%}", inner, line);
                if let Some(Frame::Captured { wrap: true }) = self.stack.pop() {
                    self.mark(Mark::End);
                }
            }
            "include" => {
                self.mark(Mark::ExprStart);
                self.tag("{%", "%}", inner, line);
                self.mark(Mark::End);
            }
            _ => self.tag("{%", "%}", inner, line),
        }
    }
}

impl Writer<'_> {
    /// Writes the call that renders a loop item by item; the marked loop
    /// that follows renders only when the call declines (returns none).
    fn open_item_loop(&mut self, item_loop: &ItemLoop) {
        let fragment = fragment_name(self.name, self.fragments.len());
        self.fragments.push(String::new());
        let _ = write!(
            self.out,
            "{{% set __lvt_items = __lvt_loop({fragment:?}, {:?}, {:?}, ({})) %}}\
             {{% if __lvt_items is none %}}",
            item_loop.target, item_loop.reads, item_loop.iterable
        );
    }

    /// Ends the body of the item-by-item loop being written, if any: it
    /// becomes the last fragment.
    fn end_body(&mut self) {
        if let Some((start, line)) = self.body.take() {
            let mut fragment = "\n".repeat(line.saturating_sub(1) as usize);
            fragment.push_str(&self.out[start..]);
            if let Some(last) = self.fragments.last_mut() {
                *last = fragment;
            }
        }
    }
}

/// The whitespace settings the rewritten source is compiled with: none, since
/// the rewrite already applied the user's.
pub(crate) fn neutral_syntax() -> SyntaxConfig {
    SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .build()
        .unwrap_or_default()
}
