//! Typed decoding straight from a record's wire bytes (see [`super`]).

use crate::{Limits, RecordError};
use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess,
    VariantAccess, Visitor,
    value::{
        BorrowedBytesDeserializer, BorrowedStrDeserializer, SeqDeserializer, UnitDeserializer,
    },
};

use super::{BOOL, BYTES, F32, F64, Fault, I64, LIST, RECORD, STR, U64, UNIT, clamp, wire};
use crate::typed::CodecError;

/// A `T` out of the bytes of one record, within `limits`.
///
/// What is generic over `T` is the type's own `Deserialize` calling this deserializer's
/// methods, each of which reads the one kind of value the type asks for through the
/// non-generic `Reader` and hands it to the visitor: a field of type `u8` costs a read
/// and a `visit_u64`, not a match over every kind of value.
pub fn from_bytes<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
    limits: &Limits,
) -> Result<T, CodecError> {
    fits(bytes, limits)?;
    decode(bytes, limits).map_err(|fault| fault.error(limits))
}

/// A `T` out of the bytes of one record within `limits`, or `None`: [`from_bytes`] without
/// the reason, for a caller that answers every refusal the same way (less code in a module:
/// no [`CodecError`] is built).
pub fn read<'de, T: Deserialize<'de>>(bytes: &'de [u8], limits: &Limits) -> Option<T> {
    if bytes.len() > limits.max_bytes {
        return None;
    }
    decode(bytes, limits).ok()
}

/// Whether `bytes` are one record within `limits`: [`check`] without the reason.
pub fn is_record(bytes: &[u8], limits: &Limits) -> bool {
    bytes.len() <= limits.max_bytes && walk(bytes, limits).is_ok()
}

fn decode<'de, T: Deserialize<'de>>(bytes: &'de [u8], limits: &Limits) -> Result<T, Fault> {
    let (mut reader, count) = Reader::start(bytes, limits)?;
    if count == 0 {
        // As `codec::from_record`, the empty record is `()` (and `None`) as well as an empty
        // map; trying `()` first spares the common case an error built and dropped.
        if let Ok(value) = T::deserialize(UnitDeserializer::<Fault>::new()) {
            return reader.end().map(|()| value);
        }
    }
    let value = T::deserialize(Top {
        reader: &mut reader,
        count,
    })?;
    reader.end().map(|()| value)
}

/// Whether `bytes` are one record within `limits`, checked as [`from_bytes`] checks what it
/// skips (what decoding [`IgnoredAny`](serde::de::IgnoredAny) does, without the generic code).
pub fn check(bytes: &[u8], limits: &Limits) -> Result<(), CodecError> {
    fits(bytes, limits)?;
    walk(bytes, limits).map_err(|fault| fault.error(limits))
}

fn walk(bytes: &[u8], limits: &Limits) -> Result<(), Fault> {
    let (mut reader, count) = Reader::start(bytes, limits)?;
    for _ in 0..count {
        reader.key()?;
        let tag = reader.tag()?;
        reader.skip(tag, 1)?;
    }
    reader.end()
}

/// A message within the size limit.
#[inline(never)]
fn fits(bytes: &[u8], limits: &Limits) -> Result<(), CodecError> {
    if bytes.len() > limits.max_bytes {
        return Err(wire(RecordError::TooLarge {
            bytes: clamp(bytes.len()),
            max: clamp(limits.max_bytes),
        }));
    }
    Ok(())
}

struct Reader<'de, 'l> {
    bytes: &'de [u8],
    pos: usize,
    limits: &'l Limits,
}

impl<'de, 'l> Reader<'de, 'l> {
    /// A reader over a message, and the top-level record's field count.
    #[inline(never)]
    fn start(bytes: &'de [u8], limits: &'l Limits) -> Result<(Self, usize), Fault> {
        let mut reader = Reader {
            bytes,
            pos: 0,
            limits,
        };
        let count = reader.open(1)?;
        Ok((reader, count))
    }

