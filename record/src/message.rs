//! Records as plain Rust structs without serde: [`Message`], its derive, and the small
//! non-generic [`Writer`] and [`Reader`] it compiles to.
//!
//! This is the mapping WASM modules use. serde's derived visitors are generic code per type
//! and per format, which in a module costs more than the logic of a small service; a
//! `#[derive(Message)]` instead emits a few lines per field that call one shared reader and
//! writer, and describes the type as data for [`flat`], which is how a module decodes: the
//! hypervisor reads the record into a flat block by the type's [`Shape`] and the module only
//! loads the values. The wire bytes are the same postcard record as everywhere (the table in the
//! [crate docs](crate)), and so is the mapping of Rust types: a struct is a record field by
//! field in declaration order, integers are `I64`/`U64`, `f32`/`f64` their floats, a
//! `String` is `Str`, an `Option` is `Unit` when `None`, a `Vec` or an array is a `List`, a
//! nested struct is a `Record`. A `Vec<u8>` marked `#[message(bytes)]` is `Bytes` (what
//! serde writes with `serialize_with = "as_bytes"`). A field marked `#[message(default)]` may
//! be missing (as serde's `#[serde(default)]`). Proptests in this crate hold the two mappings
//! equal for every message type the system defines.
//!
//! ```
//! use fireball_record::{Limits, Message, message};
//!
//! #[derive(Debug, PartialEq, Message)]
//! struct Filtered {
//!     channel: u8,
//!     raw: i32,
//!     filtered: f32,
//! }
//!
//! let sample = Filtered { channel: 2, raw: -40, filtered: 3.5 };
//! let mut buf = [0u8; 64];
//! let len = message::encode(&sample, &mut buf, &Limits::DEFAULT).unwrap();
//! assert_eq!(message::decode::<Filtered>(&buf[..len], &Limits::DEFAULT), Some(sample));
//! ```
//!
//! One difference from serde's reading, on purpose: a struct is read from a record only —
//! serde also takes a list, by position, which no encoder here ever writes for a struct.
//!
//! Decoding is as strict as the record decoder where it reads (shortest-form varints, tags,
//! the [`Limits`]' depth and width, UTF-8 of the strings it stores, no trailing bytes) and
//! skips what the type does not store, checking its structure as it goes. One leniency, by
//! design: the text of keys and strings it skips is not checked to be UTF-8. A module only
//! ever receives records the router re-encoded from checked ones, and a key the type knows
//! is UTF-8 as its name is; checking text nobody reads would cost every module a UTF-8
//! validator and every message its fuel. It allocates only what the value holds (a
//! `String`, a `Vec`), never by a length the bytes claim beyond what they carry. Every
//! refusal is `None`: a module answers them all alike (400), and the reason would cost
//! code.

use alloc::string::String;
use alloc::vec::Vec;

use crate::Limits;

pub use fireball_record_derive::{Encode, Message};

pub mod flat;

pub use flat::{FieldShape, Flat, Shape, Type, decode_flat};

use crate::typed::wire::{BOOL, BYTES, F32, F64, I64, LIST, STR, U64, UNIT};

/// The tag of a nested record (for the derive).
#[doc(hidden)]
pub const RECORD: u8 = crate::typed::wire::RECORD;

/// A type that encodes as a whole record: what is sent. Every [`Message`] is one; a struct
/// that only borrows what it sends (`data: &'a [u8]`, so that a module needs no heap to
/// send bytes) derives `Encode` alone, with `#[message(as = Owned)]` naming the message it
/// encodes as (see [`EncodesAs`]).
pub trait Encode {
    /// Write the record: its field count, then each key and value.
    fn write(&self, out: &mut Writer<'_>);
}

/// `Self` encodes as a `T` does, field for field: it may be sent where a `T` is expected
/// (`Client::send` with a route whose request is a `T`). Every type encodes as itself; a
/// borrowed twin declares it with `#[derive(Encode)] #[message(as = T)]`, and a test should
/// hold the two to the same bytes.
pub trait EncodesAs<T> {}

impl<T: Message> EncodesAs<T> for T {}

/// A type that is a whole record: a struct field by field, or `()` (the empty record).
///
/// Derive it (`#[derive(Message)]`) for structs with named fields; the derive also
/// implements [`Encode`] and [`Field`], so a message can be a field of another.
pub trait Message: Encode + Sized {
    /// How the type is laid out in a flat block ([`flat`]): what a module hands the
    /// hypervisor to have a record read for it.
    const SHAPE: Shape;

