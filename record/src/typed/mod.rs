//! Typed messages on the native side: plain serde types to and from records.
//!
//! Two conventions make empty messages easy: `()` encodes as the empty record, and the
//! empty record decodes as `()` (or as any struct whose fields are all optional).
//!
//! Inside WASM modules the same mapping is [`Message`](crate::Message), straight between a
//! struct and the wire bytes ([`message`](crate::message)); proptests hold the two equal.

use core::fmt;

use serde::{Serialize, de::DeserializeOwned};

use crate::{MapError, Record, RecordError, Value};

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

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Record(e) => write!(f, "not a record: {e}"),
            Self::Shape(e) => write!(f, "wrong shape: {e}"),
        }
    }
}

impl core::error::Error for CodecError {}
