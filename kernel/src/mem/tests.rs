//! Partition heaps on the host, over static arenas (never the process allocator).

use alloc::vec::Vec;
use core::alloc::{GlobalAlloc, Layout};

use super::*;

/// A fresh set of static arenas and a heap over them, per test (each test gets its own
/// statics through the macro, so tests stay independent when run in parallel).
macro_rules! partitions {
    ($p1:expr, $p2:expr, $p3:expr, $p4:expr, $p5:expr, $p6:expr) => {{
        static P1: Arena<$p1> = Arena::new();
        static P2: Arena<$p2> = Arena::new();
        static P3: Arena<$p3> = Arena::new();
        static P4: Arena<$p4> = Arena::new();
        static P5: Arena<$p5> = Arena::new();
        static P6: Arena<$p6> = Arena::new();
        static HEAP: PartitionedHeap = PartitionedHeap::new();
        let regions = [
            P1.take().map(Region::new),
            P2.take().map(Region::new),
            P3.take().map(Region::new),
            P4.take().map(Region::new),
            P5.take().map(Region::new),
            P6.take().map(Region::new),
        ];
        for (id, region) in PartitionId::ALL.into_iter().zip(regions) {
            HEAP.add_partition(id, region.expect("each test takes its arenas once"))
                .unwrap();
        }
        HEAP.set_quota_slots(QuotaSlot::leak(2)).unwrap();
        &HEAP
    }};
}

fn layout(size: usize) -> Layout {
    Layout::from_size_align(size, 8).unwrap()
}

#[test]
fn allocations_land_in_the_requested_partition_and_go_home_on_free() {
    let heap = partitions!(4096, 4096, 4096, 4096, 8192, 1024);
    let a = heap.alloc_block(Placement::KERNEL, layout(100)).unwrap();
    let b = heap.alloc_block(Placement::guest(1), layout(200)).unwrap();
    let k = heap.stats(PartitionId::Kernel).unwrap();
    let g = heap.stats(PartitionId::Guests).unwrap();
    assert_eq!((k.allocated, k.allocs), (100, 1));
    assert_eq!((g.allocated, g.allocs), (200, 1));
    // Frees are routed by address, whatever placement is current.
    heap.switch_to(Placement::guest(1));
    drop(a);
    heap.switch_to(Placement::KERNEL);
    drop(b);
    let k = heap.stats(PartitionId::Kernel).unwrap();
    let g = heap.stats(PartitionId::Guests).unwrap();
    assert_eq!((k.allocated, k.frees, k.peak), (0, 1, 100));
    assert_eq!((g.allocated, g.frees, g.peak), (0, 1, 200));
    assert_eq!(heap.foreign_frees(), 0);
}

/// The firmware's path: `GlobalAlloc` charges the current placement, frees and reallocs by
/// address. (The only `unsafe` in the tests: the trait's methods are `unsafe fn`.)
#[test]
#[allow(unsafe_code)]
fn global_alloc_uses_the_current_placement_and_realloc_stays_home() {
    let heap = partitions!(4096, 4096, 4096, 4096, 8192, 1024);
    let previous = heap.switch_to(Placement::guest(4));
    assert_eq!(previous, Placement::KERNEL);
    // Safety: non-zero layout; the pointer is checked for null before use.
    let ptr = unsafe { heap.alloc(layout(64)) };
    assert!(!ptr.is_null());
    assert_eq!(heap.stats(PartitionId::Guests).unwrap().allocated, 64);
    // Safety: `ptr` is a live 64-byte allocation.
    unsafe { ptr.write_bytes(0xAB, 64) };
    heap.switch_to(Placement::KERNEL);
    // Safety: `ptr` came from `alloc` with this layout; 512 rounded to 8 fits isize.
    let grown = unsafe { heap.realloc(ptr, layout(64), 512) };
    assert!(!grown.is_null());
    // Safety: `grown` is live with at least 64 initialised bytes copied from `ptr`.
    let copied = unsafe { core::slice::from_raw_parts(grown, 64) };
    assert!(copied.iter().all(|&b| b == 0xAB));
    assert_eq!(
        heap.stats(PartitionId::Guests).unwrap().allocated,
        512,
        "stayed in P5"
    );
    assert_eq!(heap.stats(PartitionId::Kernel).unwrap().allocated, 0);
    // Safety: `grown` is the live allocation, now of size 512.
    unsafe { heap.dealloc(grown, layout(512)) };
    assert_eq!(heap.stats(PartitionId::Guests).unwrap().allocated, 0);
}