    /// Read the `count` fields of a record held at `depth` (the top-level record is at 1),
    /// `None` when they are not a `Self`.
    fn read(fields: &mut Reader<'_>, count: usize, depth: usize) -> Option<Self>;

    /// The value [`flat::read`] laid out at `at` in `flat`'s block.
    fn from_flat(flat: &Flat<'_>, at: usize) -> Option<Self>;
}

/// A type that is one value in a record.
pub trait Field: Sized {
    /// Write the value: its tag, then its payload.
    fn put(&self, out: &mut Writer<'_>);

    /// Read a value with `tag` held in a container at `depth`.
    fn get(input: &mut Reader<'_>, tag: u8, depth: usize) -> Option<Self>;

    /// The value of a field the record does not have: `None` (it is required), except for
    /// an `Option` (`Some(None)`).
    fn absent() -> Option<Self> {
        None
    }

    /// How the value is laid out in a flat block ([`flat`]); by default left to the module
    /// ([`Type::OPAQUE`]: read with [`get`](Self::get)).
    const TYPE: Type = Type::OPAQUE;

    /// The value [`flat::read`] laid out at `at` in `flat`'s block.
    fn from_flat(flat: &Flat<'_>, at: usize) -> Option<Self> {
        flat.opaque(at)
    }
}

/// `value`'s wire bytes written into `buf`: their length, or `None` when the record is over
/// `limits.max_bytes` or `buf` is too small (then [`encoded_len`] tells how much it needs).
pub fn encode<T: Encode + ?Sized>(value: &T, buf: &mut [u8], limits: &Limits) -> Option<usize> {
    let mut out = Writer::new(buf);
    value.write(&mut out);
    out.finish(limits)
}

/// How many bytes `value` encodes to.
pub fn encoded_len<T: Encode + ?Sized>(value: &T) -> usize {
    let mut out = Writer::new(&mut []);
    value.write(&mut out);
    out.len()
}

/// `value`'s wire bytes in a `Vec` of exactly their size (`None` over `limits.max_bytes`).
pub fn to_vec<T: Encode + ?Sized>(value: &T, limits: &Limits) -> Option<Vec<u8>> {
    let mut buf = alloc::vec![0; encoded_len(value)];
    encode(value, &mut buf, limits).map(|_| buf)
}

/// A `T` out of untrusted wire bytes within `limits`; `None` when they are not one.
pub fn decode<T: Message>(bytes: &[u8], limits: &Limits) -> Option<T> {
    let (mut input, count) = Reader::start(bytes, limits)?;
    let value = T::read(&mut input, count, 1)?;
    input.end().then_some(value)
}

/// Whether `bytes` are one record within `limits` (what a handler that takes no body still
/// checks), without decoding anything.
pub fn is_record(bytes: &[u8], limits: &Limits) -> bool {
    decode::<Skip>(bytes, limits).is_some()
}

/// Any record, checked and skipped.
struct Skip;

impl Encode for Skip {
    fn write(&self, out: &mut Writer<'_>) {
        out.count(0);
    }
}

impl Message for Skip {
    const SHAPE: Shape = Shape::new(&[], 0);

    fn from_flat(_: &Flat<'_>, _: usize) -> Option<Self> {
        Some(Skip)
    }

    fn read(input: &mut Reader<'_>, count: usize, depth: usize) -> Option<Self> {
        input.skip_fields(count, depth).map(|()| Skip)
    }
}

/// Writes a record into a byte buffer. It counts what it is given even past the end of the
/// buffer (without writing it), so that one pass tells both whether it fitted and how much
/// room it needed.
pub struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> Writer<'a> {
    /// A writer at the start of `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    /// Bytes written (or that would have been, past the buffer's end).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The length written, if it fitted the buffer and `limits`.
    #[inline(never)]
    pub fn finish(&self, limits: &Limits) -> Option<usize> {
        (self.len <= self.buf.len() && self.len <= limits.max_bytes).then_some(self.len)
    }

    /// Raw bytes.
    #[inline(never)]
    pub fn raw(&mut self, bytes: &[u8]) {
        let start = self.len;
        self.len = start.saturating_add(bytes.len());
        if let Some(end) = start.checked_add(bytes.len())
            && let Some(to) = self.buf.get_mut(start..end)
        {
            // One `memory.copy` in a module (its lengths are equal by construction).
            to.copy_from_slice(bytes);
        }
    }

    /// One raw byte.
    #[inline(never)]
    pub fn byte(&mut self, byte: u8) {
        if let Some(to) = self.buf.get_mut(self.len) {
            *to = byte;
        }
        self.len = self.len.saturating_add(1);
    }

    /// A varint (shortest form).
    #[inline(never)]
    pub fn varint(&mut self, mut value: u64) {
        if value < 0x80 {
            // Counts, lengths, tags and small numbers: almost every varint.
            return self.byte(value as u8);
        }
        let mut bytes = [0u8; 10];
        let mut n = 0;
        for slot in &mut bytes {
            n += 1;
            if value < 0x80 {
                *slot = value as u8;
                break;
            }
            *slot = (value as u8) | 0x80;
            value >>= 7;
        }
        self.raw(bytes.get(..n).unwrap_or(&bytes));
    }

    /// A record's or list's item count.
    pub fn count(&mut self, n: usize) {
        self.varint(n as u64);
    }

    /// A field name.
    #[inline(never)]
    pub fn key(&mut self, key: &str) {
        self.count(key.len());
        self.raw(key.as_bytes());
    }

    /// A value's tag.
    pub fn tag(&mut self, tag: u8) {
        self.byte(tag);
    }

    /// A `U64` value.
    #[inline(never)]
    pub fn uint(&mut self, value: u64) {
        self.tag(U64);
        self.varint(value);
    }

    /// An `I64` value.
    #[inline(never)]
    pub fn int(&mut self, value: i64) {
        self.tag(I64);
        self.varint(((value << 1) ^ (value >> 63)) as u64);
    }

    /// A `Bytes` value.
    #[inline(never)]
    pub fn bytes(&mut self, bytes: &[u8]) {
        self.tag(BYTES);
        self.count(bytes.len());
        self.raw(bytes);
    }

    /// A `Str` value.
    pub fn str(&mut self, text: &str) {
        self.tag(STR);
        self.count(text.len());
        self.raw(text.as_bytes());
    }

    /// A `List` of `n` values (which follow).
    pub fn list(&mut self, n: usize) {
        self.tag(LIST);
        self.count(n);
    }
}

/// Reads a record from untrusted bytes: each read checks what it reads, `None` on anything
/// that is not well formed within the limits.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    max_depth: usize,
    max_items: usize,
}

impl<'a> Reader<'a> {
    /// A reader over a message within `limits`, and its record's field count.
    #[inline(never)]
    pub fn start(bytes: &'a [u8], limits: &Limits) -> Option<(Self, usize)> {
        if bytes.len() > limits.max_bytes {
            return None;
        }
        let mut input = Reader {
            bytes,
            pos: 0,
            max_depth: limits.max_depth,
            max_items: limits.max_items,
        };
        let count = input.open(1)?;
        Some((input, count))
    }

    /// A reader over a value's bytes within `limits`' depth and width (what
    /// [`Flat::opaque`] reads a value with).
    pub fn over(bytes: &'a [u8], limits: &Limits) -> Self {
        Reader {
            bytes,
            pos: 0,
            max_depth: limits.max_depth,
            max_items: limits.max_items,
        }
    }

    /// Whether every byte was read.
    pub fn end(&self) -> bool {
        self.pos == self.bytes.len()
    }

    #[inline(never)]
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let taken = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(taken)
    }

    fn byte(&mut self) -> Option<u8> {
        let byte = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(byte)
    }

    /// A varint in its shortest form.
    #[inline(never)]
    pub fn varint(&mut self) -> Option<u64> {
        let first = *self.bytes.get(self.pos)?;
        self.pos += 1;
        if first < 0x80 {
            // Counts, lengths, tags and small numbers: almost every varint.
            return Some(u64::from(first));
        }
        let mut value = u64::from(first & 0x7F);
        for shift in 1..10 {
            let byte = *self.bytes.get(self.pos)?;
            self.pos += 1;
            if shift == 9 && byte > 1 {
                return None;
            }
            value |= u64::from(byte & 0x7F) << (7 * shift);
            if byte & 0x80 == 0 {
                return (byte != 0).then_some(value);
            }
        }
        None
    }

    fn len_prefixed(&mut self) -> Option<&'a [u8]> {
        let len = self.varint()?;
        self.take(usize::try_from(len).ok()?)
    }