    /// Nothing may follow the message's record.
    #[inline(never)]
    fn end(&self) -> Result<(), Fault> {
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            Err(Fault::TrailingBytes)
        }
    }

    fn take(&mut self, n: usize) -> Result<&'de [u8], Fault> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or(Fault::Truncated)?;
        let taken = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(taken)
    }

    fn byte(&mut self) -> Result<u8, Fault> {
        Ok(self.take(1)?[0])
    }

    /// A LEB128 varint in its shortest form (postcard's, as the record decoder insists).
    fn varint(&mut self) -> Result<u64, Fault> {
        let mut value = 0u64;
        for shift in 0..10 {
            let byte = self.byte()?;
            if shift == 9 && byte > 1 {
                return Err(Fault::BadVarint);
            }
            value |= u64::from(byte & 0x7F) << (7 * shift);
            if byte & 0x80 == 0 {
                if byte == 0 && shift > 0 {
                    return Err(Fault::BadVarint);
                }
                return Ok(value);
            }
        }
        Err(Fault::BadVarint)
    }

    fn bytes(&mut self) -> Result<&'de [u8], Fault> {
        let len = self.varint()?;
        self.take(usize::try_from(len).map_err(|_| Fault::Truncated)?)
    }

    fn str(&mut self) -> Result<&'de str, Fault> {
        core::str::from_utf8(self.bytes()?).map_err(|_| Fault::BadUtf8)
    }

    /// A field name, checked to be UTF-8 but handed over as bytes (serde's field visitors
    /// match bytes as well as strings): almost every key is ASCII, and a byte loop checks
    /// that for a tenth of what `str::from_utf8` costs in a module.
    fn key(&mut self) -> Result<&'de [u8], Fault> {
        let key = self.bytes()?;
        if !key.iter().all(u8::is_ascii) {
            core::str::from_utf8(key).map_err(|_| Fault::BadUtf8)?;
        }
        Ok(key)
    }

    fn tag(&mut self) -> Result<u8, Fault> {
        match self.varint()? {
            tag @ 0..=9 => Ok(tag as u8),
            _ => Err(Fault::BadTag),
        }
    }

    /// Open a list or record at `depth`: its item count, within the limits.
    fn open(&mut self, depth: usize) -> Result<usize, Fault> {
        if depth > self.limits.max_depth {
            return Err(Fault::TooDeep);
        }
        let count = usize::try_from(self.varint()?).unwrap_or(usize::MAX);
        if count > self.limits.max_items {
            return Err(Fault::TooManyItems);
        }
        Ok(count)
    }

    /// Skip a value with `tag` held in a container at `depth`, checking it as it goes.
    fn skip(&mut self, tag: u8, depth: usize) -> Result<(), Fault> {
        match self.item(tag, depth)? {
            Item::List(count) => {
                for _ in 0..count {
                    let tag = self.tag()?;
                    self.skip(tag, depth + 1)?;
                }
            }
            Item::Record(count) => {
                for _ in 0..count {
                    self.key()?;
                    let tag = self.tag()?;
                    self.skip(tag, depth + 1)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The value with `tag` held in a container at `depth`: a scalar read whole, or a
    /// container opened (its item count). Kept out of line: it is the bulk of decoding, and
    /// every visitor type would otherwise get its own copy.
    #[inline(never)]
    fn item(&mut self, tag: u8, depth: usize) -> Result<Item<'de>, Fault> {
        Ok(match tag {
            UNIT => Item::Unit,
            BOOL => Item::Bool(self.boolean()?),
            I64 => {
                let zigzag = self.varint()?;
                Item::I64((zigzag >> 1) as i64 ^ -((zigzag & 1) as i64))
            }
            U64 => Item::U64(self.varint()?),
            F32 => {
                let mut le = [0u8; 4];
                le.copy_from_slice(self.take(4)?);
                Item::F32(f32::from_le_bytes(le))
            }
            F64 => {
                let mut le = [0u8; 8];
                le.copy_from_slice(self.take(8)?);
                Item::F64(f64::from_le_bytes(le))
            }
            BYTES => Item::Bytes(self.bytes()?),
            STR => Item::Str(self.str()?),
            LIST => Item::List(self.open(depth + 1)?),
            _ => Item::Record(self.open(depth + 1)?),
        })
    }

    fn boolean(&mut self) -> Result<bool, Fault> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Fault::BadTag),
        }
    }

    /// The integer with `tag`, for a type that asked for one.
    #[inline(never)]
    fn int(&mut self, tag: u8) -> Result<Int, Fault> {
        match tag {
            U64 => Ok(Int::U64(self.varint()?)),
            I64 => {
                let zigzag = self.varint()?;
                Ok(Int::I64((zigzag >> 1) as i64 ^ -((zigzag & 1) as i64)))
            }
            _ => Err(mismatch()),
        }
    }

    /// The number with `tag` (an integer or a float), for a type that asked for a float.
    #[inline(never)]
    fn number(&mut self, tag: u8) -> Result<Number, Fault> {
        match tag {
            F32 => {
                let mut le = [0u8; 4];
                le.copy_from_slice(self.take(4)?);
                Ok(Number::F32(f32::from_le_bytes(le)))
            }
            F64 => {
                let mut le = [0u8; 8];
                le.copy_from_slice(self.take(8)?);
                Ok(Number::F64(f64::from_le_bytes(le)))
            }
            _ => self.int(tag).map(Number::Int),
        }
    }
}

