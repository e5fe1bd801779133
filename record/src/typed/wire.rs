//! Typed messages straight to and from a record's wire bytes, without building the record.
//!
//! [`from_bytes`] reads the postcard encoding of a record (the table in the
//! [crate docs](crate)) as a serde `Deserializer`; [`to_bytes`] writes a serde value as that encoding. Both
//! map Rust types exactly as [`from_record`](super::from_record) / [`to_record`](super::to_record) do (`Unit` is
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
//! [`Limits`]: crate::Limits

use crate::{MapError, RecordError};

use super::CodecError;

mod de;
mod ser;

pub use de::{check, from_bytes};
pub use ser::to_bytes;

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

fn wire(error: RecordError) -> CodecError {
    CodecError::Record(error)
}

/// A value that does not fit the type (serde's complaint): serde's text on the host; inside
/// a module only the kind, as [`MapError`] keeps it there, so that no call site formats.
fn shape(msg: impl core::fmt::Display) -> CodecError {
    #[cfg(target_arch = "wasm32")]
    {
        let _ = msg;
        misfit()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        use alloc::string::ToString;
        CodecError::Shape(MapError::Invalid(msg.to_string().into()))
    }
}

#[cfg(target_arch = "wasm32")]
#[inline(never)]
fn misfit() -> CodecError {
    CodecError::Shape(MapError::Invalid("value does not fit the type".into()))
}

fn clamp(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
