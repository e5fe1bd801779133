//! Typed messages ↔ the router's wire bytes (feature `alloc`).
//!
//! A message on the router is a [`Record`](fireball_record::Record); at the WASM boundary it crosses as postcard
//! bytes. This module maps plain serde types through a record to those bytes and back,
//! with the same codec the router decodes with (`fireball-record`, whose [`typed`](fireball_record::typed)
//! module this wraps with the SDK's [`LIMITS`]), so both ends agree.
//!
//! Two conventions make empty messages easy: `()` encodes as the empty record, and the
//! empty record decodes as `()` (or as any struct whose fields are all optional).
//!
//! [`encode`] and [`decode`] go straight between the type and the wire bytes ([`wire`])
//! instead of building a `Record`: a module's heap is a few KiB, and a small message can
//! describe a record many times its size. [`to_record`] and [`from_record`] are the same
//! mapping through a `Record`, for code that has one.

pub use fireball_record::typed::{CodecError, from_record, to_record, wire};

use alloc::vec::Vec;

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

/// `value`'s wire bytes within [`LIMITS`], written in place (see [`wire`]).
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CodecError> {
    fireball_record::typed::encode(value, &LIMITS)
}

/// A `T` out of untrusted wire bytes within [`LIMITS`], decoded in place (see [`wire`]).
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    fireball_record::typed::decode(bytes, &LIMITS)
}

/// [`encode`] without the reason: `None` for a value that is not a record within [`LIMITS`].
pub fn try_encode<T: Serialize + ?Sized>(value: &T) -> Option<Vec<u8>> {
    wire::write(value, &LIMITS)
}

/// [`decode`] without the reason: `None` for bytes that are not a `T` (less code in a module
/// where every refusal is answered the same way).
pub fn try_decode<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    wire::read(bytes, &LIMITS)
}

/// Whether `bytes` are a record within [`LIMITS`] (what a `read` handler, which takes no
/// body, still checks), without decoding anything.
pub fn is_record(bytes: &[u8]) -> bool {
    wire::is_record(bytes, &LIMITS)
}

#[cfg(test)]
mod tests {
    use fireball_record::system::hal::{AdcSample, Data};
    use fireball_record::{MapError, Record, RecordError};

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
