//! The shape every crate's benchmark workloads share.
//!
//! Each crate with a `bench` feature exports `bench::workloads() -> &'static
//! [Workload]`; the host harness (`fireball_tests::bench`) times them and the
//! firmware's `bench` image counts their instructions under QEMU, so the same
//! code is measured on both platforms. Always compiled (it is one small type),
//! so harnesses name it without enabling any crate's `bench` feature.

use core::fmt;

/// One measurable operation.
#[derive(Clone, Copy)]
pub struct Workload {
    /// e.g. `kernel/task_switch`.
    pub name: &'static str,
    /// The workload it is compared with in the same run, if any.
    pub baseline: Option<&'static str>,
    /// Run the operation `iters` times; returns a checksum so the work cannot
    /// be optimised away. Every workload's checksum is non-zero for a non-zero
    /// `iters` (the firmware harness reads zero as "could not do its work").
    pub run: fn(iters: u32) -> u64,
}

impl fmt::Debug for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workload")
            .field("name", &self.name)
            .field("baseline", &self.baseline)
            .finish_non_exhaustive()
    }
}