/// The value does not have the kind the type asked for (a string for a `u8`, …).
fn mismatch() -> Fault {
    Fault::Misfit
}

/// An integer, read.
enum Int {
    U64(u64),
    I64(i64),
}

/// A number, read.
enum Number {
    Int(Int),
    F32(f32),
    F64(f64),
}

/// One value, read.
enum Item<'de> {
    Unit,
    Bool(bool),
    I64(i64),
    U64(u64),
    F32(f32),
    F64(f64),
    Bytes(&'de [u8]),
    Str(&'de str),
    /// A list: its element count.
    List(usize),
    /// A record: its field count.
    Record(usize),
}

/// The top-level record, seen as a map (as [`from_record`](crate::from_record) sees it).
struct Top<'r, 'de, 'l> {
    reader: &'r mut Reader<'de, 'l>,
    count: usize,
}

impl<'de> Deserializer<'de> for Top<'_, 'de, '_> {
    type Error = Fault;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        let mut fields = Fields {
            reader: self.reader,
            left: self.count,
            depth: 1,
            value_next: false,
        };
        let value = visitor.visit_map(&mut fields)?;
        fields.skip_rest()?;
        Ok(value)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// The fields of a record at `depth`.
struct Fields<'r, 'de, 'l> {
    reader: &'r mut Reader<'de, 'l>,
    left: usize,
    depth: usize,
    /// A key was read and its value not yet.
    value_next: bool,
}

impl<'de> Fields<'_, 'de, '_> {
    /// Skip what the visitor left unread, so the next value starts where it should.
    #[inline(never)]
    fn skip_rest(&mut self) -> Result<(), Fault> {
        while self.next_key()?.is_some() {}
        Ok(())
    }

    /// The next field's key (skipping the value before it if the visitor did not read it).
    #[inline(never)]
    fn next_key(&mut self) -> Result<Option<&'de [u8]>, Fault> {
        if self.value_next {
            // The visitor skipped a value by asking for the next key: skip it here.
            self.value_next = false;
            let tag = self.reader.tag()?;
            self.reader.skip(tag, self.depth)?;
        }
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let key = self.reader.key()?;
        self.value_next = true;
        Ok(Some(key))
    }

    /// The tag of the value after the key just read.
    #[inline(never)]
    fn value_tag(&mut self) -> Result<u8, Fault> {
        if !self.value_next {
            return Err(Fault::Misfit);
        }
        self.value_next = false;
        self.reader.tag()
    }
}

