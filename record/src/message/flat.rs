//! Reading a record natively into a flat block, driven by its type's [`Shape`].
//!
//! A [`Message`]'s derive describes the type as data: a [`Shape`] per struct (its fields'
//! keys, [`Type`]s and offsets) and a [`Type`] per field type. [`read`] walks a record's
//! bytes with the same checking [`Reader`] the derived `read` uses and writes every value the
//! type stores at its offset in a flat block of [`Shape::size`] bytes: integers as 8
//! little-endian bytes (already narrowed to the field's width), floats as their bits, a
//! `bool` as one byte, text and bytes as the offset and length of their bytes in the record.
//! [`Message::from_flat`] then builds the value from the block with loads alone.
//!
//! This is how a WebAssembly module decodes (`guests-sdk`'s `codec::decode`): the module
//! hands the hypervisor its type's shape, which lives in the module's data, and the record;
//! the hypervisor runs [`read`] natively (builtin `record_read`) over a [`Schema`] that reads
//! the shapes out of the module's memory. So no module carries the field walk, the skipping
//! of unknown fields, varints or the limits' checks, and none spends its fuel on them; on
//! the host the same [`read`] runs over the [`Native`] schema. Proptests hold
//! [`decode_flat`] equal to [`decode`](super::decode) (same values, same refusals).
//!
//! What the flat block cannot hold (a `Vec` of values that are not bytes, a type that
//! implements [`Field`] by hand) is [`Type::OPAQUE`]: [`read`] checks its structure and
//! records where its bytes are, and the module reads it with the [`Reader`] (so only a
//! module that decodes such a type carries the reader).
//!
//! A shape comes from untrusted memory when the hypervisor reads it: every read of one is
//! checked, a nesting of options without end is cut short, and a shape that does not
//! describe a type is a refusal like a malformed record, never a panic.
#![allow(unsafe_code)]

use super::{Field, Message, Reader};
use crate::Limits;
use crate::typed::wire::{BYTES, UNIT};

/// The kinds of [`Type`] (its `kind` word).
pub mod kind {
    /// `u8`: 8 bytes, the value.
    pub const U8: u32 = 1;
    /// `u16`.
    pub const U16: u32 = 2;
    /// `u32`.
    pub const U32: u32 = 3;
    /// `u64`.
    pub const U64: u32 = 4;
    /// `i8`: 8 bytes, the value as an `i64`.
    pub const I8: u32 = 5;
    /// `i16`.
    pub const I16: u32 = 6;
    /// `i32`.
    pub const I32: u32 = 7;
    /// `i64`.
    pub const I64: u32 = 8;
    /// `f32`: its 4 bytes.
    pub const F32: u32 = 9;
    /// `f64`: its 8 bytes.
    pub const F64: u32 = 10;
    /// `bool`: one byte, 0 or 1.
    pub const BOOL: u32 = 11;
    /// Text (`Str`, or UTF-8 `Bytes`): its offset in the record and its length, 4 bytes each.
    pub const STR: u32 = 12;
    /// Bytes (`Bytes`, or a `List` of bytes): offset and length; for a list, the offset
    /// and length of its items, with [`LIST_OF_BYTES`](super::LIST_OF_BYTES) set.
    pub const BYTES: u32 = 13;
    /// `Option<inner>`: a presence byte, then the inner value.
    pub const OPTION: u32 = 14;
    /// A nested record: its shape's block.
    pub const RECORD: u32 = 15;
    /// `[inner; len]`: `len` inner values.
    pub const ARRAY: u32 = 16;
    /// Anything else: the value's offset and length in the record, its tag and depth.
    pub const OPAQUE: u32 = 17;
}

/// In a [`kind::BYTES`] value's length: the bytes are a `List` of `len` integers (serde's
/// `Vec<u8>` without `as_bytes`), not one `Bytes` run.
pub const LIST_OF_BYTES: u32 = 1 << 31;

/// A [`Shape`] flag: the type is `()`, a record with no field at all (every other type
/// skips the fields it does not know).
pub const CLOSED: u32 = 1;

/// Most bytes of a flat block a module's decode may ask for (the builtin's limit).
pub const MAX_FLAT: usize = 256;

