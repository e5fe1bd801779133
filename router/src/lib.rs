//! The router: Fireball's star-topology dependency-injection container.
//!
//! # Architecture
//!
//! Every component beyond the hot paths — subsystems, WASM services, guests — registers with
//! one [`Router`] under a name and the URI route patterns it serves (`hal://adc/{channel}`,
//! `svc://filter/{op}`, `log://`), and gets back an [`Endpoint`]: its only capability to use
//! the router, carrying an [`Identity`] that only the router mints. Components never hold
//! each other's channels; every message goes through its sender's endpoint, which
//!
//! 1. **resolves** a URI once ([`Endpoint::bind`] → a [`Binding`]: route index, parameters,
//!    the serving component's generation) so the hot path dispatches by index;
//! 2. **stamps** the sender's identity from its registration (a component can never claim
//!    to be another);
//! 3. **checks the policy** — caller × route pattern × [`Method`] (read, write, call,
//!    subscribe) — before delivery: a denial is a typed [`CallError::Denied`] and an audit
//!    trace event, and the handler never sees the request. The [`Policy`] is a frozen value;
//!    only the [`RouterAuthority`] — made once, beside the first router handle, and kept by
//!    the deployment's boot code — installs another. Router handles and endpoints cannot
//!    widen anyone's reach (Tock's capabilities);
//! 4. **checks the message** against the size [`Limits`];
//! 5. **delivers** into the handler's bounded inbox, a kernel [`csp`](fireball_kernel::csp)
//!    channel: a full inbox is [`CallError::QueueFull`] to the sender, never a silent drop.
//!
//! Requests carry a correlation id and are answered in the caller's reply slot (one cell
//! and one waker: an endpoint has one call in flight); notifications are one-way;
//! publications fan out to subscribers. A component that restarts gets a new generation:
//! old bindings fail with [`CallError::Restarted`], requests to a stopped component with
//! [`CallError::DeadPeer`].
//!
//! # Lifecycle: deadlines and stop answers
//!
//! Every call may have a deadline: the router's default ([`RouterConfig::call_timeout_us`]),
//! a policy rule's ([`RouterAuthority::allow_with_timeout`]) captured by the [`Binding`], or
//! the call's own ([`Endpoint::call_with_timeout`]). The router has no clock and reads none
//! per call: the deployment loop calls [`RouterAuthority::expire`] with its time at each
//! turn, which fails the calls past their deadline with [`CallError::Timeout`] (once; a late
//! reply is discarded) and returns the next deadline to wake for.
//!
//! When a component stops (its endpoint is dropped), every request queued for it and every
//! request it had taken and not answered is answered, once, with its stop answer:
//! [`CallError::DeadPeer`], or [`CallError::Restarted`] while the deployment will restart
//! it ([`RouterAuthority::set_stop_answer`]). A running handler that drops a request
//! unanswered gives [`CallError::NoReply`].
//! Everything the router does is a structured [`trace`] event with a deterministic text form,
//! meant to be snapshot-tested.
//!
//! Messages are typed key-value [`Record`]s, encoded with postcard at WASM boundaries and
//! mapped to plain Rust structs with serde ([`to_record`], [`from_record`]).
//!
//! # Example
//!
//! ```
//! use fireball_kernel::sched::Executor;
//! use fireball_router::{Delivery, Method, Methods, Record, Registration, Router, RouterConfig};
//!
//! // Boot code: the router, and the one authority over its policy.
//! let (router, authority) = Router::new(RouterConfig::default());
//! let adc = router.register(Registration::new("hal.adc", &["hal://adc/{channel}"])).unwrap();
//! let mut app = router.register(Registration::new("app", &[])).unwrap();
//! authority.allow("app", "hal://adc/{channel}", Methods::READ).unwrap();
//!
//! let mut executor = Executor::new().unwrap();
//! executor.spawn("adc", async move {
//!     while let Some(Delivery::Request(request)) = adc.recv().await {
//!         let channel: u64 = request.param("channel").unwrap().parse().unwrap();
//!         request.reply(Record::new().with("millivolts", 1000 + channel)).unwrap();
//!     }
//! }).unwrap();
//! executor.spawn("app", async move {
//!     let adc_3 = app.bind("hal://adc/3").unwrap();
//!     let sample = app.call(&adc_3, Method::Read, Record::new()).await.unwrap();
//!     assert_eq!(sample.uint("millivolts"), Some(1003));
//! }).unwrap();
//! executor.run_until_idle();
//! ```
//!
//! # Modules
//!
//! Public:
//!
//! - [`uri`] — URIs and route patterns (parsing never allocates).
//! - [`table`] — the `no_std` route matcher (a sorted segment trie, matchit's semantics).
//! - [`policy`] — methods, rules, the sealed [`Policy`], compiled per-route grants.
//! - [`record`] — `Record`/`Value`, postcard wire format, limits, serde mapping.
//! - [`trace`] — trace events and their text form.
//! - `bench` (feature `bench`) — workloads shared with the firmware's QEMU harness.
//!
//! Private, one concept each:
//!
//! - `identity` — [`Identity`], minted only by the router.
//! - `error` — [`CallError`], [`RegisterError`].
//! - `reply` — the caller's side of a call: the one-shot reply slot an endpoint waits on,
//!   and the deadline of its call in flight (stamped and checked by
//!   [`RouterAuthority::expire`], never by the call).
//! - `registry` — components by slot (generations, live inboxes and reply slots, stop
//!   answers), the route table with
//!   each route's grants and subscribers, the installed policy's rules. Generic over what
//!   the inboxes carry, so it needs nothing above it.
//! - `shared` — the core every handle, endpoint and request in flight shares (one `Rc`):
//!   the registry, limits, the trace buffer, request ids, the router's memory placement.
//! - `delivery` — what lands in an inbox ([`Delivery`], [`Envelope`], [`Request`] and its
//!   reply path), and the routing facts it carries ([`RouteId`], [`Params`]).
//! - `endpoint` — the one place every message passes through: [`Endpoint`], [`Binding`],
//!   the policy check and the dispatch.
//! - `router` — the two public handles: [`Router`] (register, look) and
//!   [`RouterAuthority`] (install policy, restart).
//!
//! # Module arrows
//!
//! Each module imports only the ones listed after it, all of them above it in this list
//! (`tests/module_arrows.rs` checks this against the sources, so it stays true):
//!
//! - `uri` → —
//! - `identity` → —
//! - `table` → `uri`
//! - `policy` → `uri`
//! - `error` → `table`, `uri`
//! - `reply` → `error`
//! - `trace` → `error`, `identity`, `policy`
//! - `registry` → `error`, `identity`, `policy`, `reply`, `table`, `uri`
//! - `shared` → `registry`, `trace`
//! - `delivery` → `error`, `identity`, `policy`, `reply`, `shared`, `trace`
//! - `endpoint` → `delivery`, `error`, `identity`, `policy`, `registry`, `reply`, `trace`,
//!   `uri`
//! - `router` → `delivery`, `endpoint`, `error`, `identity`, `policy`, `registry`, `reply`,
//!   `table`, `trace`, `uri`
//! - `bench` → `table`, `trace`, `uri`, and the crate's public items
//!
//! (`record` is `fireball-record`, outside the crate, and can import none of these.)
//!
//! # Features
//!
//! | feature | what |
//! | --- | --- |
//! | `std` | `table::reference`: matchit behind the route-table interface (for equivalence tests) |
//! | `bench` | `bench::workloads()`, `no_std` |
//!
//! `docs/router.md` (at the workspace root) is the concept page: the call path step by step, policy,
//! restarts, the wire format, the trace, tests and measured costs.
//!
//! The crate is `no_std` + `alloc` and depends only on the kernel below it. Single-threaded,
//! like the kernel: the router is `Rc`-shared and used from the executor's thread.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Cold code compiled for size in the firmware (`--cfg fireball_size_hints`, which only the
// cross build passes, with a toolchain that has the attribute).
#![cfg_attr(fireball_size_hints, feature(optimize_attribute))]

extern crate alloc;

#[cfg(feature = "bench")]
pub mod bench;
mod delivery;
mod endpoint;
mod error;
mod identity;
pub mod policy;
/// Messages: re-exported from `fireball-record`, the codec the SDKs share.
pub use fireball_record as record;
mod registry;
mod reply;
mod router;
mod shared;
pub mod table;
pub mod trace;
pub mod uri;

pub use delivery::{Delivery, Envelope, Notification, Params, Publication, Request, RouteId};
pub use endpoint::{Binding, Endpoint};
pub use error::{CallError, RegisterError};
pub use identity::Identity;
pub use policy::{Method, Methods, Policy, PolicyBuilder};
pub use record::{Key, Limits, Record, RecordError, Value, from_record, to_record};
pub use router::{Expiry, Registration, Router, RouterAuthority, RouterConfig};
pub use trace::{TraceConfig, TraceEvent, Traced};
