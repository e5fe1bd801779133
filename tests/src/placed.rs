//! A test binary's allocations in the kernel's `PartitionedHeap`, as on the board.
//!
//! A test binary that installs [`Routed`] as its `#[global_allocator]` allocates from the
//! partitioned heap only on a thread inside [`placed`]; the harness (threads, output capture,
//! a failing assertion's report) keeps the system allocator. Every block is freed by the
//! allocator that owns its address.
//!
//! ```ignore
//! static HEAP: PartitionedHeap = PartitionedHeap::new();
//! #[global_allocator]
//! static ALLOCATOR: Routed = Routed(&HEAP);
//! lay_out(&HEAP, [64 << 10, 1 << 20, 64 << 10, 256 << 10, 256 << 10, 64 << 10]);
//! placed(|| { /* boot and run on the partitions */ });
//! ```

use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
    mem::MaybeUninit,
};

use fireball_kernel::mem::{PartitionId, PartitionedHeap, QuotaSlot, Region};

std::thread_local! {
    static PLACED: Cell<bool> = const { Cell::new(false) };
}

/// A global allocator that serves this thread from the heap while [`placed`] runs, and
/// everything else from the system allocator.
pub struct Routed(pub &'static PartitionedHeap);

// Safety: both allocators uphold the GlobalAlloc contract, and each block is freed by the
// allocator whose memory holds it: the partitions are regions leaked from the system heap,
// disjoint from every block the system allocator hands out while they live.
unsafe impl GlobalAlloc for Routed {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if PLACED.try_with(Cell::get).unwrap_or(false) {
            // Safety: the caller's contract, passed on.
            unsafe { self.0.alloc(layout) }
        } else {
            // Safety: the caller's contract, passed on.
            unsafe { System.alloc(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if self.0.owns(ptr) {
            // Safety: `ptr` came from the heap (it lies in one of its partitions).
            unsafe { self.0.dealloc(ptr, layout) }
        } else {
            // Safety: `ptr` came from the system allocator.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    /// As on the board: a block grows or shrinks in the heap that holds it, whatever
    /// placement is current (wasmi's value stack, a linear memory).
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if self.0.owns(ptr) {
            // Safety: `ptr` came from the heap; the caller's contract, passed on.
            unsafe { self.0.realloc(ptr, layout, new_size) }
        } else {
            // Safety: `ptr` came from the system allocator; the caller's contract, passed on.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }
}

/// Give `heap` its six partitions, `sizes` bytes each (P1 first), and room for 32 service
/// quotas, from leaked system memory.
/// The memory is written once first, so all of it is resident from the start: a test that
/// watches the process's resident set (the soak) does not see the heap's first use of a page
/// as the process growing.
pub fn lay_out(heap: &'static PartitionedHeap, sizes: [usize; 6]) {
    for (id, size) in PartitionId::ALL.into_iter().zip(sizes) {
        let memory: &'static mut [MaybeUninit<u8>] =
            Box::leak(vec![MaybeUninit::new(0); size].into_boxed_slice());
        heap.add_partition(id, Region::new(memory))
            .unwrap_or_else(|e| panic!("partition {id}: {e:?}"));
    }
    heap.set_quota_slots(QuotaSlot::leak(32))
        .unwrap_or_else(|e| panic!("quota slots: {e:?}"));
}

/// Run `f` with this thread's allocations in the heap. A panic inside (a failing assertion)
/// reports with the system allocator.
pub fn placed<R>(f: impl FnOnce() -> R) -> R {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            PLACED.with(|p| p.set(false));
        }
    }
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PLACED.with(|p| p.set(false));
        report(info);
    }));
    PLACED.with(|p| p.set(true));
    let _reset = Reset;
    f()
}

/// Run `f` with this thread's allocations outside the heap, inside [`placed`]: for a test's
/// own bookkeeping, which a board would not do and its partitions must not be charged with.
pub fn beside(f: &mut dyn FnMut()) {
    let was = PLACED.with(|p| p.replace(false));
    f();
    PLACED.with(|p| p.set(was));
}