    /// A field name, as bytes (to compare with the type's names; not checked to be UTF-8:
    /// see the module docs).
    #[inline(never)]
    pub fn key(&mut self) -> Option<&'a [u8]> {
        self.len_prefixed()
    }

    /// Where the reader is (for [`rewind`](Self::rewind)).
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Go back to `position`, to read again from there.
    pub fn rewind(&mut self, position: usize) {
        self.pos = position;
    }

    /// The next field's key, if it is `key` (given with its length byte in front: every key
    /// under 128 bytes), and its value's tag. A derived `read`'s fast path, which expects
    /// the fields in declaration order: one compare per field.
    #[inline(never)]
    pub fn expect_key(&mut self, key: &[u8]) -> Option<u8> {
        let end = self.pos.checked_add(key.len())?;
        if !same(self.bytes.get(self.pos..end)?, key) {
            return None;
        }
        let tag = *self.bytes.get(end)?;
        if tag > RECORD {
            return None;
        }
        self.pos = end + 1;
        Some(tag)
    }

    /// A field's key (not checked to be UTF-8) and its value's tag. Keys under 128 bytes
    /// (all of them, in practice) are read in line, without a call per varint.
    fn key_and_tag(&mut self) -> Option<(&'a [u8], u8)> {
        let start = self.pos;
        if let Some(&len) = self.bytes.get(start)
            && len < 0x80
        {
            let key_end = start + 1 + usize::from(len);
            let key = self.bytes.get(start + 1..key_end)?;
            let tag = *self.bytes.get(key_end)?;
            if tag > RECORD {
                // A tag is one byte below 10; a longer varint is a tag out of range.
                return None;
            }
            self.pos = key_end + 1;
            return Some((key, tag));
        }
        let key = self.len_prefixed()?;
        Some((key, self.tag()?))
    }

