//! Marked template output → [`Node`].

use super::marker::{Mark, Markers, Piece};
use crate::tree::{Node, Range, Slot};

/// Builds the tree of one render from its marked output.
///
/// Markers that do not nest properly (they can leak through strings that
/// minijinja captured, such as a recursive loop's output) make the whole
/// render one static node: less economical on the wire, never wrong.
pub(crate) fn build(output: &str, markers: &Markers) -> Node {
    build_with(output, markers, &mut [])
}

/// [`build`], with the loops that were rendered item by item: the output
/// marks where each goes (`Mark::Lifted(n)` is `lifted[n]`).
pub(crate) fn build_with(output: &str, markers: &Markers, lifted: &mut [Option<Range>]) -> Node {
    let mut pieces = markers.scan(output).peekable();
    match parse_node(&mut pieces, &[], lifted) {
        Ok((node, None)) => node,
        _ => {
            tracing::debug!("unbalanced template markers; sending this render as one static");
            Node::text(markers.strip(output))
        }
    }
}

struct Unbalanced;

type Pieces<'a> = std::iter::Peekable<super::marker::Scan<'a>>;

/// Parses pieces into a node until one of `until` (returned) or the end.
fn parse_node(
    pieces: &mut Pieces<'_>,
    until: &[Mark],
    lifted: &mut [Option<Range>],
) -> Result<(Node, Option<Mark>), Unbalanced> {
    let mut node = Node::text("");
    while let Some(piece) = pieces.next() {
        match piece {
            Piece::Text(t) => push_text(&mut node, t),
            Piece::Mark(m) if until.contains(&m) => return Ok((node, Some(m))),
            Piece::Mark(Mark::ExprStart | Mark::NodeStart) => {
                let (inner, _) = expect(parse_node(pieces, &[Mark::End], lifted))?;
                // Output without slots is text: `class="{% if on %}on{% endif %}"`
                // in each of 10,000 rows is then no node, no list of statics.
                let slot = if inner.slots.is_empty() {
                    Slot::Text(inner.statics.into_iter().next().unwrap_or_default().into())
                } else {
                    Slot::Node(Box::new(inner))
                };
                push_slot(&mut node, slot);
            }
            Piece::Mark(Mark::RangeStart) => {
                let range = parse_range(pieces, lifted)?;
                push_slot(&mut node, Slot::Range(Box::new(range)));
            }
            Piece::Mark(Mark::Lifted(n)) => {
                let range = lifted.get_mut(n as usize).and_then(Option::take);
                push_slot(&mut node, Slot::Range(Box::new(range.ok_or(Unbalanced)?)));
            }
            Piece::Mark(_) => return Err(Unbalanced),
        }
    }
    if until.is_empty() {
        Ok((node, None))
    } else {
        Err(Unbalanced)
    }
}

/// A nested parse must end on its terminator, not at the end of input.
fn expect(r: Result<(Node, Option<Mark>), Unbalanced>) -> Result<(Node, Mark), Unbalanced> {
    match r? {
        (node, Some(m)) => Ok((node, m)),
        (_, None) => Err(Unbalanced),
    }
}

fn parse_range(pieces: &mut Pieces<'_>, lifted: &mut [Option<Range>]) -> Result<Range, Unbalanced> {
    const ITEM_END: &[Mark] = &[Mark::Item, Mark::RangeElse, Mark::RangeEnd];
    let mut items: Vec<Node> = Vec::new();
    let mut else_node = None;
    let mut next = match pieces.next() {
        Some(Piece::Mark(m @ (Mark::Item | Mark::RangeElse | Mark::RangeEnd))) => m,
        _ => return Err(Unbalanced),
    };
    loop {
        match next {
            Mark::Item => {
                let (item, end) = expect(parse_node(pieces, ITEM_END, lifted))?;
                items.push(item);
                next = end;
            }
            Mark::RangeElse => {
                let (e, _) = expect(parse_node(pieces, &[Mark::RangeEnd], lifted))?;
                else_node = Some(Box::new(e));
                break;
            }
            _ => break,
        }
    }
    Ok(unify(items, else_node))
}

/// Items share statics on the wire; when a loop body's statics vary between
/// iterations (an include of a different template, say), each item becomes
/// one slot holding its own node.
fn unify(items: Vec<Node>, else_node: Option<Box<Node>>) -> Range {
    let same = items.windows(2).all(|w| w[0].statics == w[1].statics);
    if same {
        let statics = items.first().map(|n| n.statics.clone()).unwrap_or_default();
        Range {
            statics,
            items: items.into_iter().map(|n| n.slots.into()).collect(),
            else_node,
            ..Range::default()
        }
    } else {
        Range {
            statics: vec![String::new(), String::new()],
            items: items
                .into_iter()
                .map(|n| [Slot::Node(Box::new(n))].into())
                .collect(),
            else_node,
            ..Range::default()
        }
    }
}

fn push_text(node: &mut Node, text: &str) {
    if let Some(last) = node.statics.last_mut() {
        last.push_str(text);
    }
}

fn push_slot(node: &mut Node, slot: Slot) {
    node.slots.push(slot);
    node.statics.push(String::new());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unbalanced_markers_fall_back_to_one_static_node() {
        let m = Markers::random();
        let out = format!("a{}b{}c", m.text(Mark::ExprStart), m.text(Mark::RangeEnd));
        let node = build(&out, &m);
        assert_eq!(node, Node::text("abc"));
    }

    #[test]
    fn loop_items_with_different_statics_each_get_their_own_node() {
        let m = Markers::random();
        let (r, i, q) = (
            m.text(Mark::RangeStart),
            m.text(Mark::Item),
            m.text(Mark::RangeEnd),
        );
        let out = format!("{r}{i}<a>{i}<b>{q}");
        let node = build(&out, &m);
        let Slot::Range(range) = &node.slots[0] else {
            panic!("{node:?}")
        };
        assert_eq!(range.statics, ["", ""]);
        assert_eq!(*range.items[0], [Slot::Node(Box::new(Node::text("<a>")))]);
        assert_eq!(node.to_html(), "<a><b>");
    }

    #[test]
    fn an_expression_holding_structure_becomes_a_node() {
        let m = Markers::random();
        let (e, z, n) = (
            m.text(Mark::ExprStart),
            m.text(Mark::End),
            m.text(Mark::NodeStart),
        );
        let out = format!("<p>{e}x{n}y{z}{z}</p>");
        let node = build(&out, &m);
        let Slot::Node(inner) = &node.slots[0] else {
            panic!("{node:?}")
        };
        assert_eq!(inner.statics, ["x", ""]);
        assert_eq!(node.to_html(), "<p>xy</p>");
    }
}
