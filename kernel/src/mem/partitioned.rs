//! The partitioned heap: six heaps, per-service sub-quotas in P4, routing, events.
//!
//! All heap state sits behind one `critical_section::Mutex` (interrupts off for a few hundred
//! cycles on Cortex-M; a process-wide lock in host tests). The current placement is a separate
//! atomic word so that switching it around each poll costs two plain stores.
//!
//! The state is an `UnsafeCell` inside the mutex rather than a `RefCell`: every access goes
//! through [`PartitionedHeap::with`], whose closures never call back into the heap (talc and
//! the event queue do not allocate), so the critical section alone makes the `&mut` unique and
//! a borrow flag would only cost instructions on every allocation and free. Debug builds keep
//! a re-entrancy check.
//!
//! The common path — an allocation or free in a partition other than P4, its usage level
//! unchanged — is: the current placement (one load), the critical section, the heap by index
//! (the packed placement's low byte, one bounds check that also sends P4 aside, see
//! `Placement::pack`), talc, and on allocation the usage level as one compare of talc's byte
//! count against a precomputed band (see `Heap::allocate_tracked`); the heap keeps no counts
//! of its own there, talc's `counters` are the figures. Everything else (service sub-quotas,
//! exhaustion, loans, events) is off to the side.
//!
//! A partition without a region is [`Heap::ABSENT`] rather than an `Option`: it holds no
//! address and fails every allocation, so the fast path has no "is there a heap" test.
#![allow(unsafe_code)]

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};

use critical_section::Mutex;
use heapless::Deque;

use super::heap::{Heap, MIN_REGION, Region, non_zero};
use super::{
    Exhaustion, Fatal, HeapStats, MemEvent, OwnerId, PartitionId, PartitionSwitch, Placement,
};
use crate::config::MEM_EVENTS;

/// Why a partition could not be set up (the firmware's memory plan is at fault).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetupError {
    /// The partition already has its region.
    AlreadyAdded,
    /// The region cannot hold the heap's metadata and a block.
    RegionTooSmall,
}

/// Why a service sub-quota request was refused (the caller — the service loader — decides
/// whether to refuse loading the service).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuotaError {
    /// P4 has no region yet.
    NoServicesPartition,
    /// This owner already has a quota.
    Duplicate,
    /// Every quota slot is taken ([`PartitionedHeap::set_quota_slots`] gave too few, or none).
    TableFull,
    /// The quota is smaller than a heap's minimum.
    TooSmall,
    /// P4 has no free block of that size.
    OutOfMemory,
    /// No quota is registered for this owner.
    Unknown,
    /// The service still has this many live allocations; free them (drop the instance) first.
    InUse(u32),
}

struct ServiceHeap {
    owner: OwnerId,
    heap: Heap,
    block_layout: Layout,
}

/// Room for one service's sub-quota in P4's table.
///
/// The table is the deployment's, not the kernel's: a board gives
/// [`PartitionedHeap::set_quota_slots`] a `static` array sized by its plan, so the kernel is
/// built once for every deployment (a table sized by a build-time constant rebuilt the kernel
/// and everything above it for each image with a different number of services).
pub struct QuotaSlot(Option<ServiceHeap>);

impl QuotaSlot {
    /// A free slot, for `static SLOTS: [QuotaSlot; N] = [QuotaSlot::EMPTY; N];`.
    pub const EMPTY: Self = Self(None);

    /// `count` free slots in memory of the global allocator, never freed: for host programs
    /// and tests, which set a heap up once per process.
    pub fn leak(count: usize) -> &'static mut [QuotaSlot] {
        alloc::boxed::Box::leak((0..count).map(|_| Self::EMPTY).collect())
    }
}

/// `repr(C)` with the heaps first, as [`PartitionedHeap`] has its state first: heap `i` is at
/// the allocator's address plus `i` heaps, one multiply-add on the fast path.
#[repr(C)]
struct State {
    /// By partition index; [`Heap::ABSENT`] until the partition has its region.
    heaps: [Heap; 6],
    /// Service sub-quotas, by slot ([`PartitionedHeap::set_quota_slots`]).
    services: &'static mut [QuotaSlot],
    /// The slot last found, tried first: a service's allocations and frees come in runs (its
    /// task's poll), so the walk of the table is mostly one compare.
    last_quota: usize,
    events: Deque<MemEvent, MEM_EVENTS>,
    fatal: Option<Exhaustion>,
    dropped_events: u32,
    foreign_frees: u32,
    loans: u32,
    lend: bool,
}