    /// A value's tag.
    #[inline(never)]
    pub fn tag(&mut self) -> Option<u8> {
        match self.varint()? {
            tag @ 0..=9 => Some(tag as u8),
            _ => None,
        }
    }

    /// Open a list or record at `depth`: its item count, within the limits.
    #[inline(never)]
    fn open(&mut self, depth: usize) -> Option<usize> {
        if depth > self.max_depth {
            return None;
        }
        let count = usize::try_from(self.varint()?).ok()?;
        (count <= self.max_items).then_some(count)
    }

    /// The field count of a nested record with `tag`, held in a container at `depth`.
    #[inline(never)]
    pub fn record(&mut self, tag: u8, depth: usize) -> Option<usize> {
        if tag != RECORD {
            return None;
        }
        self.open(depth + 1)
    }

    /// The element count of a list with `tag`, held in a container at `depth`.
    #[inline(never)]
    pub fn list(&mut self, tag: u8, depth: usize) -> Option<usize> {
        if tag != LIST {
            return None;
        }
        self.open(depth + 1)
    }

    /// The next field a derived [`Message::read`] stores, packed in a `u32` (returned in a
    /// register, where an `Option` of a pair goes through memory): the index of its key in
    /// `names` above the low byte, its value's tag in it. [`Fields::END`] after the last
    /// field, and for anything malformed (a derived `read` then finds a field missing, or the
    /// reader not at the record's end, and refuses). Fields the type does not store are
    /// skipped (their structure checked); a key it stores that comes twice is refused. One
    /// copy for every message type: a derived `read` is a loop over this and a store per
    /// field.
    #[inline(never)]
    pub fn field(&mut self, names: &[&str], fields: &mut Fields) -> u32 {
        while fields.left > 0 {
            fields.left -= 1;
            let Some((key, tag)) = self.key_and_tag() else {
                return fields.fail();
            };
            // Fields come in declaration order from every encoder here: try the next name
            // first, then the others.
            let next = fields.next;
            let found = match names.get(next) {
                Some(name) if same(name.as_bytes(), key) => Some(next),
                _ => names.iter().position(|name| same(name.as_bytes(), key)),
            };
            match found {
                Some(index) if index < 64 => {
                    let bit = 1u64 << index;
                    if fields.seen & bit != 0 {
                        return fields.fail();
                    }
                    fields.seen |= bit;
                    fields.next = index + 1;
                    return ((index as u32) << 8) | u32::from(tag);
                }
                Some(_) => return fields.fail(),
                None => {
                    if self.skip(tag, fields.depth).is_none() {
                        return fields.fail();
                    }
                }
            }
        }
        Fields::END
    }

