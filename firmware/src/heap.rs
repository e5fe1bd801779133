//! The firmware heap, with a high-water mark for the boot log and `xtask sizes`.

use core::{
    alloc::{GlobalAlloc, Layout},
    mem::MaybeUninit,
    sync::atomic::{AtomicUsize, Ordering},
};

use embedded_alloc::LlffHeap;

/// Heap size in bytes (from the 512 KB of RAM; the rest is stack and statics). The
/// `deploy` image, which holds several compiled modules, takes all but 64 KiB.
pub const SIZE: usize = if cfg!(feature = "deploy") {
    448 * 1024
} else {
    256 * 1024
};

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