/// The six partition heaps and the allocator that routes between them.
///
/// Usable as the `#[global_allocator]` of the firmware (a `static`), or directly through
/// [`PartitionedHeap::allocate`] / [`PartitionedHeap::alloc_block`]. See the
/// [module documentation](super) for policies and events.
#[repr(C)]
pub struct PartitionedHeap {
    state: Mutex<UnsafeCell<State>>,
    current: AtomicU32,
    /// Set while a `with` closure runs (debug builds): catches a re-entrant access, which the
    /// `UnsafeCell` would otherwise make undefined behaviour.
    #[cfg(debug_assertions)]
    busy: core::sync::atomic::AtomicBool,
}

impl PartitionedHeap {
    /// A heap with no partitions yet (every allocation fails until they are added).
    pub const fn new() -> Self {
        Self {
            current: AtomicU32::new(Placement::KERNEL.pack()),
            #[cfg(debug_assertions)]
            busy: core::sync::atomic::AtomicBool::new(false),
            state: Mutex::new(UnsafeCell::new(State {
                heaps: [Heap::ABSENT; 6],
                services: &mut [],
                last_quota: 0,
                events: Deque::new(),
                dropped_events: 0,
                foreign_frees: 0,
                fatal: None,
                lend: false,
                loans: 0,
            })),
        }
    }