/// The bounds a module's records are read within (by the builtin `record_read`, and by
/// `guests-sdk`'s codec on the host): the ABI's largest route message, the default depth
/// and width.
pub const LIMITS: Limits = Limits {
    max_bytes: fireball_abi::limits::MAX_ROUTE_MESSAGE,
    ..Limits::DEFAULT
};

/// How a field's type is laid out in a flat block. Built by the derive and the [`Field`]
/// impls as constants; `#[repr(C)]` because the hypervisor reads it in a module's memory.
#[repr(C)]
pub struct Type {
    kind: u32,
    size: u32,
    len: u32,
    inner: *const Type,
    shape: *const Shape,
}

/// How a struct is laid out: its fields, and its block's size.
#[repr(C)]
pub struct Shape {
    fields: *const FieldShape,
    count: u32,
    size: u32,
    flags: u32,
}

/// One field of a [`Shape`]: its key, type and offset; `default` fields have a presence byte
/// first (0: missing, the value is the type's `Default`).
#[repr(C)]
pub struct FieldShape {
    key: *const u8,
    key_len: u32,
    ty: *const Type,
    offset: u32,
    default: u32,
}

/// Where the words of [`Type`], [`Shape`] and [`FieldShape`] are in a 32-bit module's memory
/// (what the hypervisor reads; checked against the layout when building for `wasm32`).
pub mod wasm32 {
    /// `Type`'s size and its words: `kind`, `size`, `len`, `inner`, `shape`.
    pub const TYPE: (u32, [u32; 5]) = (20, [0, 4, 8, 12, 16]);
    /// `Shape`'s size and its words: `fields`, `count`, `size`, `flags`.
    pub const SHAPE: (u32, [u32; 4]) = (16, [0, 4, 8, 12]);
    /// `FieldShape`'s size and its words: `key`, `key_len`, `ty`, `offset`, `default`.
    pub const FIELD: (u32, [u32; 5]) = (20, [0, 4, 8, 12, 16]);
}

#[cfg(target_pointer_width = "32")]
const _: () = {
    use core::mem::{offset_of, size_of};
    assert!(size_of::<Type>() as u32 == wasm32::TYPE.0);
    assert!(offset_of!(Type, inner) as u32 == wasm32::TYPE.1[3]);
    assert!(offset_of!(Type, shape) as u32 == wasm32::TYPE.1[4]);
    assert!(size_of::<Shape>() as u32 == wasm32::SHAPE.0);
    assert!(offset_of!(Shape, flags) as u32 == wasm32::SHAPE.1[3]);
    assert!(size_of::<FieldShape>() as u32 == wasm32::FIELD.0);
    assert!(offset_of!(FieldShape, default) as u32 == wasm32::FIELD.1[4]);
};

impl Type {
    const fn of(kind: u32, size: u32) -> Self {
        Self {
            kind,
            size,
            len: 0,
            inner: core::ptr::null(),
            shape: core::ptr::null(),
        }
    }

    /// An unsigned integer of `kind` (`kind::U8` … `kind::U64`).
    pub const fn unsigned(kind: u32) -> Self {
        Self::of(kind, 8)
    }

    /// A signed integer of `kind` (`kind::I8` … `kind::I64`).
    pub const fn signed(kind: u32) -> Self {
        Self::of(kind, 8)
    }

    /// `f32`.
    pub const F32: Self = Self::of(kind::F32, 4);
    /// `f64`.
    pub const F64: Self = Self::of(kind::F64, 8);
    /// `bool`.
    pub const BOOL: Self = Self::of(kind::BOOL, 1);
    /// Text.
    pub const STR: Self = Self::of(kind::STR, 8);
    /// Bytes (`#[message(bytes)]`).
    pub const BYTES: Self = Self::of(kind::BYTES, 8);
    /// Read with the [`Reader`] by the module ([`Field::get`]).
    pub const OPAQUE: Self = Self::of(kind::OPAQUE, 10);

    /// `Option<inner>`.
    pub const fn option(inner: &'static Type) -> Self {
        Self {
            kind: kind::OPTION,
            size: 1 + inner.size,
            len: 0,
            inner,
            shape: core::ptr::null(),
        }
    }

