//! One heap over one region of memory: talc does the allocating and the counting (its
//! `counters` feature), this file adds the usage levels, the peak and the failures.
//!
//! # Why talc
//!
//! The heap algorithm comes from [talc](https://crates.io/crates/talc) rather than being
//! hand-written. Against `linked_list_allocator` (first fit, O(n) in the number of free blocks)
//! talc is a dlmalloc-style allocator with boundary tags and segregated free lists: freeing and
//! in-place reallocation are O(1) and allocation is near-constant time — what the seed's
//! "8 B alloc ≤ 200 cycles / free ≤ 100 cycles" asks for. Its `counters` feature reports free
//! bytes and fragment counts, which the memory report needs. It is `no_std`, takes heaps as raw
//! regions (one `Talc` per partition, like dlmalloc's `mspace`), and is well maintained.
//!
//! [`PartitionBinning`] shrinks talc's per-heap metadata (one free-list head per bin) from 95
//! bins to 32: 128 B per heap on Cortex-M instead of 380 B, which matters with six partitions
//! and per-service sub-heaps of a few KB. The bins still cover sizes up to ~512 KB finely.
//!
//! This module holds the kernel's allocator `unsafe`; each block says why it is sound.
#![allow(unsafe_code)]

use core::alloc::Layout;
use core::mem::MaybeUninit;
use core::ptr::NonNull;

use talc::base::Talc;
use talc::base::binning::{Binning, linear_extent_then_linearly_divided_exponential_binning};
use talc::source::Manual;

use super::{HeapStats, Severity, UsageLevel, percent};

/// talc binning for small partitions: 32 free lists, two per power of two above 2 chunks.
#[derive(Debug)]
pub struct PartitionBinning;

impl Binning for PartitionBinning {
    type AvailabilityBitField = u32;

    fn size_to_bin(size: usize) -> u32 {
        linear_extent_then_linearly_divided_exponential_binning::<2, 1>(size)
    }
}

/// The smallest region that can hold a heap (talc's metadata plus one chunk).
pub(crate) const MIN_REGION: usize = talc::min_first_heap_size::<PartitionBinning>() + 64;

/// Memory handed to a heap, for good: a `'static` byte region nobody else can reach.
#[derive(Debug)]
pub struct Region {
    start: NonNull<u8>,
    len: usize,
}

// Safety: a Region is the unique owner of its bytes (it came from a `&'static mut` or from a
// block the partitioned heap reserved for it), so moving it to another thread is sound.
unsafe impl Send for Region {}

impl Region {
    /// Takes ownership of `memory` for a heap.
    pub fn new(memory: &'static mut [MaybeUninit<u8>]) -> Self {
        let len = memory.len();
        Self {
            start: NonNull::from(memory).cast(),
            len,
        }
    }