    #[inline(always)]
    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        critical_section::with(|cs| {
            #[cfg(debug_assertions)]
            assert!(
                !self.busy.swap(true, Relaxed),
                "re-entrant access to the partitioned heap"
            );
            let state = self.state.borrow(cs).get();
            // Safety: the critical section excludes every other thread and interrupt handler,
            // and no closure given to `with` calls back into this heap (see the module
            // documentation; debug builds assert it), so this is the only reference.
            let result = f(unsafe { &mut *state });
            #[cfg(debug_assertions)]
            self.busy.store(false, Relaxed);
            result
        })
    }

    /// Gives partition `id` its memory.
    pub fn add_partition(&self, id: PartitionId, region: Region) -> Result<(), SetupError> {
        self.with(|st| {
            let slot = &mut st.heaps[id as usize];
            if slot.is_present() {
                return Err(SetupError::AlreadyAdded);
            }
            *slot = Heap::new(region, id.notice()).ok_or(SetupError::RegionTooSmall)?;
            Ok(())
        })
    }

    /// Gives the table of service sub-quotas its slots: at most `slots.len()` services hold a
    /// quota at once. Until then [`add_service_quota`](Self::add_service_quota) refuses
    /// every service ([`QuotaError::TableFull`]). Once only.
    pub fn set_quota_slots(&self, slots: &'static mut [QuotaSlot]) -> Result<(), SetupError> {
        self.with(|st| {
            if !st.services.is_empty() {
                return Err(SetupError::AlreadyAdded);
            }
            st.services = slots;
            Ok(())
        })
    }

    /// Reserves `bytes` of P4 as service `owner`'s own heap: its allocations (placement
    /// `Placement::service(owner)`) are served and counted there, and exhausting it affects
    /// that service only.
    pub fn add_service_quota(&self, owner: OwnerId, bytes: usize) -> Result<(), QuotaError> {
        if bytes < MIN_REGION {
            return Err(QuotaError::TooSmall);
        }
        let layout = Layout::from_size_align(bytes, 16).map_err(|_| QuotaError::TooSmall)?;
        self.with(|st| {
            if st.quotas().any(|s| s.owner == owner) {
                return Err(QuotaError::Duplicate);
            }
            if !st.heaps[PartitionId::Services as usize].is_present() {
                return Err(QuotaError::NoServicesPartition);
            }
            let free = st
                .services
                .iter()
                .position(|slot| slot.0.is_none())
                .ok_or(QuotaError::TableFull)?;
            let p4 = &mut st.heaps[PartitionId::Services as usize];
            let block = p4.allocate(layout).ok_or(QuotaError::OutOfMemory)?;
            // Safety: the block is a live P4 allocation of `bytes` bytes that nothing else
            // uses; it is freed only in `remove_service_quota`, after the sub-heap is dropped.
            let region = unsafe { Region::from_block(block, bytes) };
            let heap =
                Heap::new(region, PartitionId::Services.notice()).ok_or(QuotaError::TooSmall)?;
            st.services[free] = QuotaSlot(Some(ServiceHeap {
                owner,
                heap,
                block_layout: layout,
            }));
            Ok(())
        })
    }

    /// Returns service `owner`'s quota to P4. Refused while the service still holds memory.
    pub fn remove_service_quota(&self, owner: OwnerId) -> Result<(), QuotaError> {
        self.with(|st| {
            let index = st
                .services
                .iter()
                .position(|s| s.0.as_ref().is_some_and(|s| s.owner == owner))
                .ok_or(QuotaError::Unknown)?;
            let live = st.services[index].0.as_ref().map_or(0, |s| s.heap.live());
            if live != 0 {
                return Err(QuotaError::InUse(live));
            }
            let Some(service) = st.services[index].0.take() else {
                return Err(QuotaError::Unknown);
            };
            // The sub-heap (plain data over the block) is gone with `service`; free its block.
            let block = service.heap.base();
            if let Some(ptr) = NonNull::new(core::ptr::with_exposed_provenance_mut::<u8>(block)) {
                let p4 = &mut st.heaps[PartitionId::Services as usize];
                // Safety: `block` is the P4 allocation made in `add_service_quota` with
                // `block_layout`; the sub-heap that used it is gone and held no allocations.
                unsafe { p4.deallocate(ptr, service.block_layout) };
            }
            Ok(())
        })
    }

    /// Allocates `layout` in `placement`'s heap. On failure the returned [`Exhaustion`] is also
    /// queued as a [`MemEvent`] (and latched if fatal).
    #[inline]
    pub fn allocate(
        &self,
        placement: Placement,
        layout: Layout,
    ) -> Result<NonNull<u8>, Exhaustion> {
        self.with(|st| st.allocate(placement, layout))
    }

    /// Frees a block from whichever heap holds its address (not necessarily the current one).
    ///
    /// # Safety
    /// `ptr` must come from this heap's `allocate`/`alloc`/`realloc` with `layout` (its
    /// current size) and must not have been freed.
    #[inline]
    pub unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        let likely = self.current_index();
        self.with(
            |st| match st.heap_of(ptr.as_ptr().expose_provenance(), likely) {
                // Safety: forwarded from this function's contract; the heap owns the address.
                Some(heap) => unsafe { heap.deallocate(ptr, layout) },
                None => st.foreign_free(),
            },
        );
    }

    /// The current placement's heap index (its packed low byte: out of range for P4).
    #[inline(always)]
    fn current_index(&self) -> usize {
        (self.current.load(Relaxed) & 0xff) as usize
    }

    /// A zeroed block of `layout` in `placement`, freed when dropped (e.g. a guest's linear
    /// memory carved from P5).
    pub fn alloc_block(
        &self,
        placement: Placement,
        layout: Layout,
    ) -> Result<Block<'_>, Exhaustion> {
        let ptr = self.allocate(placement, layout)?;
        // Safety: `ptr` is a fresh allocation of at least `layout.size()` bytes.
        unsafe { core::ptr::write_bytes(ptr.as_ptr(), 0, layout.size()) };
        Ok(Block {
            heap: self,
            ptr,
            layout,
        })
    }

    /// With `on`, an allocation that its heap cannot serve is served from the reserve (P6)
    /// instead of failing, and its [`MemEvent::Exhausted`] says so ([`Exhaustion::lent`]).
    /// For code that aborts on a null allocation (wasmi): it returns normally, and the runtime
    /// applies the policy at its next turn. Never for P6's own allocations.
    pub fn lend_from_reserve(&self, on: bool) {
        self.with(|st| st.lend = on);
    }

    /// Allocations the reserve has covered so far (see [`PartitionedHeap::lend_from_reserve`]).
    pub fn loans(&self) -> u32 {
        self.with(|st| st.loans)
    }

    /// Whether `ptr` lies in one of the partitions (a host program that routes only some of
    /// its allocations here tells by this which allocator frees a block).
    pub fn owns(&self, ptr: *const u8) -> bool {
        let addr = ptr.expose_provenance();
        self.with(|st| st.heaps.iter().any(|h| h.contains(addr)))
    }

    /// The placement new allocations are charged to.
    pub fn current(&self) -> Placement {
        Placement::unpack(self.current.load(Relaxed))
    }

    /// Statistics of partition `id` (`None` if it has no region). P4's figures include the
    /// blocks reserved for service quotas.
    pub fn stats(&self, id: PartitionId) -> Option<HeapStats> {
        self.with(|st| {
            let heap = &mut st.heaps[id as usize];
            heap.is_present().then(|| heap.stats())
        })
    }

    /// Bytes allocated now in `placement`'s heap (its service quota, or its partition):
    /// `stats(..).allocated` without probing for the largest free block.
    pub fn allocated(&self, placement: Placement) -> usize {
        self.with(|st| st.heap_for(placement).allocated())
    }

    /// The largest single allocation `placement`'s heap (its service quota, or its
    /// partition) would serve now: what a caller checks before an allocation it cannot fail.
    pub fn largest_free(&self, placement: Placement) -> usize {
        self.with(|st| st.heap_for(placement).largest_free())
    }

    /// Statistics of service `owner`'s sub-quota.
    pub fn service_stats(&self, owner: OwnerId) -> Option<HeapStats> {
        self.with(|st| {
            st.quotas_mut()
                .find(|s| s.owner == owner)
                .map(|s| s.heap.stats())
        })
    }

    /// Services holding a sub-quota, in slot order (none if the list's room cannot be had).
    pub fn service_owners(&self) -> alloc::vec::Vec<OwnerId> {
        let mut owners = alloc::vec::Vec::new();
        if let Some(count) = self.room_for_quotas(&mut owners) {
            self.with(|st| owners.extend(st.quotas().map(|s| s.owner).take(count)));
        }
        owners
    }

    /// Reserves room in `list` for one entry per sub-quota, outside the critical section
    /// (its closures must not call back into this heap), without aborting when memory has
    /// run out: the number of sub-quotas, or `None`.
    pub(super) fn room_for_quotas<T>(&self, list: &mut alloc::vec::Vec<T>) -> Option<usize> {
        let count = self.with(|st| st.quotas().count());
        list.try_reserve_exact(count).ok().map(|()| count)
    }

    /// Calls `f` with each sub-quota's owner and statistics, in slot order, inside the
    /// critical section: `f` must not allocate.
    pub(super) fn each_quota(&self, mut f: impl FnMut(OwnerId, HeapStats)) {
        self.with(|st| {
            for service in st.quotas_mut() {
                f(service.owner, service.heap.stats());
            }
        });
    }

    /// The oldest undrained event.
    pub fn pop_event(&self) -> Option<MemEvent> {
        self.with(|st| st.events.pop_front())
    }

    /// Events lost because the queue was full (fatal ones are latched regardless).
    pub fn dropped_events(&self) -> u32 {
        self.with(|st| st.dropped_events)
    }

    /// Frees of addresses no partition holds (ignored; a non-zero count is a bug to chase).
    pub fn foreign_frees(&self) -> u32 {
        self.with(|st| st.foreign_frees)
    }

    /// `Err(Fatal)` once P1, P2 or P6 has failed an allocation; it stays latched. The firmware
    /// calls this every loop turn and resets on `Err`.
    pub fn check(&self) -> Result<(), Fatal> {
        self.with(|st| st.fatal.map_or(Ok(()), |e| Err(Fatal(e))))
    }
}

