//! The state as a render reads it.
//!
//! A render reads few rows of a big list: those that changed. So a
//! top-level list is not written out each action. Its rows are hashed
//! straight from the state's `Serialize` (no text, no allocation: ten times
//! faster than writing JSON), and the render cache tells unchanged rows by
//! those fingerprints. A row's JSON is written only when the render reads
//! it — the rows the cache asks for in one pass over the state, or the whole
//! list at the first read of anything else. Every other top-level field is
//! written as JSON at once (they are small, and read whole).
//!
//! Building a `serde_json::Value` of a 50,000-line state, as the runtime
//! used to, cost twenty times what hashing it does.

use std::borrow::Cow;
use std::cell::RefCell;
use std::hash::Hasher;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use serde::ser::{self, Impossible, Serialize};

mod fingerprint;
mod select;
mod top;

pub(crate) use fingerprint::fingerprint;

/// A state, as the render reads it.
pub(crate) struct StateText {
    /// The JSON of the fields that are not lists, one after the other.
    text: Vec<u8>,
    fields: Vec<Field>,
    /// Every list row's fingerprint; [`Field::list`] indexes it.
    prints: Vec<u64>,
    /// Rows' JSON, written when first read.
    rows: Mutex<RowText>,
    /// The state, to write rows from.
    source: Arc<dyn RowSource>,
}

impl std::fmt::Debug for StateText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateText")
            .field("fields", &self.fields)
            .finish_non_exhaustive()
    }
}

/// One top-level field.
#[derive(Debug)]
pub(crate) struct Field {
    /// A struct's field names are static: most states make no string here.
    pub name: Cow<'static, str>,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// Its JSON, in [`StateText::text`].
    Whole(Range<usize>),
    /// A list: its rows, as a range of [`StateText::prints`].
    List(Range<usize>),
}

/// The JSON of rows read so far.
#[derive(Debug, Default)]
struct RowText {
    text: Vec<u8>,
    /// Per row written (numbered as in [`StateText::prints`]): where its
    /// JSON is. A map: most renders write a handful of rows.
    spans: std::collections::HashMap<usize, Range<usize>>,
    /// Per field: every row written.
    complete: Vec<bool>,
}

/// The state did not serialize.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct SerializeError(String);

impl ser::Error for SerializeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        SerializeError(msg.to_string())
    }
}

impl From<serde_json::Error> for SerializeError {
    fn from(e: serde_json::Error) -> Self {
        SerializeError(e.to_string())
    }
}

/// Writes rows of the state's list fields as JSON, on demand.
pub(crate) trait RowSource: Send + Sync + 'static {
    /// Writes the rows of list field `field` for which `wanted(i)` holds, in
    /// order, into `out`, telling `row` where each went.
    fn write_rows(
        &self,
        field: &str,
        last: usize,
        wanted: &mut dyn FnMut(usize) -> bool,
        out: &mut Vec<u8>,
        row: &mut dyn FnMut(usize, Range<usize>),
    ) -> Result<(), SerializeError>;
}

impl<S: Serialize + Send + Sync + 'static> RowSource for S {
    fn write_rows(
        &self,
        field: &str,
        last: usize,
        wanted: &mut dyn FnMut(usize) -> bool,
        out: &mut Vec<u8>,
        row: &mut dyn FnMut(usize, Range<usize>),
    ) -> Result<(), SerializeError> {
        select::write_rows(self, field, last, wanted, out, row)
    }
}

/// Buffers of earlier renders on this thread, to write the next one into:
/// a big state then costs no fresh allocation (and page faults) each action.
#[derive(Default)]
struct Buffers {
    text: Vec<u8>,
    fields: Vec<Field>,
    prints: Vec<u64>,
    rows: RowText,
}

thread_local! {
    static SPARE: RefCell<Option<Buffers>> = const { RefCell::new(None) };
}

impl StateText {
    /// `state` as a render reads it: its fields if it is a struct or a map,
    /// else one field `state` holding it.
    pub(crate) fn of<S>(state: &Arc<S>) -> Result<StateText, SerializeError>
    where
        S: Serialize + Send + Sync + 'static,
    {
        let mut b = SPARE.with(|s| s.borrow_mut().take()).unwrap_or_default();
        b.text.clear();
        b.fields.clear();
        b.prints.clear();
        match top::read(&**state, &mut b.text, &mut b.fields, &mut b.prints) {
            Ok(()) => {}
            Err(top::Outcome::NotAnObject) => {
                // Not a struct or a map: the template sees it as `state`.
                b.text.clear();
                b.fields.clear();
                b.prints.clear();
                serde_json::to_writer(&mut b.text, &**state)?;
                b.fields.push(Field {
                    name: "state".into(),
                    kind: Kind::Whole(0..b.text.len()),
                });
            }
            Err(top::Outcome::Failed(e)) => return Err(e),
        }
        let mut rows = b.rows;
        rows.text.clear();
        rows.spans.clear();
        rows.complete.clear();
        rows.complete.resize(b.fields.len(), false);
        Ok(StateText {
            text: b.text,
            fields: b.fields,
            prints: b.prints,
            rows: Mutex::new(rows),
            source: state.clone(),
        })
    }

