//! The state as a render reads it: serialized once, straight to JSON text,
//! with where each top-level field — and each row of a top-level list —
//! sits in that text.
//!
//! Building a `serde_json::Value` of a 50,000-line state (a map and a string
//! per line, all freed again after the render) cost ten times what writing
//! its text does. From the text, a render reads only what it uses: a row
//! becomes a template value when the template looks at it, and the render
//! cache tells unchanged rows by a hash of their text, without parsing them.
//!
//! The text of one render is taken from, and given back to, a buffer kept
//! per thread, so a big state does not cost a fresh allocation (and its page
//! faults) every action.

use std::cell::RefCell;
use std::ops::Range;

use serde::ser::{self, Impossible, Serialize, SerializeMap, SerializeSeq, SerializeStruct};

/// A state, serialized.
#[derive(Debug, Default)]
pub(crate) struct StateText {
    text: Vec<u8>,
    fields: Vec<Field>,
    /// Where each row of every top-level list is: [`Field::rows`] indexes it.
    rows: Vec<Range<usize>>,
    /// Each row's fingerprint (see [`fingerprint`]), taken as it was written.
    prints: Vec<u64>,
}

/// One top-level field.
#[derive(Debug)]
pub(crate) struct Field {
    pub name: String,
    /// Its value's text.
    span: Range<usize>,
    /// For a list (an array, a tuple): its rows, as a range of `StateText::rows`.
    rows: Option<Range<usize>>,
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

thread_local! {
    /// The last render's text on this thread, to write the next one into.
    static SPARE: RefCell<Option<StateText>> = const { RefCell::new(None) };
}

impl StateText {
    /// `state` serialized: its fields if it is a struct or a map, else one
    /// field `state` holding it.
    pub(crate) fn of(state: &impl Serialize) -> Result<StateText, SerializeError> {
        let mut text = SPARE.with(|s| s.borrow_mut().take()).unwrap_or_default();
        text.clear();
        match state.serialize(TopLevel { text: &mut text }) {
            Ok(()) => Ok(text),
            Err(TopLevelError::NotAnObject) => {
                // Not a struct or a map: the template sees it as `state`.
                text.clear();
                serde_json::to_writer(&mut text.text, state)?;
                text.fields.push(Field {
                    name: "state".into(),
                    span: 0..text.text.len(),
                    rows: None,
                });
                Ok(text)
            }
            Err(TopLevelError::Failed(e)) => Err(e),
        }
    }

    /// Gives the text's buffer back for the next render on this thread.
    pub(crate) fn recycle(self) {
        SPARE.with(|s| {
            let mut spare = s.borrow_mut();
            // Keep the larger buffer: the next render is likely as big.
            let larger = match spare.as_ref() {
                Some(kept) => kept.text.capacity() < self.text.capacity(),
                None => true,
            };
            if larger {
                *spare = Some(self);
            }
        });
    }

    fn clear(&mut self) {
        self.text.clear();
        self.fields.clear();
        self.rows.clear();
        self.prints.clear();
    }

    /// The top-level fields, in order.
    pub(crate) fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// The field named `name`.
    pub(crate) fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// A field's JSON text.
    pub(crate) fn text_of(&self, field: &Field) -> &[u8] {
        &self.text[field.span.clone()]
    }

    /// A field's value, parsed.
    pub(crate) fn value_of(&self, field: &Field) -> serde_json::Value {
        // The text was written by serde_json a moment ago: it parses.
        serde_json::from_slice(self.text_of(field)).unwrap_or_default()
    }

    /// A list field's rows: each row's JSON text.
    pub(crate) fn rows_of(&self, field: &Field) -> Option<Rows<'_>> {
        let rows = field.rows.clone()?;
        Some(Rows {
            text: &self.text,
            rows: &self.rows[rows.clone()],
            prints: &self.prints[rows],
        })
    }
}

