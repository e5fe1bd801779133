//! Records read in place: [`RecordView`] validates untrusted wire bytes once and then reads
//! fields straight out of them, with no allocation. The owned decoder ([`Record::decode`]) is
//! the same parser followed by a copy into a [`Record`]; the encoder writes the same bytes
//! without going through serde.
//!
//! Validation is as strict as the format (see the [crate docs](crate)): shortest-form varints
//! (so every message has exactly one encoding and its size is exact), tags in range, bool
//! bytes 0 or 1, UTF-8 keys and strings, no duplicate key in a record, no trailing bytes, and
//! the [`Limits`]' size, depth and width. A refusal is a [`RecordError`], never a panic; the
//! parser recurses once per nesting level, and the depth is bounded before it recurses.

use alloc::vec::Vec;

use crate::{Limits, Record, RecordError, Value, clamp};

const UNIT: u8 = 0;
const BOOL: u8 = 1;
const I64: u8 = 2;
const U64: u8 = 3;
const F32: u8 = 4;
const F64: u8 = 5;
const BYTES: u8 = 6;
const STR: u8 = 7;
const LIST: u8 = 8;
const RECORD: u8 = 9;

/// A validated record over its wire bytes: read fields without decoding the rest.
#[derive(Clone, Copy, PartialEq)]
pub struct RecordView<'a> {
    /// The fields' bytes (after the count), through the end of the record.
    fields: &'a [u8],
    count: usize,
}

/// A validated list over its wire bytes.
#[derive(Clone, Copy, PartialEq)]
pub struct ListView<'a> {
    items: &'a [u8],
    count: usize,
}