    /// Skip the rest of a record's `count` fields, checking them.
    #[inline(never)]
    pub fn skip_fields(&mut self, count: usize, depth: usize) -> Option<()> {
        for _ in 0..count {
            self.key()?;
            let tag = self.tag()?;
            self.skip(tag, depth)?;
        }
        Some(())
    }

    /// Skip a value with `tag` held in a container at `depth`, checking it as it goes.
    #[inline(never)]
    pub fn skip(&mut self, tag: u8, depth: usize) -> Option<()> {
        match tag {
            UNIT => {}
            BOOL => {
                self.boolean(tag)?;
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
            BYTES | STR => {
                self.len_prefixed()?;
            }
            LIST => {
                let count = self.open(depth + 1)?;
                for _ in 0..count {
                    let tag = self.tag()?;
                    self.skip(tag, depth + 1)?;
                }
            }
            _ => {
                let count = self.open(depth + 1)?;
                self.skip_fields(count, depth + 1)?;
            }
        }
        Some(())
    }

    /// A `Bool` value.
    #[inline(never)]
    pub fn boolean(&mut self, tag: u8) -> Option<bool> {
        if tag != BOOL {
            return None;
        }
        match self.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    /// An integer value (`I64` or `U64`) that is not negative.
    #[inline(never)]
    pub fn uint(&mut self, tag: u8) -> Option<u64> {
        let raw = self.varint_of(tag)?;
        if tag == U64 {
            return Some(raw);
        }
        u64::try_from(unzigzag(raw)).ok()
    }

    /// An integer value (`I64` or `U64`) that fits an `i64`.
    #[inline(never)]
    pub fn int(&mut self, tag: u8) -> Option<i64> {
        let raw = self.varint_of(tag)?;
        if tag == I64 {
            return Some(unzigzag(raw));
        }
        i64::try_from(raw).ok()
    }

    /// The varint of an integer value with `tag`: a one-byte one read in line.
    fn varint_of(&mut self, tag: u8) -> Option<u64> {
        if tag != U64 && tag != I64 {
            return None;
        }
        match self.bytes.get(self.pos) {
            Some(&byte) if byte < 0x80 => {
                self.pos += 1;
                Some(u64::from(byte))
            }
            _ => self.varint(),
        }
    }

    /// A number: an integer or a float, as it was written.
    #[inline(never)]
    fn number(&mut self, tag: u8) -> Option<Number> {
        Some(match tag {
            F32 => Number::F32(f32::from_le_bytes(self.take(4)?.try_into().ok()?)),
            F64 => Number::F64(f64::from_le_bytes(self.take(8)?.try_into().ok()?)),
            U64 => Number::U64(self.varint()?),
            _ => Number::I64(self.int(tag)?),
        })
    }

    /// A `Str` (or UTF-8 `Bytes`) value.
    #[inline(never)]
    pub fn str(&mut self, tag: u8) -> Option<&'a str> {
        match tag {
            STR | BYTES => core::str::from_utf8(self.len_prefixed()?).ok(),
            _ => None,
        }
    }

    /// A `Bytes` value, or a `List` of integers that are bytes, appended to `out`.
    #[inline(never)]
    pub fn bytes_into(&mut self, tag: u8, depth: usize, out: &mut Vec<u8>) -> Option<()> {
        if tag == BYTES {
            out.extend_from_slice(self.len_prefixed()?);
            return Some(());
        }
        let count = self.list(tag, depth)?;
        for _ in 0..count {
            let tag = self.tag()?;
            out.push(u8::get(self, tag, depth + 1)?);
        }
        Some(())
    }
}

/// Where a derived [`Message::read`] is in its record ([`Reader::field`]).
pub struct Fields {
    left: usize,
    depth: usize,
    seen: u64,
    /// The index of the name expected next (the one after the last found).
    next: usize,
    failed: bool,
}

impl Fields {
    /// What [`Reader::field`] returns after the last field (or on a malformed one).
    pub const END: u32 = u32::MAX;

