//! `mem`: six partitioned heaps, one per trust domain, and the allocator that routes to them.
//!
//! | partition | holds | on exhaustion ([`ExhaustionPolicy`]) | usage notice (seed §1.2.6) |
//! | --- | --- | --- | --- |
//! | P1 kernel | scheduler, channels, handle tables | `Fatal` (reset) | warn ≥ 80 % |
//! | P2 runtime | wasmi engine, module metadata | `Fatal` (reset) | warn ≥ 80 % |
//! | P3 subsystems | router, logger, hal, debugger | `Degrade` (keep control running) | warn ≥ 70 % |
//! | P4 services | WASM service plugins, one sub-quota each | `TerminateService(owner)` | info ≥ 85 % |
//! | P5 guests | guest apps | `UnloadGuest(owner)` | info ≥ 90 % |
//! | P6 reserve | emergency recovery only | `Fatal` (reset) | warn on any use |
//!
//! Every partition also reports `Critical` above 90 % (the seed's ⚠ mark in
//! `print_memory_stats`). Notices are edge-triggered: one event each time the level rises.
//!
//! The seed's coroutine stack area has no counterpart: tasks are stackless futures.
//!
//! [`PartitionedHeap`] owns the heaps. It is a `GlobalAlloc` that allocates in the *current*
//! [`Placement`] — the executor switches it around each task's poll, and it is P1 (kernel)
//! outside tasks — and frees every block back to the heap whose address range holds it,
//! whatever is current. An allocation that fails never panics in the allocator: it returns null
//! and queues a [`MemEvent`] that the runtime drains and acts on; a fatal one is also latched,
//! and [`PartitionedHeap::check`] keeps returning it until the board resets.
//!
//! [`PartitionedHeap::lay_out`] cuts the six partitions from one arena, by the sizes a
//! deployment declares: the firmware's static arena and, with the `std` feature, the host
//! runner's [`HostHeap`] (the partitioned heap as a host program's global allocator) are laid
//! out by that one function.

mod arena;
mod heap;
#[cfg(feature = "std")]
mod host;
mod layout;
mod partitioned;
mod report;

#[cfg(test)]
mod tests;

use core::fmt;

pub use arena::Arena;
pub use heap::{PartitionBinning, Region};
#[cfg(feature = "std")]
pub use host::HostHeap;
pub use layout::LayoutError;
pub use partitioned::{Block, PartitionedHeap, QuotaError, QuotaSlot, SetupError};
pub use report::MemoryReport;

/// One of the six partitions (seed §1.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum PartitionId {
    /// P1: COOS kernel heap.
    Kernel = 0,
    /// P2: WASM runtime heap.
    Runtime = 1,
    /// P3: native subsystems heap.
    Subsystems = 2,
    /// P4: WASM service plugins, each with its own sub-quota.
    Services = 3,
    /// P5: guest modules.
    Guests = 4,
    /// P6: system reserve.
    Reserve = 5,
}

impl PartitionId {
    /// All partitions, P1 first.
    pub const ALL: [PartitionId; 6] = [
        PartitionId::Kernel,
        PartitionId::Runtime,
        PartitionId::Subsystems,
        PartitionId::Services,
        PartitionId::Guests,
        PartitionId::Reserve,
    ];

    /// The seed's number, 1..=6.
    pub const fn number(self) -> u8 {
        self as u8 + 1
    }