    /// `[inner; len]`.
    pub const fn array(inner: &'static Type, len: usize) -> Self {
        Self {
            kind: kind::ARRAY,
            size: inner.size * len as u32,
            len: len as u32,
            inner,
            shape: core::ptr::null(),
        }
    }

    /// A nested record of `shape`.
    pub const fn record(shape: &'static Shape) -> Self {
        Self {
            kind: kind::RECORD,
            size: shape.size,
            len: 0,
            inner: core::ptr::null(),
            shape,
        }
    }

    /// Its bytes in a flat block.
    pub const fn size(&self) -> usize {
        self.size as usize
    }
}

impl Shape {
    /// A struct of `fields` (laid out by [`FieldShape::new`]'s offsets) in `size` bytes.
    pub const fn new(fields: &'static [FieldShape], size: usize) -> Self {
        Self {
            fields: fields.as_ptr(),
            count: fields.len() as u32,
            size: size as u32,
            flags: 0,
        }
    }

    /// `()`: no field, and a record with any is refused.
    pub const UNIT: Self = Self {
        fields: core::ptr::null(),
        count: 0,
        size: 0,
        flags: CLOSED,
    };

    /// Its block's bytes.
    pub const fn size(&self) -> usize {
        self.size as usize
    }

    fn fields(&self) -> &'static [FieldShape] {
        if self.fields.is_null() {
            return &[];
        }
        // Safety: `fields` and `count` come from a `&'static [FieldShape]` (`Shape::new`,
        // the only way to set them) and are never changed.
        unsafe { core::slice::from_raw_parts(self.fields, self.count as usize) }
    }
}

impl FieldShape {
    /// Field `key` of type `ty` at `offset` in its struct's block; a `default` field has a
    /// presence byte at `offset` and its value after it.
    pub const fn new(key: &'static str, ty: &'static Type, offset: usize, default: bool) -> Self {
        Self {
            key: key.as_ptr(),
            key_len: key.len() as u32,
            ty,
            offset: offset as u32,
            default: default as u32,
        }
    }

    /// Its bytes in the block: the presence byte and the value.
    pub const fn size(&self) -> usize {
        // Safety: `ty` comes from a `&'static Type` (`FieldShape::new`).
        let ty = unsafe { &*self.ty };
        ty.size as usize + self.default as usize
    }
}

/// What [`read`] needs to know of a [`Type`].
#[derive(Clone, Copy)]
pub struct TypeInfo<T, S> {
    /// Its [`kind`].
    pub kind: u32,
    /// Its bytes in a block.
    pub size: u32,
    /// An array's length.
    pub len: u32,
    /// An option's or array's item type.
    pub inner: Option<T>,
    /// A record's shape.
    pub shape: Option<S>,
}

/// What [`read`] needs to know of a [`Shape`].
#[derive(Clone, Copy)]
pub struct ShapeInfo {
    /// Its field count.
    pub count: u32,
    /// Its flags ([`CLOSED`]).
    pub flags: u32,
}

/// What [`read`] needs to know of a [`FieldShape`].
#[derive(Clone, Copy)]
pub struct FieldInfo<'k, T> {
    /// The key.
    pub key: &'k [u8],
    /// Its type.
    pub ty: T,
    /// Its offset in the struct's block.
    pub offset: u32,
    /// Whether a missing field is its type's default (a presence byte comes first).
    pub default: bool,
}

/// Where [`read`] finds shapes: the program's own constants ([`Native`]), or a module's
/// memory (the hypervisor's). Every answer may be `None` (the shape is not readable), which
/// refuses the record.
pub trait Schema {
    /// A reference to a [`Type`].
    type Ty: Copy;
    /// A reference to a [`Shape`].
    type Sh: Copy;
    /// The type `ty`.
    fn ty(&self, ty: Self::Ty) -> Option<TypeInfo<Self::Ty, Self::Sh>>;
    /// The shape `shape`.
    fn shape(&self, shape: Self::Sh) -> Option<ShapeInfo>;
    /// Field `index` of `shape` (below its count).
    fn field(&self, shape: Self::Sh, index: usize) -> Option<FieldInfo<'_, Self::Ty>>;
}

/// The shapes of this program's own types.
pub struct Native;

