//! Typed messages ↔ the router's wire bytes (feature `alloc`).
//!
//! A message on the router is a [`Record`]; at the WASM boundary it crosses as postcard
//! bytes. This module maps plain serde types through a record to those bytes and back,
//! with the same codec the router decodes with (`fireball-record`), so both ends agree.
//!
//! Two conventions make empty messages easy: `()` encodes as the empty record, and the
//! empty record decodes as `()` (or as any struct whose fields are all optional).
//!
//! [`encode`] and [`decode`] go straight between the type and the wire bytes ([`wire`])
//! instead of building a [`Record`]: a module's heap is a few KiB, and a small message can
//! describe a record many times its size. [`to_record`] and [`from_record`] are the same
//! mapping through a `Record`, for code that has one.

pub mod wire;

use alloc::vec::Vec;
use core::fmt;

use fireball_record::{MapError, Record, RecordError, Value};
use serde::{Serialize, de::DeserializeOwned};

/// The bounds this SDK holds messages to: at most
/// [`MAX_ROUTE_MESSAGE`](fireball_abi::limits::MAX_ROUTE_MESSAGE) bytes, the router's
/// depth and width. The router's own limits (512 B by default) may be tighter.
pub const LIMITS: fireball_record::Limits = fireball_record::Limits {
    max_bytes: fireball_abi::limits::MAX_ROUTE_MESSAGE,
    ..fireball_record::Limits::DEFAULT
};

/// The empty record's bytes: the body of a request that carries nothing.
pub const EMPTY: &[u8] = &[0];

/// Why a message could not be encoded or decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodecError {
    /// The bytes are not a record within [`LIMITS`], or the record breaks them.
    Record(RecordError),
    /// The record does not have the type's shape (a missing field, a wrong type), or the
    /// value does not map to a record (only structs, maps and `()` do).
    Shape(MapError),
}

/// `value` as a record: a struct or map field by field, `()` as the empty record.
pub fn to_record<T: Serialize + ?Sized>(value: &T) -> Result<Record, CodecError> {
    match fireball_record::to_value(value).map_err(CodecError::Shape)? {
        Value::Record(record) => Ok(record),
        Value::Unit => Ok(Record::new()),
        _ => Err(CodecError::Shape(MapError::NotARecord)),
    }
}

/// A `T` out of `record`; the empty record is also `()`.
pub fn from_record<T: DeserializeOwned>(record: &Record) -> Result<T, CodecError> {
    fireball_record::from_record(record).or_else(|shape| {
        if record.is_empty() {
            fireball_record::from_value(&Value::Unit).map_err(|_| CodecError::Shape(shape))
        } else {
            Err(CodecError::Shape(shape))
        }
    })
}

/// `value`'s wire bytes, written in place (see [`wire`]): the memory it takes is the output.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CodecError> {
    wire::to_bytes(value, &LIMITS)
}

/// A `T` out of untrusted wire bytes, decoded in place (see [`wire`]): the memory it takes
/// is that of the `T`, never that of the message.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    wire::from_bytes(bytes, &LIMITS)
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
mod tests {
    use fireball_record::system::hal::{AdcSample, Data};

    use super::*;

    #[test]
    fn structs_round_trip_and_unit_is_the_empty_record() {
        let sample = AdcSample {
            channel: 2,
            raw: 512,
            bits: 12,
            millivolts: 412,
        };
        let bytes = encode(&sample).unwrap();
        assert_eq!(decode::<AdcSample>(&bytes), Ok(sample));
        assert_eq!(encode(&()).unwrap(), EMPTY);
        assert_eq!(Record::new().encode(&LIMITS).unwrap(), EMPTY);
        assert_eq!(decode::<()>(EMPTY), Ok(()));
    }

    #[test]
    fn wrong_shapes_and_bad_bytes_are_errors() {
        assert!(matches!(
            decode::<AdcSample>(EMPTY),
            Err(CodecError::Shape(_))
        ));
        let record = Record::new().with("x", 1u8).encode(&LIMITS).unwrap();
        assert!(matches!(decode::<()>(&record), Err(CodecError::Shape(_))));
        assert_eq!(
            decode::<()>(&[0, 0]),
            Err(CodecError::Record(RecordError::TrailingBytes))
        );
        assert_eq!(encode(&7u32), Err(CodecError::Shape(MapError::NotARecord)));
        let big = Data {
            data: alloc::vec![0u8; LIMITS.max_bytes],
        };
        assert!(matches!(
            encode(&big),
            Err(CodecError::Record(RecordError::TooLarge { .. }))
        ));
    }
}