/// A 64-bit hash of a row's JSON text, seeded at random once per process:
/// rows with equal fingerprints are taken to be equal. The text tells `1`
/// from `1.0` and `"1"`, as renders do. Two different rows share a
/// fingerprint with probability 2⁻⁶⁴, and the seed keeps anyone from
/// choosing rows that do.
pub(crate) fn fingerprint(row: &[u8]) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static SEED: std::sync::LazyLock<foldhash::quality::RandomState> =
        std::sync::LazyLock::new(Default::default);
    let mut h = SEED.build_hasher();
    h.write(row);
    h.finish()
}

/// The rows of a list field.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rows<'a> {
    text: &'a [u8],
    rows: &'a [Range<usize>],
    prints: &'a [u64],
}

impl<'a> Rows<'a> {
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    /// Row `i`'s JSON text.
    pub(crate) fn text(&self, i: usize) -> Option<&'a [u8]> {
        let span = self.rows.get(i)?.clone();
        self.text.get(span)
    }

    /// Row `i`, parsed.
    pub(crate) fn value(&self, i: usize) -> Option<serde_json::Value> {
        serde_json::from_slice(self.text(i)?).ok()
    }

    /// Every row's fingerprint, in order.
    pub(crate) fn fingerprints(&self) -> &'a [u64] {
        self.prints
    }

    /// Every row's text, in order.
    pub(crate) fn texts(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let text = self.text;
        self.rows.iter().map(move |span| &text[span.clone()])
    }
}

enum TopLevelError {
    NotAnObject,
    Failed(SerializeError),
}

impl std::fmt::Debug for TopLevelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TopLevelError::NotAnObject => f.write_str("not an object"),
            TopLevelError::Failed(e) => e.fmt(f),
        }
    }
}

impl std::fmt::Display for TopLevelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

impl std::error::Error for TopLevelError {}

impl ser::Error for TopLevelError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        TopLevelError::Failed(SerializeError(msg.to_string()))
    }
}

impl From<serde_json::Error> for TopLevelError {
    fn from(e: serde_json::Error) -> Self {
        TopLevelError::Failed(e.into())
    }
}

/// The state itself: a struct or a map becomes fields; anything else says so.
struct TopLevel<'a> {
    text: &'a mut StateText,
}

/// Every kind the top level does not take: "not an object".
macro_rules! not_an_object {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> Result<Self::Ok, Self::Error> {
            Err(TopLevelError::NotAnObject)
        })*
    };
}

impl<'a> ser::Serializer for TopLevel<'a> {
    type Ok = ();
    type Error = TopLevelError;
    type SerializeSeq = Impossible<(), TopLevelError>;
    type SerializeTuple = Impossible<(), TopLevelError>;
    type SerializeTupleStruct = Impossible<(), TopLevelError>;
    type SerializeTupleVariant = Impossible<(), TopLevelError>;
    type SerializeMap = Fields<'a>;
    type SerializeStruct = Fields<'a>;
    type SerializeStructVariant = Impossible<(), TopLevelError>;

