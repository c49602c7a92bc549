//! Writing chosen rows of one list field as JSON, in one pass over the
//! state: other fields and rows are passed over without serializing them.

use std::ops::Range;

use serde::ser::{self, Impossible, Serialize, SerializeMap, SerializeSeq, SerializeStruct};

use super::{key_string, scalar_methods, serialize_scalars, SerializeError};

/// Writes the rows of `field` for which `wanted(i)` holds into `out`,
/// telling `row` where each went. `last` is the last row wanted: the pass
/// stops there.
pub(super) fn write_rows<S: ?Sized + Serialize>(
    state: &S,
    field: &str,
    last: usize,
    wanted: &mut dyn FnMut(usize) -> bool,
    out: &mut Vec<u8>,
    row: &mut dyn FnMut(usize, Range<usize>),
) -> Result<(), SerializeError> {
    let outcome = state.serialize(Find {
        pick: Pick {
            field,
            last,
            wanted,
            out,
            row,
        },
    });
    match outcome {
        Err(e) if e.0 == DONE => Ok(()),
        other => other,
    }
}

/// The "error" that ends the pass after the last row wanted.
const DONE: &str = "\u{0}done";

/// What to write, and where.
struct Pick<'a> {
    field: &'a str,
    last: usize,
    wanted: &'a mut dyn FnMut(usize) -> bool,
    out: &'a mut Vec<u8>,
    row: &'a mut dyn FnMut(usize, Range<usize>),
}

/// The state: finds the field.
struct Find<'a> {
    pick: Pick<'a>,
}

impl<'a> ser::Serializer for Find<'a> {
    type Ok = ();
    type Error = SerializeError;
    type SerializeSeq = Impossible<(), SerializeError>;
    type SerializeTuple = Impossible<(), SerializeError>;
    type SerializeTupleStruct = Impossible<(), SerializeError>;
    type SerializeTupleVariant = Impossible<(), SerializeError>;
    type SerializeMap = InFields<'a>;
    type SerializeStruct = InFields<'a>;
    type SerializeStructVariant = Impossible<(), SerializeError>;

    // A state without fields has no list fields to write.
    scalar_methods!(serialize_scalars!(Ok(())));

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), SerializeError> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), SerializeError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), SerializeError> {
        Ok(())
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, SerializeError> {
        Err(ser::Error::custom("the state has no fields"))
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, SerializeError> {
        Err(ser::Error::custom("the state has no fields"))
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, SerializeError> {
        Err(ser::Error::custom("the state has no fields"))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, SerializeError> {
        Err(ser::Error::custom("the state has no fields"))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, SerializeError> {
        Ok(InFields {
            pick: Some(self.pick),
            matched: false,
        })
    }

    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, SerializeError> {
        Ok(InFields {
            pick: Some(self.pick),
            matched: false,
        })
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, SerializeError> {
        Err(ser::Error::custom("the state has no fields"))
    }
}

/// The state's fields: only the picked one is looked into.
struct InFields<'a> {
    /// Taken when the field is found.
    pick: Option<Pick<'a>>,
    /// A map's key was the field's name.
    matched: bool,
}

impl InFields<'_> {
    fn value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), SerializeError> {
        match self.pick.take() {
            Some(pick) => value.serialize(Rows { pick, next: 0 }),
            None => Ok(()),
        }
    }
}

impl SerializeStruct for InFields<'_> {
    type Ok = ();
    type Error = SerializeError;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerializeError> {
        if self.pick.as_ref().is_some_and(|p| p.field == key) {
            self.value(value)?;
        }
        Ok(())
    }

    fn end(self) -> Result<(), SerializeError> {
        Ok(())
    }
}

impl SerializeMap for InFields<'_> {
    type Ok = ();
    type Error = SerializeError;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), SerializeError> {
        self.matched = match &self.pick {
            Some(pick) => key_string(key)? == pick.field,
            None => false,
        };
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), SerializeError> {
        if std::mem::take(&mut self.matched) {
            self.value(value)?;
        }
        Ok(())
    }

    fn end(self) -> Result<(), SerializeError> {
        Ok(())
    }
}

/// The picked field, a list: each wanted row written, the others passed over.
struct Rows<'a> {
    pick: Pick<'a>,
    next: usize,
}

impl Rows<'_> {
    fn row<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), SerializeError> {
        let i = self.next;
        self.next += 1;
        if (self.pick.wanted)(i) {
            let start = self.pick.out.len();
            serde_json::to_writer(&mut *self.pick.out, value)?;
            (self.pick.row)(i, start..self.pick.out.len());
        }
        if i >= self.pick.last {
            // Nothing more wanted: stop the list (and the state) here.
            return Err(SerializeError(DONE.into()));
        }
        Ok(())
    }
}

impl<'a> ser::Serializer for Rows<'a> {
    type Ok = ();
    type Error = SerializeError;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Impossible<(), SerializeError>;
    type SerializeTupleVariant = Impossible<(), SerializeError>;
    type SerializeMap = Impossible<(), SerializeError>;
    type SerializeStruct = Impossible<(), SerializeError>;
    type SerializeStructVariant = Impossible<(), SerializeError>;

    scalar_methods!(serialize_scalars!(Err(ser::Error::custom("not a list"))));

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), SerializeError> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), SerializeError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), SerializeError> {
        Err(ser::Error::custom("not a list"))
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self, SerializeError> {
        Ok(self)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self, SerializeError> {
        Ok(self)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, SerializeError> {
        Err(ser::Error::custom("not a list"))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, SerializeError> {
        Err(ser::Error::custom("not a list"))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, SerializeError> {
        Err(ser::Error::custom("not a list"))
    }

    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, SerializeError> {
        Err(ser::Error::custom("not a list"))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, SerializeError> {
        Err(ser::Error::custom("not a list"))
    }
}

impl SerializeSeq for Rows<'_> {
    type Ok = ();
    type Error = SerializeError;

    fn serialize_element<T: ?Sized + Serialize>(
        &mut self,
        value: &T,
    ) -> Result<(), SerializeError> {
        self.row(value)
    }

    fn end(self) -> Result<(), SerializeError> {
        Ok(())
    }
}

impl ser::SerializeTuple for Rows<'_> {
    type Ok = ();
    type Error = SerializeError;

    fn serialize_element<T: ?Sized + Serialize>(
        &mut self,
        value: &T,
    ) -> Result<(), SerializeError> {
        self.row(value)
    }

    fn end(self) -> Result<(), SerializeError> {
        Ok(())
    }
}