    /// Wraps a block reserved inside another heap.
    ///
    /// # Safety
    /// `start..start + len` must be valid, writable, and used by nothing else for as long as
    /// the heap built on it lives.
    pub(crate) unsafe fn from_block(start: NonNull<u8>, len: usize) -> Self {
        Self { start, len }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the region is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A usage level just reached, with the severity to report it at and the percentage used.
pub(crate) type UsageRise = (UsageLevel, Severity, u8);

/// A heap over one region, with the counts the kernel reports.
///
/// Live allocations, allocated bytes and the allocation count are talc's own counters (it
/// keeps them on every allocation and free anyway): the heap does not count them a second
/// time. What talc does not know — failures, the peak, the usage level — is kept here.
pub(crate) struct Heap {
    talc: Talc<Manual, PartitionBinning>,
    base: usize,
    /// Bytes of the region (`contains` is one subtract and one compare); 0 for
    /// [`Heap::ABSENT`].
    len: usize,
    /// Highest allocated byte count seen (kept up to date by the band, see `band_start`).
    peak: usize,
    /// Failed allocations.
    failures: u32,
    /// Trial allocations `probe_largest` made: talc counts them, the heap's figures must not.
    probes: u64,
    level: UsageLevel,
    /// `allocated` at which the usage reaches the partition's notice percentage, and at which
    /// it passes [`super::CRITICAL_PERCENT`]: precomputed so that an allocation compares
    /// instead of dividing (a 64-bit division is a library call on Cortex-M).
    elevated_at: usize,
    critical_at: usize,
    /// The band of `allocated` values that keep `level` and `peak`:
    /// `band_start..band_start + band_len` (the level's threshold up to the next one, or up to
    /// `peak` inclusive if that is lower). An allocation through [`Heap::allocate_tracked`]
    /// that leaves `allocated` inside it — nearly all of them — costs one subtract and one
    /// compare for both; only one outside updates the peak and recomputes the level.
    band_start: usize,
    band_len: usize,
    /// The partition's notice severity.
    severity: Severity,
}

/// The least `allocated` whose percentage of `size` (rounded down, as [`percent`]) is at least
/// `pct`: `floor(100 a / s) >= p` exactly when `a >= ceil(p s / 100)`.
fn threshold(pct: u8, size: usize) -> usize {
    let bytes = (u64::from(pct) * size as u64).div_ceil(100);
    usize::try_from(bytes).unwrap_or(usize::MAX)
}

impl Heap {
    /// A partition with no region yet: it holds no address and every allocation fails.
    pub(crate) const ABSENT: Heap = Heap {
        talc: Talc::new(Manual),
        base: 0,
        len: 0,
        peak: 0,
        failures: 0,
        probes: 0,
        level: UsageLevel::Normal,
        elevated_at: 0,
        critical_at: 0,
        band_start: 0,
        band_len: 0,
        severity: Severity::Info,
    };

    /// Builds a heap in `region` whose usage notice is `notice` (the partition's percentage and
    /// severity, [`super::PartitionId::notice`]); `None` if the region is smaller than
    /// [`MIN_REGION`].
    pub(crate) fn new(region: Region, notice: (u8, Severity)) -> Option<Heap> {
        if region.len < MIN_REGION {
            return None;
        }
        let mut talc = Talc::new(Manual);
        let base = region.start.as_ptr();
        // Safety: the region is valid, writable and exclusively ours for the heap's lifetime
        // (Region's contract), and the `Manual` source allows claiming by hand.
        unsafe { talc.claim(base, region.len)? };
        // Exposed so that a sub-heap's block can be handed back to its parent heap later.
        let base = base.expose_provenance();
        Some(Heap {
            talc,
            base,
            len: region.len,
            peak: 0,
            failures: 0,
            probes: 0,
            level: UsageLevel::Normal,
            elevated_at: threshold(notice.0, region.len),
            critical_at: threshold(super::CRITICAL_PERCENT + 1, region.len),
            band_start: 0,
            band_len: 0,
            severity: notice.1,
        })
        .map(|mut heap| {
            heap.set_band();
            heap
        })
    }

    /// Whether the heap has a region (it is not [`Heap::ABSENT`]).
    pub(crate) fn is_present(&self) -> bool {
        self.len != 0
    }

    /// Whether `addr` lies in this heap's region.
    pub(crate) fn contains(&self, addr: usize) -> bool {
        addr.wrapping_sub(self.base) < self.len
    }

    /// Start address of the region.
    pub(crate) fn base(&self) -> usize {
        self.base
    }

    /// Live allocations.
    pub(crate) fn live(&self) -> u32 {
        u32::try_from(self.talc.counters().allocation_count).unwrap_or(u32::MAX)
    }

    /// Bytes allocated now (sum of live layouts' sizes).
    #[inline(always)]
    pub(crate) fn allocated(&self) -> usize {
        self.talc.counters().allocated_bytes
    }

    /// Bytes free (possibly fragmented).
    pub(crate) fn available(&self) -> usize {
        self.talc.counters().available_bytes
    }

    /// Allocates `layout`; counts a failure and returns `None` when the heap cannot.
    #[inline]
    pub(crate) fn allocate(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        let layout = non_zero(layout);
        // Safety: `non_zero` guarantees a nonzero size, talc's only precondition.
        match unsafe { self.talc.try_allocate(layout) } {
            Some(ptr) => {
                self.raise_peak();
                Some(ptr)
            }
            None => {
                self.failures = self.failures.wrapping_add(1);
                None
            }
        }
    }

    /// [`Heap::allocate`] for the partitioned heap's allocations, which also track the usage
    /// level: returns the block and the level's rise, if any. The peak and the level are
    /// updated only when `allocated` leaves the band (see `band_start`).
    ///
    /// # Safety
    /// `layout.size()` must be nonzero (talc's precondition; `GlobalAlloc`'s callers promise
    /// it, [`non_zero`] makes it so for the others).
    #[inline(always)]
    pub(crate) unsafe fn allocate_tracked(
        &mut self,
        layout: Layout,
    ) -> Option<(NonNull<u8>, Option<UsageRise>)> {
        // Safety: forwarded from this function's contract.
        match unsafe { self.talc.try_allocate(layout) } {
            Some(ptr) => {
                if self.allocated().wrapping_sub(self.band_start) < self.band_len {
                    return Some((ptr, None));
                }
                Some((ptr, self.level_change()))
            }
            None => {
                self.fail();
                None
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn fail(&mut self) {
        self.failures = self.failures.wrapping_add(1);
    }

    /// Frees `ptr`.
    ///
    /// # Safety
    /// `ptr` must have been returned by this heap's `allocate`/`reallocate` with `layout`
    /// (its current size) and not freed since.
    #[inline]
    pub(crate) unsafe fn deallocate(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // Safety: forwarded from this function's contract (`non_zero` as on allocation).
        unsafe { self.talc.deallocate(ptr.as_ptr(), non_zero(layout)) };
    }

    /// [`Heap::deallocate`] of a block whose layout has a nonzero size, as `GlobalAlloc`'s
    /// are (no zero-size adjustment).
    ///
    /// # Safety
    /// As for [`Heap::deallocate`], and `layout.size()` must be nonzero.
    #[inline(always)]
    pub(crate) unsafe fn deallocate_sized(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // Safety: forwarded from this function's contract.
        unsafe { self.talc.deallocate(ptr.as_ptr(), layout) };
    }

    /// Resizes `ptr` to `new_size` inside this heap (in place if possible, else by moving).
    ///
    /// # Safety
    /// As for [`Heap::deallocate`]; `new_size` must be nonzero and, rounded up to
    /// `layout.align()`, must not overflow `isize`.
    pub(crate) unsafe fn reallocate(
        &mut self,
        ptr: NonNull<u8>,
        layout: Layout,
        new_size: usize,
    ) -> Option<NonNull<u8>> {
        let layout = non_zero(layout);
        // Safety: forwarded contract; new_size is nonzero.
        if unsafe {
            self.talc
                .try_realloc_in_place(ptr.as_ptr(), layout, new_size)
        } {
            self.raise_peak();
            return Some(ptr);
        }
        // Safety: the caller guarantees the size/align pair is a valid layout.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let new = self.allocate(new_layout)?;
        // Safety: both blocks are live, distinct allocations of at least the copied length.
        unsafe {
            core::ptr::copy_nonoverlapping(ptr.as_ptr(), new.as_ptr(), layout.size().min(new_size));
            self.deallocate(ptr, layout);
        }
        Some(new)
    }

    /// The largest single allocation that would succeed now (found by probing).
    pub(crate) fn largest_free(&mut self) -> usize {
        let available = self.talc.counters().available_bytes;
        self.probe_largest(available)
    }

    /// Full statistics, including the largest block that could be allocated right now.
    pub(crate) fn stats(&mut self) -> HeapStats {
        let counters = *self.talc.counters();
        // talc's counts are u64; the kernel's wrap at u32, as they always have.
        let allocs = counters.total_allocation_count.wrapping_sub(self.probes) as u32;
        HeapStats {
            size: self.len,
            allocated: counters.allocated_bytes,
            peak: self.peak,
            allocs,
            frees: allocs.wrapping_sub(counters.allocation_count as u32),
            failures: self.failures,
            free: counters.available_bytes,
            fragments: counters.fragment_count,
            largest_free: self.probe_largest(counters.available_bytes),
        }
    }

    /// `allocated` left the band: the peak follows it, the level moves (up or down) to where
    /// it is now, and a rise past the partition's notice or past critical is reported.
    #[cold]
    #[inline(never)]
    fn level_change(&mut self) -> Option<UsageRise> {
        let allocated = self.allocated();
        self.peak = self.peak.max(allocated);
        let level = if allocated >= self.critical_at {
            UsageLevel::Critical
        } else if allocated >= self.elevated_at {
            UsageLevel::Elevated
        } else {
            UsageLevel::Normal
        };
        let rose = level > self.level;
        self.level = level;
        self.set_band();
        if !rose {
            return None;
        }
        let used = percent(allocated, self.len);
        match level {
            UsageLevel::Critical => Some((level, Severity::Warn, used)),
            _ => Some((level, self.severity, used)),
        }
    }

    /// The band of `allocated` values that map to `level` and do not pass `peak` (see
    /// `band_start`). A threshold below the one before it (tiny regions, where two
    /// percentages round to the same bytes) gives an empty band, so every allocation
    /// recomputes: correct, only slower.
    fn set_band(&mut self) {
        let (start, end) = match self.level {
            UsageLevel::Normal => (0, self.elevated_at.min(self.critical_at)),
            UsageLevel::Elevated => (self.elevated_at, self.critical_at),
            UsageLevel::Critical => (self.critical_at, usize::MAX),
        };
        let end = end.min(self.peak.saturating_add(1));
        self.band_start = start;
        self.band_len = end.saturating_sub(start);
    }

    /// The peak follows an allocation made outside the band's tracking.
    #[inline(always)]
    fn raise_peak(&mut self) {
        self.peak = self.peak.max(self.allocated());
    }

    /// Binary search for the largest byte-aligned allocation that succeeds (diagnostics only:
    /// O(log n) trial allocations, each freed at once; the kernel's counts are untouched).
    fn probe_largest(&mut self, upper: usize) -> usize {
        let (mut ok, mut bad) = (0, upper + 1);
        while bad - ok > 1 {
            let mid = ok + (bad - ok) / 2;
            let Ok(layout) = Layout::from_size_align(mid, 1) else {
                break;
            };
            // Safety: mid >= 1.
            match unsafe { self.talc.try_allocate(layout) } {
                Some(ptr) => {
                    // Safety: just allocated with this layout.
                    unsafe { self.talc.deallocate(ptr.as_ptr(), layout) };
                    self.probes += 1;
                    ok = mid;
                }
                None => bad = mid,
            }
        }
        ok
    }
}

/// Zero-sized requests are served as one byte, consistently on alloc and free.
pub(crate) fn non_zero(layout: Layout) -> Layout {
    if layout.size() == 0 {
        // Safety-free: size 1 with an existing valid alignment is always a valid layout.
        Layout::from_size_align(1, layout.align()).unwrap_or(layout)
    } else {
        layout
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_match_the_percentage_they_stand_for() {
        for size in [512usize, 999, 1024, 5_836, 49_152, 65_537] {
            for pct in [1u8, 70, 80, 85, 90, 91, 100] {
                let at = threshold(pct, size);
                assert!(percent(at, size) >= pct, "{pct}% of {size}: {at}");
                assert!(
                    at == 0 || percent(at - 1, size) < pct,
                    "{pct}% of {size}: {at}"
                );
            }
        }
    }

    #[test]
    fn binning_is_monotonic_and_dense() {
        talc::base::binning::test_utils::check_binning_properties(Some(31), &|size| {
            PartitionBinning::size_to_bin(size)
        });
    }
}