    /// Short name, as in the seed's memory report.
    pub const fn name(self) -> &'static str {
        match self {
            PartitionId::Kernel => "COOS",
            PartitionId::Runtime => "WASM",
            PartitionId::Subsystems => "Subsystems",
            PartitionId::Services => "Services",
            PartitionId::Guests => "Guest",
            PartitionId::Reserve => "Reserve",
        }
    }

    /// The usage notice of seed §1.2.6: the percentage at which it fires and its severity.
    pub const fn notice(self) -> (u8, Severity) {
        match self {
            PartitionId::Kernel | PartitionId::Runtime => (80, Severity::Warn),
            PartitionId::Subsystems => (70, Severity::Warn),
            PartitionId::Services => (85, Severity::Info),
            PartitionId::Guests => (90, Severity::Info),
            PartitionId::Reserve => (1, Severity::Warn),
        }
    }

    /// What the runtime must do when an allocation in this partition by `owner` fails.
    pub const fn policy(self, owner: OwnerId) -> ExhaustionPolicy {
        match self {
            PartitionId::Kernel | PartitionId::Runtime | PartitionId::Reserve => {
                ExhaustionPolicy::Fatal
            }
            PartitionId::Subsystems => ExhaustionPolicy::Degrade,
            PartitionId::Services => ExhaustionPolicy::TerminateService(owner),
            PartitionId::Guests => ExhaustionPolicy::UnloadGuest(owner),
        }
    }

    pub(crate) const fn from_index(index: u8) -> PartitionId {
        match index {
            0 => PartitionId::Kernel,
            1 => PartitionId::Runtime,
            2 => PartitionId::Subsystems,
            3 => PartitionId::Services,
            4 => PartitionId::Guests,
            _ => PartitionId::Reserve,
        }
    }
}

impl fmt::Display for PartitionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "P{}", self.number())
    }
}

/// Who inside a partition an allocation belongs to: a service or guest id (0 = the partition
/// itself, e.g. the service registry in P4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OwnerId(pub u16);

/// A partition and an owner: where a task's allocations are charged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Placement {
    /// The partition.
    pub partition: PartitionId,
    /// The owner inside it.
    pub owner: OwnerId,
}

impl Placement {
    /// The kernel itself (P1, owner 0): the placement outside any task.
    pub const KERNEL: Placement = Placement::new(PartitionId::Kernel, OwnerId(0));

    /// `owner` inside `partition`.
    pub const fn new(partition: PartitionId, owner: OwnerId) -> Self {
        Self { partition, owner }
    }

    /// Service `id`'s placement (P4).
    pub const fn service(id: u16) -> Self {
        Self::new(PartitionId::Services, OwnerId(id))
    }

    /// Guest `id`'s placement (P5).
    pub const fn guest(id: u16) -> Self {
        Self::new(PartitionId::Guests, OwnerId(id))
    }

    /// The placement as one word (the partitioned heap's current placement is an atomic one):
    /// the owner in the high bits, and in the low byte the index of the partition's heap —
    /// or [`Placement::ROUTED`] for P4, where an owner may have a sub-quota of its own. The
    /// allocator's fast path indexes the heaps with the low byte as it is: one bounds check
    /// sends P4 to the routing.
    pub(crate) const fn pack(self) -> u32 {
        let index = match self.partition {
            PartitionId::Services => Self::ROUTED,
            partition => partition as u32,
        };
        index | ((self.owner.0 as u32) << 8)
    }

    /// The low byte of a packed P4 placement: not a heap index.
    pub(crate) const ROUTED: u32 = 0xff;

    pub(crate) const fn unpack(word: u32) -> Self {
        let partition = match word & 0xff {
            Self::ROUTED => PartitionId::Services,
            index => PartitionId::from_index(index as u8),
        };
        Self::new(partition, OwnerId((word >> 8) as u16))
    }
}

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.partition, self.owner.0)
    }
}

/// Makes a placement current for the allocations that follow (implemented by
/// [`PartitionedHeap`]; used by the executor around each poll).
pub trait PartitionSwitch {
    /// Makes `to` current and returns the placement that was current before.
    fn switch_to(&self, to: Placement) -> Placement;

    /// Bytes allocated now in `placement`'s heap, if this switch keeps count (0 if not).
    fn allocated(&self, placement: Placement) -> usize {
        let _ = placement;
        0
    }
}