impl<'de> MapAccess<'de> for Fields<'_, 'de, '_> {
    type Error = Fault;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Fault> {
        match self.next_key()? {
            Some(key) => seed
                .deserialize(BorrowedBytesDeserializer::new(key))
                .map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Fault> {
        let tag = self.value_tag()?;
        seed.deserialize(Value {
            reader: self.reader,
            tag,
            depth: self.depth,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// The elements of a list at `depth`.
struct Elements<'r, 'de, 'l> {
    reader: &'r mut Reader<'de, 'l>,
    left: usize,
    depth: usize,
}

impl Elements<'_, '_, '_> {
    #[inline(never)]
    fn skip_rest(&mut self) -> Result<(), Fault> {
        while let Some(tag) = self.next_tag()? {
            self.reader.skip(tag, self.depth)?;
        }
        Ok(())
    }

    /// The next element's tag, if there is one.
    #[inline(never)]
    fn next_tag(&mut self) -> Result<Option<u8>, Fault> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        self.reader.tag().map(Some)
    }
}

impl<'de> SeqAccess<'de> for Elements<'_, 'de, '_> {
    type Error = Fault;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Fault> {
        match self.next_tag()? {
            Some(tag) => seed
                .deserialize(Value {
                    reader: self.reader,
                    tag,
                    depth: self.depth,
                })
                .map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// One value whose tag has been read, held in a container at `depth`.
struct Value<'r, 'de, 'l> {
    reader: &'r mut Reader<'de, 'l>,
    tag: u8,
    depth: usize,
}

impl<'r, 'de, 'l> Value<'r, 'de, 'l> {
    /// The list's elements, for a visitor that takes a sequence.
    fn list<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        let left = self.reader.open(self.depth + 1)?;
        let mut elements = Elements {
            reader: self.reader,
            left,
            depth: self.depth + 1,
        };
        let value = visitor.visit_seq(&mut elements)?;
        elements.skip_rest()?;
        Ok(value)
    }

    /// The record's fields, for a visitor that takes a map.
    fn record<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        let left = self.reader.open(self.depth + 1)?;
        let mut fields = Fields {
            reader: self.reader,
            left,
            depth: self.depth + 1,
            value_next: false,
        };
        let value = visitor.visit_map(&mut fields)?;
        fields.skip_rest()?;
        Ok(value)
    }

    fn integer<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        match self.reader.int(self.tag)? {
            Int::U64(v) => visitor.visit_u64(v),
            Int::I64(v) => visitor.visit_i64(v),
        }
    }

    fn float<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        match self.reader.number(self.tag)? {
            Number::Int(Int::U64(v)) => visitor.visit_u64(v),
            Number::Int(Int::I64(v)) => visitor.visit_i64(v),
            Number::F32(v) => visitor.visit_f32(v),
            Number::F64(v) => visitor.visit_f64(v),
        }
    }

    /// A string, or bytes (a `String` takes UTF-8 bytes too).
    fn text<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        match self.tag {
            STR => visitor.visit_borrowed_str(self.reader.str()?),
            BYTES => visitor.visit_borrowed_bytes(self.reader.bytes()?),
            _ => Err(mismatch()),
        }
    }
}