impl Default for PartitionedHeap {
    fn default() -> Self {
        Self::new()
    }
}

impl PartitionSwitch for PartitionedHeap {
    fn switch_to(&self, to: Placement) -> Placement {
        let previous = self.current.load(Relaxed);
        self.current.store(to.pack(), Relaxed);
        Placement::unpack(previous)
    }

    fn allocated(&self, placement: Placement) -> usize {
        PartitionedHeap::allocated(self, placement)
    }
}

impl State {
    fn quotas(&self) -> impl Iterator<Item = &ServiceHeap> {
        self.services.iter().filter_map(|slot| slot.0.as_ref())
    }

    fn quotas_mut(&mut self) -> impl Iterator<Item = &mut ServiceHeap> {
        quotas_mut(self.services)
    }

    /// The slot of the first sub-quota that is `wanted`, the one last found tried first.
    #[inline(always)]
    fn quota_index(&mut self, wanted: impl Fn(&ServiceHeap) -> bool) -> Option<usize> {
        let last = self.last_quota;
        if let Some(QuotaSlot(Some(service))) = self.services.get(last)
            && wanted(service)
        {
            return Some(last);
        }
        let index = self
            .services
            .iter()
            .position(|slot| slot.0.as_ref().is_some_and(&wanted))?;
        self.last_quota = index;
        Some(index)
    }

