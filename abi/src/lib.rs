//! The guest ↔ hypervisor ABI, described once.
//!
//! Both sides of the WebAssembly boundary depend on this crate: `vsoc` links
//! these names as host functions, and `guests-sdk` / `services-sdk` declare
//! them as raw imports. Nothing here executes; it is the contract.
//!
//! Every import lives in the module [`MODULE`]. Pointers and lengths passed
//! across the boundary are `i32` offsets into the caller's own linear memory
//! and are *allegations* until the host has checked them against that memory.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// The import module every Fireball builtin lives in.
pub const MODULE: &str = "fb";

/// The export a guest's entry point must have: `() -> ()`.
pub const ENTRY: &str = "fb_main";

/// Names of the builtins (runtime-embedded host functions that skip the router).
pub mod builtin {
    /// `print(ptr: i32, len: i32)`: write UTF-8 bytes to the instance's console.
    pub const PRINT: &str = "print";
    /// `abort(ptr: i32, len: i32)`: stop the instance with a message (a guest panic).
    pub const ABORT: &str = "abort";
}

/// Limits every module is held to, whatever its own declaration says.
pub mod limits {
    /// Longest message `print` or `abort` accepts, in bytes.
    pub const MAX_MESSAGE: usize = 1024;
}
