//! Static byte arenas: the memory each partition is built on, handed out exactly once.
#![allow(unsafe_code)]

use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicBool, Ordering};

/// `N` bytes of static memory that can be taken, once, as a `&'static mut` region.
///
/// ```
/// use fireball_kernel::mem::{Arena, PartitionId, PartitionedHeap, Region};
/// static P1: Arena<4096> = Arena::new();
/// static HEAP: PartitionedHeap = PartitionedHeap::new();
/// HEAP.add_partition(PartitionId::Kernel, Region::new(P1.take().unwrap())).unwrap();
/// assert!(P1.take().is_none()); // a second taker gets nothing
/// ```
#[repr(C, align(16))]
pub struct Arena<const N: usize> {
    bytes: UnsafeCell<[MaybeUninit<u8>; N]>,
    taken: AtomicBool,
}

// Safety: the bytes are only reachable through `take`, which hands out the single `&mut` at
// most once (guarded by an atomic swap); an untaken arena is never read.
unsafe impl<const N: usize> Sync for Arena<N> {}

impl<const N: usize> Arena<N> {
    /// An untaken arena.
    pub const fn new() -> Self {
        Self {
            bytes: UnsafeCell::new([MaybeUninit::uninit(); N]),
            taken: AtomicBool::new(false),
        }
    }

    /// The arena's bytes, the first time; `None` afterwards.
    // `&'static self` to `&'static mut`: sound because the atomic flag hands it out once.
    #[allow(clippy::mut_from_ref)]
    pub fn take(&'static self) -> Option<&'static mut [MaybeUninit<u8>]> {
        if self.taken.swap(true, Ordering::AcqRel) {
            return None;
        }
        // Safety: the swap above returned `false` exactly once in the arena's (static)
        // lifetime, so this is the only reference ever made to the bytes.
        Some(unsafe { &mut *self.bytes.get() })
    }
}

impl<const N: usize> Default for Arena<N> {
    fn default() -> Self {
        Self::new()
    }
}
