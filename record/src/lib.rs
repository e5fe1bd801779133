//! Messages: the typed key-value [`Record`], its postcard wire format and its size limits.
//!
//! A record is an ordered list of `(key, value)` fields; a [`Value`] is a unit, a bool, a
//! 64-bit integer, a float, bytes, a string, or a nested list or record. Native components
//! pass records by value through the router (ownership moves, nothing is copied); at a WASM
//! boundary a record crosses as postcard bytes ([`Record::encode`], [`Record::decode`]).
//! Plain Rust structs map to records through serde ([`to_record`], [`from_record`]) on the
//! native side, and through [`Message`] (a derive with small non-generic code: [`message`])
//! inside WASM modules; the two mappings are the same, held equal by proptests.
//!
//! Bytes from a guest can also be read without decoding them: [`RecordView::new`] validates
//! them once, in place, and reads fields straight out of them, with no allocation.
//!
//! # Wire format
//!
//! postcard's encoding of the serde data model of [`Record`] (so `postcard` reads and writes
//! it as is), produced and parsed here by hand-written code on the hot path (no serde there);
//! serde's postcard decoder is kept as the reference the tests hold both to. A record is `varint(n)` then `n` fields of `key: str, value`; a value
//! is `varint(tag)` then its payload:
//!
//! | tag | value | payload |
//! | --- | --- | --- |
//! | 0 | `Unit` | — |
//! | 1 | `Bool` | 1 byte, 0 or 1 |
//! | 2 | `I64` | zigzag varint |
//! | 3 | `U64` | varint |
//! | 4 | `F32` | 4 bytes, little-endian |
//! | 5 | `F64` | 8 bytes, little-endian |
//! | 6 | `Bytes` | `varint(len)`, bytes |
//! | 7 | `Str` | `varint(len)`, UTF-8 |
//! | 8 | `List` | `varint(n)`, `n` values |
//! | 9 | `Record` | a record, as above |
//!
//! # Limits
//!
//! [`Limits`] bound the encoded size, the nesting depth and the items in one list or record.
//! The router checks every message against them before delivery (a native record is
//! [`measured`](Record::measure), not encoded), and decoding checks them as it goes: bytes from
//! a guest are untrusted, so a malformed, oversized or too-deep message is a [`RecordError`],
//! never a panic, a deep recursion or a large allocation.
//!
//! This crate is the one codec on both sides of the WASM boundary: the router uses it for
//! native components, and `services-sdk` / `guests-sdk` compile it into modules, so a guest's
//! bytes and the router's decoder can never disagree.
#![no_std]
// One module reads shapes through raw pointers (`message::flat`, `#[repr(C)]` for modules).
#![deny(unsafe_code)]
#![warn(missing_docs)]
// Cold code compiled for size in the firmware (`--cfg fireball_size_hints`, which only the
// cross build passes, with a toolchain that has the attribute).
#![cfg_attr(fireball_size_hints, feature(optimize_attribute))]

extern crate alloc;
// `#[derive(Message)]` names its paths `::fireball_record::…`, here too.
extern crate self as fireball_record;

mod map;
pub mod message;
#[doc(hidden)]
pub mod postcard_serde;
pub mod system;
pub mod typed;
mod view;

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

pub use map::{MapError, from_record, from_value, to_record, to_value};
pub use view::{FieldsIter, ItemsIter, ListView, RecordView, ValueView};

pub use message::{Encode, Message};

/// One value in a record.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Nothing (`()`, `None`).
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
    /// Raw bytes.
    Bytes(Vec<u8>),
    /// A UTF-8 string.
    Str(String),
    /// A list of values.
    List(Vec<Value>),
    /// A nested record.
    Record(Record),
}

/// A field name: borrowed when it is a `&'static str` (struct field names, literals in code —
/// no allocation), owned when it came off the wire or was built at run time.
pub type Key = Cow<'static, str>;