/// One value read in place.
#[derive(Clone, Copy, PartialEq)]
pub enum ValueView<'a> {
    /// Nothing.
    Unit,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    I64(i64),
    /// An unsigned integer.
    U64(u64),
    /// A single-precision float.
    F32(f32),
    /// A double-precision float.
    F64(f64),
    /// Raw bytes, borrowed.
    Bytes(&'a [u8]),
    /// A string, borrowed.
    Str(&'a str),
    /// A nested list.
    List(ListView<'a>),
    /// A nested record.
    Record(RecordView<'a>),
}

impl<'a> RecordView<'a> {
    /// Validates `bytes` as one whole record within `limits`.
    pub fn new(bytes: &'a [u8], limits: &Limits) -> Result<Self, RecordError> {
        if bytes.len() > limits.max_bytes {
            return Err(RecordError::TooLarge {
                bytes: clamp(bytes.len()),
                max: clamp(limits.max_bytes),
            });
        }
        let mut parser = Parser {
            bytes,
            pos: 0,
            limits,
        };
        let view = parser.record(1)?;
        if parser.pos != bytes.len() {
            return Err(RecordError::TrailingBytes);
        }
        Ok(view)
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The fields, in order.
    pub fn iter(&self) -> FieldsIter<'a> {
        FieldsIter {
            reader: Trusted {
                bytes: self.fields,
                pos: 0,
            },
            left: self.count,
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<ValueView<'a>> {
        let mut reader = Trusted {
            bytes: self.fields,
            pos: 0,
        };
        let key = key.as_bytes();
        for _ in 0..self.count {
            let k = reader.raw_text();
            if k.len() == key.len() && same(k, key) {
                return Some(reader.value());
            }
            reader.skip_value();
        }
        None
    }

    /// `key` as a signed integer (either integer type, if it fits).
    pub fn int(&self, key: &str) -> Option<i64> {
        match self.get(key)? {
            ValueView::I64(v) => Some(v),
            ValueView::U64(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }

    /// `key` as an unsigned integer (either integer type, if it fits).
    pub fn uint(&self, key: &str) -> Option<u64> {
        match self.get(key)? {
            ValueView::U64(v) => Some(v),
            ValueView::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// `key` as a float (either float type).
    pub fn float(&self, key: &str) -> Option<f64> {
        match self.get(key)? {
            ValueView::F64(v) => Some(v),
            ValueView::F32(v) => Some(f64::from(v)),
            _ => None,
        }
    }

    /// `key` as a bool.
    pub fn bool(&self, key: &str) -> Option<bool> {
        match self.get(key)? {
            ValueView::Bool(v) => Some(v),
            _ => None,
        }
    }

    /// `key` as a string.
    pub fn str(&self, key: &str) -> Option<&'a str> {
        match self.get(key)? {
            ValueView::Str(v) => Some(v),
            _ => None,
        }
    }

    /// `key` as bytes.
    pub fn bytes(&self, key: &str) -> Option<&'a [u8]> {
        match self.get(key)? {
            ValueView::Bytes(v) => Some(v),
            _ => None,
        }
    }

    /// An owned copy.
    pub fn to_record(&self) -> Record {
        let mut fields = Vec::with_capacity(self.count);
        for (key, value) in self.iter() {
            fields.push((alloc::string::String::from(key).into(), value.to_value()));
        }
        Record { fields }
    }
}

impl<'a> ListView<'a> {
    /// Number of items.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The items, in order.
    pub fn iter(&self) -> ItemsIter<'a> {
        ItemsIter {
            reader: Trusted {
                bytes: self.items,
                pos: 0,
            },
            left: self.count,
        }
    }
}

impl ValueView<'_> {
    /// An owned copy.
    pub fn to_value(&self) -> Value {
        match *self {
            ValueView::Unit => Value::Unit,
            ValueView::Bool(v) => Value::Bool(v),
            ValueView::I64(v) => Value::I64(v),
            ValueView::U64(v) => Value::U64(v),
            ValueView::F32(v) => Value::F32(v),
            ValueView::F64(v) => Value::F64(v),
            ValueView::Bytes(v) => Value::Bytes(v.into()),
            ValueView::Str(v) => Value::Str(v.into()),
            ValueView::List(list) => {
                let mut items = Vec::with_capacity(list.count);
                items.extend(list.iter().map(|item| item.to_value()));
                Value::List(items)
            }
            ValueView::Record(record) => Value::Record(record.to_record()),
        }
    }
}

/// The fields of a [`RecordView`].
pub struct FieldsIter<'a> {
    reader: Trusted<'a>,
    left: usize,
}

impl<'a> Iterator for FieldsIter<'a> {
    type Item = (&'a str, ValueView<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let key = self.reader.text();
        Some((key, self.reader.value()))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for FieldsIter<'_> {}

/// The items of a [`ListView`].
pub struct ItemsIter<'a> {
    reader: Trusted<'a>,
    left: usize,
}

impl<'a> Iterator for ItemsIter<'a> {
    type Item = ValueView<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        Some(self.reader.value())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for ItemsIter<'_> {}

impl core::fmt::Debug for RecordView<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl core::fmt::Debug for ListView<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl core::fmt::Debug for ValueView<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ValueView::Unit => f.write_str("Unit"),
            ValueView::Bool(v) => write!(f, "Bool({v})"),
            ValueView::I64(v) => write!(f, "I64({v})"),
            ValueView::U64(v) => write!(f, "U64({v})"),
            ValueView::F32(v) => write!(f, "F32({v:?})"),
            ValueView::F64(v) => write!(f, "F64({v:?})"),
            ValueView::Bytes(v) => write!(f, "Bytes({v:?})"),
            ValueView::Str(v) => write!(f, "Str({v:?})"),
            ValueView::List(v) => write!(f, "List({v:?})"),
            ValueView::Record(v) => write!(f, "Record({v:?})"),
        }
    }
}

/// Keys remembered per record for the duplicate check without allocating (as 16-bit
/// offsets, in a message under 64 KiB); a wider record rescans its earlier keys.
const REMEMBERED_KEYS: usize = 8;

/// The validating parser.
struct Parser<'a, 'l> {
    bytes: &'a [u8],
    pos: usize,
    limits: &'l Limits,
}

impl<'a> Parser<'a, '_> {
    #[inline]
    fn byte(&mut self) -> Result<u8, RecordError> {
        let b = *self.bytes.get(self.pos).ok_or(RecordError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    #[inline]
    fn take(&mut self, n: usize) -> Result<&'a [u8], RecordError> {
        let end = self.pos.checked_add(n).ok_or(RecordError::Truncated)?;
        let taken = self
            .bytes
            .get(self.pos..end)
            .ok_or(RecordError::Truncated)?;
        self.pos = end;
        Ok(taken)
    }

    /// A shortest-form LEB128 `u64`: one byte inline (tags, lengths, small numbers), the
    /// rest out of line.
    #[inline(always)]
    fn varint(&mut self) -> Result<u64, RecordError> {
        match self.bytes.get(self.pos) {
            Some(&b) if b < 0x80 => {
                self.pos += 1;
                Ok(u64::from(b))
            }
            _ => self.long_varint(),
        }
    }

    #[inline(never)]
    fn long_varint(&mut self) -> Result<u64, RecordError> {
        let first = self.byte()?;
        if first < 0x80 {
            return Ok(u64::from(first));
        }
        let mut value = u64::from(first & 0x7f);
        let mut shift = 7;
        loop {
            let b = self.byte()?;
            if shift == 63 && b > 1 {
                return Err(RecordError::BadVarint);
            }
            value |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                // A last byte of 0 means a shorter form existed.
                return if b == 0 {
                    Err(RecordError::BadVarint)
                } else {
                    Ok(value)
                };
            }
            shift += 7;
            if shift > 63 {
                return Err(RecordError::BadVarint);
            }
        }
    }

    /// A length or count: a varint that must fit `usize`.
    #[inline(always)]
    fn length(&mut self) -> Result<usize, RecordError> {
        match self.bytes.get(self.pos) {
            Some(&b) if b < 0x80 => {
                self.pos += 1;
                Ok(usize::from(b))
            }
            _ => usize::try_from(self.long_varint()?).map_err(|_| RecordError::Truncated),
        }
    }

    /// Opens a container of `count` items at `depth`.
    #[inline]
    fn open(&self, depth: usize, count: usize) -> Result<(), RecordError> {
        if depth > self.limits.max_depth {
            return Err(RecordError::TooDeep {
                max: clamp(self.limits.max_depth),
            });
        }
        if count > self.limits.max_items {
            return Err(RecordError::TooManyItems {
                max: clamp(self.limits.max_items),
            });
        }
        Ok(())
    }

    /// A record (its count, then its fields) at `depth`.
    fn record(&mut self, depth: usize) -> Result<RecordView<'a>, RecordError> {
        let count = self.length()?;
        self.open(depth, count)?;
        let start = self.pos;
        // 16-bit offsets: remembered only in a message under 64 KiB.
        let remember = if self.bytes.len() <= usize::from(u16::MAX) {
            REMEMBERED_KEYS
        } else {
            0
        };
        let mut keys = [(0u16, 0u16); REMEMBERED_KEYS];
        for i in 0..count {
            let key_len = self.length()?;
            let key_at = self.pos;
            let key = self.take(key_len)?;
            if !is_utf8(key) {
                return Err(RecordError::BadUtf8);
            }
            let earlier = &keys[..i.min(remember)];
            let dup = earlier.iter().any(|&(at, len)| {
                usize::from(len) == key_len && same(&self.bytes[usize::from(at)..], key)
            });
            if dup || (i > remember && self.seen_beyond(start, remember, i, key)) {
                return Err(RecordError::DuplicateKey);
            }
            if i < remember {
                // Both fit: the key ends inside a message of at most `u16::MAX` bytes.
                keys[i] = (key_at as u16, key_len as u16);
            }
            self.value(depth)?;
        }
        Ok(RecordView {
            fields: &self.bytes[start..self.pos],
            count,
        })
    }

    /// Whether `key` is among the fields from the `from`-th to the `i`-th (not included) of
    /// the record whose fields start at `start` (already validated).
    #[cold]
    fn seen_beyond(&self, start: usize, from: usize, i: usize, key: &[u8]) -> bool {
        let mut reader = Trusted {
            bytes: &self.bytes[start..],
            pos: 0,
        };
        for n in 0..i {
            if reader.raw_text() == key && n >= from {
                return true;
            }
            reader.skip_value();
        }
        false
    }

    /// Validates a value held in a container at `depth`: scalars inline (the loop over a
    /// record's fields stays one function), lists and records out of line.
    #[inline(always)]
    fn value(&mut self, depth: usize) -> Result<(), RecordError> {
        // Every valid tag is one byte; a byte of 0x80 or more cannot start one.
        match self.byte()? {
            UNIT => {}
            BOOL => {
                if self.byte()? > 1 {
                    return Err(RecordError::BadTag);
                }
            }
            I64 | U64 => {
                self.varint()?;
            }
            F32 => {
                self.take(4)?;
            }
            F64 => {
                self.take(8)?;
            }
            BYTES => {
                let len = self.length()?;
                self.take(len)?;
            }
            STR => {
                let len = self.length()?;
                if !is_utf8(self.take(len)?) {
                    return Err(RecordError::BadUtf8);
                }
            }
            tag => self.container(tag, depth)?,
        }
        Ok(())
    }

    /// A list or a nested record (or a bad tag).
    #[inline(never)]
    fn container(&mut self, tag: u8, depth: usize) -> Result<(), RecordError> {
        match tag {
            LIST => {
                let count = self.length()?;
                self.open(depth + 1, count)?;
                for _ in 0..count {
                    self.value(depth + 1)?;
                }
                Ok(())
            }
            RECORD => self.record(depth + 1).map(|_| ()),
            _ => Err(RecordError::BadTag),
        }
    }
}

