//! Typed encoding straight to a record's wire bytes (see [`super`]).

use alloc::vec::Vec;

use crate::{Limits, MapError, RecordError};
use serde::ser::{self, Serialize};

use super::{BOOL, BYTES, F32, F64, Fault, I64, LIST, RECORD, STR, U64, UNIT, clamp, wire};
use crate::typed::CodecError;

/// `value`'s bytes as a record within `limits`: a struct or map field by field, `()` (or
/// `None`) as the empty record; anything else is `MapError::NotARecord`.
///
/// The only code generic over `T` is the type's own `Serialize` calling this serializer's
/// thin methods; every byte is written by the non-generic `Writer`.
pub fn to_bytes<T: Serialize + ?Sized>(value: &T, limits: &Limits) -> Result<Vec<u8>, CodecError> {
    let mut writer = Writer {
        buf: Vec::new(),
        limits,
    };
    match value.serialize(ValueSer {
        writer: &mut writer,
        depth: 1,
    }) {
        Ok(()) => writer.finish(),
        Err(fault) => Err(fault.error(limits)),
    }
}

/// `value`'s bytes within `limits`, or `None`: [`to_bytes`] without the reason, for a caller
/// that answers every refusal the same way (less code in a module: no [`CodecError`] is
/// built).
pub fn write<T: Serialize + ?Sized>(value: &T, limits: &Limits) -> Option<Vec<u8>> {
    let mut writer = Writer {
        buf: Vec::new(),
        limits,
    };
    value
        .serialize(ValueSer {
            writer: &mut writer,
            depth: 1,
        })
        .ok()?;
    writer.finish().ok()
}

struct Writer<'l> {
    buf: Vec<u8>,
    limits: &'l Limits,
}

impl Writer<'_> {
    /// The message: the top-level value must have been a record (or unit), within the size.
    #[inline(never)]
    fn finish(self) -> Result<Vec<u8>, CodecError> {
        let mut buf = self.buf;
        match buf.first() {
            // A record is written as tag 9 then the record: the message is the record.
            Some(&RECORD) => {
                buf.copy_within(1.., 0);
                buf.pop();
            }
            Some(&UNIT) => buf[0] = 0,
            _ => return Err(CodecError::Shape(MapError::NotARecord)),
        }
        if buf.len() > self.limits.max_bytes {
            return Err(wire(RecordError::TooLarge {
                bytes: clamp(buf.len()),
                max: clamp(self.limits.max_bytes),
            }));
        }
        Ok(buf)
    }

    #[inline(never)]
    fn varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.buf.push(value as u8 | 0x80);
            value >>= 7;
        }
        self.buf.push(value as u8);
    }

    /// A tag and its varint payload (`U64`, or `I64` zigzagged by the caller).
    #[inline(never)]
    fn tagged(&mut self, tag: u8, value: u64) {
        self.buf.push(tag);
        self.varint(value);
    }

    /// A tag and its fixed-size payload (`BOOL`, `F32`, `F64`; `UNIT` has none).
    #[inline(never)]
    fn fixed(&mut self, tag: u8, payload: &[u8]) {
        self.buf.push(tag);
        self.buf.extend_from_slice(payload);
    }

    /// A length-prefixed byte string, behind `tag` if there is one (a key has none).
    #[inline(never)]
    fn bytes(&mut self, tag: Option<u8>, bytes: &[u8]) {
        if let Some(tag) = tag {
            self.buf.push(tag);
        }
        self.varint(bytes.len() as u64);
        self.buf.extend_from_slice(bytes);
    }

    /// Start a list or record at `depth`: its tag and one byte for its count, which is
    /// written when it ends (where its items start is returned).
    #[inline(never)]
    fn open(&mut self, tag: u8, depth: usize) -> Result<usize, Fault> {
        if depth > self.limits.max_depth {
            return Err(Fault::TooDeep);
        }
        self.buf.extend_from_slice(&[tag, 0]);
        Ok(self.buf.len())
    }

    /// End the container whose items start at `at`: its count goes in the byte before them
    /// (and in more bytes, inserted there, for a count of 128 or more).
    #[inline(never)]
    fn close(&mut self, at: usize, count: usize) -> Result<(), Fault> {
        if count > self.limits.max_items {
            return Err(Fault::TooManyItems);
        }
        let mut value = count as u64;
        let mut at = at - 1;
        while value >= 0x80 {
            self.buf[at] = value as u8 | 0x80;
            value >>= 7;
            at += 1;
            self.buf.insert(at, 0);
        }
        self.buf[at] = value as u8;
        Ok(())
    }

    /// A one-field record `{variant: …}` at `depth` around a payload about to be written.
    #[inline(never)]
    fn variant(&mut self, variant: &str, depth: usize) -> Result<(), Fault> {
        let at = self.open(RECORD, depth)?;
        self.close(at, 1)?;
        self.bytes(None, variant.as_bytes());
        Ok(())
    }
}

