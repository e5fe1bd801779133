//! The module's heap (feature `alloc`), declared once per module with [`heap!`](crate::heap!).
//!
//! A module's linear memory is exactly the bytes its `[package.metadata.fireball] memory`
//! declares (modules are linked with 1-byte custom pages), so the heap cannot come from
//! `memory.grow`: it is a fixed arena, a static array inside that memory, handed to talc.
//! The arena is zero-initialised data (`.bss`): it costs memory, not bytes in the module
//! file. Size `memory` for the shadow stack (`stack`), the static data and the heap.
//!
//! Running out of heap is an allocation failure, which panics: the module aborts with the
//! message (`memory allocation of 8 bytes failed`) and only it stops. The allocator
//! remembers the size that failed so that the panic handler can say so without `core::fmt`
//! (see [`crate::text`]).

#[doc(hidden)]
#[cfg(target_arch = "wasm32")]
pub use talc;

#[cfg(target_arch = "wasm32")]
pub use arena::{Heap, NoHeap};

#[cfg(target_arch = "wasm32")]
pub(crate) use arena::failed_allocation;

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod arena {
    use core::alloc::{GlobalAlloc, Layout};
    use core::sync::atomic::{AtomicUsize, Ordering};

    use talc::wasm::WasmArenaTalc;

    /// The size of the last allocation that failed, until one succeeds again (0: none).
    static FAILED: AtomicUsize = AtomicUsize::new(0);

    /// The size of an allocation that failed and has not been followed by one that
    /// succeeded: what a panic with a formatted message was about, most likely (the
    /// allocation-failure handler's own message is formatted).
    pub(crate) fn failed_allocation() -> Option<usize> {
        match FAILED.load(Ordering::Relaxed) {
            0 => None,
            size => Some(size),
        }
    }

    fn note(ptr: *mut u8, size: usize) -> *mut u8 {
        FAILED.store(
            if ptr.is_null() { size.max(1) } else { 0 },
            Ordering::Relaxed,
        );
        ptr
    }

    /// The allocator of a module without a heap (`no_heap!`): every allocation fails.
    #[doc(hidden)]
    pub struct NoHeap;

    // Safety: an allocator that never allocates meets `GlobalAlloc`'s contract (null is
    // its failure); nothing it handed out can come back to `dealloc`.
    unsafe impl GlobalAlloc for NoHeap {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            note(core::ptr::null_mut(), layout.size())
        }

        unsafe fn dealloc(&self, _: *mut u8, _: Layout) {}
    }

    /// The module's allocator: talc over the `heap!` arena, noting failed allocations.
    #[doc(hidden)]
    pub struct Heap(pub WasmArenaTalc);

    // Safety (all four methods): each forwards to talc's `GlobalAlloc`, whose contract is
    // the same as this one's, with the caller's own arguments, and only looks at the result.
    unsafe impl GlobalAlloc for Heap {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            // Safety: see above.
            note(unsafe { self.0.alloc(layout) }, layout.size())
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            // Safety: see above.
            note(unsafe { self.0.alloc_zeroed(layout) }, layout.size())
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // Safety: see above.
            unsafe { self.0.dealloc(ptr, layout) }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            // Safety: see above.
            note(unsafe { self.0.realloc(ptr, layout, new_size) }, new_size)
        }
    }
}

/// Declare that the module has no heap: every allocation fails, and the module aborts with
/// `memory allocation of N bytes failed` (only it stops). For a module whose code never
/// allocates (a service whose messages hold no `String` or `Vec`): the allocator is a few
/// bytes, and talc is not linked. On the host it expands to nothing.
#[macro_export]
macro_rules! no_heap {
    () => {
        #[cfg(target_arch = "wasm32")]
        #[global_allocator]
        static FIREBALL_HEAP: $crate::heap::NoHeap = $crate::heap::NoHeap;
    };
}

/// Declare the module's global allocator: a heap of `BYTES` bytes (a constant expression)
/// inside its linear memory. On the host it expands to nothing (tests use the system
/// allocator).
///
/// ```ignore
/// fireball_guests_sdk::heap!(4096);
/// ```
///
/// The expansion holds the one `unsafe` call that hands the arena to the allocator (sound:
/// the arena is declared inside the expansion and named nowhere else). It is this crate's
/// code, so a module crate may still `#![forbid(unsafe_code)]`. A heap smaller than talc's
/// bookkeeping is a compile-time error.
#[macro_export]
macro_rules! heap {
    ($bytes:expr) => {
        #[cfg(target_arch = "wasm32")]
        #[global_allocator]
        static FIREBALL_HEAP: $crate::heap::Heap = $crate::heap::Heap({
            const BYTES: usize = $bytes;
            const _: () = assert!(
                BYTES
                    >= $crate::heap::talc::min_first_heap_size::<
                        $crate::heap::talc::wasm::WasmBinning,
                    >(),
                "heap!: too small for the allocator's bookkeeping"
            );
            static mut ARENA: [::core::mem::MaybeUninit<u8>; BYTES] =
                [::core::mem::MaybeUninit::uninit(); BYTES];
            // Safety: `ARENA` is declared in this block and named nowhere else, so the
            // allocator is the only user of its memory for the life of the module.
            unsafe { $crate::heap::talc::wasm::new_wasm_arena_allocator(&raw mut ARENA) }
        });
    };
}
