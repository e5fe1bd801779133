//! The module's heap (feature `alloc`), declared once per module with [`heap!`](crate::heap!).
//!
//! A module's linear memory is exactly the bytes its `[package.metadata.fireball] memory`
//! declares (modules are linked with 1-byte custom pages), so the heap cannot come from
//! `memory.grow`: it is a fixed arena, a static array inside that memory, handed to talc.
//! The arena is zero-initialised data (`.bss`): it costs memory, not bytes in the module
//! file. Size `memory` for the shadow stack (`stack`), the static data and the heap.
//!
//! Running out of heap is an allocation failure, which panics: the module aborts with the
//! message and only it stops.

#[doc(hidden)]
#[cfg(target_arch = "wasm32")]
pub use talc;

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
        static FIREBALL_HEAP: $crate::heap::talc::wasm::WasmArenaTalc = {
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
        };
    };
}