    /// Gives the buffers back for the next render on this thread (and lets
    /// go of the state).
    pub(crate) fn recycle(self) {
        let rows = self.rows.into_inner().unwrap_or_else(|p| p.into_inner());
        let buffers = Buffers {
            text: self.text,
            fields: self.fields,
            prints: self.prints,
            rows,
        };
        SPARE.with(|s| {
            let mut spare = s.borrow_mut();
            // Keep the larger: the next render is likely as big.
            let larger = match spare.as_ref() {
                Some(kept) => {
                    kept.prints.capacity() + kept.text.capacity()
                        < buffers.prints.capacity() + buffers.text.capacity()
                }
                None => true,
            };
            if larger {
                *spare = Some(buffers);
            }
        });
    }

    /// The top-level fields, in order.
    pub(crate) fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// The field named `name`.
    pub(crate) fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Whether a field is a list (read row by row).
    pub(crate) fn is_list(&self, field: &Field) -> bool {
        matches!(field.kind, Kind::List(_))
    }

    /// A field's value, parsed (a list: every row).
    pub(crate) fn value_of(&self, field: &Field) -> serde_json::Value {
        match &field.kind {
            // Written by serde_json a moment ago: it parses.
            Kind::Whole(span) => {
                serde_json::from_slice(&self.text[span.clone()]).unwrap_or_default()
            }
            Kind::List(_) => {
                let rows = self.rows_of(field).expect("a list");
                let all = (0..rows.len()).filter_map(|i| rows.value(i)).collect();
                serde_json::Value::Array(all)
            }
        }
    }

    /// A fingerprint of the whole state: equal states, equal prints.
    pub(crate) fn print(&self) -> u64 {
        let mut h = fingerprint::hasher();
        for field in &self.fields {
            h.write_usize(field.name.len());
            h.write(field.name.as_bytes());
            h.write_u64(self.field_print(field));
        }
        h.finish()
    }

    /// A fingerprint of a field's whole value: equal values, equal prints.
    pub(crate) fn field_print(&self, field: &Field) -> u64 {
        let mut h = fingerprint::hasher();
        match &field.kind {
            Kind::Whole(span) => {
                h.write_u8(0);
                h.write(&self.text[span.clone()]);
            }
            Kind::List(rows) => {
                h.write_u8(1);
                h.write_usize(rows.len());
                for p in &self.prints[rows.clone()] {
                    h.write_u64(*p);
                }
            }
        }
        h.finish()
    }

    /// A list field's rows.
    pub(crate) fn rows_of<'a>(&'a self, field: &'a Field) -> Option<Rows<'a>> {
        let Kind::List(range) = &field.kind else {
            return None;
        };
        let index = self.fields.iter().position(|f| std::ptr::eq(f, field))?;
        Some(Rows {
            state: self,
            field,
            index,
            range: range.clone(),
        })
    }
}

/// The rows of a list field.
#[derive(Clone)]
pub(crate) struct Rows<'a> {
    state: &'a StateText,
    field: &'a Field,
    /// The field's place among the state's fields.
    index: usize,
    /// Its rows, as numbered in `StateText::prints`.
    range: Range<usize>,
}

impl<'a> Rows<'a> {
    pub(crate) fn len(&self) -> usize {
        self.range.len()
    }

