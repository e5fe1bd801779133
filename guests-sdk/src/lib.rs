//! Write Fireball guest apps: `no_std` Rust programs compiled to `wasm32-unknown-unknown`.
//!
//! A guest is a `cdylib` whose entry point is declared with [`entry!`]. It
//! talks to the hypervisor through builtins (see `fireball-abi`); this crate
//! wraps the raw imports in safe functions.
//!
//! ```ignore
//! #![cfg_attr(target_arch = "wasm32", no_std)]
//! use fireball_guests_sdk::{entry, println};
//!
//! entry!(main);
//!
//! fn main() {
//!     println!("hello from a guest, {} + {} = {}", 2, 2, 2 + 2);
//! }
//! ```
//!
//! # Layers
//!
//! - `sys` — the raw imports on `wasm32`, and a recording stub everywhere else,
//!   so the same guest code unit-tests with plain `cargo test` (see [`stub`]).
//! - [`console`] — printing (through the `print` builtin).
//! - [`buffer`] — a `static` handed out once (`Static`, `Buffer`): memory for a module's life,
//!   off the stack and without a heap.
//! - [`text`] — strings and integers into a fixed buffer without `core::fmt` (log lines,
//!   URIs and panic messages in a few hundred bytes of code instead of several KiB).
//! - [`device`] — GPIO, time, yield, breakpoints, channels, ISR flags, vOffloader.
//! - [`route`] — the router: bind a URI, call or notify with encoded records; the typed
//!   [`route::Client`] (with `alloc`); and [`route::serve`], taking and answering deliveries
//!   (what `services-sdk` builds on).
//! - With `alloc`: [`heap!`] (the module's heap) or [`no_heap!`], [`codec`] (`Message`
//!   structs ↔ record bytes),
//!   [`hal`] (ADC, UART, timer, I2C, SPI over the router) and [`log`] (`log::info!`, …).
//! - On `wasm32` the crate also provides the panic handler: a guest panic
//!   becomes an `abort` builtin call carrying the message, which the
//!   hypervisor reports as a trap of that instance only.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! | --- | --- | --- |
//! | `alloc` | off | `heap!` / `no_heap!`, `codec`, `route::Client`, `hal`, `log`; depends on `fireball-record`, `serde`, `talc` |
//!
//! A guest that uses `alloc` declares its heap once, inside its fixed linear memory:
//!
//! ```ignore
//! fireball_guests_sdk::heap!(4096);
//! ```
//!
//! This crate may depend on `fireball-abi` and, with `alloc`, `fireball-record`, `serde` and
//! `talc`; nothing else, so a guest links only what it uses.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![deny(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;

pub mod buffer;
#[cfg(feature = "alloc")]
pub mod codec;
pub mod console;
pub mod device;
#[cfg(feature = "alloc")]
pub mod hal;
#[cfg(feature = "alloc")]
pub mod heap;
#[cfg(feature = "alloc")]
pub mod log;
#[cfg(target_arch = "wasm32")]
mod panic;
pub mod route;
#[cfg(not(target_arch = "wasm32"))]
pub mod stub;
mod sys;
pub mod text;

#[doc(hidden)]
pub use fireball_abi as abi;

/// Stop this guest now, reporting `message` (what a panic does, too).
///
/// The hypervisor reports it as a trap of this instance only; other guests
/// keep running. Under the host stub it panics with the message.
pub fn abort(message: &str) -> ! {
    sys::abort(message.as_bytes())
}

/// Declare the guest's entry point: a plain `fn()` that the hypervisor calls
/// once the instance is ready. The function may loop forever; the hypervisor
/// pauses it every few thousand instructions so other guests keep running.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        /// The guest's entry point, exported as `fb_main`.
        #[unsafe(no_mangle)]
        pub extern "C" fn fb_main() {
            let main: fn() = $main;
            main()
        }
    };
}
