//! Fingerprints of rows, hashed straight from their `Serialize`.
//!
//! Each serde event is fed to the hasher with its kind folded into the
//! same write (a tag in the top bits), and strings with their length, so
//! different data hash differently: `1` (an integer), `1.0` (a float) and
//! `"1"` (a string) as renders tell them apart, `["ab"]` from
//! `["a", "b"]`. A struct's field names are fed as where they are in
//! memory: the same name in the same place is the same name, and a name met
//! elsewhere at worst makes equal rows look different (they render again),
//! never the other way. Seeded at random once per process: two different
//! rows share a fingerprint with probability 2⁻⁶⁴, and nobody can choose
//! rows that do.

use std::hash::{BuildHasher, Hasher};
use std::sync::LazyLock;

use serde::ser::{self, Serialize};

use super::SerializeError;

static SEED: LazyLock<foldhash::quality::RandomState> = LazyLock::new(Default::default);

/// A hasher seeded for this process.
pub(crate) fn hasher() -> impl Hasher {
    SEED.build_hasher()
}

/// The fingerprint of `value`.
pub(crate) fn fingerprint<T: ?Sized + Serialize>(value: &T) -> u64 {
    let mut events = Events(hasher());
    match value.serialize(&mut events) {
        Ok(()) => events.0.finish(),
        // What does not serialize cannot be told from anything: never equal.
        Err(_) => u64::from_le_bytes(crate::random::bytes()),
    }
}

/// Feeds serde events to a hasher.
struct Events<H>(H);

/// Kinds, in the top byte of the word written with the value.
mod tag {
    pub const BOOL: u64 = 1 << 56;
    pub const INT: u64 = 2 << 56;
    pub const UINT: u64 = 3 << 56;
    pub const FLOAT: u64 = 4 << 56;
    pub const CHAR: u64 = 5 << 56;
    pub const STR: u64 = 6 << 56;
    pub const BYTES: u64 = 7 << 56;
    pub const NONE: u64 = 8 << 56;
    pub const UNIT: u64 = 9 << 56;
    pub const VARIANT: u64 = 10 << 56;
    pub const SEQ: u64 = 11 << 56;
    pub const MAP: u64 = 12 << 56;
    pub const KEY: u64 = 13 << 56;
    pub const FIELD: u64 = 14 << 56;
    pub const END: u64 = 15 << 56;
    pub const WIDE: u64 = 16 << 56;
}

impl<H: Hasher> Events<H> {
    /// A kind and a value that fits in 56 bits, in one write.
    fn word(&mut self, tag: u64, value: u64) {
        self.0.write_u64(tag | (value & ((1 << 56) - 1)));
    }

    /// A kind and a full 64-bit value.
    fn wide(&mut self, tag: u64, value: u64) {
        self.0.write_u128(u128::from(tag) << 64 | u128::from(value));
    }

    fn str(&mut self, s: &str) {
        self.word(tag::STR, s.len() as u64);
        self.0.write(s.as_bytes());
    }

    /// A `&'static str` (a field or variant name) by where it is.
    fn name(&mut self, tag: u64, name: &'static str) {
        self.word(tag, name.as_ptr() as u64);
        self.0.write_u64(name.len() as u64);
    }

    fn int(&mut self, v: i128) {
        match i64::try_from(v) {
            Ok(v) => self.wide(tag::INT, v as u64),
            Err(_) => {
                self.word(tag::WIDE, 0);
                self.0.write_i128(v);
            }
        }
    }

    fn uint(&mut self, v: u128) {
        match u64::try_from(v) {
            Ok(v) => self.wide(tag::UINT, v),
            Err(_) => {
                self.word(tag::WIDE, 1);
                self.0.write_u128(v);
            }
        }
    }
}

