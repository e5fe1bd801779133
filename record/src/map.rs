//! Plain Rust types ↔ records, through serde: derive `Serialize`/`Deserialize` on a struct
//! and [`to_record`] / [`from_record`] map it field by field.
//!
//! | Rust (serde data model) | [`Value`] |
//! | --- | --- |
//! | `bool` | `Bool` |
//! | `i8`…`i64` / `u8`…`u64` | `I64` / `U64` (either is accepted back if the number fits) |
//! | `f32` / `f64` | `F32` / `F64` |
//! | `char`, `&str`, `String` | `Str` |
//! | bytes (`serde_bytes`, `&[u8]` via `serialize_bytes`) | `Bytes` (a `Vec<u8>` may be read back from `Bytes`) |
//! | `()`, unit struct, `None` | `Unit` |
//! | `Some(x)`, newtype struct | `x` |
//! | sequence, tuple, tuple struct | `List` |
//! | struct, map with string keys | `Record` |
//! | unit variant | `Str(variant name)` |
//! | newtype / tuple / struct variant | `Record { variant name: payload }` |
//!
//! `i128`/`u128` and maps with non-string keys are refused ([`MapError`]).

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::de::value::{BorrowedStrDeserializer, SeqDeserializer, StrDeserializer};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Unexpected, Visitor};
use serde::{Deserialize, Serialize, ser};

use super::{Record, Value};

/// Why a value could not be mapped. The type being mapped (or the record's shape) is at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapError {
    /// The top level did not map to a record (only structs and string-keyed maps do).
    NotARecord,
    /// A map key that is not a string.
    KeyNotString,
    /// A type the record model has no place for (`i128`, `u128`).
    Unsupported(&'static str),
    /// serde's own complaint (a missing field, a type mismatch, a number out of range…).
    /// Built inside a WASM module, the text is a fixed "value does not fit the type" (serde's
    /// messages format the offending value, which would link the float formatter, ~20 KiB of
    /// code and 4 KiB of tables, into every module that decodes a record).
    Invalid(Box<str>),
}

/// A [`MapError::Invalid`] carrying serde's message, or in a WASM module only the error kind
/// (serde formats e.g. `invalid type: floating point `1.5`, expected u8`: text nobody reads
/// there, at the cost of the float formatter).
fn invalid(msg: impl fmt::Display) -> MapError {
    #[cfg(target_arch = "wasm32")]
    {
        let _ = msg;
        MapError::Invalid("value does not fit the type".into())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        MapError::Invalid(msg.to_string().into())
    }
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotARecord => f.write_str("top level is not a struct or map"),
            Self::KeyNotString => f.write_str("map key is not a string"),
            Self::Unsupported(what) => write!(f, "{what} is not supported"),
            Self::Invalid(msg) => f.write_str(msg),
        }
    }
}

impl ser::Error for MapError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        invalid(msg)
    }
}

impl de::Error for MapError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        invalid(msg)
    }
}

impl core::error::Error for MapError {}

/// Maps any serializable value to a [`Value`].
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, MapError> {
    value.serialize(ValueSerializer)
}

/// `value` as a record: a struct or string-keyed map field by field, `()` (and `None`) as the
/// empty record; anything else is [`MapError::NotARecord`]. The one mapping of a type to a
/// record: the SDKs' typed codec (`typed::encode`) writes the bytes this record encodes to.
pub fn to_record<T: Serialize + ?Sized>(value: &T) -> Result<Record, MapError> {
    match to_value(value)? {
        Value::Record(record) => Ok(record),
        Value::Unit => Ok(Record::new()),
        _ => Err(MapError::NotARecord),
    }
}

/// Reads a `T` out of a [`Value`] (borrowing strings and bytes from it where `T` does).
pub fn from_value<'de, T: Deserialize<'de>>(value: &'de Value) -> Result<T, MapError> {
    T::deserialize(value)
}

/// Reads a struct (or map) `T` out of a [`Record`] (borrowing strings and bytes from it where
/// `T` does); the empty record is also `()` (and `None`), so empty messages are easy.
pub fn from_record<'de, T: Deserialize<'de>>(record: &'de Record) -> Result<T, MapError> {
    /// `()` as a value, for an empty record read as `()`.
    const UNIT: &Value = &Value::Unit;
    T::deserialize(RecordDeserializer(record)).or_else(|shape| {
        if record.is_empty() {
            T::deserialize(UNIT).map_err(|_| shape)
        } else {
            Err(shape)
        }
    })
}