/// A typed key-value message. Field order is kept (it is part of the encoding); keys are
/// unique ([`Record::insert`] replaces, decoding refuses duplicates).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    fields: Vec<(Key, Value)>,
}

impl Record {
    /// An empty record (encodes as one byte).
    pub const fn new() -> Self {
        Self { fields: Vec::new() }
    }

    /// Builder form of [`Record::insert`].
    #[must_use]
    pub fn with(mut self, key: impl Into<Key>, value: impl Into<Value>) -> Self {
        self.insert(key, value);
        self
    }

    /// Sets `key` to `value`, replacing an earlier value in place; returns the old one.
    pub fn insert(&mut self, key: impl Into<Key>, value: impl Into<Value>) -> Option<Value> {
        let key = key.into();
        let value = value.into();
        match self.fields.iter_mut().find(|(k, _)| same_key(k, &key)) {
            Some((_, slot)) => Some(core::mem::replace(slot, value)),
            None => {
                self.fields.push((key, value));
                None
            }
        }
    }

    /// Removes `key`; returns its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let at = self.fields.iter().position(|(k, _)| same_key(k, key))?;
        Some(self.fields.remove(at).1)
    }

    /// Removes every field, keeping the memory that held them: a record reused for the next
    /// message (a reply written into the request's record, a caller's next request into the
    /// last reply) costs no allocation.
    pub fn clear(&mut self) {
        self.fields.clear();
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields
            .iter()
            .find(|(k, _)| same_key(k, key))
            .map(|(_, v)| v)
    }

    /// `key` as a signed integer (either integer type, if it fits).
    pub fn int(&self, key: &str) -> Option<i64> {
        match self.get(key)? {
            Value::I64(v) => Some(*v),
            Value::U64(v) => i64::try_from(*v).ok(),
            _ => None,
        }
    }

    /// `key` as an unsigned integer (either integer type, if it fits).
    pub fn uint(&self, key: &str) -> Option<u64> {
        match self.get(key)? {
            Value::U64(v) => Some(*v),
            Value::I64(v) => u64::try_from(*v).ok(),
            _ => None,
        }
    }

    /// `key` as a float (either float type).
    pub fn float(&self, key: &str) -> Option<f64> {
        match self.get(key)? {
            Value::F64(v) => Some(*v),
            Value::F32(v) => Some(f64::from(*v)),
            _ => None,
        }
    }

    /// `key` as a bool.
    pub fn bool(&self, key: &str) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(v) => Some(*v),
            _ => None,
        }
    }

    /// `key` as a string.
    pub fn str(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            Value::Str(v) => Some(v),
            _ => None,
        }
    }

    /// `key` as bytes.
    pub fn bytes(&self, key: &str) -> Option<&[u8]> {
        match self.get(key)? {
            Value::Bytes(v) => Some(v),
            _ => None,
        }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The fields, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.fields.iter().map(|(k, v)| (&**k, v))
    }

    /// Size, depth and widest container, computed without encoding.
    pub fn measure(&self) -> Shape {
        let mut shape = Shape {
            bytes: 0,
            depth: 0,
            items: 0,
        };
        shape.bytes = measure_record(self, 1, &mut shape);
        shape
    }

    /// Checks the record against `limits`; returns its encoded size.
    pub fn check(&self, limits: &Limits) -> Result<usize, RecordError> {
        // A flat record within the limits (the usual message): one pass, no recursion.
        if let Some(bytes) = self.flat_len()
            && limits.max_depth >= 1
            && self.fields.len() <= limits.max_items
            && bytes <= limits.max_bytes
        {
            return Ok(bytes);
        }
        let shape = self.measure();
        if shape.depth > limits.max_depth {
            return Err(RecordError::TooDeep {
                max: clamp(limits.max_depth),
            });
        }
        if shape.items > limits.max_items {
            return Err(RecordError::TooManyItems {
                max: clamp(limits.max_items),
            });
        }
        if shape.bytes > limits.max_bytes {
            return Err(RecordError::TooLarge {
                bytes: clamp(shape.bytes),
                max: clamp(limits.max_bytes),
            });
        }
        Ok(shape.bytes)
    }

    /// Encodes into a new buffer, refusing what a receiver with `limits` would refuse.
    pub fn encode(&self, limits: &Limits) -> Result<Vec<u8>, RecordError> {
        let len = self.check(limits)?;
        let mut buf = alloc::vec![0; len];
        let used = self.encode_into(&mut buf)?.len();
        debug_assert_eq!(used, len);
        Ok(buf)
    }

    /// Encodes into `buf` (no allocation); returns the part written. A buffer too small is
    /// [`RecordError::TooLarge`]. Limits are not checked: see [`Record::check`].
    pub fn encode_into<'b>(&self, buf: &'b mut [u8]) -> Result<&'b mut [u8], RecordError> {
        match view::encode_into(self, buf) {
            Some(len) => Ok(&mut buf[..len]),
            None => Err(RecordError::TooLarge {
                bytes: clamp(self.measure().bytes),
                max: clamp(buf.len()),
            }),
        }
    }

    /// Decodes untrusted bytes, checking `limits` as it goes. To read a few fields without
    /// copying anything, use [`RecordView::new`] instead.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Record, RecordError> {
        view::decode(bytes, limits)
    }
}