    /// Stop: the record is malformed. Marked so that the derived `read` refuses even when
    /// every field it needs was read before.
    fn fail(&mut self) -> u32 {
        self.failed = true;
        Self::END
    }

    /// Whether the walk stopped on something malformed.
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// The `count` fields of a record held at `depth`, none read yet.
    pub fn new(count: usize, depth: usize) -> Self {
        Self {
            left: count,
            depth,
            seen: 0,
            next: 0,
            failed: false,
        }
    }
}

/// Whether two short byte strings are equal: four bytes a step, then the rest, in line (a
/// key is compared per field; `memcmp` would cost a call and its set-up per key, a plain
/// byte loop a dozen instructions a byte in the interpreter).
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut a, mut b) = (a, b);
    while let (Some((x, rest_a)), Some((y, rest_b))) =
        (a.split_first_chunk::<4>(), b.split_first_chunk::<4>())
    {
        if u32::from_ne_bytes(*x) != u32::from_ne_bytes(*y) {
            return false;
        }
        (a, b) = (rest_a, rest_b);
    }
    a.iter().zip(b).all(|(x, y)| x == y)
}

enum Number {
    U64(u64),
    I64(i64),
    F32(f32),
    F64(f64),
}

/// A zigzag varint's value.
fn unzigzag(raw: u64) -> i64 {
    (raw >> 1) as i64 ^ -((raw & 1) as i64)
}

macro_rules! integers {
    ($($t:ty => $put:ident, $get:ident as $wide:ty, $kind:ident),* $(,)?) => {$(
        impl Field for $t {
            const TYPE: Type = Type::unsigned(flat::kind::$kind);

            fn from_flat(flat: &Flat<'_>, at: usize) -> Option<Self> {
                Some(flat.word(at) as $t)
            }

            fn put(&self, out: &mut Writer<'_>) {
                out.$put(<$wide>::from(*self));
            }

            fn get(input: &mut Reader<'_>, tag: u8, _: usize) -> Option<Self> {
                <$t>::try_from(input.$get(tag)?).ok()
            }
        }
    )*};
}

integers! {
    u8 => uint, uint as u64, U8,
    u16 => uint, uint as u64, U16,
    u32 => uint, uint as u64, U32,
    u64 => uint, uint as u64, U64,
    i8 => int, int as i64, I8,
    i16 => int, int as i64, I16,
    i32 => int, int as i64, I32,
    i64 => int, int as i64, I64,
}

impl Field for bool {
    const TYPE: Type = Type::BOOL;

    fn from_flat(flat: &Flat<'_>, at: usize) -> Option<Self> {
        Some(flat.byte(at) != 0)
    }

    fn put(&self, out: &mut Writer<'_>) {
        out.raw(&[BOOL, u8::from(*self)]);
    }

    fn get(input: &mut Reader<'_>, tag: u8, _: usize) -> Option<Self> {
        input.boolean(tag)
    }
}

impl Field for f32 {
    const TYPE: Type = Type::F32;

    fn from_flat(flat: &Flat<'_>, at: usize) -> Option<Self> {
        Some(f32::from_bits(flat.half(at)))
    }

    fn put(&self, out: &mut Writer<'_>) {
        out.tag(F32);
        out.raw(&self.to_le_bytes());
    }

    fn get(input: &mut Reader<'_>, tag: u8, _: usize) -> Option<Self> {
        Some(match input.number(tag)? {
            Number::F32(v) => v,
            Number::F64(v) => v as f32,
            Number::U64(v) => v as f32,
            Number::I64(v) => v as f32,
        })
    }
}

impl Field for f64 {
    const TYPE: Type = Type::F64;

    fn from_flat(flat: &Flat<'_>, at: usize) -> Option<Self> {
        Some(f64::from_bits(flat.word(at)))
    }

    fn put(&self, out: &mut Writer<'_>) {
        out.tag(F64);
        out.raw(&self.to_le_bytes());
    }

    fn get(input: &mut Reader<'_>, tag: u8, _: usize) -> Option<Self> {
        Some(match input.number(tag)? {
            Number::F32(v) => f64::from(v),
            Number::F64(v) => v,
            Number::U64(v) => v as f64,
            Number::I64(v) => v as f64,
        })
    }
}

