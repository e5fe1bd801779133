//! Write Fireball service plugins: WASM modules that serve router routes (`svc://…`).
//!
//! A service is a `no_std` `cdylib` for `wasm32-unknown-unknown`, loaded into its own quota of
//! partition P4. Its state is a plain struct; it says which routes it serves and with which
//! handlers by implementing [`Service`]; [`service!`] gives it the `fb_main` export that
//! serves until the module stops (and a heap, if it asks for one). Handlers take and return
//! plain structs that derive [`Message`](fireball_record::Message):
//!
//! ```
//! // In a service crate: #![cfg_attr(target_arch = "wasm32", no_std)]
//! use fireball_services_sdk::prelude::*;
//!
//! #[derive(Message)]
//! struct Add {
//!     value: i64,
//! }
//!
//! #[derive(Debug, PartialEq, Message)]
//! struct Total {
//!     total: i64,
//! }
//!
//! struct Counter {
//!     total: i64,
//! }
//!
//! impl Counter {
//!     fn add(&mut self, _: &Request<'_>, add: Add) -> Result<Total, Failure> {
//!         self.total = self.total.checked_add(add.value).ok_or(Failure::UNPROCESSABLE)?;
//!         Ok(Total { total: self.total })
//!     }
//!
//!     fn read(&mut self, _: &Request<'_>) -> Result<Total, Failure> {
//!         Ok(Total { total: self.total })
//!     }
//! }
//!
//! impl Service for Counter {
//!     fn init() -> Self {
//!         Counter { total: 0 }
//!     }
//!
//!     fn routes(routes: Routes<Self>) -> Routes<Self> {
//!         routes
//!             .write("svc://counter", Counter::add)
//!             .read("svc://counter", Counter::read)
//!     }
//! }
//!
//! service!(Counter); // no heap: nothing here allocates
//!
//! // A host test drives it through the stub, with no hypervisor:
//! let mut counter = fireball_services_sdk::stub::Service::<Counter>::new();
//! let total: Total = counter.write("svc://counter", &Add { value: 2 }).unwrap();
//! assert_eq!(total, Total { total: 2 });
//! assert_eq!(counter.read::<Total>("svc://nope"), Err(Failure::NOT_FOUND));
//! ```
//!
//! # How a service runs
//!
//! The deployment manifest lists the patterns a service serves (`routes`) and what it may
//! reach itself. `fb_main` builds the [`Routes`] once, then loops: `route_next` blocks until
//! a request, notification or publication arrives; `route_take` copies it into the
//! service's buffer ([`Service::BUFFER`], a static array: no heap is needed); the SDK
//! matches its URI against the patterns (`{param}` segments, as the router matches them),
//! decodes the body into the handler's type, runs the handler on the state, and answers with
//! `route_respond`: the reply, or the handler's [`Failure`] code. The SDK answers by itself
//! where no handler can: 404 (no pattern matches), 405 (no handler for the method), 400 (the
//! body does not decode), 413 (the delivery is larger than the buffer: it is not taken, and
//! the service goes on), 500 (the reply does not fit the buffer or the router's limits). A
//! notification runs its handler and drops the result. Requests are answered one at a time,
//! in order.
//!
//! A handler calls other routes and logs with the guest SDK's clients ([`hal`](guests::hal),
//! [`log`](guests::log), [`Client`](guests::route::Client)), re-exported in the [`prelude`];
//! a dependency's refusal converts into a [`Failure`] with `?`. A panic aborts the module with
//! its message (the guest SDK's panic handler); only this service stops, and the router
//! answers its open requests.
//!
//! # Inside
//!
//! - [`pattern`] — pattern syntax and matching (pure, no allocation).
//! - [`Request`], [`Failure`] — what a handler sees, how it refuses.
//! - [`Routes`] — the table of patterns and typed handlers; dispatch.
//! - [`Server`] — the serve loop over the guest SDK's `route::serve` builtins.
//! - [`stub`] (host only) — send a service typed requests from a test.
//!
//! This crate depends on `fireball-guests-sdk` (with `alloc`: a service is a module like a
//! guest, with the same builtins), `fireball-record` and `serde` (for message types that
//! native code also maps with serde).
#![cfg_attr(target_arch = "wasm32", no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub use fireball_guests_sdk::route::pattern;
mod request;
mod routes;
mod server;
#[cfg(not(target_arch = "wasm32"))]
pub mod stub;

pub use fireball_abi as abi;
pub use fireball_guests_sdk as guests;
pub use fireball_guests_sdk::route::Route;
pub use fireball_record as record;
pub use request::{Failure, Request};
pub use routes::{MAX_ROUTES, Routes};
pub use serde;
pub use server::{DEFAULT_BUFFER, Server, serve};

#[doc(hidden)]
pub use fireball_guests_sdk::{buffer::Buffer as __Buffer, heap as __heap, no_heap as __no_heap};

/// A service: its state, how it starts, and the routes it serves.
pub trait Service: Sized + 'static {
    /// Bytes of the buffer deliveries are taken into and replies are written in (a static
    /// array in the module's memory, not the heap). A delivery larger than this is answered
    /// [`Failure::TOO_LARGE`] (413) without reaching a handler, and the service goes on; a
    /// reply larger is [`Failure::INTERNAL`] (500). The default holds any request within
    /// the router's default limits.
    const BUFFER: usize = DEFAULT_BUFFER;

    /// The state the service starts with (called once, before the first delivery).
    fn init() -> Self;

    /// The service's routes, added to `routes` (see [`Routes`]).
    fn routes(routes: Routes<Self>) -> Routes<Self>;
}

/// Declare the module's service: `service!(State)`, or `service!(State, heap = BYTES)` for
/// a service whose handlers allocate.
///
/// `State` implements [`Service`]. The expansion declares the module's allocator — none by
/// default ([`no_heap!`](fireball_guests_sdk::no_heap): a service whose messages hold no
/// `String` or `Vec` needs no heap, and links no allocator), or a heap of `BYTES` bytes
/// ([`heap!`](fireball_guests_sdk::heap)) — its [`Service::BUFFER`], and the `fb_main`
/// export that runs [`serve::<State>`](serve). Size the manifest's `memory` for stack,
/// static data (the buffer among it) and heap.
#[macro_export]
macro_rules! service {
    ($service:ty $(, heap = $bytes:expr)? $(,)?) => {
        $crate::__service_heap!($($bytes)?);

        /// The service's entry point, exported as `fb_main`: serves until the module stops.
        #[unsafe(no_mangle)]
        pub extern "C" fn fb_main() {
            static BUFFER: $crate::__Buffer<{ <$service as $crate::Service>::BUFFER }> =
                $crate::__Buffer::zeroed();
            match BUFFER.take() {
                Some(buf) => $crate::serve::<$service>(buf),
                None => $crate::guests::abort("fb_main: the service is already running"),
            }
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __service_heap {
    () => {
        $crate::__no_heap!();
    };
    ($bytes:expr) => {
        $crate::__heap!($bytes);
    };
}

/// What a service module needs in scope: `use fireball_services_sdk::prelude::*;`.
///
/// `#[derive(Message)]` needs `fireball-record` among the service crate's own dependencies.
pub mod prelude {
    pub use alloc::{
        boxed::Box,
        format,
        string::{String, ToString},
        vec,
        vec::Vec,
    };

    pub use fireball_guests_sdk::{
        device, hal, log, print, println,
        route::{Client, Method},
    };
    pub use fireball_record::Message;
    pub use serde::{Deserialize, Serialize};

    pub use crate::{Failure, Request, Route, Routes, Service, service};
}
