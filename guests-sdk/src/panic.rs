//! A guest panic becomes an `abort` builtin call carrying its message.
//!
//! The message is written without `core::fmt` (see [`crate::text`]), which would otherwise be
//! linked into every module for the sake of a message nobody may ever see: a plain message
//! (`panic!("…")`, `unwrap` on `None`, a failed `assert!`) is kept as it is, and so is the
//! allocation failure's (`memory allocation of 8 bytes failed`, noted by the heap); any other
//! formatted message (`panic!("{x}")`, `expect`, an index out of bounds) is replaced by a fixed
//! text. The location (`at src/lib.rs:42`) always follows.

use crate::text::Text;

/// A longer message is cut, never allocated.
const MESSAGE: usize = 160;

/// What a formatted message becomes.
const FORMATTED: &str = "panicked (formatted message not kept in a module)";

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let mut buf = [0u8; MESSAGE];
    let mut message = Text::new(&mut buf);
    match info.message().as_str() {
        Some(text) => message.push_str(text),
        None => formatted(&mut message),
    }
    if let Some(location) = info.location() {
        message.push_str(" at ");
        message.push_str(location.file());
        message.push_str(":");
        message.push_u64(location.line().into());
    }
    crate::sys::abort(message.as_bytes())
}

#[cfg(feature = "alloc")]
fn formatted(message: &mut Text<'_>) {
    match crate::heap::failed_allocation() {
        Some(size) => {
            message.push_str("memory allocation of ");
            message.push_u64(size as u64);
            message.push_str(" bytes failed");
        }
        None => message.push_str(FORMATTED),
    }
}

#[cfg(not(feature = "alloc"))]
fn formatted(message: &mut Text<'_>) {
    message.push_str(FORMATTED);
}
