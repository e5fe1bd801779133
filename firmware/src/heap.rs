//! The firmware heap, with a high-water mark for the boot log and `xtask sizes`.
//!
//! The `hello` image uses one plain heap ([`used`], [`peak`]). The `deploy` image uses the
//! kernel's [`PartitionedHeap`](fireball_vsoc::kernel::mem::PartitionedHeap) instead, laid
//! out from the deployment's partitions ([`partitioned`]); so does the `bench` image, all of
//! its memory in P1, so that what a workload's allocations cost is what they cost in the
//! product.

/// Bytes of RAM the image links against (`memory.x`, written by `build.rs`): the nRF5340's
/// 512 KB, except in the `gdb` image, which takes the manifest's `deployment.ram` (QEMU's
/// mps2-an505 has 4 MB there). A debug session with the sensor hub's instrumented aggregator
/// (`examples/sensor-hub/debug.toml`: 768 KiB) does not fit a 512 KB board.
pub const RAM: usize = include!(concat!(env!("OUT_DIR"), "/ram.rs"));

/// Heap size in bytes (from the 512 KB of RAM; the rest is stack and statics). The
/// `deploy` image, which holds several compiled modules, takes all but 32 KiB (its static
/// data is ~2 KB, its stack peak is measured in `docs/perf.md`); so does the `gdb` image, of
/// its larger [`RAM`].
pub const SIZE: usize = if cfg!(feature = "gdb") {
    RAM - 32 * 1024
} else if cfg!(feature = "deploy") {
    480 * 1024
} else {
    256 * 1024
};

#[cfg(not(any(feature = "deploy", feature = "bench")))]
pub use plain::{init, peak, used};

#[cfg(all(feature = "bench", not(feature = "deploy")))]
pub use kernel::{init, peak, used};

/// The `hello` image's heap: one `LlffHeap` with counters.
#[cfg(not(any(feature = "deploy", feature = "bench")))]
mod plain {
    use super::SIZE;
    use core::{
        alloc::{GlobalAlloc, Layout},
        mem::MaybeUninit,
        sync::atomic::{AtomicUsize, Ordering},
    };

    use embedded_alloc::LlffHeap;

    struct Counted {
        heap: LlffHeap,
        used: AtomicUsize,
        peak: AtomicUsize,
    }

    #[global_allocator]
    static HEAP: Counted = Counted {
        heap: LlffHeap::empty(),
        used: AtomicUsize::new(0),
        peak: AtomicUsize::new(0),
    };

    // Safety: delegates to `LlffHeap`, which upholds the GlobalAlloc contract;
    // the counters are plain bookkeeping.
    unsafe impl GlobalAlloc for Counted {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            // Safety: the caller's contract is passed through unchanged.
            let ptr = unsafe { self.heap.alloc(layout) };
            if !ptr.is_null() {
                let used = self.used.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
                self.peak.fetch_max(used, Ordering::Relaxed);
            }
            ptr
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            self.used.fetch_sub(layout.size(), Ordering::Relaxed);
            // Safety: the caller's contract is passed through unchanged.
            unsafe { self.heap.dealloc(ptr, layout) }
        }
    }

    /// Hand the heap its memory. Call once, first thing in `main`.
    pub fn init() {
        static mut MEMORY: [MaybeUninit<u8>; SIZE] = [MaybeUninit::uninit(); SIZE];
        // Safety: called once before any allocation; `MEMORY` is used by nothing else.
        unsafe { HEAP.heap.init(&raw mut MEMORY as usize, SIZE) }
    }

    /// Bytes allocated now.
    pub fn used() -> usize {
        HEAP.used.load(Ordering::Relaxed)
    }

    /// Most bytes allocated at once so far.
    pub fn peak() -> usize {
        HEAP.peak.load(Ordering::Relaxed)
    }
}