    not_an_object! {
        serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
        serialize_i64(i64), serialize_i128(i128), serialize_u8(u8), serialize_u16(u16),
        serialize_u32(u32), serialize_u64(u64), serialize_u128(u128), serialize_f32(f32),
        serialize_f64(f64), serialize_char(char), serialize_str(&str), serialize_bytes(&[u8]),
        serialize_none(), serialize_unit(), serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), TopLevelError> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), TopLevelError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), TopLevelError> {
        Err(TopLevelError::NotAnObject)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, TopLevelError> {
        Err(TopLevelError::NotAnObject)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, TopLevelError> {
        Err(TopLevelError::NotAnObject)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, TopLevelError> {
        Err(TopLevelError::NotAnObject)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, TopLevelError> {
        Err(TopLevelError::NotAnObject)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, TopLevelError> {
        Ok(Fields {
            text: self.text,
            key: None,
        })
    }

    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, TopLevelError> {
        Ok(Fields {
            text: self.text,
            key: None,
        })
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, TopLevelError> {
        Err(TopLevelError::NotAnObject)
    }
}

/// The top level's fields, each written as it comes.
struct Fields<'a> {
    text: &'a mut StateText,
    /// A map's key, waiting for its value.
    key: Option<String>,
}

impl Fields<'_> {
    /// Writes `value` as the field `name`; a list's rows one by one, noting
    /// where each is.
    fn field<T: ?Sized + Serialize>(
        &mut self,
        name: String,
        value: &T,
    ) -> Result<(), TopLevelError> {
        let text = &mut *self.text;
        let start = text.text.len();
        let rows = if is_list(value) {
            let first = text.rows.len();
            value.serialize(ListWriter { text: &mut *text })?;
            Some(first..text.rows.len())
        } else {
            serde_json::to_writer(&mut text.text, value)?;
            None
        };
        text.fields.push(Field {
            name,
            span: start..text.text.len(),
            rows,
        });
        Ok(())
    }
}

impl SerializeStruct for Fields<'_> {
    type Ok = ();
    type Error = TopLevelError;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), TopLevelError> {
        self.field(key.to_string(), value)
    }

    fn end(self) -> Result<(), TopLevelError> {
        Ok(())
    }
}

impl SerializeMap for Fields<'_> {
    type Ok = ();
    type Error = TopLevelError;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), TopLevelError> {
        // A key as JSON would spell it: strings as they are, numbers written out.
        let key = match serde_json::to_value(key)? {
            serde_json::Value::String(s) => s,
            other @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_)) => {
                other.to_string()
            }
            _ => return Err(ser::Error::custom("a map key must be a string")),
        };
        self.key = Some(key);
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), TopLevelError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| <TopLevelError as ser::Error>::custom("a map value without a key"))?;
        self.field(key, value)
    }

    fn end(self) -> Result<(), TopLevelError> {
        Ok(())
    }
}

/// Whether `value` serializes as a list (an array or a tuple, maybe in an
/// `Option` or a newtype): asked of its first serialize call, which is
/// then cut short.
fn is_list<T: ?Sized + Serialize>(value: &T) -> bool {
    matches!(value.serialize(Probe), Err(Probed::List))
}

/// What [`Probe`] found, as the error that stops the serialization.
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

macro_rules! probed_other {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> Result<(), Probed> {
            Err(Probed::Other)
        })*
    };
}

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

    probed_other! {
        serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
        serialize_i64(i64), serialize_i128(i128), serialize_u8(u8), serialize_u16(u16),
        serialize_u32(u32), serialize_u64(u64), serialize_u128(u128), serialize_f32(f32),
        serialize_f64(f64), serialize_char(char), serialize_str(&str), serialize_bytes(&[u8]),
        serialize_none(), serialize_unit(), serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    }

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

/// A list field: `[`, each row written by serde_json and noted, `]`.
struct ListWriter<'a> {
    text: &'a mut StateText,
}

macro_rules! not_a_list {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> Result<(), TopLevelError> {
            Err(ser::Error::custom("not a list"))
        })*
    };
}

impl<'a> ser::Serializer for ListWriter<'a> {
    type Ok = ();
    type Error = TopLevelError;
    type SerializeSeq = ListWriter<'a>;
    type SerializeTuple = ListWriter<'a>;
    type SerializeTupleStruct = Impossible<(), TopLevelError>;
    type SerializeTupleVariant = Impossible<(), TopLevelError>;
    type SerializeMap = Impossible<(), TopLevelError>;
    type SerializeStruct = Impossible<(), TopLevelError>;
    type SerializeStructVariant = Impossible<(), TopLevelError>;

