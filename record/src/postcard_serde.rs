//! serde impls of [`Record`] and [`Value`] for the wire format, and a bounded serde decoder
//! kept as the reference for the hand-written one (not part of the API).
//!
//! Decoding is seed-driven: every nested list or record carries its depth and the shared
//! limits, so depth and width are checked before anything is allocated, and preallocation is
//! capped by the limit rather than trusted from a length prefix. The precise reason for a
//! refusal is kept beside the decoder (serde errors carry only text) and returned as a
//! [`RecordError`].

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::Cell;
use core::fmt;

use serde::de::{self, DeserializeSeed, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Limits, Record, RecordError, Value, clamp};

const VARIANTS: &[&str] = &[
    "Unit", "Bool", "I64", "U64", "F32", "F64", "Bytes", "Str", "List", "Record",
];

struct BytesRef<'a>(&'a [u8]);

impl Serialize for BytesRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

struct ListRef<'a>(&'a [Value]);

impl Serialize for ListRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for item in self.0 {
            seq.serialize_element(item)?;
        }
        seq.end()
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        const NAME: &str = "Value";
        match self {
            Value::Unit => s.serialize_unit_variant(NAME, 0, VARIANTS[0]),
            Value::Bool(v) => s.serialize_newtype_variant(NAME, 1, VARIANTS[1], v),
            Value::I64(v) => s.serialize_newtype_variant(NAME, 2, VARIANTS[2], v),
            Value::U64(v) => s.serialize_newtype_variant(NAME, 3, VARIANTS[3], v),
            Value::F32(v) => s.serialize_newtype_variant(NAME, 4, VARIANTS[4], v),
            Value::F64(v) => s.serialize_newtype_variant(NAME, 5, VARIANTS[5], v),
            Value::Bytes(v) => s.serialize_newtype_variant(NAME, 6, VARIANTS[6], &BytesRef(v)),
            Value::Str(v) => s.serialize_newtype_variant(NAME, 7, VARIANTS[7], v.as_str()),
            Value::List(v) => s.serialize_newtype_variant(NAME, 8, VARIANTS[8], &ListRef(v)),
            Value::Record(v) => s.serialize_newtype_variant(NAME, 9, VARIANTS[9], v),
        }
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.fields.len()))?;
        for (key, value) in self.fields.iter() {
            map.serialize_entry(&**key, value)?;
        }
        map.end()
    }
}

/// The limits and the first refusal, shared by every seed of one decode.
struct Ctx {
    limits: Limits,
    refusal: Cell<Option<RecordError>>,
}

impl Ctx {
    fn refuse<E: de::Error>(&self, why: RecordError) -> E {
        if self.refusal.get().is_none() {
            self.refusal.set(Some(why));
        }
        E::custom(why)
    }

    /// Opens a container at `depth` announcing `hint` items; returns the capacity to reserve.
    fn open<E: de::Error>(&self, depth: usize, hint: Option<usize>) -> Result<usize, E> {
        if depth > self.limits.max_depth {
            return Err(self.refuse(RecordError::TooDeep {
                max: clamp(self.limits.max_depth),
            }));
        }
        let hint = hint.unwrap_or(0);
        if hint > self.limits.max_items {
            return Err(self.too_many());
        }
        Ok(hint)
    }

    fn too_many<E: de::Error>(&self) -> E {
        self.refuse(RecordError::TooManyItems {
            max: clamp(self.limits.max_items),
        })
    }
}

/// Decodes a whole message through serde and postcard: the reference the hand-written parser
/// (`view.rs`) is held to by the tests and the fuzz targets.
pub fn decode_postcard(bytes: &[u8], limits: &Limits) -> Result<Record, RecordError> {
    if bytes.len() > limits.max_bytes {
        return Err(RecordError::TooLarge {
            bytes: clamp(bytes.len()),
            max: clamp(limits.max_bytes),
        });
    }
    let ctx = Ctx {
        limits: *limits,
        refusal: Cell::new(None),
    };
    let mut de = postcard::Deserializer::from_bytes(bytes);
    let record = RecordSeed {
        ctx: &ctx,
        depth: 1,
    }
    .deserialize(&mut de)
    .map_err(|e| ctx.refusal.get().unwrap_or_else(|| from_postcard(e)))?;
    match de.finalize() {
        Ok(rest) if !rest.is_empty() => Err(RecordError::TrailingBytes),
        // postcard accepts overlong varints (`0x81 0x00` for 1); only the shortest form is
        // a valid message, so every message has exactly one encoding and its size is exact.
        Ok(_) if record.measure().bytes != bytes.len() => Err(RecordError::BadVarint),
        Ok(_) => Ok(record),
        Err(e) => Err(from_postcard(e)),
    }
}