#[test]
fn exhausting_p4_never_fails_p5_or_p1() {
    let heap = partitions!(4096, 4096, 4096, 4096, 16384, 1024);
    let mut services = Vec::new();
    let mut exhausted = None;
    for _ in 0..1000 {
        match heap.alloc_block(Placement::service(7), layout(96)) {
            Ok(b) => services.push(b),
            Err(e) => {
                exhausted = Some(e);
                break;
            }
        }
    }
    let exhausted = exhausted.expect("P4 must run out");
    assert_eq!(
        exhausted.policy,
        ExhaustionPolicy::TerminateService(OwnerId(7))
    );
    assert!(!services.is_empty());
    // P4 is full: P5 and P1 keep allocating.
    let mut guests = Vec::new();
    let mut kernel = Vec::new();
    for _ in 0..20 {
        guests.push(
            heap.alloc_block(Placement::guest(1), layout(96))
                .expect("P5 unaffected"),
        );
        kernel.push(
            heap.alloc_block(Placement::KERNEL, layout(64))
                .expect("P1 unaffected"),
        );
        assert!(heap.alloc_block(Placement::service(7), layout(96)).is_err());
    }
    assert!(heap.check().is_ok(), "a P4 exhaustion is not fatal");
    let p4 = heap.stats(PartitionId::Services).unwrap();
    assert_eq!(p4.failures, 21);
    // The policy event was queued for the runtime.
    let mut terminate = 0;
    while let Some(event) = heap.pop_event() {
        if let MemEvent::Exhausted(e) = event {
            assert_eq!(e.policy, ExhaustionPolicy::TerminateService(OwnerId(7)));
            terminate += 1;
        }
    }
    assert!(terminate > 0);
}

#[test]
fn p1_exhaustion_is_latched_as_fatal() {
    let heap = partitions!(1024, 1024, 1024, 1024, 1024, 1024);
    assert!(heap.check().is_ok());
    let err = heap.allocate(Placement::KERNEL, layout(4096)).unwrap_err();
    assert_eq!(err.policy, ExhaustionPolicy::Fatal);
    assert_eq!(err.requested, 4096);
    let Err(Fatal(latched)) = heap.check() else {
        panic!("fatal must be latched")
    };
    assert_eq!(latched.placement, Placement::KERNEL);
    // Still latched after draining events: the firmware cannot miss it.
    while heap.pop_event().is_some() {}
    assert!(heap.check().is_err());
}

#[test]
fn policies_follow_the_seed_table() {
    let o = OwnerId(5);
    assert_eq!(PartitionId::Kernel.policy(o), ExhaustionPolicy::Fatal);
    assert_eq!(PartitionId::Runtime.policy(o), ExhaustionPolicy::Fatal);
    assert_eq!(PartitionId::Subsystems.policy(o), ExhaustionPolicy::Degrade);
    assert_eq!(
        PartitionId::Services.policy(o),
        ExhaustionPolicy::TerminateService(o)
    );
    assert_eq!(
        PartitionId::Guests.policy(o),
        ExhaustionPolicy::UnloadGuest(o)
    );
    assert_eq!(PartitionId::Reserve.policy(o), ExhaustionPolicy::Fatal);
}

