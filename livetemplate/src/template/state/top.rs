//! The first read of a state: each top-level field either written as JSON
//! or, for a list, each of its rows fingerprinted.

use std::borrow::Cow;

use serde::ser::{self, Impossible, Serialize, SerializeMap, SerializeSeq, SerializeStruct};

use super::fingerprint::fingerprint;
use super::{is_list, key_string, scalar_methods, serialize_scalars, Field, Kind, SerializeError};

/// Why a state was not read as fields.
pub(super) enum Outcome {
    /// It is not a struct or a map.
    NotAnObject,
    Failed(SerializeError),
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::NotAnObject => f.write_str("not an object"),
            Outcome::Failed(e) => e.fmt(f),
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

impl std::error::Error for Outcome {}

impl ser::Error for Outcome {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Outcome::Failed(SerializeError(msg.to_string()))
    }
}

impl From<SerializeError> for Outcome {
    fn from(e: SerializeError) -> Self {
        Outcome::Failed(e)
    }
}

impl From<serde_json::Error> for Outcome {
    fn from(e: serde_json::Error) -> Self {
        Outcome::Failed(e.into())
    }
}

/// Reads `state`'s fields into `text` (JSON of the fields that are not
/// lists), `fields` and `prints` (each list row's fingerprint).
pub(super) fn read<S: ?Sized + Serialize>(
    state: &S,
    text: &mut Vec<u8>,
    fields: &mut Vec<Field>,
    prints: &mut Vec<u64>,
) -> Result<(), Outcome> {
    state.serialize(TopLevel {
        into: Into {
            text,
            fields,
            prints,
        },
    })
}

/// Where the fields go.
struct Into<'a> {
    text: &'a mut Vec<u8>,
    fields: &'a mut Vec<Field>,
    prints: &'a mut Vec<u64>,
}

impl Into<'_> {
    fn field<T: ?Sized + Serialize>(
        &mut self,
        name: Cow<'static, str>,
        value: &T,
    ) -> Result<(), Outcome> {
        let kind = if is_list(value) {
            let start = self.prints.len();
            value.serialize(Prints {
                prints: &mut *self.prints,
            })?;
            Kind::List(start..self.prints.len())
        } else {
            let start = self.text.len();
            serde_json::to_writer(&mut *self.text, value)?;
            Kind::Whole(start..self.text.len())
        };
        self.fields.push(Field { name, kind });
        Ok(())
    }
}

/// The state itself: a struct or a map becomes fields; anything else says so.
struct TopLevel<'a> {
    into: Into<'a>,
}

impl<'a> ser::Serializer for TopLevel<'a> {
    type Ok = ();
    type Error = Outcome;
    type SerializeSeq = Impossible<(), Outcome>;
    type SerializeTuple = Impossible<(), Outcome>;
    type SerializeTupleStruct = Impossible<(), Outcome>;
    type SerializeTupleVariant = Impossible<(), Outcome>;
    type SerializeMap = Fields<'a>;
    type SerializeStruct = Fields<'a>;
    type SerializeStructVariant = Impossible<(), Outcome>;

    scalar_methods!(serialize_scalars!(Err(Outcome::NotAnObject)));

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Outcome> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Outcome> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Outcome> {
        Err(Outcome::NotAnObject)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Outcome> {
        Err(Outcome::NotAnObject)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Outcome> {
        Err(Outcome::NotAnObject)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Outcome> {
        Err(Outcome::NotAnObject)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Outcome> {
        Err(Outcome::NotAnObject)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Outcome> {
        Ok(Fields {
            into: self.into,
            key: None,
        })
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Outcome> {
        Ok(Fields {
            into: self.into,
            key: None,
        })
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Outcome> {
        Err(Outcome::NotAnObject)
    }
}

/// The top level's fields, each read as it comes.
struct Fields<'a> {
    into: Into<'a>,
    /// A map's key, waiting for its value.
    key: Option<String>,
}

impl SerializeStruct for Fields<'_> {
    type Ok = ();
    type Error = Outcome;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Outcome> {
        self.into.field(Cow::Borrowed(key), value)
    }

    fn end(self) -> Result<(), Outcome> {
        Ok(())
    }
}

impl SerializeMap for Fields<'_> {
    type Ok = ();
    type Error = Outcome;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Outcome> {
        self.key = Some(key_string(key)?);
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Outcome> {
        let key = self
            .key
            .take()
            .ok_or_else(|| <Outcome as ser::Error>::custom("a map value without a key"))?;
        self.into.field(Cow::Owned(key), value)
    }

    fn end(self) -> Result<(), Outcome> {
        Ok(())
    }
}

/// A list field: each row's fingerprint.
struct Prints<'a> {
    prints: &'a mut Vec<u64>,
}

impl<'a> ser::Serializer for Prints<'a> {
    type Ok = ();
    type Error = Outcome;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Impossible<(), Outcome>;
    type SerializeTupleVariant = Impossible<(), Outcome>;
    type SerializeMap = Impossible<(), Outcome>;
    type SerializeStruct = Impossible<(), Outcome>;
    type SerializeStructVariant = Impossible<(), Outcome>;

    // `is_list` said it is a list: nothing else comes.
    scalar_methods!(serialize_scalars!(Err(ser::Error::custom("not a list"))));

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Outcome> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Outcome> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Outcome> {
        Err(ser::Error::custom("not a list"))
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self, Outcome> {
        Ok(self)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self, Outcome> {
        Ok(self)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Outcome> {
        Err(ser::Error::custom("not a list"))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Outcome> {
        Err(ser::Error::custom("not a list"))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Outcome> {
        Err(ser::Error::custom("not a list"))
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Outcome> {
        Err(ser::Error::custom("not a list"))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Outcome> {
        Err(ser::Error::custom("not a list"))
    }
}

impl SerializeSeq for Prints<'_> {
    type Ok = ();
    type Error = Outcome;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, row: &T) -> Result<(), Outcome> {
        self.prints.push(fingerprint(row));
        Ok(())
    }

    fn end(self) -> Result<(), Outcome> {
        Ok(())
    }
}

impl ser::SerializeTuple for Prints<'_> {
    type Ok = ();
    type Error = Outcome;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, row: &T) -> Result<(), Outcome> {
        self.prints.push(fingerprint(row));
        Ok(())
    }

    fn end(self) -> Result<(), Outcome> {
        Ok(())
    }
}
