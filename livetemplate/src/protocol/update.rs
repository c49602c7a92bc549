//! The vocabulary of tree updates, as the stock client reads them: one
//! definition for the writer (the tree's JSON and the diff's list
//! operations) and the reader (the fold that the in-process test client
//! and the conformance checks use).

use serde_json::{Map, Value};

/// A node's (or range's) static strings.
pub(crate) const STATICS: &str = "s";
/// A range's items.
pub(crate) const ITEMS: &str = "d";
/// A range's metadata.
pub(crate) const RANGE_META: &str = "m";
/// In a range's metadata: the slot that holds each item's key.
pub(crate) const ID_KEY: &str = "idKey";
/// In an item: the item's key, where no slot holds one.
pub(crate) const ITEM_KEY: &str = "_k";
/// What an empty range shows (the loop's `{% else %}`).
pub(crate) const ELSE: &str = "else";

/// One list operation on a keyed range.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ListOp<'a> {
    /// `["r", key]`: the row goes.
    Remove(&'a str),
    /// `["u", key, slots]`: the row's changed slots.
    Update(&'a str, Value),
    /// `["a", items]` (statics third, when the client lacks them): rows at the end.
    Append(Vec<Value>, Option<Value>),
    /// `["p", items]` (statics third, when the client lacks them): rows at the start.
    Prepend(Vec<Value>, Option<Value>),
    /// `["i", after, items]`: rows after the row `after`.
    Insert(&'a str, Vec<Value>),
    /// `["o", keys]`: the rows in this order (rows left out go).
    Order(Vec<&'a str>),
}

impl<'a> ListOp<'a> {
    const REMOVE: &'static str = "r";
    const UPDATE: &'static str = "u";
    const APPEND: &'static str = "a";
    const PREPEND: &'static str = "p";
    const INSERT: &'static str = "i";
    const ORDER: &'static str = "o";

    /// The operation as the client reads it.
    pub(crate) fn into_json(self) -> Value {
        let code = |c: &str| Value::String(c.to_string());
        let key = |k: &str| Value::String(k.to_string());
        let with_statics = |mut op: Vec<Value>, statics: Option<Value>| {
            op.extend(statics);
            Value::Array(op)
        };
        match self {
            ListOp::Remove(k) => Value::Array(vec![code(Self::REMOVE), key(k)]),
            ListOp::Update(k, slots) => Value::Array(vec![code(Self::UPDATE), key(k), slots]),
            ListOp::Append(items, statics) => {
                with_statics(vec![code(Self::APPEND), Value::Array(items)], statics)
            }
            ListOp::Prepend(items, statics) => {
                with_statics(vec![code(Self::PREPEND), Value::Array(items)], statics)
            }
            ListOp::Insert(after, items) => {
                Value::Array(vec![code(Self::INSERT), key(after), Value::Array(items)])
            }
            ListOp::Order(keys) => Value::Array(vec![
                code(Self::ORDER),
                Value::Array(keys.into_iter().map(key).collect()),
            ]),
        }
    }

    /// Reads an operation the way the client does: `None` for anything it
    /// would skip (an unknown code, a missing part). A single item where a
    /// list of items belongs counts as a list of one.
    pub(crate) fn parse(op: &'a Value) -> Option<ListOp<'a>> {
        let op = op.as_array().filter(|op| op.len() >= 2)?;
        let items = |v: &Value| match v {
            Value::Array(items) => items.clone(),
            item => vec![item.clone()],
        };
        let statics = || op.get(2).filter(|s| s.is_array()).cloned();
        Some(match op[0].as_str()? {
            Self::REMOVE => ListOp::Remove(op[1].as_str()?),
            Self::UPDATE => ListOp::Update(op[1].as_str()?, op.get(2)?.clone()),
            Self::APPEND => ListOp::Append(items(&op[1]), statics()),
            Self::PREPEND => ListOp::Prepend(items(&op[1]), statics()),
            Self::INSERT => ListOp::Insert(op[1].as_str()?, items(op.get(2)?)),
            Self::ORDER => {
                ListOp::Order(op[1].as_array()?.iter().filter_map(Value::as_str).collect())
            }
            _ => return None,
        })
    }

    /// Whether a value is a list of operations (rather than a slot value).
    pub(crate) fn is_list(value: &Value) -> bool {
        value
            .as_array()
            .and_then(|ops| ops.first())
            .and_then(|op| op.get(0))
            .is_some_and(Value::is_string)
    }
}

/// A range's metadata naming the slot that holds its items' keys.
pub(crate) fn range_meta(id_key_slot: usize) -> Value {
    let mut meta = Map::new();
    meta.insert(ID_KEY.into(), Value::String(id_key_slot.to_string()));
    Value::Object(meta)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_operation_reads_back_as_written() {
        let ops = [
            ListOp::Remove("a"),
            ListOp::Update("a", json!({ "1": "x" })),
            ListOp::Append(vec![json!({ "0": "b" })], None),
            ListOp::Prepend(vec![json!({ "0": "b" })], Some(json!(["<li>", "</li>"]))),
            ListOp::Insert("a", vec![json!({ "0": "c" })]),
            ListOp::Order(vec!["c", "a"]),
        ];
        for op in ops {
            let json = op.clone().into_json();
            assert!(ListOp::is_list(&Value::Array(vec![json.clone()])));
            assert_eq!(ListOp::parse(&json), Some(op), "{json}");
        }
        assert_eq!(ListOp::Remove("k").into_json(), json!(["r", "k"]));
        assert_eq!(
            ListOp::Insert("k", vec![json!({})]).into_json(),
            json!(["i", "k", [{}]])
        );
    }

    #[test]
    fn what_the_client_would_skip_is_none() {
        for skipped in [
            json!(["z", "k"]),
            json!(["r"]),
            json!(["u", "k"]),
            json!("r"),
        ] {
            assert_eq!(ListOp::parse(&skipped), None, "{skipped}");
        }
    }
}