impl Schema for Native {
    type Ty = &'static Type;
    type Sh = &'static Shape;

    fn ty(&self, ty: &'static Type) -> Option<TypeInfo<&'static Type, &'static Shape>> {
        // Safety: non-null `inner` and `shape` come from `&'static` references (the
        // constructors above, the only way to set them).
        let (inner, shape) = unsafe { (ty.inner.as_ref(), ty.shape.as_ref()) };
        Some(TypeInfo {
            kind: ty.kind,
            size: ty.size,
            len: ty.len,
            inner,
            shape,
        })
    }

    fn shape(&self, shape: &'static Shape) -> Option<ShapeInfo> {
        Some(ShapeInfo {
            count: shape.count,
            flags: shape.flags,
        })
    }

    fn field(&self, shape: &'static Shape, index: usize) -> Option<FieldInfo<'_, &'static Type>> {
        let field = shape.fields().get(index)?;
        // Safety: `key`/`key_len` come from a `&'static str` and `ty` from a `&'static Type`
        // (`FieldShape::new`, the only way to set them).
        let (key, ty) = unsafe {
            (
                core::slice::from_raw_parts(field.key, field.key_len as usize),
                &*field.ty,
            )
        };
        Some(FieldInfo {
            key,
            ty,
            offset: field.offset,
            default: field.default != 0,
        })
    }
}

/// Read the record `bytes` (within `limits`) as the type `shape` describes into `out`
/// (zeroed first; its length is the shape's block size, or more): whether it is one.
pub fn read<S: Schema>(
    schema: &S,
    shape: S::Sh,
    bytes: &[u8],
    limits: &Limits,
    out: &mut [u8],
) -> bool {
    read_counting(schema, shape, bytes, limits, out).0
}

/// [`read`], and how many fields of a shape it looked at on the way (what the work beyond
/// the record's bytes is proportional to: a key is compared with the shape's fields until
/// one matches; the hypervisor charges the module fuel for it).
pub fn read_counting<S: Schema>(
    schema: &S,
    shape: S::Sh,
    bytes: &[u8],
    limits: &Limits,
    out: &mut [u8],
) -> (bool, usize) {
    out.fill(0);
    let Some((input, count)) = Reader::start(bytes, limits) else {
        return (false, 0);
    };
    let mut walk = Walk {
        schema,
        input,
        out,
        lookups: 0,
    };
    let ok = walk.record(shape, count, 1, 0).is_some() && walk.input.end();
    (ok, walk.lookups)
}

/// A `T` out of untrusted wire bytes within `limits` through [`read`] and
/// [`Message::from_flat`] (what a module's decode does, natively): the same answer as
/// [`decode`](super::decode).
pub fn decode_flat<T: Message>(bytes: &[u8], limits: &Limits) -> Option<T> {
    let mut block = [0u8; MAX_FLAT];
    let out = block.get_mut(..T::SHAPE.size())?;
    if !read(&Native, &T::SHAPE, bytes, limits, out) {
        return None;
    }
    T::from_flat(&Flat::new(out, bytes, limits), 0)
}

/// Most options nested in one another without a record or list between them (a shape
/// that nests them without end is refused, not followed).
const MAX_OPTION_NESTING: u8 = 8;

struct Walk<'s, 'a, 'o, S: Schema> {
    schema: &'s S,
    input: Reader<'a>,
    out: &'o mut [u8],
    lookups: usize,
}