#[test]
fn usage_notices_fire_once_per_rise() {
    let heap = partitions!(1024, 1024, 4096, 1024, 1024, 1024);
    // P3 warns at 70 % and is critical above 90 %.
    let a = heap.alloc_block(
        Placement::new(PartitionId::Subsystems, OwnerId(0)),
        layout(1000),
    );
    assert!(heap.pop_event().is_none(), "24 % is normal");
    let b = heap.alloc_block(
        Placement::new(PartitionId::Subsystems, OwnerId(0)),
        layout(1900),
    );
    let Some(MemEvent::Usage {
        level,
        severity,
        percent,
        ..
    }) = heap.pop_event()
    else {
        panic!("crossing 70 % must notify")
    };
    assert_eq!(
        (level, severity, percent),
        (UsageLevel::Elevated, Severity::Warn, 70)
    );
    let c = heap.alloc_block(
        Placement::new(PartitionId::Subsystems, OwnerId(0)),
        layout(8),
    );
    assert!(
        heap.pop_event().is_none(),
        "no repeat while the level holds"
    );
    drop((a, b, c));
}

#[test]
fn service_quotas_isolate_services_from_each_other() {
    let heap = partitions!(1024, 1024, 1024, 8192, 1024, 1024);
    heap.add_service_quota(OwnerId(1), 2048).unwrap();
    heap.add_service_quota(OwnerId(2), 2048).unwrap();
    assert_eq!(
        heap.add_service_quota(OwnerId(1), 2048),
        Err(QuotaError::Duplicate)
    );
    // Two slots were given: a third service is refused, P4 untouched.
    let p4 = heap.stats(PartitionId::Services).unwrap().allocated;
    assert_eq!(
        heap.add_service_quota(OwnerId(3), 1024),
        Err(QuotaError::TableFull)
    );
    assert_eq!(heap.stats(PartitionId::Services).unwrap().allocated, p4);
    let mut hog = Vec::new();
    while let Ok(b) = heap.alloc_block(Placement::service(1), layout(100)) {
        hog.push(b);
    }
    // Service 1 is out of its quota; service 2 still has all of its own.
    let polite = heap
        .alloc_block(Placement::service(2), layout(1000))
        .expect("own quota");
    let s1 = heap.service_stats(OwnerId(1)).unwrap();
    let s2 = heap.service_stats(OwnerId(2)).unwrap();
    assert_eq!(s1.allocated, hog.len() * 100);
    assert_eq!(s2.allocated, 1000);
    assert_eq!(s1.failures, 1);
    // A block is freed into the quota that owns it, whatever is current.
    heap.switch_to(Placement::service(2));
    hog.pop();
    heap.switch_to(Placement::KERNEL);
    assert_eq!(
        heap.service_stats(OwnerId(1)).unwrap().allocated,
        hog.len() * 100
    );
    // A quota cannot be returned while the service holds memory.
    assert_eq!(
        heap.remove_service_quota(OwnerId(1)),
        Err(QuotaError::InUse(hog.len() as u32))
    );
    let p4_before = heap.stats(PartitionId::Services).unwrap().allocated;
    hog.clear();
    heap.remove_service_quota(OwnerId(1)).unwrap();
    assert_eq!(
        heap.stats(PartitionId::Services).unwrap().allocated,
        p4_before - 2048
    );
    assert_eq!(heap.service_owners().as_slice(), [OwnerId(2)]);
    drop(polite);
}

#[test]
fn block_resize_stays_in_its_partition_and_keeps_contents() {
    let heap = partitions!(4096, 1024, 1024, 1024, 8192, 1024);
    let mut block = heap.alloc_block(Placement::guest(1), layout(16)).unwrap();
    block.copy_from_slice(&[7; 16]);
    block.resize(1024).unwrap();
    assert_eq!(block.len(), 1024);
    assert_eq!(&block[..16], &[7; 16]);
    assert!(
        block[16..].iter().all(|&b| b == 0),
        "grown bytes are zeroed"
    );
    assert_eq!(heap.stats(PartitionId::Guests).unwrap().allocated, 1024);
    heap.switch_to(Placement::guest(1));
    let err = block.resize(1 << 20).unwrap_err();
    heap.switch_to(Placement::KERNEL);
    assert_eq!(err.policy, ExhaustionPolicy::UnloadGuest(OwnerId(1)));
    assert_eq!(
        block.len(),
        1024,
        "a failed resize leaves the block as it was"
    );
}