    not_a_list! {
        serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
        serialize_i64(i64), serialize_i128(i128), serialize_u8(u8), serialize_u16(u16),
        serialize_u32(u32), serialize_u64(u64), serialize_u128(u128), serialize_f32(f32),
        serialize_f64(f64), serialize_char(char), serialize_str(&str), serialize_bytes(&[u8]),
        serialize_none(), serialize_unit(), serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), TopLevelError> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), TopLevelError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), TopLevelError> {
        Err(ser::Error::custom("not a list"))
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, TopLevelError> {
        self.text.text.push(b'[');
        Ok(self)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, TopLevelError> {
        self.text.text.push(b'[');
        Ok(self)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, TopLevelError> {
        Err(ser::Error::custom("not a list"))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, TopLevelError> {
        Err(ser::Error::custom("not a list"))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, TopLevelError> {
        Err(ser::Error::custom("not a list"))
    }

    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, TopLevelError> {
        Err(ser::Error::custom("not a list"))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, TopLevelError> {
        Err(ser::Error::custom("not a list"))
    }
}

impl ListWriter<'_> {
    fn row<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), TopLevelError> {
        let text = &mut *self.text;
        if text.text.last() != Some(&b'[') {
            text.text.push(b',');
        }
        let start = text.text.len();
        value.serialize(&mut serde_json::Serializer::new(&mut text.text))?;
        // Hashed now, while the row is still in the cache.
        text.prints.push(fingerprint(&text.text[start..]));
        text.rows.push(start..text.text.len());
        Ok(())
    }
}

impl SerializeSeq for ListWriter<'_> {
    type Ok = ();
    type Error = TopLevelError;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), TopLevelError> {
        self.row(value)
    }

    fn end(self) -> Result<(), TopLevelError> {
        self.text.text.push(b']');
        Ok(())
    }
}

impl ser::SerializeTuple for ListWriter<'_> {
    type Ok = ();
    type Error = TopLevelError;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), TopLevelError> {
        self.row(value)
    }

    fn end(self) -> Result<(), TopLevelError> {
        self.text.text.push(b']');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;
    use serde_json::json;

    use super::StateText;

    #[derive(Serialize)]
    struct Page {
        title: String,
        rows: Vec<Row>,
        pair: (u8, String),
        empty: Vec<u8>,
        maybe: Option<Vec<u8>>,
        nested: Inner,
    }

    #[derive(Serialize)]
    struct Row {
        id: u64,
        label: &'static str,
    }

    #[derive(Serialize)]
    struct Inner {
        a: Vec<f64>,
    }

    #[test]
    fn fields_and_rows_are_found_in_the_text_serde_json_writes() {
        let page = Page {
            title: "a \"quoted\" title".into(),
            rows: vec![
                Row { id: 1, label: "x" },
                Row {
                    id: 2,
                    label: "y,]",
                },
            ],
            pair: (7, "s".into()),
            empty: vec![],
            maybe: Some(vec![1, 2]),
            nested: Inner { a: vec![1.0, 2.5] },
        };
        let text = StateText::of(&page).unwrap();
        let expected = serde_json::to_value(&page).unwrap();
        let names: Vec<_> = text.fields().iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["title", "rows", "pair", "empty", "maybe", "nested"]);
        for field in text.fields() {
            assert_eq!(
                text.value_of(field),
                expected[&field.name],
                "{}",
                field.name
            );
        }
        let rows = text.rows_of(text.field("rows").unwrap()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows.value(1).unwrap(), json!({ "id": 2, "label": "y,]" }));
        assert_eq!(rows.text(0).unwrap(), br#"{"id":1,"label":"x"}"#);
        assert_eq!(text.rows_of(text.field("pair").unwrap()).unwrap().len(), 2);
        assert_eq!(text.rows_of(text.field("empty").unwrap()).unwrap().len(), 0);
        assert_eq!(text.rows_of(text.field("maybe").unwrap()).unwrap().len(), 2);
        assert!(
            text.rows_of(text.field("nested").unwrap()).is_none(),
            "not a list"
        );
        text.recycle();
    }

    #[test]
    fn maps_and_plain_values_are_states_too() {
        let map = json!({ "b": [1, 2], "a": "x" });
        let text = StateText::of(&map).unwrap();
        assert_eq!(text.value_of(text.field("b").unwrap()), json!([1, 2]));
        let plain = StateText::of(&42).unwrap();
        assert_eq!(plain.value_of(plain.field("state").unwrap()), json!(42));
        let list = StateText::of(&vec![1, 2]).unwrap();
        assert_eq!(list.value_of(list.field("state").unwrap()), json!([1, 2]));
    }

    #[test]
    fn what_json_cannot_say_is_an_error() {
        let mut bad = std::collections::HashMap::new();
        bad.insert(vec![1], 2);
        #[derive(Serialize)]
        struct WithBadMap {
            m: std::collections::HashMap<Vec<u8>, u8>,
        }
        assert!(StateText::of(&WithBadMap { m: bad }).is_err());
    }
}