    /// `placement`'s heap: its service quota, or its partition's (perhaps absent) heap.
    #[inline(always)]
    fn heap_for(&mut self, placement: Placement) -> &mut Heap {
        if placement.partition == PartitionId::Services
            && let Some(index) = self.quota_index(|s| s.owner == placement.owner)
            && let Some(service) = self.services[index].0.as_mut()
        {
            return &mut service.heap;
        }
        &mut self.heaps[placement.partition as usize]
    }

    /// The heap whose region holds `addr`. Heap `likely` (the current placement's index:
    /// tasks mostly free what they allocated) is tried first; P4, whose index is out of range,
    /// never is: its service sub-heaps come first.
    #[inline(always)]
    fn heap_of(&mut self, addr: usize, likely: usize) -> Option<&mut Heap> {
        if let Some(heap) = self.heaps.get(likely)
            && heap.contains(addr)
        {
            return self.heaps.get_mut(likely);
        }
        self.find_heap(addr)
    }

    #[cold]
    #[inline(never)]
    fn find_heap(&mut self, addr: usize) -> Option<&mut Heap> {
        let p4 = PartitionId::Services as usize;
        if self.heaps[p4].contains(addr) {
            if let Some(index) = self.quota_index(|s| s.heap.contains(addr))
                && let Some(service) = self.services[index].0.as_mut()
            {
                return Some(&mut service.heap);
            }
            return Some(&mut self.heaps[p4]);
        }
        self.heaps.iter_mut().find(|h| h.contains(addr))
    }

    #[cold]
    #[inline(never)]
    fn foreign_free(&mut self) {
        self.foreign_frees = self.foreign_frees.wrapping_add(1);
    }

    /// `GlobalAlloc::alloc`'s path: `layout` in the packed placement `word`'s heap, null on
    /// failure. A partition other than P4 is indexed straight from the word; P4 (its index is
    /// out of range), a usage rise and a failure go to [`State::allocate`].
    ///
    /// # Safety
    /// `layout.size()` must be nonzero.
    #[inline(always)]
    unsafe fn allocate_packed(&mut self, word: u32, layout: Layout) -> *mut u8 {
        if let Some(heap) = self.heaps.get_mut((word & 0xff) as usize) {
            // Safety: forwarded from this function's contract.
            match unsafe { heap.allocate_tracked(layout) } {
                Some((ptr, None)) => return ptr.as_ptr(),
                Some((ptr, Some(rise))) => {
                    self.rose(Placement::unpack(word), rise);
                    return ptr.as_ptr();
                }
                None => {}
            }
            return match self.allocate_failed(Placement::unpack(word), layout) {
                Ok(ptr) => ptr.as_ptr(),
                Err(_) => core::ptr::null_mut(),
            };
        }
        match self.allocate(Placement::unpack(word), layout) {
            Ok(ptr) => ptr.as_ptr(),
            Err(_) => core::ptr::null_mut(),
        }
    }

    #[inline(never)]
    fn allocate(
        &mut self,
        placement: Placement,
        layout: Layout,
    ) -> Result<NonNull<u8>, Exhaustion> {
        let heap = self.heap_for(placement);
        // Safety: `non_zero` makes the size nonzero.
        if let Some((ptr, rise)) = unsafe { heap.allocate_tracked(non_zero(layout)) } {
            if let Some(rise) = rise {
                self.rose(placement, rise);
            }
            return Ok(ptr);
        }
        self.allocate_failed(placement, layout)
    }

    /// `placement`'s heap rose to a new usage level: the event.
    #[cold]
    #[inline(never)]
    fn rose(&mut self, placement: Placement, (level, severity, percent): super::heap::UsageRise) {
        self.push(MemEvent::Usage {
            placement,
            level,
            severity,
            percent,
        });
    }

    /// `placement`'s heap (if any) could not serve `layout`: a loan from the reserve, or the
    /// exhaustion event.
    #[cold]
    #[inline(never)]
    fn allocate_failed(
        &mut self,
        placement: Placement,
        layout: Layout,
    ) -> Result<NonNull<u8>, Exhaustion> {
        let available = self.heap_for(placement).available();
        match self.borrow(placement, layout) {
            Some(ptr) => {
                self.exhausted(placement, layout.size(), available, true);
                Ok(ptr)
            }
            None => Err(self.exhausted(placement, layout.size(), available, false)),
        }
    }