/// Run `f` with `placement` current in `switch`, then the previous placement again; with no
/// switch (allocations not placed), just `f`.
pub fn within<R>(
    switch: Option<&dyn PartitionSwitch>,
    placement: Placement,
    f: impl FnOnce() -> R,
) -> R {
    match switch {
        None => f(),
        Some(switch) => {
            let previous = switch.switch_to(placement);
            let result = f();
            switch.switch_to(previous);
            result
        }
    }
}

/// What the runtime must do after an allocation failed (seed §1.2.2 failure policies).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExhaustionPolicy {
    /// P1/P2/P6: the system cannot go on; the firmware resets. Never continue silently.
    Fatal,
    /// P3: report the loss (logging, debugging degrade) and keep the control loop running.
    Degrade,
    /// P4: terminate this service only; the others and the system go on.
    TerminateService(OwnerId),
    /// P5: unload this guest only; the system and services go on.
    UnloadGuest(OwnerId),
}

/// A failed allocation: who asked, for how much, and what must happen now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exhaustion {
    /// Where the allocation was attempted.
    pub placement: Placement,
    /// Bytes requested.
    pub requested: usize,
    /// Bytes free in that heap at the time (possibly fragmented).
    pub available: usize,
    /// The required reaction.
    pub policy: ExhaustionPolicy,
    /// The reserve (P6) lent the bytes, so the allocation itself succeeded (see
    /// [`PartitionedHeap::lend_from_reserve`]): the code that asked carries on to a point
    /// where the runtime can apply `policy`, which repays the loan by freeing the owner's
    /// memory. `false`: the allocation failed.
    pub lent: bool,
}

/// How urgent a usage notice is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// A hint (e.g. check P4 before loading another service).
    Info,
    /// Something to act on.
    Warn,
}

/// Usage level of a heap, for edge-triggered notices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UsageLevel {
    /// Below the partition's notice threshold.
    Normal,
    /// At or above the partition's notice threshold (seed §1.2.6).
    Elevated,
    /// Above 90 %.
    Critical,
}

/// Percentage above which every partition is [`UsageLevel::Critical`].
pub const CRITICAL_PERCENT: u8 = 90;

/// Something the runtime must look at, queued by the allocator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemEvent {
    /// An allocation failed; apply `policy`.
    Exhausted(Exhaustion),
    /// A heap's usage rose to `level`.
    Usage {
        /// The heap (a P4 service's sub-quota has its owner here).
        placement: Placement,
        /// The new level.
        level: UsageLevel,
        /// How urgent (the partition's notice severity; `Warn` for `Critical`).
        severity: Severity,
        /// Bytes in use as a percentage of the heap's size.
        percent: u8,
    },
}

/// The fatal outcome the firmware must handle by resetting: P1, P2 or P6 ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a fatal memory exhaustion requires a reset; never continue silently"]
pub struct Fatal(pub Exhaustion);

/// Statistics of one heap (a partition, or a service's sub-quota inside P4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeapStats {
    /// Bytes the heap manages (its region, less alignment trimming).
    pub size: usize,
    /// Bytes currently allocated (sum of live layouts' sizes).
    pub allocated: usize,
    /// Highest `allocated` seen.
    pub peak: usize,
    /// Successful allocations.
    pub allocs: u32,
    /// Frees.
    pub frees: u32,
    /// Failed allocations.
    pub failures: u32,
    /// Bytes in free gaps (they may be fragmented).
    pub free: usize,
    /// Number of free gaps.
    pub fragments: usize,
    /// Largest single allocation that would succeed now (found by probing the heap).
    pub largest_free: usize,
}

impl HeapStats {
    /// `allocated` as a percentage of `size`, rounded down.
    pub fn percent_used(&self) -> u8 {
        percent(self.allocated, self.size)
    }
}

pub(crate) fn percent(part: usize, whole: usize) -> u8 {
    if whole == 0 {
        return 100;
    }
    // u64 avoids overflow on 32-bit targets; the result is <= 100 for part <= whole.
    ((part as u64 * 100) / whole as u64).min(255) as u8
}