    /// Every row's fingerprint, in order.
    pub(crate) fn fingerprints(&self) -> &'a [u64] {
        &self.state.prints[self.range.clone()]
    }

    /// Writes the JSON of rows `wanted` (that is not written yet) in one pass,
    /// for [`value`](Self::value) to read.
    pub(crate) fn prepare(&self, wanted: &[usize]) {
        let mut rows = self.lock();
        let missing: Vec<usize> = wanted
            .iter()
            .copied()
            .filter(|&i| i < self.len() && !rows.spans.contains_key(&(self.range.start + i)))
            .collect();
        if !missing.is_empty() {
            self.write(&mut rows, &missing);
        }
    }

    /// Row `i`, parsed. The first read of a row not [`prepare`](Self::prepare)d
    /// writes the whole list: whatever reads it (a filter, a loop the
    /// render cache does not handle) is likely to read every row.
    pub(crate) fn value(&self, i: usize) -> Option<serde_json::Value> {
        if i >= self.len() {
            return None;
        }
        let mut rows = self.lock();
        let at = self.range.start + i;
        if !rows.spans.contains_key(&at) && !rows.complete[self.index] {
            let all: Vec<usize> = (0..self.len()).collect();
            self.write(&mut rows, &all);
            rows.complete[self.index] = true;
        }
        let span = rows.spans.get(&at)?.clone();
        serde_json::from_slice(&rows.text[span]).ok()
    }

    fn lock(&self) -> std::sync::MutexGuard<'a, RowText> {
        self.state.rows.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes rows `wanted` (ascending, none written yet).
    fn write(&self, rows: &mut RowText, wanted: &[usize]) {
        let RowText { text, spans, .. } = rows;
        let mut next = wanted.iter().copied().peekable();
        let start = self.range.start;
        let Some(&last) = wanted.last() else {
            return;
        };
        let result = self.state.source.write_rows(
            &self.field.name,
            last,
            &mut |i| {
                while next.peek().is_some_and(|&w| w < i) {
                    next.next();
                }
                next.peek() == Some(&i)
            },
            text,
            &mut |i, span| {
                spans.insert(start + i, span);
            },
        );
        if let Err(e) = result {
            // It serialized a moment ago, when fingerprinted.
            tracing::error!(error = %e, field = %self.field.name, "a row did not serialize");
        }
    }
}

/// The kinds a serializer passes over without a word, as `Ok` (the others
/// are spelled out where they matter).
macro_rules! serialize_scalars {
    ($ok:expr; $($method:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> Result<Self::Ok, Self::Error> {
            $ok
        })*
    };
}
pub(crate) use serialize_scalars;

/// The kinds every serializer here takes the same way.
macro_rules! scalar_methods {
    ($macro:ident!($ok:expr)) => {
        $macro! { $ok;
            serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
            serialize_i64(i64), serialize_i128(i128), serialize_u8(u8), serialize_u16(u16),
            serialize_u32(u32), serialize_u64(u64), serialize_u128(u128), serialize_f32(f32),
            serialize_f64(f64), serialize_char(char), serialize_str(&str), serialize_bytes(&[u8]),
            serialize_none(), serialize_unit(), serialize_unit_struct(&'static str),
            serialize_unit_variant(&'static str, u32, &'static str),
        }
    };
}
pub(crate) use scalar_methods;

/// A serializer that stops at the first call, saying whether the value is
/// a list (an array or a tuple, maybe in an `Option` or a newtype).
pub(crate) fn is_list<T: ?Sized + Serialize>(value: &T) -> bool {
    matches!(value.serialize(Probe), Err(Probed::List))
}

#[derive(Debug)]
enum Probed {
    List,
    Other,
}

impl std::fmt::Display for Probed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

impl std::error::Error for Probed {}

impl ser::Error for Probed {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Probed::Other
    }
}

struct Probe;

impl ser::Serializer for Probe {
    type Ok = ();
    type Error = Probed;
    type SerializeSeq = Impossible<(), Probed>;
    type SerializeTuple = Impossible<(), Probed>;
    type SerializeTupleStruct = Impossible<(), Probed>;
    type SerializeTupleVariant = Impossible<(), Probed>;
    type SerializeMap = Impossible<(), Probed>;
    type SerializeStruct = Impossible<(), Probed>;
    type SerializeStructVariant = Impossible<(), Probed>;

    scalar_methods!(serialize_scalars!(Err(Probed::Other)));

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Probed> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Probed> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Probed> {
        Err(Probed::Other)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Probed> {
        Err(Probed::List)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Probed> {
        Err(Probed::List)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Probed> {
        Err(Probed::Other)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Probed> {
        Err(Probed::Other)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Probed> {
        Err(Probed::Other)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Probed> {
        Err(Probed::Other)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Probed> {
        Err(Probed::Other)
    }
}

/// A map key as JSON spells it: strings as they are, numbers and booleans
/// written out.
pub(crate) fn key_string<T: ?Sized + Serialize>(key: &T) -> Result<String, SerializeError> {
    match serde_json::to_value(key)? {
        serde_json::Value::String(s) => Ok(s),
        other @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_)) => {
            Ok(other.to_string())
        }
        _ => Err(ser::Error::custom("a map key must be a string")),
    }
}

#[cfg(test)]
mod tests;
