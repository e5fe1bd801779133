//! Typed messages straight to and from a record's wire bytes, without building the record.
//!
//! [`from_bytes`] reads the postcard encoding of a record (the table in the
//! [crate docs](crate)) as a serde `Deserializer`; [`to_bytes`] writes a serde value as that encoding. Both
//! map Rust types exactly as [`from_record`](crate::from_record) / [`to_record`](crate::to_record) do (`Unit` is
//! `None`, `Bytes` reads as a `Vec<u8>`, an enum variant with data is a one-field record…),
//! and proptests hold them to `Record::decode` + `from_record` and `to_record` +
//! `Record::encode`.
//!
//! Why not build the [`Record`](crate::Record): memory and time. Decoding takes
//! the memory of the value produced, never that of the message — a 500-byte record of 450
//! units is 7 KiB as a `Record`, more than a service's whole heap, and costs nothing here
//! when the type ignores it; encoding takes the output buffer only. Both are also several
//! times cheaper in the interpreter.
//!
//! The checks are the record codec's: the size, depth and width [`Limits`], tags,
//! shortest-form varints, UTF-8, no trailing bytes. Two differences, both about repeated
//! keys, which the hypervisor never delivers (it re-encodes every message from a checked
//! record): a record's repeated key that the target type does not store is skipped rather
//! than refused, and a hand-written `Serialize` that repeats a map key has it encoded twice
//! (and refused by the router) rather than replaced.
//!
//! A value that does not fit its type is `CodecError::Shape(MapError::Invalid(_))` with a
//! fixed text, on the host as in a module: serde's own messages would need `core::fmt` at
//! every call site of every type's generic code. [`read`], [`is_record`] and [`write`](fn@write) give no
//! reason at all, for callers that answer every refusal alike.
//!
//! [`Limits`]: crate::Limits

use crate::{MapError, RecordError};

use super::CodecError;

mod de;
mod ser;

pub use de::{check, from_bytes, is_record, read};
pub use ser::{to_bytes, write};

// The value tags of the wire format (the table in the crate docs), shared with `message`.
pub(crate) const UNIT: u8 = 0;
pub(crate) const BOOL: u8 = 1;
pub(crate) const I64: u8 = 2;
pub(crate) const U64: u8 = 3;
pub(crate) const F32: u8 = 4;
pub(crate) const F64: u8 = 5;
pub(crate) const BYTES: u8 = 6;
pub(crate) const STR: u8 = 7;
pub(crate) const LIST: u8 = 8;
pub(crate) const RECORD: u8 = 9;

/// Why encoding or decoding stopped, in one byte: the serializer's and deserializer's error,
/// passed up through every field of every type's generic code, so that no call site copies a
/// [`CodecError`] around. The precise error is made from it once, at the end ([`Fault::error`]),
/// with the limits it was about.
///
/// serde's own complaints (a missing field, a value out of range…) are all [`Fault::Misfit`]:
/// their text would need `core::fmt` and a heap in every module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    TooDeep,
    TooManyItems,
    Truncated,
    BadVarint,
    BadTag,
    BadUtf8,
    TrailingBytes,
    KeyNotString,
    I128,
    U128,
    Misfit,
}

impl Fault {
    /// The precise error, within `limits`.
    #[inline(never)]
    fn error(self, limits: &crate::Limits) -> CodecError {
        let record = |error| CodecError::Record(error);
        match self {
            Self::TooDeep => record(RecordError::TooDeep {
                max: clamp(limits.max_depth),
            }),
            Self::TooManyItems => record(RecordError::TooManyItems {
                max: clamp(limits.max_items),
            }),
            Self::Truncated => record(RecordError::Truncated),
            Self::BadVarint => record(RecordError::BadVarint),
            Self::BadTag => record(RecordError::BadTag),
            Self::BadUtf8 => record(RecordError::BadUtf8),
            Self::TrailingBytes => record(RecordError::TrailingBytes),
            Self::KeyNotString => CodecError::Shape(MapError::KeyNotString),
            Self::I128 => CodecError::Shape(MapError::Unsupported("i128")),
            Self::U128 => CodecError::Shape(MapError::Unsupported("u128")),
            Self::Misfit => CodecError::Shape(MapError::Invalid(MISFIT.into())),
        }
    }
}

/// What a value that does not fit the type is, here as inside a module (`MapError`'s text
/// there).
const MISFIT: &str = "value does not fit the type";

impl core::fmt::Display for Fault {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self, f)
    }
}

impl core::error::Error for Fault {}

/// serde's complaints, none of them formatted (each would build its arguments at every call
/// site of every type's generic code).
impl serde::ser::Error for Fault {
    fn custom<T: core::fmt::Display>(_: T) -> Self {
        Self::Misfit
    }
}

impl serde::de::Error for Fault {
    fn custom<T: core::fmt::Display>(_: T) -> Self {
        Self::Misfit
    }

    fn invalid_type(_: serde::de::Unexpected<'_>, _: &dyn serde::de::Expected) -> Self {
        Self::Misfit
    }

    fn invalid_value(_: serde::de::Unexpected<'_>, _: &dyn serde::de::Expected) -> Self {
        Self::Misfit
    }

    fn invalid_length(_: usize, _: &dyn serde::de::Expected) -> Self {
        Self::Misfit
    }

    fn unknown_variant(_: &str, _: &'static [&'static str]) -> Self {
        Self::Misfit
    }

    fn unknown_field(_: &str, _: &'static [&'static str]) -> Self {
        Self::Misfit
    }

    fn missing_field(_: &'static str) -> Self {
        Self::Misfit
    }

    fn duplicate_field(_: &'static str) -> Self {
        Self::Misfit
    }
}

fn wire(error: RecordError) -> CodecError {
    CodecError::Record(error)
}

fn clamp(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