/// Key equality: keys are short, and a byte loop beats a call to `memcmp` for them.
#[inline]
fn same_key(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

impl Record {
    /// The encoded size of a record whose values are all scalars; `None` if one is a list
    /// or a record.
    #[inline]
    fn flat_len(&self) -> Option<usize> {
        let mut bytes = varint_len(self.fields.len() as u64);
        for (key, value) in &self.fields {
            bytes += varint_len(key.len() as u64)
                + key.len()
                + 1
                + match value {
                    Value::Unit => 0,
                    Value::Bool(_) => 1,
                    Value::I64(v) => varint_len(zigzag(*v)),
                    Value::U64(v) => varint_len(*v),
                    Value::F32(_) => 4,
                    Value::F64(_) => 8,
                    Value::Bytes(b) => varint_len(b.len() as u64) + b.len(),
                    Value::Str(s) => varint_len(s.len() as u64) + s.len(),
                    Value::List(_) | Value::Record(_) => return None,
                };
        }
        Some(bytes)
    }
}

fn clamp(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// What [`Record::measure`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// The postcard-encoded size in bytes.
    pub bytes: usize,
    /// Nesting depth: 1 for a flat record, +1 per nested list or record.
    pub depth: usize,
    /// The most items (fields or elements) in any one record or list.
    pub items: usize,
}

const fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

const fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn measure_record(record: &Record, depth: usize, shape: &mut Shape) -> usize {
    shape.depth = shape.depth.max(depth);
    shape.items = shape.items.max(record.fields.len());
    let mut bytes = varint_len(record.fields.len() as u64);
    for (key, value) in &record.fields {
        bytes += varint_len(key.len() as u64) + key.len() + measure_value(value, depth, shape);
    }
    bytes
}

fn measure_value(value: &Value, depth: usize, shape: &mut Shape) -> usize {
    // Every tag is below 128: one byte.
    1 + match value {
        Value::Unit => 0,
        Value::Bool(_) => 1,
        Value::I64(v) => varint_len(zigzag(*v)),
        Value::U64(v) => varint_len(*v),
        Value::F32(_) => 4,
        Value::F64(_) => 8,
        Value::Bytes(b) => varint_len(b.len() as u64) + b.len(),
        Value::Str(s) => varint_len(s.len() as u64) + s.len(),
        Value::List(items) => {
            shape.depth = shape.depth.max(depth + 1);
            shape.items = shape.items.max(items.len());
            varint_len(items.len() as u64)
                + items
                    .iter()
                    .map(|v| measure_value(v, depth + 1, shape))
                    .sum::<usize>()
        }
        Value::Record(r) => measure_record(r, depth + 1, shape),
    }
}

/// Bounds on one message. The router applies one set to every message it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most encoded bytes.
    pub max_bytes: usize,
    /// Most nesting: 1 allows only a flat record.
    pub max_depth: usize,
    /// Most fields in one record, or elements in one list.
    pub max_items: usize,
}

