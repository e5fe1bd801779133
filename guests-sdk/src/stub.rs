//! The host stub: guest code compiled for the host (for `cargo test`) calls
//! these instead of real builtins, and tests read back what it did.
//!
//! State is per thread, so tests running in parallel do not see each other.

use std::cell::RefCell;

std::thread_local! {
    static CONSOLE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

pub(crate) fn record_print(bytes: &[u8]) {
    CONSOLE.with(|c| c.borrow_mut().extend_from_slice(bytes));
}

/// Take everything printed on this thread so far, leaving the console empty.
pub fn take_console() -> String {
    CONSOLE.with(|c| String::from_utf8_lossy(&std::mem::take(&mut *c.borrow_mut())).into_owned())
}