/// Writes one value (tag and payload); `depth` is the depth it has if it is a container.
struct ValueSer<'w, 'l> {
    writer: &'w mut Writer<'l>,
    depth: usize,
}

/// A list or record being written: where its items start, how many so far.
struct Compound<'w, 'l> {
    writer: &'w mut Writer<'l>,
    at: usize,
    count: usize,
    depth: usize,
}

impl<'w, 'l> Compound<'w, 'l> {
    fn open(writer: &'w mut Writer<'l>, tag: u8, depth: usize) -> Result<Self, Fault> {
        let at = writer.open(tag, depth)?;
        Ok(Self {
            writer,
            at,
            count: 0,
            depth,
        })
    }

    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Fault> {
        self.count += 1;
        value.serialize(ValueSer {
            writer: self.writer,
            depth: self.depth + 1,
        })
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Fault> {
        self.writer.bytes(None, key.as_bytes());
        self.item(value)
    }

    fn end(self) -> Result<(), Fault> {
        self.writer.close(self.at, self.count)
    }
}

impl<'w, 'l> ser::Serializer for ValueSer<'w, 'l> {
    type Ok = ();
    type Error = Fault;
    type SerializeSeq = Compound<'w, 'l>;
    type SerializeTuple = Compound<'w, 'l>;
    type SerializeTupleStruct = Compound<'w, 'l>;
    type SerializeTupleVariant = Compound<'w, 'l>;
    type SerializeMap = Compound<'w, 'l>;
    type SerializeStruct = Compound<'w, 'l>;
    type SerializeStructVariant = Compound<'w, 'l>;