    /// A block from the reserve for `placement`, whose own heap could not serve `layout`
    /// (when lending is on and P6 has room).
    fn borrow(&mut self, placement: Placement, layout: Layout) -> Option<NonNull<u8>> {
        if !self.lend || placement.partition == PartitionId::Reserve {
            return None;
        }
        let reserve = &mut self.heaps[PartitionId::Reserve as usize];
        if !reserve.is_present() {
            return None;
        }
        let ptr = reserve.allocate(layout)?;
        self.loans = self.loans.wrapping_add(1);
        Some(ptr)
    }

    fn exhausted(
        &mut self,
        placement: Placement,
        requested: usize,
        available: usize,
        lent: bool,
    ) -> Exhaustion {
        let policy = placement.partition.policy(placement.owner);
        let exhaustion = Exhaustion {
            placement,
            requested,
            available,
            policy,
            lent,
        };
        if policy == super::ExhaustionPolicy::Fatal && self.fatal.is_none() {
            self.fatal = Some(exhaustion);
        }
        self.push(MemEvent::Exhausted(exhaustion));
        exhaustion
    }

    fn push(&mut self, event: MemEvent) {
        if self.events.push_back(event).is_err() {
            self.dropped_events = self.dropped_events.wrapping_add(1);
        }
    }
}

// Safety: every method upholds the GlobalAlloc contract by delegating to talc heaps that own
// disjoint regions: `alloc` returns a block of at least `layout` from one heap (or null, never
// unwinding), `dealloc`/`realloc` find the heap by address, so a block is always freed or
// resized by the heap that allocated it.
unsafe impl GlobalAlloc for PartitionedHeap {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let word = self.current.load(Relaxed);
        // The pointer, not the `Result`, leaves the critical section: no exhaustion record
        // is built on the common path.
        // Safety: GlobalAlloc's contract: `layout` has a nonzero size.
        self.with(|st| unsafe { st.allocate_packed(word, layout) })
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(ptr) = NonNull::new(ptr) else {
            return;
        };
        let likely = self.current_index();
        self.with(
            |st| match st.heap_of(ptr.as_ptr().expose_provenance(), likely) {
                // Safety: GlobalAlloc's contract: `ptr` was allocated here with `layout`, whose
                // size is nonzero; the heap owns the address.
                Some(heap) => unsafe { heap.deallocate_sized(ptr, layout) },
                None => st.foreign_free(),
            },
        );
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Some(ptr) = NonNull::new(ptr) else {
            return core::ptr::null_mut();
        };
        let current = self.current();
        // Safety: GlobalAlloc's realloc contract is State::reallocate's.
        match self.with(|st| unsafe { st.reallocate(current, ptr, layout, new_size) }) {
            Ok(new) => new.as_ptr(),
            Err(_) => core::ptr::null_mut(),
        }
    }
}

impl State {
    /// Resizes a block inside the heap that owns it, whatever placement is current.
    ///
    /// # Safety
    /// `ptr` must be a live allocation of this heap with `layout`; `new_size` must be nonzero
    /// and, rounded up to `layout.align()`, must not overflow `isize`.
    unsafe fn reallocate(
        &mut self,
        current: Placement,
        ptr: NonNull<u8>,
        layout: Layout,
        new_size: usize,
    ) -> Result<NonNull<u8>, Exhaustion> {
        let addr = ptr.as_ptr().expose_provenance();
        let home = placement_of(self, addr, current);
        let likely = (current.pack() & 0xff) as usize;
        let Some(heap) = self.heap_of(addr, likely) else {
            self.foreign_frees = self.foreign_frees.wrapping_add(1);
            return Err(self.exhausted(home, new_size, 0, false));
        };
        // Safety: forwarded from this function's contract; `heap` owns the address.
        if let Some(new) = unsafe { heap.reallocate(ptr, layout, new_size) } {
            return Ok(new);
        }
        let available = heap.available();
        // The home heap cannot hold the grown block: move it into a loan from the reserve.
        let grown = Layout::from_size_align(new_size, layout.align()).ok();
        match grown.and_then(|grown| self.borrow(home, grown)) {
            Some(new) => {
                // Safety: `new` is a fresh block of `new_size` bytes, `ptr` a live one of
                // `layout.size()`; they are distinct allocations. The old block is then freed
                // by the heap that owns it, under this function's contract.
                unsafe {
                    core::ptr::copy_nonoverlapping(
                        ptr.as_ptr(),
                        new.as_ptr(),
                        layout.size().min(new_size),
                    );
                    if let Some(heap) = self.heap_of(addr, likely) {
                        heap.deallocate(ptr, layout);
                    }
                }
                self.exhausted(home, new_size, available, true);
                Ok(new)
            }
            None => Err(self.exhausted(home, new_size, available, false)),
        }
    }
}

