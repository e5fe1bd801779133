//! Typed messages ↔ the router's wire bytes (feature `alloc`).
//!
//! A message on the router is a [`Record`](fireball_record::Record); at the WASM boundary it
//! crosses as postcard bytes. In a module, a message is a plain struct that derives
//! [`Message`] (`#[derive(Message)]`, from `fireball-record`): the derive writes a few lines
//! per field over one shared reader and writer ([`message`]), so a module carries no serde
//! visitors and no generic codec. The bytes are the record codec's, which the router decodes
//! with; the same types may also derive serde's traits for native code, and proptests in
//! `fireball-record` hold both mappings equal.
//!
//! Two conventions make empty messages easy: `()` encodes as the empty record, and the
//! empty record decodes as `()` (or as any struct whose fields are all optional).
//!
//! Encoding never allocates where the caller gives a buffer ([`encode_into`]); decoding
//! takes the memory of the value produced (its `String`s and `Vec`s), never that of the
//! message. For code that holds a [`Record`](fireball_record::Record) (host tests, stubs),
//! [`to_record`] and [`from_record`] are serde's mapping.

pub use fireball_record::message::{self, Encode, Message};
pub use fireball_record::typed::CodecError;
pub use fireball_record::{MapError, from_record, to_record};

use alloc::vec::Vec;

/// The bounds this SDK holds messages to: at most
/// [`MAX_ROUTE_MESSAGE`](fireball_abi::limits::MAX_ROUTE_MESSAGE) bytes, the router's
/// depth and width. The router's own limits (512 B by default) may be tighter.
pub const LIMITS: fireball_record::Limits = message::flat::LIMITS;

/// The empty record's bytes: the body of a request that carries nothing.
pub const EMPTY: &[u8] = &[0];

/// Messages up to this size are encoded in [`with_encoded`]'s own frame.
const STACK_MESSAGE: usize = 128;

/// Messages up to this size (the router's default limit) are encoded in a frame of their
/// own, entered only for them: a module that sends them needs that much more stack, not a
/// heap.
const LARGE_MESSAGE: usize = 512;

/// `value`'s wire bytes written into `buf`: their length, or `None` when they do not fit
/// `buf` or [`LIMITS`].
pub fn encode_into<T: Encode + ?Sized>(value: &T, buf: &mut [u8]) -> Option<usize> {
    message::encode(value, buf, &LIMITS)
}

/// `value`'s wire bytes in a `Vec` of exactly their size; `None` over [`LIMITS`].
pub fn encode<T: Encode + ?Sized>(value: &T) -> Option<Vec<u8>> {
    message::to_vec(value, &LIMITS)
}

/// Run `f` on `value`'s wire bytes; `None` (without running `f`) over [`LIMITS`]. Up to 128
/// bytes are encoded on the stack in this frame, up to 512 (the router's default limit) in a
/// 512-byte frame of their own (size the module's `stack` for it if it sends such messages),
/// larger ones in a `Vec` of exactly their size (they need a heap: without one, `None`).
pub fn with_encoded<T: Encode, R>(value: &T, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
    let mut small = [0u8; STACK_MESSAGE];
    let mut out = message::Writer::new(&mut small);
    value.write(&mut out);
    let len = out.len();
    if len > LIMITS.max_bytes {
        return None;
    }
    if len <= STACK_MESSAGE {
        return small.get(..len).map(f);
    }
    let mut f = Some(f);
    let mut result = None;
    with_large(value, len, &mut |bytes| {
        if let Some(f) = f.take() {
            result = Some(f(bytes));
        }
    });
    result
}

/// The 512-byte frame, or the heap: run `f` on `value`'s `len` encoded bytes (a trait
/// object: one copy of the large paths in a module).
#[inline(never)]
fn with_large(value: &dyn Encode, len: usize, f: &mut dyn FnMut(&[u8])) {
    if len <= LARGE_MESSAGE {
        let mut large = [0u8; LARGE_MESSAGE];
        if let Some(len) = encode_into(value, &mut large) {
            f(large.get(..len).unwrap_or_default());
        }
        return;
    }
    if let Some(mut heap) = zeroed(len)
        && let Some(len) = encode_into(value, &mut heap)
    {
        f(heap.get(..len).unwrap_or_default());
    }
}