impl<S: Schema> Walk<'_, '_, '_, S> {
    fn put(&mut self, at: usize, bytes: &[u8]) -> Option<()> {
        let end = at.checked_add(bytes.len())?;
        self.out.get_mut(at..end)?.copy_from_slice(bytes);
        Some(())
    }

    fn span(&mut self, at: usize, start: usize, len: u32) -> Option<()> {
        let mut word = [0u8; 8];
        word[..4].copy_from_slice(&(start as u32).to_le_bytes());
        word[4..].copy_from_slice(&len.to_le_bytes());
        self.put(at, &word)
    }

    /// A record's `count` fields, held at `depth`, into the block at `at`.
    fn record(&mut self, shape: S::Sh, count: usize, depth: usize, at: usize) -> Option<()> {
        let schema = self.schema;
        let info = schema.shape(shape)?;
        self.lookups += 1;
        let n = info.count as usize;
        if n > 64 || (info.flags & CLOSED != 0 && count != 0) {
            return None;
        }
        let (mut seen, mut next) = (0u64, 0usize);
        for _ in 0..count {
            let (key, tag) = self.input.key_and_tag()?;
            // Fields come in declaration order from every encoder here: the next one first.
            let mut found = None;
            self.lookups += 1;
            if next < n {
                let field = schema.field(shape, next)?;
                if field.key == key {
                    found = Some((next, field));
                }
            }
            if found.is_none() {
                for index in 0..n {
                    self.lookups += 1;
                    let field = schema.field(shape, index)?;
                    if field.key == key {
                        found = Some((index, field));
                        break;
                    }
                }
            }
            let Some((index, field)) = found else {
                self.input.skip(tag, depth)?;
                continue;
            };
            let bit = 1u64 << index;
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
            next = index + 1;
            let mut at = at.checked_add(field.offset as usize)?;
            if field.default {
                self.put(at, &[1])?;
                at += 1;
            }
            self.value(field.ty, tag, depth, at, 0)?;
        }
        for index in 0..n {
            if seen & (1 << index) != 0 {
                continue;
            }
            // Missing: a default field's presence byte stays 0, an option stays `None`.
            self.lookups += 1;
            let field = schema.field(shape, index)?;
            if !field.default && schema.ty(field.ty)?.kind != kind::OPTION {
                return None;
            }
        }
        Some(())
    }

    /// A value with `tag` held in a container at `depth`, as `ty`, into the block at `at`.
    fn value(&mut self, ty: S::Ty, tag: u8, depth: usize, at: usize, options: u8) -> Option<()> {
        let t = self.schema.ty(ty)?;
        let input = &mut self.input;
        match t.kind {
            kind::U8..=kind::U64 => {
                let max = match t.kind {
                    kind::U8 => u64::from(u8::MAX),
                    kind::U16 => u64::from(u16::MAX),
                    kind::U32 => u64::from(u32::MAX),
                    _ => u64::MAX,
                };
                let value = input.uint(tag).filter(|v| *v <= max)?;
                self.put(at, &value.to_le_bytes())
            }
            kind::I8..=kind::I64 => {
                let (min, max) = match t.kind {
                    kind::I8 => (i64::from(i8::MIN), i64::from(i8::MAX)),
                    kind::I16 => (i64::from(i16::MIN), i64::from(i16::MAX)),
                    kind::I32 => (i64::from(i32::MIN), i64::from(i32::MAX)),
                    _ => (i64::MIN, i64::MAX),
                };
                let value = input.int(tag).filter(|v| (min..=max).contains(v))?;
                self.put(at, &value.to_le_bytes())
            }
            kind::F32 => {
                let value = f32::get(input, tag, depth)?;
                self.put(at, &value.to_le_bytes())
            }
            kind::F64 => {
                let value = f64::get(input, tag, depth)?;
                self.put(at, &value.to_le_bytes())
            }
            kind::BOOL => {
                let value = input.boolean(tag)?;
                self.put(at, &[u8::from(value)])
            }
            kind::STR => {
                let len = input.str(tag)?.len();
                let start = input.position() - len;
                self.span(at, start, len as u32)
            }
            kind::BYTES => {
                if tag == BYTES {
                    let len = input.len_prefixed()?.len();
                    let start = input.position() - len;
                    return self.span(at, start, len as u32);
                }
                let count = input.list(tag, depth)?;
                let start = input.position();
                for _ in 0..count {
                    let tag = input.tag()?;
                    u8::get(input, tag, depth + 1)?;
                }
                let len = input.position() - start;
                self.span(at, start, len as u32 | LIST_OF_BYTES)
            }
            kind::OPTION => {
                if tag == UNIT {
                    return Some(());
                }
                if options >= MAX_OPTION_NESTING {
                    return None;
                }
                self.put(at, &[1])?;
                self.value(t.inner?, tag, depth, at.checked_add(1)?, options + 1)
            }
            kind::RECORD => {
                let count = input.record(tag, depth)?;
                self.record(t.shape?, count, depth + 1, at)
            }
            kind::ARRAY => {
                let inner = t.inner?;
                let size = self.schema.ty(inner)?.size as usize;
                if input.list(tag, depth)? != t.len as usize {
                    return None;
                }
                for index in 0..t.len as usize {
                    let tag = self.input.tag()?;
                    let at = at.checked_add(index.checked_mul(size)?)?;
                    self.value(inner, tag, depth + 1, at, 0)?;
                }
                Some(())
            }
            kind::OPAQUE => {
                let start = input.position();
                input.skip(tag, depth)?;
                let len = input.position() - start;
                self.span(at, start, len as u32)?;
                self.put(at.checked_add(8)?, &[tag, depth.min(255) as u8])
            }
            _ => None,
        }
    }
}