// ----- Serializer -------------------------------------------------------------------------

struct ValueSerializer;

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = MapError;
    type SerializeSeq = ListBuilder;
    type SerializeTuple = ListBuilder;
    type SerializeTupleStruct = ListBuilder;
    type SerializeTupleVariant = VariantList;
    type SerializeMap = RecordBuilder;
    type SerializeStruct = RecordBuilder;
    type SerializeStructVariant = VariantRecord;

    fn serialize_bool(self, v: bool) -> Result<Value, MapError> {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, MapError> {
        Ok(Value::I64(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Value, MapError> {
        Ok(Value::I64(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Value, MapError> {
        Ok(Value::I64(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Value, MapError> {
        Ok(Value::I64(v))
    }
    fn serialize_i128(self, _: i128) -> Result<Value, MapError> {
        Err(MapError::Unsupported("i128"))
    }
    fn serialize_u8(self, v: u8) -> Result<Value, MapError> {
        Ok(Value::U64(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Value, MapError> {
        Ok(Value::U64(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Value, MapError> {
        Ok(Value::U64(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Value, MapError> {
        Ok(Value::U64(v))
    }
    fn serialize_u128(self, _: u128) -> Result<Value, MapError> {
        Err(MapError::Unsupported("u128"))
    }
    fn serialize_f32(self, v: f32) -> Result<Value, MapError> {
        Ok(Value::F32(v))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, MapError> {
        Ok(Value::F64(v))
    }
    fn serialize_char(self, v: char) -> Result<Value, MapError> {
        Ok(Value::Str(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, MapError> {
        Ok(Value::Str(v.into()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, MapError> {
        Ok(Value::Bytes(v.into()))
    }
    fn serialize_none(self) -> Result<Value, MapError> {
        Ok(Value::Unit)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Value, MapError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, MapError> {
        Ok(Value::Unit)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Value, MapError> {
        Ok(Value::Unit)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Value, MapError> {
        Ok(Value::Str(variant.into()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<Value, MapError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<Value, MapError> {
        Ok(Value::Record(Record::new().with(variant, to_value(v)?)))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<ListBuilder, MapError> {
        Ok(ListBuilder(Vec::with_capacity(len.unwrap_or(0).min(64))))
    }
    fn serialize_tuple(self, len: usize) -> Result<ListBuilder, MapError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<ListBuilder, MapError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantList, MapError> {
        Ok(VariantList(variant, self.serialize_seq(Some(len))?))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<RecordBuilder, MapError> {
        Ok(RecordBuilder {
            record: Record::new(),
            key: None,
        })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<RecordBuilder, MapError> {
        self.serialize_map(None)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<VariantRecord, MapError> {
        Ok(VariantRecord(variant, self.serialize_map(None)?))
    }
}

struct ListBuilder(Vec<Value>);

impl ser::SerializeSeq for ListBuilder {
    type Ok = Value;
    type Error = MapError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), MapError> {
        self.0.push(to_value(v)?);
        Ok(())
    }
    fn end(self) -> Result<Value, MapError> {
        Ok(Value::List(self.0))
    }
}

impl ser::SerializeTuple for ListBuilder {
    type Ok = Value;
    type Error = MapError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), MapError> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<Value, MapError> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for ListBuilder {
    type Ok = Value;
    type Error = MapError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), MapError> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<Value, MapError> {
        ser::SerializeSeq::end(self)
    }
}

struct VariantList(&'static str, ListBuilder);

impl ser::SerializeTupleVariant for VariantList {
    type Ok = Value;
    type Error = MapError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), MapError> {
        ser::SerializeSeq::serialize_element(&mut self.1, v)
    }
    fn end(self) -> Result<Value, MapError> {
        Ok(Value::Record(
            Record::new().with(self.0, Value::List((self.1).0)),
        ))
    }
}

struct RecordBuilder {
    record: Record,
    key: Option<String>,
}

impl ser::SerializeMap for RecordBuilder {
    type Ok = Value;
    type Error = MapError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), MapError> {
        match to_value(key)? {
            Value::Str(key) => {
                self.key = Some(key);
                Ok(())
            }
            _ => Err(MapError::KeyNotString),
        }
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), MapError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| <MapError as ser::Error>::custom("value without a key"))?;
        self.record.insert(key, to_value(v)?);
        Ok(())
    }
    fn end(self) -> Result<Value, MapError> {
        Ok(Value::Record(self.record))
    }
}

impl ser::SerializeStruct for RecordBuilder {
    type Ok = Value;
    type Error = MapError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), MapError> {
        self.record.insert(key, to_value(v)?);
        Ok(())
    }
    fn end(self) -> Result<Value, MapError> {
        Ok(Value::Record(self.record))
    }
}

struct VariantRecord(&'static str, RecordBuilder);

impl ser::SerializeStructVariant for VariantRecord {
    type Ok = Value;
    type Error = MapError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), MapError> {
        ser::SerializeStruct::serialize_field(&mut self.1, key, v)
    }
    fn end(self) -> Result<Value, MapError> {
        Ok(Value::Record(
            Record::new().with(self.0, Value::Record(self.1.record)),
        ))
    }
}

// ----- Deserializer -----------------------------------------------------------------------

fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Unit => Unexpected::Unit,
        Value::Bool(v) => Unexpected::Bool(*v),
        Value::I64(v) => Unexpected::Signed(*v),
        Value::U64(v) => Unexpected::Unsigned(*v),
        Value::F32(v) => Unexpected::Float(f64::from(*v)),
        Value::F64(v) => Unexpected::Float(*v),
        Value::Bytes(v) => Unexpected::Bytes(v),
        Value::Str(v) => Unexpected::Str(v),
        Value::List(_) => Unexpected::Seq,
        Value::Record(_) => Unexpected::Map,
    }
}

/// A record seen as a serde map.
struct RecordDeserializer<'de>(&'de Record);

struct Fields<'de> {
    iter: core::slice::Iter<'de, (super::Key, Value)>,
    value: Option<&'de Value>,
}

impl<'de> de::MapAccess<'de> for Fields<'de> {
    type Error = MapError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, MapError> {
        match self.iter.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(BorrowedStrDeserializer::new(key))
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, MapError> {
        let value = self
            .value
            .take()
            .ok_or_else(|| <MapError as de::Error>::custom("value before key"))?;
        seed.deserialize(value)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

impl<'de> de::Deserializer<'de> for RecordDeserializer<'de> {
    type Error = MapError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, MapError> {
        visitor.visit_map(Fields {
            iter: self.0.fields.iter(),
            value: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de> de::Deserializer<'de> for &'de Value {
    type Error = MapError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, MapError> {
        match self {
            Value::Unit => visitor.visit_unit(),
            Value::Bool(v) => visitor.visit_bool(*v),
            Value::I64(v) => visitor.visit_i64(*v),
            Value::U64(v) => visitor.visit_u64(*v),
            Value::F32(v) => visitor.visit_f32(*v),
            Value::F64(v) => visitor.visit_f64(*v),
            Value::Bytes(v) => visitor.visit_borrowed_bytes(v),
            Value::Str(v) => visitor.visit_borrowed_str(v),
            Value::List(items) => visitor.visit_seq(SeqDeserializer::new(items.iter())),
            Value::Record(r) => RecordDeserializer(r).deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, MapError> {
        match self {
            Value::Unit => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, MapError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, MapError> {
        match self {
            // A `Vec<u8>` written as bytes reads back as a sequence of `u8`.
            Value::Bytes(bytes) => visitor.visit_seq(SeqDeserializer::new(bytes.iter().copied())),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, MapError> {
        match self {
            Value::Str(name) => visitor.visit_enum(StrDeserializer::<MapError>::new(name)),
            Value::Record(r) if r.len() == 1 => {
                let (name, payload) = &r.fields[0];
                visitor.visit_enum(Variant { name, payload })
            }
            other => Err(de::Error::invalid_type(unexpected(other), &"an enum")),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct tuple
        tuple_struct map struct identifier ignored_any
    }
}

impl<'de> IntoDeserializer<'de, MapError> for &'de Value {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

struct Variant<'de> {
    name: &'de str,
    payload: &'de Value,
}

impl<'de> de::EnumAccess<'de> for Variant<'de> {
    type Error = MapError;
    type Variant = &'de Value;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, &'de Value), MapError> {
        let name = seed.deserialize(BorrowedStrDeserializer::<MapError>::new(self.name))?;
        Ok((name, self.payload))
    }
}

impl<'de> de::VariantAccess<'de> for &'de Value {
    type Error = MapError;

    fn unit_variant(self) -> Result<(), MapError> {
        match self {
            Value::Unit => Ok(()),
            other => Err(de::Error::invalid_type(unexpected(other), &"unit variant")),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, MapError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, MapError> {
        de::Deserializer::deserialize_seq(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, MapError> {
        de::Deserializer::deserialize_map(self, visitor)
    }
}