/// Whether `raw` is UTF-8: ASCII (every key and most strings) checked inline byte by byte,
/// the rest by `core::str::from_utf8`.
#[inline]
fn is_utf8(raw: &[u8]) -> bool {
    let mut words = raw.chunks_exact(4);
    let mut high = 0u32;
    for word in &mut words {
        high |= u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
    }
    for &b in words.remainder() {
        high |= u32::from(b);
    }
    high & 0x8080_8080 == 0 || core::str::from_utf8(raw).is_ok()
}

/// Whether `at` starts with `key` (short keys: a byte loop beats a `bcmp` call).
#[inline]
fn same(at: &[u8], key: &[u8]) -> bool {
    at.len() >= key.len() && at.iter().zip(key).all(|(a, b)| a == b)
}

#[inline]
fn unzigzag(raw: u64) -> i64 {
    ((raw >> 1) as i64) ^ -((raw & 1) as i64)
}

/// A reader over bytes the [`Parser`] already validated: it cannot fail, and where it
/// could (it never does) it reads zeros and empty strings instead of panicking.
struct Trusted<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Trusted<'a> {
    #[inline]
    fn byte(&mut self) -> u8 {
        let b = self.bytes.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    #[inline]
    fn take(&mut self, n: usize) -> &'a [u8] {
        let start = self.pos.min(self.bytes.len());
        let end = start.saturating_add(n).min(self.bytes.len());
        self.pos = start.saturating_add(n);
        &self.bytes[start..end]
    }

    #[inline]
    fn varint(&mut self) -> u64 {
        if let Some(&b) = self.bytes.get(self.pos)
            && b < 0x80
        {
            self.pos += 1;
            return u64::from(b);
        }
        let mut value = 0u64;
        let mut shift = 0u32;
        loop {
            let b = self.byte();
            if shift < 64 {
                value |= u64::from(b & 0x7f) << shift;
            }
            if b < 0x80 || self.pos >= self.bytes.len() {
                return value;
            }
            shift += 7;
        }
    }

    #[inline]
    fn raw_text(&mut self) -> &'a [u8] {
        let len = self.varint() as usize;
        self.take(len)
    }

    #[inline]
    fn text(&mut self) -> &'a str {
        core::str::from_utf8(self.raw_text()).unwrap_or("")
    }

    #[inline]
    fn skip_text(&mut self) {
        let len = self.varint() as usize;
        self.pos = self.pos.saturating_add(len);
    }

    fn value(&mut self) -> ValueView<'a> {
        match self.byte() {
            BOOL => ValueView::Bool(self.byte() == 1),
            I64 => ValueView::I64(unzigzag(self.varint())),
            U64 => ValueView::U64(self.varint()),
            F32 => {
                let mut le = [0u8; 4];
                le.copy_from_slice(self.take(4).get(..4).unwrap_or(&[0; 4]));
                ValueView::F32(f32::from_le_bytes(le))
            }
            F64 => {
                let mut le = [0u8; 8];
                le.copy_from_slice(self.take(8).get(..8).unwrap_or(&[0; 8]));
                ValueView::F64(f64::from_le_bytes(le))
            }
            BYTES => {
                let len = self.varint() as usize;
                ValueView::Bytes(self.take(len))
            }
            STR => ValueView::Str(self.text()),
            LIST => {
                let count = self.varint() as usize;
                let start = self.pos;
                for _ in 0..count {
                    self.skip_value();
                }
                ValueView::List(ListView {
                    items: self.slice_from(start),
                    count,
                })
            }
            RECORD => {
                let count = self.varint() as usize;
                let start = self.pos;
                for _ in 0..count {
                    self.skip_text();
                    self.skip_value();
                }
                ValueView::Record(RecordView {
                    fields: self.slice_from(start),
                    count,
                })
            }
            // UNIT, and nothing else after validation.
            _ => ValueView::Unit,
        }
    }

    fn slice_from(&self, start: usize) -> &'a [u8] {
        let end = self.pos.min(self.bytes.len());
        self.bytes.get(start.min(end)..end).unwrap_or(&[])
    }

    fn skip_value(&mut self) {
        match self.byte() {
            BOOL => self.pos += 1,
            I64 | U64 => {
                let _ = self.varint();
            }
            F32 => self.pos += 4,
            F64 => self.pos += 8,
            BYTES | STR => {
                let len = self.varint() as usize;
                self.pos = self.pos.saturating_add(len);
            }
            LIST => {
                for _ in 0..self.varint() {
                    self.skip_value();
                }
            }
            RECORD => {
                for _ in 0..self.varint() {
                    self.skip_text();
                    self.skip_value();
                }
            }
            _ => {}
        }
    }
}