/// The sub-quotas held in `slots` (a function of the field alone, so that a caller can
/// return one while the other fields stay borrowable).
fn quotas_mut(slots: &mut [QuotaSlot]) -> impl Iterator<Item = &mut ServiceHeap> {
    slots.iter_mut().filter_map(|slot| slot.0.as_mut())
}

/// The placement whose heap holds `addr`, to charge a failed resize to. A service quota knows
/// its owner; inside a partition the owner is taken from `current` when it is in that
/// partition (the task resizing its own memory), otherwise it is unknown (0).
fn placement_of(st: &State, addr: usize, current: Placement) -> Placement {
    if let Some(s) = st.quotas().find(|s| s.heap.contains(addr)) {
        return Placement::service(s.owner.0);
    }
    let partition = st
        .heaps
        .iter()
        .position(|h| h.contains(addr))
        .map_or(PartitionId::Kernel, |i| PartitionId::from_index(i as u8));
    if current.partition == partition {
        current
    } else {
        Placement::new(partition, OwnerId(0))
    }
}

/// A zeroed allocation from a [`PartitionedHeap`], freed on drop.
pub struct Block<'h> {
    heap: &'h PartitionedHeap,
    ptr: NonNull<u8>,
    layout: Layout,
}

impl Block<'_> {
    /// Resizes the block inside its own partition (in place when possible); new bytes are
    /// zeroed. On failure the block is unchanged and the exhaustion is also queued as an event.
    pub fn resize(&mut self, new_size: usize) -> Result<(), Exhaustion> {
        let new_size = new_size.max(1);
        let layout =
            Layout::from_size_align(new_size, self.layout.align()).map_err(|_| Exhaustion {
                placement: self.heap.current(),
                requested: new_size,
                available: 0,
                policy: self
                    .heap
                    .current()
                    .partition
                    .policy(self.heap.current().owner),
                lent: false,
            })?;
        let current = self.heap.current();
        let (ptr, old) = (self.ptr, self.layout);
        // Safety: `ptr` is this block's live allocation with `old`; `layout` validated the size.
        let new = self
            .heap
            .with(|st| unsafe { st.reallocate(current, ptr, old, new_size) })?;
        if new_size > old.size() {
            // Safety: the new block has `new_size` bytes; the tail past `old.size()` is fresh.
            unsafe {
                core::ptr::write_bytes(new.as_ptr().add(old.size()), 0, new_size - old.size())
            };
        }
        self.ptr = new;
        self.layout = layout;
        Ok(())
    }

    /// Size in bytes.
    pub fn len(&self) -> usize {
        self.layout.size()
    }

    /// Whether the block is empty.
    pub fn is_empty(&self) -> bool {
        self.layout.size() == 0
    }

    /// Address of the first byte (for range checks in tests and diagnostics).
    pub fn addr(&self) -> usize {
        self.ptr.as_ptr().addr()
    }
}

impl core::ops::Deref for Block<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // Safety: the block is a live, zero-initialised allocation of `len` bytes owned by self.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.layout.size()) }
    }
}

impl core::ops::DerefMut for Block<'_> {
    fn deref_mut(&mut self) -> &mut [u8] {
        // Safety: as for Deref, and `&mut self` makes this the only reference.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.layout.size()) }
    }
}

impl Drop for Block<'_> {
    fn drop(&mut self) {
        // Safety: allocated from `heap` with `layout` in `alloc_block`, freed only here.
        unsafe { self.heap.deallocate(self.ptr, self.layout) }
    }
}

impl core::fmt::Debug for Block<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Block")
            .field("addr", &self.addr())
            .field("len", &self.len())
            .finish()
    }
}
