//! A Fireball deployment, booted and run: services and guests on the simulated board, the
//! router with the deployment's policies, `hal` and `logger`, on virtual time.
//!
//! `no_std` + `alloc`, so the very same boot and scheduling loop runs in the host runner
//! (`fireball run <manifest>`) and in a firmware image, and the two give the same router
//! trace for the same [`Plan`].
//!
//! - [`component`] — what a component is ([`Kind`]) and how it ended ([`State`]): the leaf
//!   the others name them by;
//! - [`plan`] — what to boot, as data ([`Plan`]);
//! - [`error`] — [`BootError`], why a deployment did not boot: who is at fault, what to do;
//! - [`board`] — the simulated board every deployment runs on ([`SimBoard`]);
//! - [`report`] — [`RunReport`], what a run did;
//! - `lifecycle` — a component's restart policy at work: restart after a back-off, or give
//!   up (plain logic on virtual time);
//! - [`memory`] — [`PartitionTable`], the partitioned heap's figures at the end of a run,
//!   printed alike by the board and the host runner;
//! - [`modules`] — runtime module management as data: what `sys://modules` answers and
//!   refuses, a chunked upload, the module store ([`ModuleStore`]: [`RamStore`], and
//!   [`FlashStore`] on any `embedded-storage` NOR flash, power-safe);
//! - [`control`] (feature `control`) — [`control::ControlPort`]: MCUmgr's SMP served by
//!   the module manager, for a control port on any transport; [`control::SerialPort`], its
//!   serial framing over any `embedded-io` UART;
//! - [`system`] — [`System::boot`], [`System::run`] and the steps in between, on all of the
//!   above;
//! - [`pace`] — [`Wall`]: a board's real clock, and the deployment's held to it after each
//!   turn ([`System::run_paced`]).
//!
//! The arrows point one way: `system` → `report` → `board`, `system` → `report` → `memory`,
//! `system` → `lifecycle` → `plan`, `system` → `plan`, `system` → `modules`, `control` → `system`, `pace` → `system`, and every one of them → `component`.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod board;
pub mod component;
#[cfg(feature = "control")]
pub mod control;
pub mod error;
mod lifecycle;
pub mod memory;
pub mod modules;
pub mod pace;
pub mod plan;
pub mod report;
pub mod system;

pub use board::SimBoard;
pub use component::{Kind, State};
pub use error::BootError;
pub use memory::{PartitionRow, PartitionTable};
pub use modules::{
    FlashStore, MappedFlash, ModuleEntry, ModuleError, ModuleStore, RamStore, Source, StoreError,
};
pub use pace::Wall;
pub use plan::{ComponentPlan, Lifecycle, MAX_BACKOFF_FACTOR, Plan, Restart, quota_slots};
pub use report::{ComponentRam, ComponentReport, RunReport};
#[cfg(feature = "observe")]
pub use system::{Activity, ComponentActivity};
pub use system::{
    CONTROL, Installed, Pace, RunOptions, Sink, System, TARGET_MHZ, Turn, system_routes,
};