// ----- Encoding ---------------------------------------------------------------------------

/// Writes into a buffer; `None` from [`encode_into`] when it is too small.
struct Out<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

impl Out<'_> {
    #[inline]
    fn byte(&mut self, b: u8) -> Option<()> {
        *self.buf.get_mut(self.pos)? = b;
        self.pos += 1;
        Some(())
    }

    #[inline(always)]
    fn varint(&mut self, v: u64) -> Option<()> {
        if v < 0x80 {
            return self.byte(v as u8);
        }
        self.long_varint(v)
    }

    #[inline(never)]
    fn long_varint(&mut self, mut v: u64) -> Option<()> {
        while v >= 0x80 {
            self.byte(v as u8 | 0x80)?;
            v >>= 7;
        }
        self.byte(v as u8)
    }

    #[inline]
    fn raw(&mut self, bytes: &[u8]) -> Option<()> {
        let end = self.pos.checked_add(bytes.len())?;
        let to = self.buf.get_mut(self.pos..end)?;
        copy(to, bytes);
        self.pos = end;
        Some(())
    }

    #[inline(always)]
    fn text(&mut self, bytes: &[u8]) -> Option<()> {
        self.varint(bytes.len() as u64)?;
        self.raw(bytes)
    }

    /// A key: under 128 bytes (always, in practice), its length and bytes behind one bounds
    /// check.
    #[inline(always)]
    fn key(&mut self, key: &[u8]) -> Option<()> {
        let n = key.len();
        if n >= 0x80 {
            return self.text(key);
        }
        let end = self.pos.checked_add(n + 1)?;
        let to = self.buf.get_mut(self.pos..end)?;
        to[0] = n as u8;
        copy(&mut to[1..], key);
        self.pos = end;
        Some(())
    }

    fn record(&mut self, record: &Record) -> Option<()> {
        self.varint(record.fields.len() as u64)?;
        for (key, value) in record.fields.iter() {
            self.key(key.as_bytes())?;
            self.value(value)?;
        }
        Some(())
    }

    /// Scalars inline (the loop over a record's fields stays one function), lists and
    /// records out of line.
    #[inline(always)]
    fn value(&mut self, value: &Value) -> Option<()> {
        match value {
            Value::Unit => self.byte(UNIT),
            Value::Bool(v) => {
                self.byte(BOOL)?;
                self.byte(u8::from(*v))
            }
            Value::I64(v) => {
                self.byte(I64)?;
                self.varint(crate::zigzag(*v))
            }
            Value::U64(v) => {
                self.byte(U64)?;
                self.varint(*v)
            }
            Value::F32(v) => {
                self.byte(F32)?;
                self.raw(&v.to_le_bytes())
            }
            Value::F64(v) => {
                self.byte(F64)?;
                self.raw(&v.to_le_bytes())
            }
            Value::Bytes(v) => {
                self.byte(BYTES)?;
                self.text(v)
            }
            Value::Str(v) => {
                self.byte(STR)?;
                self.text(v.as_bytes())
            }
            Value::List(_) | Value::Record(_) => self.container(value),
        }
    }

    #[inline(never)]
    fn container(&mut self, value: &Value) -> Option<()> {
        match value {
            Value::List(items) => {
                self.byte(LIST)?;
                self.varint(items.len() as u64)?;
                items.iter().try_for_each(|item| self.value(item))
            }
            Value::Record(r) => {
                self.byte(RECORD)?;
                self.record(r)
            }
            // Only lists and records come here.
            _ => None,
        }
    }
}

