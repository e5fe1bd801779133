//! A `static` handed out once: memory a module needs for its whole life (a service's
//! delivery buffer, an app's working state), without a heap and off the stack.
//!
//! ```ignore
//! static BUFFER: Buffer<720> = Buffer::zeroed();
//! let buf: &'static mut [u8; 720] = BUFFER.take().expect("taken once");
//!
//! static WINDOWS: Static<[Window; 3]> = Static::new([Window::new(), Window::new(), Window::new()]);
//! let windows = WINDOWS.take().expect("taken once");
//! ```
//!
//! Zero-initialised values are `.bss`: they cost linear memory, not bytes in the module file.
#![allow(unsafe_code)]

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

/// A `T` in a `static`, handed out as `&'static mut` at most once.
pub struct Static<T> {
    taken: AtomicBool,
    value: UnsafeCell<T>,
}

// Safety: the value is reachable only through `take`, which the flag lets succeed once, so
// no two threads (or callers) ever hold it at the same time; handing it to another thread
// is what `T: Send` allows.
unsafe impl<T: Send> Sync for Static<T> {}

impl<T> Static<T> {
    /// `value`, not taken yet.
    pub const fn new(value: T) -> Self {
        Self {
            taken: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// The value, the first time; `None` after.
    // The flag makes the `&mut` unique: the lint cannot see it.
    #[allow(clippy::mut_from_ref)]
    pub fn take(&'static self) -> Option<&'static mut T> {
        if self.taken.swap(true, Ordering::Acquire) {
            return None;
        }
        // Safety: the flag was clear and is now set, so this is the one reference to the
        // value that will ever exist; it lives as long as the static.
        Some(unsafe { &mut *self.value.get() })
    }
}

/// `N` bytes in a `static`, handed out once (a service's delivery buffer).
pub type Buffer<const N: usize> = Static<[u8; N]>;

impl<const N: usize> Static<[u8; N]> {
    /// `N` zero bytes, not taken yet.
    pub const fn zeroed() -> Self {
        Self::new([0; N])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bytes_are_handed_out_once() {
        static BUFFER: Buffer<8> = Buffer::zeroed();
        let bytes = BUFFER.take().unwrap();
        bytes[0] = 1;
        assert!(BUFFER.take().is_none());
        assert_eq!(bytes[0], 1);
    }
}
