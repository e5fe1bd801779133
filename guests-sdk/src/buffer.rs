//! A static buffer handed out once: memory a module needs for its whole life (a service's
//! delivery buffer), without a heap.
//!
//! ```ignore
//! static BUFFER: Buffer<720> = Buffer::new();
//! let buf: &'static mut [u8; 720] = BUFFER.take().expect("taken once");
//! ```
//!
//! The bytes are zero-initialised data (`.bss`): they cost linear memory, not bytes in the
//! module file.
#![allow(unsafe_code)]

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

/// `N` bytes in a `static`, handed out as `&'static mut` at most once.
pub struct Buffer<const N: usize> {
    taken: AtomicBool,
    bytes: UnsafeCell<[u8; N]>,
}

// Safety: the bytes are reachable only through `take`, which the flag lets succeed once, so
// no two threads (or callers) ever hold them at the same time.
unsafe impl<const N: usize> Sync for Buffer<N> {}

impl<const N: usize> Buffer<N> {
    /// `N` zero bytes, not taken yet.
    pub const fn new() -> Self {
        Self {
            taken: AtomicBool::new(false),
            bytes: UnsafeCell::new([0; N]),
        }
    }

    /// The bytes, the first time; `None` after.
    // The flag makes the `&mut` unique: the lint cannot see it.
    #[allow(clippy::mut_from_ref)]
    pub fn take(&'static self) -> Option<&'static mut [u8; N]> {
        if self.taken.swap(true, Ordering::Acquire) {
            return None;
        }
        // Safety: the flag was clear and is now set, so this is the one reference to the
        // bytes that will ever exist; they live as long as the static.
        Some(unsafe { &mut *self.bytes.get() })
    }
}

impl<const N: usize> Default for Buffer<N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bytes_are_handed_out_once() {
        static BUFFER: Buffer<8> = Buffer::new();
        let bytes = BUFFER.take().unwrap();
        bytes[0] = 1;
        assert!(BUFFER.take().is_none());
        assert_eq!(bytes[0], 1);
    }
}
