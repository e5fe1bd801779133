//! Typed messages: plain serde types to and from records and their wire bytes.
//!
//! Two conventions make empty messages easy: `()` encodes as the empty record, and the
//! empty record decodes as `()` (or as any struct whose fields are all optional).
//!
//! [`encode`] and [`decode`] go straight between the type and the wire bytes ([`wire`])
//! instead of building a [`Record`](crate::Record): a WASM module's heap is a few KiB, and a
//! small message can describe a record many times its size. [`to_record`](crate::to_record)
//! and [`from_record`](crate::from_record) are the same mapping through a `Record`, for code
//! that has one. Both SDKs build on this module;
//! the router decodes the same bytes with [`Record::decode`](crate::Record::decode).

pub mod wire;

use alloc::vec::Vec;
use core::fmt;

use serde::{Serialize, de::DeserializeOwned};

use crate::{Limits, MapError, RecordError};

/// Why a message could not be encoded or decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodecError {
    /// The bytes are not a record within the limits, or the record breaks them.
    Record(RecordError),
    /// The record does not have the type's shape (a missing field, a wrong type), or the
    /// value does not map to a record (only structs, maps and `()` do).
    Shape(MapError),
}

/// `value`'s wire bytes within `limits`, written in place (see [`wire`]): the memory it
/// takes is the output.
pub fn encode<T: Serialize + ?Sized>(value: &T, limits: &Limits) -> Result<Vec<u8>, CodecError> {
    wire::to_bytes(value, limits)
}

/// A `T` out of untrusted wire bytes within `limits`, decoded in place (see [`wire`]): the
/// memory it takes is that of the `T`, never that of the message.
pub fn decode<T: DeserializeOwned>(bytes: &[u8], limits: &Limits) -> Result<T, CodecError> {
    wire::from_bytes(bytes, limits)
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Record(e) => write!(f, "not a record: {e}"),
            Self::Shape(e) => write!(f, "wrong shape: {e}"),
        }
    }
}

impl core::error::Error for CodecError {}

#[cfg(test)]
pub(crate) mod tests {
    /// What the SDKs use: 1 KiB messages, the default depth and width.
    pub(crate) const LIMITS: crate::Limits = crate::Limits {
        max_bytes: 1024,
        ..crate::Limits::DEFAULT
    };
}