/// `to.copy_from_slice(from)` (equal lengths), without a `memcpy` call for the short
/// slices keys and scalars are: up to 16 bytes as at most four (overlapping) word copies.
#[inline(always)]
fn copy(to: &mut [u8], from: &[u8]) {
    let n = from.len();
    if n != to.len() {
        return;
    }
    let word = |at: usize| -> [u8; 4] { [from[at], from[at + 1], from[at + 2], from[at + 3]] };
    match n {
        0 => {}
        1..=3 => {
            to[0] = from[0];
            to[n / 2] = from[n / 2];
            to[n - 1] = from[n - 1];
        }
        4..=8 => {
            let (head, tail) = (word(0), word(n - 4));
            to[..4].copy_from_slice(&head);
            to[n - 4..].copy_from_slice(&tail);
        }
        9..=16 => {
            let (a, b, c, d) = (word(0), word(4), word(n - 8), word(n - 4));
            to[..4].copy_from_slice(&a);
            to[4..8].copy_from_slice(&b);
            to[n - 8..n - 4].copy_from_slice(&c);
            to[n - 4..].copy_from_slice(&d);
        }
        _ => to.copy_from_slice(from),
    }
}

/// `record`'s wire bytes into `buf`: their length, or `None` when `buf` is too small.
#[inline]
pub(crate) fn encode_into(record: &Record, buf: &mut [u8]) -> Option<usize> {
    let mut out = Out { buf, pos: 0 };
    out.record(record)?;
    Some(out.pos)
}

/// Decodes untrusted bytes into an owned record.
pub(crate) fn decode(bytes: &[u8], limits: &Limits) -> Result<Record, RecordError> {
    RecordView::new(bytes, limits).map(|view| view.to_record())
}
