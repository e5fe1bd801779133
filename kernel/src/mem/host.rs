//! The partitioned heap as a host program's global allocator (feature `std`): how the host
//! runner measures a deployment on the very heap a board runs it on.
//!
//! A host process allocates before it knows its deployment (the runtime, arguments, the
//! manifest, module validation) and may allocate from other threads. [`HostHeap`] therefore
//! serves the system allocator until [`HostHeap::lay_out`] arms it; from then on every
//! allocation lands in the current placement's partition, exactly as on a board (the
//! executor switches placements around each poll, the same code as the firmware's). Frees
//! go to whichever allocator owns the address.
//!
//! One difference is deliberate: where a board's allocation fails (its partition and the
//! reserve are full), the host's is served by the system allocator instead of aborting the
//! process. The partition has already recorded the exhaustion as a
//! [`MemEvent`](super::MemEvent), so the deployment's loop applies the same policy (stop the
//! service, halt the run) as the board, and the host can still print what happened.
#![allow(unsafe_code)]

use core::{
    alloc::{GlobalAlloc, Layout},
    mem::MaybeUninit,
    sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed},
};
use std::{alloc::System, boxed::Box, vec};

use super::{LayoutError, PartitionedHeap, QuotaSlot};

/// A [`PartitionedHeap`] in front of the system allocator; install it with
/// `#[global_allocator] static HEAP: HostHeap = HostHeap::new();`.
pub struct HostHeap {
    heap: PartitionedHeap,
    armed: AtomicBool,
    overflows: AtomicU32,
}

impl HostHeap {
    /// The system allocator until [`lay_out`](Self::lay_out).
    pub const fn new() -> Self {
        Self {
            heap: PartitionedHeap::new(),
            armed: AtomicBool::new(false),
            overflows: AtomicU32::new(0),
        }
    }

    /// Lays out the partitions (`sizes` bytes each, P1 to P6, as
    /// [`PartitionedHeap::lay_out`] does on a board) in an arena of their sum taken from the
    /// system allocator, with room for `quota_slots` service quotas in P4
    /// ([`PartitionedHeap::set_quota_slots`]), and routes every later allocation into them.
    /// Call once, on the thread that runs the deployment, with nothing else running.
    pub fn lay_out(
        &'static self,
        sizes: [usize; 6],
        quota_slots: usize,
    ) -> Result<&'static PartitionedHeap, LayoutError> {
        let arena: &'static mut [MaybeUninit<u8>] =
            Box::leak(vec![MaybeUninit::uninit(); sizes.iter().sum()].into_boxed_slice());
        self.heap.lay_out(arena, sizes)?;
        self.heap
            .set_quota_slots(QuotaSlot::leak(quota_slots))
            .map_err(|e| LayoutError::Partition(super::PartitionId::Services, e))?;
        self.armed.store(true, Relaxed);
        Ok(&self.heap)
    }

    /// The partitioned heap (with no partitions before [`lay_out`](Self::lay_out)).
    pub fn partitions(&'static self) -> &'static PartitionedHeap {
        &self.heap
    }

    /// Runs `f` beside the partitions: what it allocates comes from the system allocator.
    /// For the host's own work that a board does not do (keeping the whole router trace,
    /// buffering stdout), so that it is not charged to the deployment.
    pub fn beside<R>(&self, f: impl FnOnce() -> R) -> R {
        let armed = self.armed.swap(false, Relaxed);
        let result = f();
        self.armed.store(armed, Relaxed);
        result
    }

    /// Allocations the partitions could not serve, served by the system allocator instead
    /// (on a board, each was a loan from the reserve or a null pointer).
    pub fn overflows(&self) -> u32 {
        self.overflows.load(Relaxed)
    }

    fn overflow(&self, layout: Layout) -> *mut u8 {
        self.overflows.fetch_add(1, Relaxed);
        // Safety: `layout` has a nonzero size (GlobalAlloc's contract for our caller).
        unsafe { System.alloc(layout) }
    }
}

impl core::fmt::Debug for HostHeap {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HostHeap")
            .field("armed", &self.armed.load(Relaxed))
            .field("overflows", &self.overflows())
            .finish_non_exhaustive()
    }
}

impl Default for HostHeap {
    fn default() -> Self {
        Self::new()
    }
}

// Safety: every block is allocated and freed by one of two allocators that uphold the
// contract themselves; `dealloc` and `realloc` tell which by the address (the partitions own
// one leaked arena, the system allocator never hands out addresses inside it).
unsafe impl GlobalAlloc for HostHeap {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !self.armed.load(Relaxed) {
            // Safety: the caller's contract, passed through.
            return unsafe { System.alloc(layout) };
        }
        // Safety: the caller's contract, passed through.
        let ptr = unsafe { self.heap.alloc(layout) };
        if ptr.is_null() {
            self.overflow(layout)
        } else {
            ptr
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if self.heap.owns(ptr) {
            // Safety: the partitions allocated `ptr` (it lies in their arena) with `layout`.
            unsafe { self.heap.dealloc(ptr, layout) }
        } else {
            // Safety: the system allocator allocated it (before arming, or as an overflow).
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !self.heap.owns(ptr) {
            // A block from before arming (or an overflow) stays with the system allocator.
            // Safety: the caller's contract, passed through; the system allocator owns `ptr`.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        // Safety: the caller's contract, passed through; the partitions own `ptr`.
        let new = unsafe { self.heap.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            return new;
        }
        // Safety: `new_size` is nonzero and fits `layout.align()` (realloc's contract).
        let grown = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let moved = self.overflow(grown);
        if !moved.is_null() {
            // Safety: distinct live blocks of at least the copied length; the old block is
            // then freed by the partitions, which own it.
            unsafe {
                core::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                self.heap.dealloc(ptr, layout);
            }
        }
        moved
    }
}