    fn serialize_bool(self, v: bool) -> Result<(), Fault> {
        self.writer.fixed(BOOL, &[u8::from(v)]);
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Fault> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Fault> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Fault> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Fault> {
        self.writer.tagged(I64, ((v << 1) ^ (v >> 63)) as u64);
        Ok(())
    }
    fn serialize_i128(self, _: i128) -> Result<(), Fault> {
        Err(Fault::I128)
    }
    fn serialize_u8(self, v: u8) -> Result<(), Fault> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Fault> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Fault> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Fault> {
        self.writer.tagged(U64, v);
        Ok(())
    }
    fn serialize_u128(self, _: u128) -> Result<(), Fault> {
        Err(Fault::U128)
    }
    fn serialize_f32(self, v: f32) -> Result<(), Fault> {
        self.writer.fixed(F32, &v.to_le_bytes());
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Fault> {
        self.writer.fixed(F64, &v.to_le_bytes());
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Fault> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Fault> {
        self.writer.bytes(Some(STR), v.as_bytes());
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Fault> {
        self.writer.bytes(Some(BYTES), v);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Fault> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Fault> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Fault> {
        self.writer.fixed(UNIT, &[]);
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Fault> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Fault> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Fault> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), Fault> {
        self.writer.variant(variant, self.depth)?;
        v.serialize(ValueSer {
            writer: self.writer,
            depth: self.depth + 1,
        })
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'w, 'l>, Fault> {
        Compound::open(self.writer, LIST, self.depth)
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'w, 'l>, Fault> {
        Compound::open(self.writer, LIST, self.depth)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<'w, 'l>, Fault> {
        Compound::open(self.writer, LIST, self.depth)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'w, 'l>, Fault> {
        self.writer.variant(variant, self.depth)?;
        Compound::open(self.writer, LIST, self.depth + 1)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'w, 'l>, Fault> {
        Compound::open(self.writer, RECORD, self.depth)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'w, 'l>, Fault> {
        Compound::open(self.writer, RECORD, self.depth)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'w, 'l>, Fault> {
        self.writer.variant(variant, self.depth)?;
        Compound::open(self.writer, RECORD, self.depth + 1)
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = Fault;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Fault> {
        self.item(v)
    }
    fn end(self) -> Result<(), Fault> {
        Compound::end(self)
    }
}

impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = Fault;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Fault> {
        self.item(v)
    }
    fn end(self) -> Result<(), Fault> {
        Compound::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Fault;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Fault> {
        self.item(v)
    }
    fn end(self) -> Result<(), Fault> {
        Compound::end(self)
    }
}

impl ser::SerializeTupleVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Fault;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Fault> {
        self.item(v)
    }
    fn end(self) -> Result<(), Fault> {
        Compound::end(self)
    }
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Fault;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Fault> {
        key.serialize(KeySer {
            writer: self.writer,
        })
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Fault> {
        self.item(v)
    }
    fn end(self) -> Result<(), Fault> {
        Compound::end(self)
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Fault;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Fault> {
        self.field(key, v)
    }
    fn end(self) -> Result<(), Fault> {
        Compound::end(self)
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Fault;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Fault> {
        self.field(key, v)
    }
    fn end(self) -> Result<(), Fault> {
        Compound::end(self)
    }
}

/// Writes a map key: only what maps to a string is one (a string, a char, a unit variant).
struct KeySer<'w, 'l> {
    writer: &'w mut Writer<'l>,
}

fn not_a_string<T>() -> Result<T, Fault> {
    Err(Fault::KeyNotString)
}

impl ser::Serializer for KeySer<'_, '_> {
    type Ok = ();
    type Error = Fault;
    type SerializeSeq = ser::Impossible<(), Fault>;
    type SerializeTuple = ser::Impossible<(), Fault>;
    type SerializeTupleStruct = ser::Impossible<(), Fault>;
    type SerializeTupleVariant = ser::Impossible<(), Fault>;
    type SerializeMap = ser::Impossible<(), Fault>;
    type SerializeStruct = ser::Impossible<(), Fault>;
    type SerializeStructVariant = ser::Impossible<(), Fault>;

    fn serialize_str(self, v: &str) -> Result<(), Fault> {
        self.writer.bytes(None, v.as_bytes());
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Fault> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Fault> {
        self.serialize_str(variant)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Fault> {
        v.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Fault> {
        v.serialize(self)
    }
    fn serialize_bool(self, _: bool) -> Result<(), Fault> {
        not_a_string()
    }
    fn serialize_i8(self, _: i8) -> Result<(), Fault> {
        not_a_string()
    }
    fn serialize_i16(self, _: i16) -> Result<(), Fault> {
        not_a_string()
    }
    fn serialize_i32(self, _: i32) -> Result<(), Fault> {
        not_a_string()
    }
    fn serialize_i64(self, _: i64) -> Result<(), Fault> {
        not_a_string()
    }
    fn serialize_i128(self, _: i128) -> Result<(), Fault> {
        Err(Fault::I128)
    }
    fn serialize_u8(self, _: u8) -> Result<(), Fault> {
        not_a_string()
    }
    fn serialize_u16(self, _: u16) -> Result<(), Fault> {
        not_a_string()
    }
    fn serialize_u32(self, _: u32) -> Result<(), Fault> {
        not_a_string()
    }
    fn serialize_u64(self, _: u64) -> Result<(), Fault> {
        not_a_string()
    }
    fn serialize_u128(self, _: u128) -> Result<(), Fault> {
        Err(Fault::U128)
    }
    fn serialize_f32(self, _: f32) -> Result<(), Fault> {
        not_a_string()
    }
    fn serialize_f64(self, _: f64) -> Result<(), Fault> {
        not_a_string()
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Fault> {
        not_a_string()
    }
    fn serialize_none(self) -> Result<(), Fault> {
        not_a_string()
    }
    fn serialize_unit(self) -> Result<(), Fault> {
        not_a_string()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Fault> {
        not_a_string()
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Fault> {
        not_a_string()
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Fault> {
        not_a_string()
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Fault> {
        not_a_string()
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Fault> {
        not_a_string()
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Fault> {
        not_a_string()
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Fault> {
        not_a_string()
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Fault> {
        not_a_string()
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Fault> {
        not_a_string()
    }
}

#[cfg(test)]
mod tests {
    use alloc::{collections::BTreeMap, string::String, vec, vec::Vec};

    use proptest::prelude::*;
    use serde::Serialize;

    use super::*;
    use crate::{to_record, typed::tests::LIMITS};

    #[derive(Debug, Clone, Serialize)]
    enum Kind {
        Off,
        Level(i32),
        Pair(u8, bool),
        Window { from: u16, to: u16 },
    }

    fn as_bytes<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    #[derive(Debug, Clone, Serialize)]
    struct Mixed {
        a: Option<i64>,
        #[serde(serialize_with = "as_bytes")]
        b: Vec<u8>,
        c: f64,
        d: Vec<String>,
        e: Option<Kind>,
        f: (f32, char),
        g: BTreeMap<String, u32>,
        h: Vec<Vec<Kind>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        i: Option<u8>,
        j: (),
    }

    /// Both encoders on `value`: the same bytes, or both refuse.
    fn agree<T: Serialize + ?Sized>(value: &T, limits: &Limits) {
        let direct = to_bytes(value, limits);
        assert_eq!(write(value, limits), direct.clone().ok());
        match to_record(value) {
            Ok(record) => match record.encode(limits) {
                Ok(expected) => assert_eq!(direct, Ok(expected), "{record}"),
                Err(e) => assert!(direct.is_err(), "{record}: {e:?} but {direct:?}"),
            },
            Err(e) => assert!(direct.is_err(), "{e:?} but {direct:?}"),
        }
    }

    fn kind() -> impl Strategy<Value = Kind> {
        prop_oneof![
            Just(Kind::Off),
            any::<i32>().prop_map(Kind::Level),
            (any::<u8>(), any::<bool>()).prop_map(|(n, b)| Kind::Pair(n, b)),
            (any::<u16>(), any::<u16>()).prop_map(|(from, to)| Kind::Window { from, to }),
        ]
    }

    fn mixed() -> impl Strategy<Value = Mixed> {
        (
            (
                prop::option::of(any::<i64>()),
                prop::collection::vec(any::<u8>(), 0..40),
                any::<f64>().prop_filter("not NaN", |f| !f.is_nan()),
                prop::collection::vec("[a-z]{0,6}", 0..5),
                prop::option::of(kind()),
            ),
            (
                (-1e6f32..1e6, any::<char>()),
                prop::collection::btree_map("[a-zé]{0,4}", any::<u32>(), 0..5),
                prop::collection::vec(prop::collection::vec(kind(), 0..3), 0..3),
                prop::option::of(any::<u8>()),
            ),
        )
            .prop_map(|((a, b, c, d, e), (f, g, h, i))| Mixed {
                a,
                b,
                c,
                d,
                e,
                f,
                g,
                h,
                i,
                j: (),
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Typed values encode to the bytes `to_record` + `Record::encode` give.
        #[test]
        fn agrees_with_the_record_encoder(value in mixed()) {
            agree(&value, &LIMITS);
            agree(&(value.e.clone(), 1u8), &LIMITS);
            agree(&value.g, &LIMITS);
        }

        /// Under tight limits both refuse the same values.
        #[test]
        fn refuses_like_the_record_encoder(
            value in mixed(),
            max_bytes in 1usize..200,
            max_depth in 1usize..4,
            max_items in 0usize..6,
        ) {
            agree(&value, &Limits { max_bytes, max_depth, max_items });
        }
    }

    #[test]
    fn what_is_not_a_record_is_refused() {
        assert_eq!(to_bytes(&(), &LIMITS), Ok(vec![0]));
        assert_eq!(to_bytes(&None::<u8>, &LIMITS), Ok(vec![0]));
        assert_eq!(
            to_bytes(&7u8, &LIMITS),
            Err(CodecError::Shape(MapError::NotARecord))
        );
        let mut keyed = BTreeMap::new();
        keyed.insert(1u8, 2u8);
        assert_eq!(
            to_bytes(&keyed, &LIMITS),
            Err(CodecError::Shape(MapError::KeyNotString))
        );
        agree(&keyed, &LIMITS);
        agree(&Kind::Level(3), &LIMITS);
        agree(
            &[(1u128, 2)].into_iter().collect::<BTreeMap<_, _>>(),
            &LIMITS,
        );
    }
}