/// A flat block [`read`] filled, and the record it was read from: what
/// [`Message::from_flat`] and [`Field::from_flat`] build values out of. Every load is
/// checked (past the block it reads zeros); none panics.
pub struct Flat<'a> {
    block: &'a [u8],
    record: &'a [u8],
    limits: &'a Limits,
}

impl<'a> Flat<'a> {
    /// The block `block` read from `record` within `limits`.
    pub fn new(block: &'a [u8], record: &'a [u8], limits: &'a Limits) -> Self {
        Self {
            block,
            record,
            limits,
        }
    }

    /// The 8 bytes at `at` (an integer, an `f64`'s bits).
    #[inline(never)]
    pub fn word(&self, at: usize) -> u64 {
        match self.block.get(at..).and_then(|b| b.first_chunk::<8>()) {
            Some(bytes) => u64::from_le_bytes(*bytes),
            None => 0,
        }
    }

    /// The 4 bytes at `at` (an `f32`'s bits).
    pub fn half(&self, at: usize) -> u32 {
        match self.block.get(at..).and_then(|b| b.first_chunk::<4>()) {
            Some(bytes) => u32::from_le_bytes(*bytes),
            None => 0,
        }
    }

    /// The byte at `at` (a `bool`, a presence byte).
    pub fn byte(&self, at: usize) -> u8 {
        self.block.get(at).copied().unwrap_or(0)
    }

    /// The record's bytes a span at `at` names, and the span's length word.
    #[inline(never)]
    fn span(&self, at: usize) -> (&'a [u8], u32) {
        let word = self.word(at);
        let (start, len) = (word as u32 as usize, (word >> 32) as u32);
        let bytes = start
            .checked_add((len & !LIST_OF_BYTES) as usize)
            .and_then(|end| self.record.get(start..end))
            .unwrap_or_default();
        (bytes, len)
    }

    /// Text at `at`.
    pub fn text(&self, at: usize) -> Option<&'a str> {
        core::str::from_utf8(self.span(at).0).ok()
    }

    /// Bytes at `at`, appended to `out`.
    pub fn bytes_into(&self, at: usize, out: &mut alloc::vec::Vec<u8>) {
        let (bytes, len) = self.span(at);
        if len & LIST_OF_BYTES == 0 {
            out.extend_from_slice(bytes);
            return;
        }
        // A list of integers that [`read`] checked to be bytes: each a tag, then a one- or
        // two-byte varint (zigzag for a signed integer).
        let mut rest = bytes;
        while let [tag, first, tail @ ..] = rest {
            let mut value = u16::from(*first & 0x7F);
            rest = tail;
            if first & 0x80 != 0
                && let [second, tail @ ..] = rest
            {
                value |= u16::from(*second) << 7;
                rest = tail;
            }
            if *tag != crate::typed::wire::U64 {
                value >>= 1;
            }
            out.push(value as u8);
        }
    }

    /// A value [`read`] left to the module ([`Type::OPAQUE`]) at `at`: read with `T`'s
    /// [`Field::get`].
    pub fn opaque<T: Field>(&self, at: usize) -> Option<T> {
        let (bytes, _) = self.span(at);
        let (tag, depth) = (self.byte(at + 8), usize::from(self.byte(at + 9)));
        let mut input = Reader::over(bytes, self.limits);
        let value = T::get(&mut input, tag, depth)?;
        input.end().then_some(value)
    }
}

#[cfg(test)]
mod tests;