impl Field for String {
    const TYPE: Type = Type::STR;

    fn from_flat(flat: &Flat<'_>, at: usize) -> Option<Self> {
        flat.text(at).map(String::from)
    }

    fn put(&self, out: &mut Writer<'_>) {
        out.str(self);
    }

    fn get(input: &mut Reader<'_>, tag: u8, _: usize) -> Option<Self> {
        input.str(tag).map(String::from)
    }
}

impl<T: Field> Field for Option<T> {
    const TYPE: Type = Type::option(&T::TYPE);

    fn from_flat(flat: &Flat<'_>, at: usize) -> Option<Self> {
        if flat.byte(at) == 0 {
            return Some(None);
        }
        T::from_flat(flat, at + 1).map(Some)
    }

    fn put(&self, out: &mut Writer<'_>) {
        match self {
            Some(value) => value.put(out),
            None => out.tag(UNIT),
        }
    }

    fn get(input: &mut Reader<'_>, tag: u8, depth: usize) -> Option<Self> {
        if tag == UNIT {
            return Some(None);
        }
        T::get(input, tag, depth).map(Some)
    }

    fn absent() -> Option<Self> {
        Some(None)
    }
}

impl<T: Field> Field for Vec<T> {
    fn put(&self, out: &mut Writer<'_>) {
        out.list(self.len());
        for item in self {
            item.put(out);
        }
    }

    fn get(input: &mut Reader<'_>, tag: u8, depth: usize) -> Option<Self> {
        let count = input.list(tag, depth)?;
        // The count is within the limits, but its items may not be there: grow as they are.
        let mut items = Vec::new();
        for _ in 0..count {
            let tag = input.tag()?;
            items.push(T::get(input, tag, depth + 1)?);
        }
        Some(items)
    }
}

/// An array is a `List` of exactly `N` values (serde's tuple).
impl<T: Field + Default + Copy, const N: usize> Field for [T; N] {
    const TYPE: Type = Type::array(&T::TYPE, N);

    fn from_flat(flat: &Flat<'_>, at: usize) -> Option<Self> {
        let mut items = [T::default(); N];
        for (index, slot) in items.iter_mut().enumerate() {
            *slot = T::from_flat(flat, at + index * T::TYPE.size())?;
        }
        Some(items)
    }

    fn put(&self, out: &mut Writer<'_>) {
        out.list(N);
        for item in self {
            item.put(out);
        }
    }

    fn get(input: &mut Reader<'_>, tag: u8, depth: usize) -> Option<Self> {
        if input.list(tag, depth)? != N {
            return None;
        }
        let mut items = [T::default(); N];
        for slot in &mut items {
            let tag = input.tag()?;
            *slot = T::get(input, tag, depth + 1)?;
        }
        Some(items)
    }
}

/// `()` is the empty record.
impl Encode for () {
    fn write(&self, out: &mut Writer<'_>) {
        out.count(0);
    }
}

impl Message for () {
    const SHAPE: Shape = Shape::UNIT;

    fn from_flat(_: &Flat<'_>, _: usize) -> Option<Self> {
        Some(())
    }

    fn read(_: &mut Reader<'_>, count: usize, _: usize) -> Option<Self> {
        (count == 0).then_some(())
    }
}

/// `Vec<u8>` fields marked `#[message(bytes)]`: a `Bytes` value (the derive calls these).
pub mod bytes {
    use alloc::vec::Vec;

    use super::{Flat, Reader, Type, Writer};

    /// How a `Bytes` field is laid out in a flat block.
    pub const TYPE: Type = Type::BYTES;

    /// The bytes [`flat::read`](super::flat::read) laid out at `at`.
    pub fn from_flat(flat: &Flat<'_>, at: usize) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        flat.bytes_into(at, &mut out);
        Some(out)
    }

    /// Write `bytes` as a `Bytes` value.
    pub fn put(bytes: &[u8], out: &mut Writer<'_>) {
        out.bytes(bytes);
    }

    /// Read a `Bytes` value (or a `List` of bytes, as serde also reads it).
    pub fn get(input: &mut Reader<'_>, tag: u8, depth: usize) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        input.bytes_into(tag, depth, &mut out)?;
        Some(out)
    }
}

#[cfg(test)]
mod tests;