#[test]
fn largest_free_block_and_report() {
    let heap = partitions!(4096, 1024, 1024, 1024, 8192, 1024);
    let stats = heap.stats(PartitionId::Guests).unwrap();
    assert!(
        stats.largest_free > 7000 && stats.largest_free <= stats.free,
        "{stats:?}"
    );
    let a = heap.alloc_block(Placement::guest(1), layout(2000)).unwrap();
    let b = heap.alloc_block(Placement::guest(1), layout(2000)).unwrap();
    let c = heap.alloc_block(Placement::guest(1), layout(2000)).unwrap();
    drop(b); // a hole between a and c
    let stats = heap.stats(PartitionId::Guests).unwrap();
    assert!(stats.fragments >= 2, "{stats:?}");
    assert!(stats.largest_free < stats.free, "fragmented: {stats:?}");
    let report = alloc::format!("{}", heap.report());
    assert!(
        report.contains("P5 Guest") && report.contains("4000/8192 B"),
        "{report}"
    );
    drop((a, c));
}

/// The quota table is what the deployment gives, once: none given, no service is admitted.
#[test]
fn quota_slots_are_given_once_and_bound_the_services() {
    static P4: Arena<8192> = Arena::new();
    static HEAP: PartitionedHeap = PartitionedHeap::new();
    HEAP.add_partition(PartitionId::Services, Region::new(P4.take().unwrap()))
        .unwrap();
    assert_eq!(
        HEAP.add_service_quota(OwnerId(1), 1024),
        Err(QuotaError::TableFull)
    );
    HEAP.set_quota_slots(QuotaSlot::leak(1)).unwrap();
    assert_eq!(
        HEAP.set_quota_slots(QuotaSlot::leak(4)),
        Err(SetupError::AlreadyAdded)
    );
    HEAP.add_service_quota(OwnerId(1), 1024).unwrap();
    assert_eq!(
        HEAP.add_service_quota(OwnerId(2), 1024),
        Err(QuotaError::TableFull)
    );
    // A returned quota frees its slot for the next service.
    HEAP.remove_service_quota(OwnerId(1)).unwrap();
    HEAP.add_service_quota(OwnerId(2), 1024).unwrap();
    assert_eq!(HEAP.service_owners(), [OwnerId(2)]);
}

#[test]
fn setup_errors_name_the_problem() {
    static TINY: Arena<64> = Arena::new();
    static ONE: Arena<1024> = Arena::new();
    static HEAP: PartitionedHeap = PartitionedHeap::new();
    let tiny = Region::new(TINY.take().unwrap());
    assert_eq!(
        HEAP.add_partition(PartitionId::Kernel, tiny),
        Err(SetupError::RegionTooSmall)
    );
    HEAP.add_partition(PartitionId::Kernel, Region::new(ONE.take().unwrap()))
        .unwrap();
    static TWO: Arena<1024> = Arena::new();
    let again = Region::new(TWO.take().unwrap());
    assert_eq!(
        HEAP.add_partition(PartitionId::Kernel, again),
        Err(SetupError::AlreadyAdded)
    );
    assert_eq!(
        HEAP.add_service_quota(OwnerId(1), 2048),
        Err(QuotaError::NoServicesPartition)
    );
    // No P5 region: allocation fails with the guest policy, not a panic.
    let err = HEAP.allocate(Placement::guest(2), layout(8)).unwrap_err();
    assert_eq!(err.policy, ExhaustionPolicy::UnloadGuest(OwnerId(2)));
}