impl Limits {
    /// 512 bytes, depth 8, 64 items: sized for a 4 KB subsystem partition (seed: router
    /// buffers ≈ 1 KB).
    pub const DEFAULT: Limits = Limits {
        max_bytes: 512,
        max_depth: 8,
        max_items: 64,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Why a record was refused. The sender (or whoever produced the bytes) is at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordError {
    /// Larger than allowed (or than the buffer given).
    TooLarge {
        /// Its size in bytes (encoded, or of the input).
        bytes: u32,
        /// The limit.
        max: u32,
    },
    /// Nested deeper than allowed.
    TooDeep {
        /// The limit.
        max: u32,
    },
    /// A record or list with more items than allowed.
    TooManyItems {
        /// The limit.
        max: u32,
    },
    /// A key appears twice in one record.
    DuplicateKey,
    /// The bytes end in the middle of a value.
    Truncated,
    /// A malformed varint (too long, overflowing its type, or not in its shortest form).
    BadVarint,
    /// A string or key that is not UTF-8.
    BadUtf8,
    /// A value tag outside 0..=9, or a bool byte other than 0 or 1.
    BadTag,
    /// Bytes left over after the record.
    TrailingBytes,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { bytes, max } => write!(f, "too large ({bytes} > {max} bytes)"),
            Self::TooDeep { max } => write!(f, "nested deeper than {max}"),
            Self::TooManyItems { max } => write!(f, "more than {max} items in one container"),
            Self::DuplicateKey => f.write_str("duplicate key"),
            Self::Truncated => f.write_str("truncated"),
            Self::BadVarint => f.write_str("malformed varint"),
            Self::BadUtf8 => f.write_str("string is not UTF-8"),
            Self::BadTag => f.write_str("unknown value tag"),
            Self::TrailingBytes => f.write_str("bytes after the record"),
        }
    }
}

macro_rules! from_int {
    ($variant:ident as $wide:ty: $($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Value::$variant(<$wide>::from(v))
            }
        }
    )*};
}

from_int!(I64 as i64: i8, i16, i32, i64);
from_int!(U64 as u64: u8, u16, u32, u64);

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Value::F32(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::F64(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.into())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(v)
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Bytes(v.into())
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::List(v)
    }
}

impl From<Record> for Value {
    fn from(v: Record) -> Self {
        Value::Record(v)
    }
}

impl From<()> for Value {
    fn from((): ()) -> Self {
        Value::Unit
    }
}

impl fmt::Display for Value {
    /// A compact, deterministic text form (used by the trace).
    #[cfg_attr(fireball_size_hints, optimize(size))]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Unit => f.write_str("()"),
            Value::Bool(v) => write!(f, "{v}"),
            Value::I64(v) => write!(f, "{v}"),
            Value::U64(v) => write!(f, "{v}u"),
            Value::F32(v) => write!(f, "{v:?}f32"),
            Value::F64(v) => write!(f, "{v:?}"),
            Value::Bytes(b) => {
                f.write_str("0x")?;
                b.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
            }
            Value::Str(s) => write!(f, "{s:?}"),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Record(r) => write!(f, "{r}"),
        }
    }
}

impl fmt::Display for Record {
    /// `{key: value, …}`, in field order.
    #[cfg_attr(fireball_size_hints, optimize(size))]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (key, value)) in self.fields.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{key}: {value}")?;
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests;