/// Each method reads the kind of value its type asks for and hands it to the visitor the
/// way [`from_record`](crate::from_record) would; a value of another kind is a mismatch
/// (what the visitor would have said of it), without calling the visitor. Only
/// `deserialize_any` (self-describing types) offers every kind.
impl<'de> Deserializer<'de> for Value<'_, 'de, '_> {
    type Error = Fault;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        let depth = self.depth + 1;
        match self.reader.item(self.tag, self.depth)? {
            Item::Unit => visitor.visit_unit(),
            Item::Bool(v) => visitor.visit_bool(v),
            Item::I64(v) => visitor.visit_i64(v),
            Item::U64(v) => visitor.visit_u64(v),
            Item::F32(v) => visitor.visit_f32(v),
            Item::F64(v) => visitor.visit_f64(v),
            Item::Bytes(v) => visitor.visit_borrowed_bytes(v),
            Item::Str(v) => visitor.visit_borrowed_str(v),
            Item::List(left) => {
                let mut elements = Elements {
                    reader: self.reader,
                    left,
                    depth,
                };
                let value = visitor.visit_seq(&mut elements)?;
                elements.skip_rest()?;
                Ok(value)
            }
            Item::Record(left) => {
                let mut fields = Fields {
                    reader: self.reader,
                    left,
                    depth,
                    value_next: false,
                };
                let value = visitor.visit_map(&mut fields)?;
                fields.skip_rest()?;
                Ok(value)
            }
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        match self.tag {
            BOOL => visitor.visit_bool(self.reader.boolean()?),
            _ => Err(mismatch()),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        self.integer(visitor)
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        self.integer(visitor)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        self.integer(visitor)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        self.integer(visitor)
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        self.integer(visitor)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        self.integer(visitor)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        self.integer(visitor)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        self.integer(visitor)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        self.float(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        self.float(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        match self.tag {
            STR => visitor.visit_borrowed_str(self.reader.str()?),
            _ => Err(mismatch()),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        self.text(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        self.text(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        self.text(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        match self.tag {
            LIST => self.list(visitor),
            _ => self.text(visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        if self.tag == UNIT {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        match self.tag {
            UNIT => visitor.visit_unit(),
            _ => Err(mismatch()),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Fault> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Fault> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        match self.tag {
            LIST => self.list(visitor),
            // A `Vec<u8>` written as bytes reads back as a sequence of `u8`.
            BYTES => {
                let bytes = self.reader.bytes()?;
                visitor.visit_seq(SeqDeserializer::new(bytes.iter().copied()))
            }
            _ => Err(mismatch()),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Fault> {
        match self.tag {
            LIST => self.list(visitor),
            _ => Err(mismatch()),
        }
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Fault> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        match self.tag {
            RECORD => self.record(visitor),
            _ => Err(mismatch()),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Fault> {
        match self.tag {
            RECORD => self.record(visitor),
            // A derived struct also reads its fields in order from a list.
            LIST => self.list(visitor),
            _ => Err(mismatch()),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Fault> {
        match self.tag {
            STR => visitor.visit_enum(BorrowedStrDeserializer::new(self.reader.str()?)),
            RECORD => {
                let depth = self.depth + 1;
                if self.reader.open(depth)? != 1 {
                    return Err(Fault::Misfit);
                }
                let name = self.reader.str()?;
                visitor.visit_enum(Variant {
                    reader: self.reader,
                    name,
                    depth,
                })
            }
            _ => Err(Fault::Misfit),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        self.reader.skip(self.tag, self.depth)?;
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i128 u128
    }
}

/// A one-field record read as the enum variant its key names.
struct Variant<'r, 'de, 'l> {
    reader: &'r mut Reader<'de, 'l>,
    name: &'de str,
    depth: usize,
}

impl<'r, 'de, 'l> EnumAccess<'de> for Variant<'r, 'de, 'l> {
    type Error = Fault;
    type Variant = Payload<'r, 'de, 'l>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Payload<'r, 'de, 'l>), Fault> {
        let name = seed.deserialize(BorrowedStrDeserializer::<Fault>::new(self.name))?;
        Ok((
            name,
            Payload {
                reader: self.reader,
                depth: self.depth,
            },
        ))
    }
}

/// The payload of a variant: the value of the record's one field, at `depth`.
struct Payload<'r, 'de, 'l> {
    reader: &'r mut Reader<'de, 'l>,
    depth: usize,
}

impl<'r, 'de, 'l> Payload<'r, 'de, 'l> {
    fn value(self) -> Result<Value<'r, 'de, 'l>, Fault> {
        let tag = self.reader.tag()?;
        Ok(Value {
            reader: self.reader,
            tag,
            depth: self.depth,
        })
    }
}

impl<'de> VariantAccess<'de> for Payload<'_, 'de, '_> {
    type Error = Fault;

    fn unit_variant(self) -> Result<(), Fault> {
        match self.value()?.tag {
            UNIT => Ok(()),
            _ => Err(de::Error::custom("a unit variant's payload is unit")),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Fault> {
        seed.deserialize(self.value()?)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Fault> {
        self.value()?.deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Fault> {
        self.value()?.deserialize_map(visitor)
    }
}

#[cfg(test)]
mod tests {
    use alloc::{collections::BTreeMap, format, string::String, vec, vec::Vec};

    use crate::{Record, Value as V};
    use proptest::prelude::*;
    use serde::Deserialize;

    use super::*;
    use crate::{from_record, typed::tests::LIMITS};

    #[derive(Debug, PartialEq, Deserialize)]
    enum Kind {
        Off,
        Level(i32),
        Pair(u8, bool),
        Window { from: u16, to: u16 },
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Mixed {
        #[serde(default)]
        a: Option<i64>,
        #[serde(default)]
        b: Vec<u8>,
        #[serde(default)]
        c: f64,
        #[serde(default)]
        d: Vec<String>,
        #[serde(default)]
        e: Option<Kind>,
        #[serde(default)]
        f: Option<[f32; 2]>,
        #[serde(default)]
        g: BTreeMap<String, u32>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Strict {
        a: u8,
        b: String,
    }

    #[derive(Debug, Default, PartialEq, Deserialize)]
    struct Nothing;

    #[derive(Debug, Default, PartialEq, Deserialize)]
    struct Named(String);

    /// A field of each kind a type may ask for, under the keys random records use.
    #[derive(Debug, PartialEq, Deserialize)]
    struct Kinds {
        #[serde(default)]
        a: bool,
        #[serde(default)]
        b: i8,
        #[serde(default)]
        c: u16,
        #[serde(default)]
        d: f32,
        #[serde(default)]
        e: Option<char>,
        #[serde(default)]
        f: (u8, bool),
        #[serde(default)]
        g: Nothing,
        #[serde(default)]
        from: Named,
        #[serde(default)]
        to: Vec<u8>,
        #[serde(default, rename = "Level")]
        level: Option<Strict>,
        #[serde(default, rename = "Pair")]
        pair: Option<(i64, f64)>,
        #[serde(default, rename = "Window")]
        window: Option<BTreeMap<String, ()>>,
    }

    /// Both decoders on `bytes` as a `T`: the record decoder's result must be the in-place
    /// decoder's whenever it succeeds; otherwise the in-place one must fail too, unless the
    /// record decoder only objected to a duplicate key.
    fn agree<T: serde::de::DeserializeOwned + core::fmt::Debug>(bytes: &[u8]) {
        let in_place = from_bytes::<T>(bytes, &LIMITS);
        match Record::decode(bytes, &LIMITS) {
            Ok(record) => match from_record::<T>(&record) {
                Ok(expected) => assert_same(&in_place, &Ok(expected), &record),
                Err(_) => assert!(in_place.is_err(), "{record}: {in_place:?}"),
            },
            Err(RecordError::DuplicateKey) => {}
            Err(_) => assert!(in_place.is_err(), "{bytes:02x?}: {in_place:?}"),
        }
    }

    /// `PartialEq` with a damaged byte can make a NaN, which is not equal to itself: two
    /// decodings agree when they print the same (`Debug` of a float is exact, and every NaN
    /// prints as `NaN`).
    fn assert_same<T: core::fmt::Debug>(left: &T, right: &T, on: &dyn core::fmt::Display) {
        let (left, right) = (format!("{left:?}"), format!("{right:?}"));
        assert_eq!(left, right, "{on}");
    }

    fn check_all(bytes: &[u8]) {
        assert_eq!(
            check(bytes, &LIMITS),
            from_bytes::<serde::de::IgnoredAny>(bytes, &LIMITS).map(drop)
        );
        assert_eq!(is_record(bytes, &LIMITS), check(bytes, &LIMITS).is_ok());
        assert_same(
            &read::<Mixed>(bytes, &LIMITS),
            &from_bytes::<Mixed>(bytes, &LIMITS).ok(),
            &format_args!("{bytes:02x?}"),
        );
        agree::<Kinds>(bytes);
        agree::<Mixed>(bytes);
        agree::<Strict>(bytes);
        agree::<()>(bytes);
        agree::<Option<Strict>>(bytes);
        agree::<BTreeMap<String, V>>(bytes);
    }

    fn key() -> impl Strategy<Value = String> {
        prop::sample::select(
            &[
                "a", "b", "c", "d", "e", "f", "g", "Off", "Level", "Pair", "Window", "from", "to",
            ][..],
        )
        .prop_map(String::from)
    }

    fn value() -> impl Strategy<Value = V> {
        let leaf = prop_oneof![
            Just(V::Unit),
            any::<bool>().prop_map(V::Bool),
            any::<i64>().prop_map(V::I64),
            any::<u64>().prop_map(V::U64),
            (-1e6f32..1e6).prop_map(V::F32),
            (-1e9f64..1e9).prop_map(V::F64),
            prop::collection::vec(any::<u8>(), 0..4).prop_map(V::Bytes),
            key().prop_map(V::Str),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(V::List),
                prop::collection::vec((key(), inner), 0..4).prop_map(|fields| {
                    V::Record(
                        fields
                            .into_iter()
                            .fold(Record::new(), |r, (k, v)| r.with(k, v)),
                    )
                }),
            ]
        })
    }

    fn record() -> impl Strategy<Value = Record> {
        prop::collection::vec((key(), value()), 0..6).prop_map(|fields| {
            fields
                .into_iter()
                .fold(Record::new(), |r, (k, v)| r.with(k, v))
        })
    }

    /// Records that are valid `Mixed` values, with unknown fields of any shape among them.
    fn mixed_record() -> impl Strategy<Value = Record> {
        let kind = prop_oneof![
            Just(V::Str("Off".into())),
            any::<i32>().prop_map(|n| V::Record(Record::new().with("Level", n))),
            (any::<u8>(), any::<bool>()).prop_map(|(n, b)| {
                V::Record(Record::new().with("Pair", V::List(vec![V::from(n), V::Bool(b)])))
            }),
            (any::<u16>(), any::<u16>()).prop_map(|(from, to)| {
                let window = Record::new().with("from", from).with("to", to);
                V::Record(Record::new().with("Window", window))
            }),
        ];
        (
            prop::option::of(any::<i64>()),
            prop::collection::vec(any::<u8>(), 0..8),
            -1e9f64..1e9,
            prop::collection::vec(key(), 0..4),
            prop::option::of(kind),
            prop::option::of((-1e6f32..1e6, -1e6f32..1e6)),
            prop::collection::vec((key(), any::<u32>()), 0..4),
            prop::collection::vec(("[x-z]", value()), 0..3),
        )
            .prop_map(|(a, b, c, d, e, f, g, unknown)| {
                let g = g.into_iter().fold(Record::new(), |r, (k, v)| r.with(k, v));
                let record = Record::new()
                    .with("a", a.map_or(V::Unit, V::I64))
                    .with("b", V::Bytes(b))
                    .with("c", c)
                    .with("d", V::List(d.into_iter().map(V::Str).collect()))
                    .with("e", e.unwrap_or(V::Unit))
                    .with(
                        "f",
                        f.map_or(V::Unit, |(x, y)| V::List(vec![V::F32(x), V::F32(y)])),
                    )
                    .with("g", g);
                unknown.into_iter().fold(record, |r, (k, v)| r.with(k, v))
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Valid `Mixed` records (unknown fields skipped) decode to the same value both ways.
        #[test]
        fn typed_values_decode_the_same(record in mixed_record()) {
            let bytes = record.encode(&LIMITS).unwrap();
            let expected = from_record::<Mixed>(&record).unwrap();
            prop_assert_eq!(from_bytes::<Mixed>(&bytes, &LIMITS), Ok(expected));
            check_all(&bytes);
        }

        /// On every record the record codec writes, both decoders give the same value.
        #[test]
        fn agrees_with_the_record_decoder(record in record()) {
            check_all(&record.encode(&LIMITS).unwrap());
        }

        /// With one byte changed, they still agree (and the in-place decoder never panics).
        #[test]
        fn agrees_on_damaged_bytes(
            record in prop_oneof![record(), mixed_record()],
            at in any::<prop::sample::Index>(),
            byte in any::<u8>(),
        ) {
            let mut bytes = record.encode(&LIMITS).unwrap();
            let at = at.index(bytes.len());
            bytes[at] = byte;
            check_all(&bytes);
            check_all(&bytes[..at]);
        }
    }

    #[test]
    fn what_the_type_ignores_costs_nothing_and_limits_still_hold() {
        // 450 units in 7 lists: about 7 KiB as a `Record`, skipped in place.
        let wide = (0..7u8).fold(Record::new(), |r, i| {
            r.with(String::from(char::from(b'h' + i)), vec![V::Unit; 64])
        });
        let bytes = wide
            .clone()
            .with("a", 3u8)
            .with("b", "x")
            .encode(&LIMITS)
            .unwrap();
        assert_eq!(
            from_bytes::<Strict>(&bytes, &LIMITS),
            Ok(Strict {
                a: 3,
                b: "x".into()
            })
        );
        let mut deep = Record::new().with("x", 1u8);
        for _ in 0..LIMITS.max_depth {
            deep = Record::new().with("z", deep);
        }
        let bytes = deep.encode(&crate::Limits {
            max_depth: 16,
            ..LIMITS
        });
        assert_eq!(
            from_bytes::<Mixed>(&bytes.unwrap(), &LIMITS),
            Err(CodecError::Record(RecordError::TooDeep { max: 8 }))
        );
        assert_eq!(
            from_bytes::<()>(&[0, 0], &LIMITS),
            Err(CodecError::Record(RecordError::TrailingBytes))
        );
        assert_eq!(
            from_bytes::<()>(&[0x80, 0x00], &LIMITS),
            Err(CodecError::Record(RecordError::BadVarint)),
            "an overlong varint"
        );
    }
}