fn from_postcard(e: postcard::Error) -> RecordError {
    use postcard::Error as P;
    match e {
        P::DeserializeUnexpectedEnd => RecordError::Truncated,
        P::DeserializeBadVarint => RecordError::BadVarint,
        P::DeserializeBadUtf8 | P::DeserializeBadChar => RecordError::BadUtf8,
        _ => RecordError::BadTag,
    }
}

/// The variant tag: an integer from postcard, a name from self-describing formats.
struct Tag(u8);

impl<'de> Deserialize<'de> for Tag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TagVisitor;
        impl Visitor<'_> for TagVisitor {
            type Value = Tag;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value tag")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Tag, E> {
                match u8::try_from(v) {
                    Ok(t) if usize::from(t) < VARIANTS.len() => Ok(Tag(t)),
                    _ => Err(E::custom(RecordError::BadTag)),
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Tag, E> {
                match VARIANTS.iter().position(|n| *n == v) {
                    Some(t) => Ok(Tag(t as u8)),
                    None => Err(E::custom(RecordError::BadTag)),
                }
            }
        }
        d.deserialize_identifier(TagVisitor)
    }
}

#[derive(Clone, Copy)]
struct ValueSeed<'c> {
    ctx: &'c Ctx,
    /// Depth of the container holding this value.
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_enum("Value", VARIANTS, self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a record value")
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let (Tag(tag), variant) = data.variant::<Tag>()?;
        let nested = self.depth + 1;
        Ok(match tag {
            0 => {
                variant.unit_variant()?;
                Value::Unit
            }
            1 => Value::Bool(variant.newtype_variant()?),
            2 => Value::I64(variant.newtype_variant()?),
            3 => Value::U64(variant.newtype_variant()?),
            4 => Value::F32(variant.newtype_variant()?),
            5 => Value::F64(variant.newtype_variant()?),
            6 => Value::Bytes(variant.newtype_variant_seed(BytesSeed)?),
            7 => Value::Str(variant.newtype_variant::<String>()?),
            8 => Value::List(variant.newtype_variant_seed(ListSeed {
                ctx: self.ctx,
                depth: nested,
            })?),
            _ => Value::Record(variant.newtype_variant_seed(RecordSeed {
                ctx: self.ctx,
                depth: nested,
            })?),
        })
    }
}

struct BytesSeed;

impl<'de> DeserializeSeed<'de> for BytesSeed {
    type Value = Vec<u8>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<u8>, D::Error> {
        d.deserialize_bytes(self)
    }
}

impl<'de> Visitor<'de> for BytesSeed {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("bytes")
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
        Ok(v.into())
    }
}

struct ListSeed<'c> {
    ctx: &'c Ctx,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_> {
    type Value = Vec<Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Value>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_> {
    type Value = Vec<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Value>, A::Error> {
        let cap = self.ctx.open(self.depth, seq.size_hint())?;
        let mut items = Vec::with_capacity(cap);
        let seed = ValueSeed {
            ctx: self.ctx,
            depth: self.depth,
        };
        while let Some(item) = seq.next_element_seed(seed)? {
            if items.len() == self.ctx.limits.max_items {
                return Err(self.ctx.too_many());
            }
            items.push(item);
        }
        Ok(items)
    }
}

struct RecordSeed<'c> {
    ctx: &'c Ctx,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = Record;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Record, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_> {
    type Value = Record;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a record")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record, A::Error> {
        let cap = self.ctx.open(self.depth, map.size_hint())?;
        let mut fields: Vec<(super::Key, Value)> = Vec::with_capacity(cap);
        let seed = ValueSeed {
            ctx: self.ctx,
            depth: self.depth,
        };
        while let Some(key) = map.next_key::<String>()? {
            if fields.len() == self.ctx.limits.max_items {
                return Err(self.ctx.too_many());
            }
            if fields.iter().any(|(k, _)| *k == key) {
                return Err(self.ctx.refuse(RecordError::DuplicateKey));
            }
            let value = map.next_value_seed(seed)?;
            fields.push((key.into(), value));
        }
        Ok(Record { fields })
    }
}

/// Deserializing a record inside another serde type applies [`Limits::DEFAULT`] (depth,
/// width; the size is the enclosing format's business). Use [`Record::decode`] for messages.
impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let ctx = Ctx {
            limits: Limits::DEFAULT,
            refusal: Cell::new(None),
        };
        RecordSeed {
            ctx: &ctx,
            depth: 1,
        }
        .deserialize(d)
    }
}

/// As for [`Record`]: [`Limits::DEFAULT`] depth and width.
impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let ctx = Ctx {
            limits: Limits::DEFAULT,
            refusal: Cell::new(None),
        };
        ValueSeed {
            ctx: &ctx,
            depth: 1,
        }
        .deserialize(d)
    }
}