/// The `bench` image's heap: the kernel's partitioned heap, as in the `deploy` image, with one
/// partition, P1, over the whole arena. The workloads run without a partition switch, so
/// every allocation is the kernel's placement: the allocator's common path (a critical
/// section, talc, the usage band), which is what a wasmi error box or a router record costs
/// on a board.
#[cfg(all(feature = "bench", not(feature = "deploy")))]
mod kernel {
    use core::mem::MaybeUninit;

    use fireball_vsoc::kernel::mem::{PartitionId, PartitionedHeap, Region};

    use super::SIZE;

    #[global_allocator]
    static HEAP: PartitionedHeap = PartitionedHeap::new();

    /// Hand the heap its memory. Call once, first thing in `main`.
    pub fn init() {
        #[unsafe(link_section = ".uninit.fireball_heap")]
        static mut MEMORY: [MaybeUninit<u8>; SIZE] = [MaybeUninit::uninit(); SIZE];
        // Safety: called once, before any allocation; `MEMORY` is used by nothing else and is
        // handed to the heap for good.
        let arena: &'static mut [MaybeUninit<u8>] = unsafe { &mut *(&raw mut MEMORY) };
        // An arena of `SIZE` always holds a heap; a second call finds P1 taken and does
        // nothing.
        let _ = HEAP.add_partition(PartitionId::Kernel, Region::new(arena));
    }

    /// Bytes allocated now.
    pub fn used() -> usize {
        HEAP.allocated(fireball_vsoc::kernel::mem::Placement::KERNEL)
    }

    /// Most bytes allocated at once so far.
    pub fn peak() -> usize {
        HEAP.stats(PartitionId::Kernel).map_or(0, |s| s.peak)
    }
}

/// The `deploy` image's heap: the kernel's six partitions over one static arena.
#[cfg(feature = "deploy")]
pub mod partitioned {
    use core::{
        mem::MaybeUninit,
        sync::atomic::{AtomicBool, Ordering},
    };

    pub use fireball_vsoc::kernel::mem::{LayoutError, QuotaSlot};
    use fireball_vsoc::kernel::mem::{PartitionId, PartitionedHeap, SetupError};

    use super::SIZE;

    /// The global allocator: every allocation lands in the current placement's partition.
    #[global_allocator]
    pub static HEAP: PartitionedHeap = PartitionedHeap::new();

    /// The arena, in `.uninit`: the reset handler does not zero it (480 KiB of `.bss` cost
    /// ~490,000 instructions of boot); a heap needs no initial contents.
    #[unsafe(link_section = ".uninit.fireball_heap")]
    static mut MEMORY: [MaybeUninit<u8>; SIZE] = [MaybeUninit::uninit(); SIZE];
    static TAKEN: AtomicBool = AtomicBool::new(false);

    /// Lay out the partitions, P1 to P6, `sizes` bytes each, one after the other
    /// ([`PartitionedHeap::lay_out`], as the host runner does), with P4's quota table in
    /// `slots` (the image's `static`, one slot per service of its plan). Call once, first
    /// thing in `main`: nothing can be allocated before.
    pub fn init(
        sizes: [usize; 6],
        slots: &'static mut [QuotaSlot],
    ) -> Result<&'static PartitionedHeap, LayoutError> {
        if TAKEN.swap(true, Ordering::AcqRel) {
            return Err(LayoutError::Partition(
                PartitionId::Kernel,
                SetupError::AlreadyAdded,
            ));
        }
        // Safety: the swap above lets exactly one call through, so this is the only
        // reference ever made to `MEMORY`, and it is handed to the heap for good.
        let arena: &'static mut [MaybeUninit<u8>] = unsafe { &mut *(&raw mut MEMORY) };
        HEAP.lay_out(arena, sizes)?;
        HEAP.set_quota_slots(slots)
            .map_err(|e| LayoutError::Partition(PartitionId::Services, e))?;
        Ok(&HEAP)
    }
}