/// `len` zero bytes on the heap, or `None` when the module has no heap or it is full.
/// Reserved with `try_reserve_exact`, which reports a failure instead of calling the
/// allocation-failure handler: a module whose only allocation is this one links neither
/// that handler nor the `core::fmt` its message is formatted with.
#[allow(unsafe_code)]
pub(crate) fn zeroed(len: usize) -> Option<alloc::vec::Vec<u8>> {
    let mut heap = alloc::vec::Vec::new();
    heap.try_reserve_exact(len).ok()?;
    for byte in heap.spare_capacity_mut().iter_mut().take(len) {
        byte.write(0);
    }
    // Safety: the capacity is at least `len` (reserved above) and the first `len` bytes
    // were just written.
    unsafe { heap.set_len(len) };
    Some(heap)
}

/// A `T` out of untrusted wire bytes within [`LIMITS`]; `None` when they are not one.
///
/// The hypervisor reads the record (builtin `record_read`, over `T`'s flat layout
/// [`Message::SHAPE`]) and the module builds the value from the flat block it fills
/// ([`Message::from_flat`]): a module carries no record reader and spends no fuel on one.
/// On the host the same reader runs natively. A type over
/// [`MAX_FLAT`](message::flat::MAX_FLAT) bytes laid flat does not compile here.
pub fn decode<T: Message>(bytes: &[u8]) -> Option<T> {
    const {
        assert!(
            T::SHAPE.size() <= message::flat::MAX_FLAT,
            "a message this large laid flat cannot be decoded in a module"
        )
    };
    // A block on the stack no larger than the next power of two up from the type's (one
    // branch survives per type: the size is a constant).
    match T::SHAPE.size() {
        0..=16 => decode_in::<T, 16>(bytes),
        17..=32 => decode_in::<T, 32>(bytes),
        33..=64 => decode_in::<T, 64>(bytes),
        65..=128 => decode_in::<T, 128>(bytes),
        _ => decode_in::<T, { message::flat::MAX_FLAT }>(bytes),
    }
}

/// [`decode`] with an `N`-byte block.
fn decode_in<T: Message, const N: usize>(bytes: &[u8]) -> Option<T> {
    let mut block = [0u8; N];
    let out = block.get_mut(..T::SHAPE.size())?;
    if crate::sys::record_read(&T::SHAPE, bytes, out) != fireball_abi::status::OK {
        return None;
    }
    T::from_flat(&message::Flat::new(out, bytes, &LIMITS), 0)
}

/// Any record: no field read, none refused.
const ANY: message::Shape = message::Shape::new(&[], 0);

/// Whether `bytes` are a record within [`LIMITS`] (what a `read` handler, which takes no
/// body, still checks), without decoding anything.
pub fn is_record(bytes: &[u8]) -> bool {
    crate::sys::record_read(&ANY, bytes, &mut []) == fireball_abi::status::OK
}

#[cfg(test)]
mod tests {
    use fireball_record::Record;
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
        assert_eq!(decode::<AdcSample>(&bytes), Some(sample.clone()));
        assert_eq!(
            bytes,
            fireball_record::to_record(&sample)
                .unwrap()
                .encode(&LIMITS)
                .unwrap(),
            "the router's bytes"
        );
        assert_eq!(encode(&()).unwrap(), EMPTY);
        assert_eq!(Record::new().encode(&LIMITS).unwrap(), EMPTY);
        assert_eq!(decode::<()>(EMPTY), Some(()));
    }

    #[test]
    fn wrong_shapes_and_bad_bytes_are_refused() {
        assert_eq!(decode::<AdcSample>(EMPTY), None);
        let record = Record::new().with("x", 1u8).encode(&LIMITS).unwrap();
        assert_eq!(decode::<()>(&record), None);
        assert_eq!(decode::<()>(&[0, 0]), None, "trailing bytes");
        let big = Data {
            data: alloc::vec![0u8; LIMITS.max_bytes],
        };
        assert_eq!(encode(&big), None);
        assert_eq!(with_encoded(&big, |_| ()), None);
        let mid = Data {
            data: alloc::vec![5u8; 3 * STACK_MESSAGE],
        };
        assert_eq!(with_encoded(&mid, |b| b.to_vec()), encode(&mid));
        let large = Data {
            data: alloc::vec![6u8; 700],
        };
        assert_eq!(with_encoded(&large, |b| b.to_vec()), encode(&large));
        let mut buf = [0u8; 4];
        assert_eq!(encode_into(&mid, &mut buf), None);
    }
}
