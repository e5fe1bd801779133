//! COOS — Fireball's cooperative kernel: tasks, channels, partitioned memory, owned values.
//!
//! # Architecture
//!
//! Tasks are stackless Rust futures run by a single-threaded, cooperative [`sched::Executor`]
//! with a FIFO ready queue: the same inputs always give the same interleaving. Tasks talk only
//! through [`csp`] channels — rendezvous by default, bounded-buffered on request — and values
//! move through them by ownership; values a WASM guest refers to by integer live in a
//! [`value::HandleTable`], where a stale or forged handle is an error, never a wrong value.
//! Memory is split into the seed's six partitions ([`mem`]), each its own talc heap with its
//! own statistics and exhaustion policy; the executor makes each task's partition current
//! while it runs, so a service or guest that runs out of memory harms only itself.
//!
//! The crate is `no_std` + `alloc` and depends on nothing above it (no router, no vSoC).
//! Limits come from build-time configuration ([`config`]). `unsafe` is confined to two places,
//! each with `// Safety:` notes: the allocator (`mem::heap`, `mem::arena`, `mem::partitioned`)
//! and the allocation-free waker (`sched::waker`) — plus the plain run loop's unchecked slot
//! access (`sched`, `Executor::run_plain`), and, with the `bench` feature only, the
//! heap workloads of `bench`, which call `GlobalAlloc` and talc directly.
//!
//! # Modules
//!
//! - [`sched`] — executor: spawn, step, run-until-idle, task ids with generations, coroutine dump.
//! - [`csp`] — rendezvous and bounded channels, `try_*` operations, close, `select`.
//! - [`value`] — generation-checked handle tables for values referenced from WASM.
//! - [`mem`] — partitioned heaps, the routing `GlobalAlloc`, events, statistics, service quotas.
//! - [`config`] — build-time limits (`FIREBALL_*` environment variables).
//! - `bench` (feature `bench`) — the benchmark workloads shared by the host bench
//!   (`cargo bench -p fireball-kernel`) and the firmware's QEMU instruction counts.
//!
//! # Costs
//!
//! The hot paths are built to be measured: a `try_send`/`try_recv` on a buffered channel with
//! nobody waiting touches only `Cell`s (no borrow flag, no queue), a task switch is one inlined
//! poll of the ready ring, and a partition allocation compares against precomputed usage
//! thresholds instead of dividing. `bench` has the workloads; `docs/perf.md` has the figures
//! and the commands that reproduce them.
//!
//! # Example
//!
//! ```
//! use fireball_kernel::{csp::channel, sched::Executor};
//! use std::{cell::RefCell, rc::Rc};
//!
//! let mut executor = Executor::new().unwrap();
//! let (tx, rx) = channel::<u32>(0); // rendezvous
//! let got = Rc::new(RefCell::new(Vec::new()));
//! let sink = got.clone();
//! executor.spawn("producer", async move {
//!     for n in 1..=3 { tx.send(n).await.unwrap(); }
//! }).unwrap();
//! executor.spawn("consumer", async move {
//!     while let Some(n) = rx.recv().await { sink.borrow_mut().push(n); }
//! }).unwrap();
//! executor.run_until_idle();
//! assert_eq!(*got.borrow(), [1, 2, 3]);
//! assert!(executor.is_empty());
//! ```
#![no_std]
#![deny(unsafe_code)]
#![warn(missing_docs)]
// Cold code compiled for size in the firmware (`--cfg fireball_size_hints`, which only the
// cross build passes, with a toolchain that has the attribute).
#![cfg_attr(fireball_size_hints, feature(optimize_attribute))]

extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

#[cfg(feature = "bench")]
pub mod bench;
pub mod config;
pub mod csp;
pub mod mem;
pub mod sched;
pub mod value;
pub mod workload;