#[test]
fn the_reserve_lends_to_a_failed_allocation_and_is_repaid_on_free() {
    let heap = partitions!(4096, 4096, 4096, 8192, 4096, 2048);
    heap.add_service_quota(OwnerId(2), 1024).unwrap();
    heap.lend_from_reserve(true);
    let mut blocks = Vec::new();
    while heap.service_stats(OwnerId(2)).unwrap().largest_free >= 96 {
        blocks.push(heap.alloc_block(Placement::service(2), layout(96)).unwrap());
    }
    while heap.pop_event().is_some() {}
    assert_eq!(heap.loans(), 0);

    // The quota is full: the next block comes from P6, and the policy is still queued.
    let lent = heap
        .alloc_block(Placement::service(2), layout(96))
        .expect("the reserve covers it");
    let p6 = heap.stats(PartitionId::Reserve).unwrap();
    assert_eq!(p6.allocated, 96);
    assert_eq!(heap.loans(), 1);
    let events: Vec<_> = core::iter::from_fn(|| heap.pop_event()).collect();
    assert!(
        events.iter().any(|e| matches!(
            e,
            MemEvent::Exhausted(Exhaustion {
                lent: true,
                policy: ExhaustionPolicy::TerminateService(OwnerId(2)),
                placement,
                ..
            }) if *placement == Placement::service(2)
        )),
        "{events:?}"
    );
    assert!(heap.check().is_ok(), "a service's loan is not fatal");

    // Terminating the service frees its memory: the loan goes back to P6.
    drop(lent);
    drop(blocks);
    assert_eq!(heap.stats(PartitionId::Reserve).unwrap().allocated, 0);
    assert_eq!(heap.service_stats(OwnerId(2)).unwrap().allocated, 0);
    assert_eq!(heap.foreign_frees(), 0);

    // When P6 cannot cover it either, the allocation fails and says so.
    let too_big = heap.alloc_block(Placement::service(2), layout(4096));
    assert!(matches!(too_big, Err(Exhaustion { lent: false, .. })));

    // Lending off: the old behaviour.
    heap.lend_from_reserve(false);
    let mut filler = Vec::new();
    while let Ok(b) = heap.alloc_block(Placement::service(2), layout(96)) {
        filler.push(b);
    }
    assert_eq!(heap.stats(PartitionId::Reserve).unwrap().allocated, 0);
}

#[test]
fn a_loan_to_the_kernel_is_still_fatal() {
    let heap = partitions!(1024, 4096, 4096, 4096, 4096, 4096);
    heap.lend_from_reserve(true);
    let mut blocks = Vec::new();
    for _ in 0..20 {
        blocks.push(heap.alloc_block(Placement::KERNEL, layout(128)).unwrap());
    }
    assert!(heap.loans() > 0);
    let Err(fatal) = heap.check() else {
        panic!("P1 ran out: the board must reset even though the reserve covered it")
    };
    assert!(fatal.0.lent);
    assert_eq!(fatal.0.policy, ExhaustionPolicy::Fatal);
}

#[test]
fn realloc_that_outgrows_its_heap_moves_into_a_loan_with_its_contents() {
    let heap = partitions!(4096, 4096, 4096, 4096, 1024, 4096);
    heap.lend_from_reserve(true);
    heap.switch_to(Placement::guest(5));
    let mut block = heap.alloc_block(Placement::guest(5), layout(256)).unwrap();
    for (i, b) in block.iter_mut().enumerate() {
        *b = i as u8;
    }
    block.resize(2048).expect("the reserve covers the growth");
    heap.switch_to(Placement::KERNEL);
    assert!(block[..256].iter().enumerate().all(|(i, b)| *b == i as u8));
    assert!(block[256..].iter().all(|b| *b == 0));
    assert_eq!(heap.stats(PartitionId::Guests).unwrap().allocated, 0);
    assert_eq!(heap.stats(PartitionId::Reserve).unwrap().allocated, 2048);
    drop(block);
    assert_eq!(heap.stats(PartitionId::Reserve).unwrap().allocated, 0);
    let lent = core::iter::from_fn(|| heap.pop_event()).any(|e| {
        matches!(e, MemEvent::Exhausted(Exhaustion { lent: true, policy, .. })
            if policy == ExhaustionPolicy::UnloadGuest(OwnerId(5)))
    });
    assert!(lent);
}