impl<H: Hasher> ser::Serializer for &mut Events<H> {
    type Ok = ();
    type Error = SerializeError;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn serialize_bool(self, v: bool) -> Result<(), SerializeError> {
        self.word(tag::BOOL, u64::from(v));
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<(), SerializeError> {
        self.int(v.into());
        Ok(())
    }

    fn serialize_i16(self, v: i16) -> Result<(), SerializeError> {
        self.int(v.into());
        Ok(())
    }

    fn serialize_i32(self, v: i32) -> Result<(), SerializeError> {
        self.int(v.into());
        Ok(())
    }

    fn serialize_i64(self, v: i64) -> Result<(), SerializeError> {
        self.int(v.into());
        Ok(())
    }

    fn serialize_i128(self, v: i128) -> Result<(), SerializeError> {
        self.int(v);
        Ok(())
    }

    // Unsigned and signed integers of one value write the same JSON: both
    // go in as integers, so a row does not look changed by its type alone.
    fn serialize_u8(self, v: u8) -> Result<(), SerializeError> {
        self.int(v.into());
        Ok(())
    }

    fn serialize_u16(self, v: u16) -> Result<(), SerializeError> {
        self.int(v.into());
        Ok(())
    }

    fn serialize_u32(self, v: u32) -> Result<(), SerializeError> {
        self.int(v.into());
        Ok(())
    }

    fn serialize_u64(self, v: u64) -> Result<(), SerializeError> {
        match i64::try_from(v) {
            Ok(v) => self.int(v.into()),
            Err(_) => self.uint(v.into()),
        }
        Ok(())
    }

    fn serialize_u128(self, v: u128) -> Result<(), SerializeError> {
        match i128::try_from(v) {
            Ok(v) => self.int(v),
            Err(_) => self.uint(v),
        }
        Ok(())
    }

    fn serialize_f32(self, v: f32) -> Result<(), SerializeError> {
        self.serialize_f64(v.into())
    }

    fn serialize_f64(self, v: f64) -> Result<(), SerializeError> {
        self.wide(tag::FLOAT, v.to_bits());
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), SerializeError> {
        self.word(tag::CHAR, u64::from(v));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), SerializeError> {
        self.str(v);
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), SerializeError> {
        self.word(tag::BYTES, v.len() as u64);
        self.0.write(v);
        Ok(())
    }

    fn serialize_none(self) -> Result<(), SerializeError> {
        self.word(tag::NONE, 0);
        Ok(())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), SerializeError> {
        // JSON writes `Some(x)` as `x`: so does the hash, as renders see it.
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), SerializeError> {
        self.word(tag::UNIT, 0);
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), SerializeError> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), SerializeError> {
        // Written as the variant's name, a string.
        self.str(variant);
        Ok(())
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
        variant: &'static str,
        value: &T,
    ) -> Result<(), SerializeError> {
        self.name(tag::VARIANT, variant);
        value.serialize(self)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self, SerializeError> {
        self.word(tag::SEQ, 0);
        Ok(self)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self, SerializeError> {
        self.word(tag::SEQ, 0);
        Ok(self)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, SerializeError> {
        self.word(tag::SEQ, 0);
        Ok(self)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self, SerializeError> {
        self.name(tag::VARIANT, variant);
        self.word(tag::SEQ, 0);
        Ok(self)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self, SerializeError> {
        self.word(tag::MAP, 0);
        Ok(self)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, SerializeError> {
        self.word(tag::MAP, 0);
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self, SerializeError> {
        self.name(tag::VARIANT, variant);
        self.word(tag::MAP, 0);
        Ok(self)
    }
}

/// Compound kinds: elements in order, then an end mark.
macro_rules! compound {
    ($($trait:ident::$method:ident),*) => {
        $(impl<H: Hasher> ser::$trait for &mut Events<H> {
            type Ok = ();
            type Error = SerializeError;
            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), SerializeError> {
                value.serialize(&mut **self)
            }
            fn end(self) -> Result<(), SerializeError> {
                self.word(tag::END, 0);
                Ok(())
            }
        })*
    };
}
compound!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl<H: Hasher> ser::SerializeMap for &mut Events<H> {
    type Ok = ();
    type Error = SerializeError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), SerializeError> {
        self.word(tag::KEY, 0);
        key.serialize(&mut **self)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), SerializeError> {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), SerializeError> {
        self.word(tag::END, 0);
        Ok(())
    }
}

/// Struct fields: the name (by where it is), then the value; skipped
/// fields leave no trace, as in JSON.
macro_rules! fields {
    ($($trait:ident),*) => {
        $(impl<H: Hasher> ser::$trait for &mut Events<H> {
            type Ok = ();
            type Error = SerializeError;
            fn serialize_field<T: ?Sized + Serialize>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), SerializeError> {
                self.name(tag::FIELD, key);
                value.serialize(&mut **self)
            }
            fn end(self) -> Result<(), SerializeError> {
                self.word(tag::END, 0);
                Ok(())
            }
        })*
    };
}
fields!(SerializeStruct, SerializeStructVariant);
