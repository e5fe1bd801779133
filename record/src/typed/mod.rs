//! Typed messages: plain serde types to and from records and their wire bytes.
//!
//! Two conventions make empty messages easy: `()` encodes as the empty record, and the
//! empty record decodes as `()` (or as any struct whose fields are all optional).
//!
//! [`encode`] and [`decode`] go straight between the type and the wire bytes ([`wire`])
//! instead of building a [`Record`]: a WASM module's heap is a few KiB, and a small message
//! can describe a record many times its size. [`to_record`] and [`from_record`] are the
//! same mapping through a `Record`, for code that has one. Both SDKs build on this module;
//! the router decodes the same bytes with [`Record::decode`].

pub mod wire;

use alloc::vec::Vec;
use core::fmt;

use serde::{Serialize, de::DeserializeOwned};

use crate::{Limits, MapError, Record, RecordError, Value};

/// Why a message could not be encoded or decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodecError {
    /// The bytes are not a record within the limits, or the record breaks them.
    Record(RecordError),
    /// The record does not have the type's shape (a missing field, a wrong type), or the
    /// value does not map to a record (only structs, maps and `()` do).
    Shape(MapError),
}

/// `value` as a record: a struct or map field by field, `()` as the empty record.
pub fn to_record<T: Serialize + ?Sized>(value: &T) -> Result<Record, CodecError> {
    match crate::to_value(value).map_err(CodecError::Shape)? {
        Value::Record(record) => Ok(record),
        Value::Unit => Ok(Record::new()),
        _ => Err(CodecError::Shape(MapError::NotARecord)),
    }
}

/// A `T` out of `record`; the empty record is also `()`.
pub fn from_record<T: DeserializeOwned>(record: &Record) -> Result<T, CodecError> {
    crate::from_record(record).or_else(|shape| {
        if record.is_empty() {
            crate::from_value(&Value::Unit).map_err(|_| CodecError::Shape(shape))
        } else {
            Err(CodecError::Shape(shape))
        }
    })
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