/// The heap's figures are talc's counters: every allocation and free is counted once, a
/// move by `realloc` is one of each, and probing for the largest free block (trial
/// allocations inside talc) is not counted at all.
#[test]
#[allow(unsafe_code)]
fn counts_survive_probes_and_moves() {
    let heap = partitions!(4096, 4096, 4096, 4096, 8192, 1024);
    heap.switch_to(Placement::guest(2));
    // Safety: non-zero layouts; pointers checked for null before use.
    let (a, b) = unsafe { (heap.alloc(layout(48)), heap.alloc(layout(48))) };
    assert!(!a.is_null() && !b.is_null());
    let before = heap.stats(PartitionId::Guests).unwrap();
    assert_eq!((before.allocs, before.frees, before.allocated), (2, 0, 96));
    // Probing again (stats, largest_free) changes none of the counts.
    assert!(heap.largest_free(Placement::guest(2)) > 0);
    assert_eq!(heap.stats(PartitionId::Guests).unwrap(), before);
    // `b` sits after `a`: growing `a` past it moves it (one allocation, one free).
    // Safety: `a` came from `alloc` with this layout; 2048 rounded to 8 fits isize.
    let moved = unsafe { heap.realloc(a, layout(48), 2048) };
    assert!(!moved.is_null());
    let after = heap.stats(PartitionId::Guests).unwrap();
    assert_eq!(after.allocated, 48 + 2048);
    assert_eq!(after.allocs - after.frees, 2, "two live blocks");
    assert_ne!(moved, a, "the block had to move");
    assert_eq!((after.allocs, after.frees), (3, 1));
    // The peak saw both copies of the moved block at once.
    assert_eq!(after.peak, 48 + 48 + 2048);
    // Safety: both are live allocations with these layouts.
    unsafe {
        heap.dealloc(moved, layout(2048));
        heap.dealloc(b, layout(48));
    }
    let end = heap.stats(PartitionId::Guests).unwrap();
    assert_eq!((end.allocated, end.allocs - end.frees), (0, 0));
    assert_eq!(end.failures, 0);
    heap.switch_to(Placement::KERNEL);
}

/// A placement survives packing into the current-placement word, P4 included (whose packed
/// index is deliberately out of the heaps' range).
#[test]
fn placements_pack_and_unpack() {
    for partition in PartitionId::ALL {
        for owner in [0, 1, 7, u16::MAX] {
            let placement = Placement::new(partition, OwnerId(owner));
            assert_eq!(Placement::unpack(placement.pack()), placement);
            let index = (placement.pack() & 0xff) as usize;
            if partition == PartitionId::Services {
                assert!(index >= 6, "P4 goes through the routing");
            } else {
                assert_eq!(index, partition as usize);
            }
        }
    }
}

/// A partition without a region counts nothing and serves nothing.
#[test]
fn a_partition_without_a_region_fails_its_allocations() {
    static P1: Arena<4096> = Arena::new();
    static HEAP: PartitionedHeap = PartitionedHeap::new();
    HEAP.add_partition(PartitionId::Kernel, Region::new(P1.take().unwrap()))
        .unwrap();
    assert_eq!(HEAP.stats(PartitionId::Guests), None);
    let err = HEAP
        .alloc_block(Placement::guest(3), layout(16))
        .unwrap_err();
    assert_eq!(err.policy, ExhaustionPolicy::UnloadGuest(OwnerId(3)));
    assert_eq!((err.available, err.lent), (0, false));
    assert_eq!(HEAP.stats(PartitionId::Guests), None);
    assert_eq!(HEAP.allocated(Placement::guest(3)), 0);
    assert!(HEAP.alloc_block(Placement::KERNEL, layout(16)).is_ok());
}
