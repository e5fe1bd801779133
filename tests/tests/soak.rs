//! The soak run, short (`fireball_tests::soak`; `cargo xtask soak` runs it for hours): the
//! sensor hub with a guest that misbehaves at seeded random intervals, on the partitioned
//! heap (this binary's global allocator). Nothing leaks across `chaos`'s restarts, every
//! request is answered, and the host's memory stays flat.

use fireball_kernel::mem::PartitionedHeap;
use fireball_tests::{
    placed::{Routed, beside, lay_out, placed},
    soak::{self, Soak},
};

static HEAP: PartitionedHeap = PartitionedHeap::new();

#[global_allocator]
static ALLOCATOR: Routed = Routed(&HEAP);

/// One test: the heap is process-global.
#[test]
fn the_sensor_hub_loses_nothing_over_minutes_of_a_misbehaving_guest() {
    let soak = Soak {
        virtual_us: 60 * 1_000_000,
        seed: 20,
    };
    lay_out(&HEAP, soak::HOST_PARTITIONS);
    let figures = soak::run(
        &soak,
        &fireball_tests::modules_dir(),
        &HEAP,
        |f| placed(f),
        beside,
    );
    println!("{figures}");
    // Enough happened for the invariants to mean something.
    assert!(figures.restarts >= 15, "{figures}");
    assert!(figures.stops.len() >= 5, "every kind of stop: {figures}");
    assert!(figures.spins > 0 && figures.floods > 0, "{figures}");
    // Typed failures (stats refusing chaos's samples that are not numbers) are counted too.
    assert!(figures.failed() > 0, "{figures}");
    assert!(figures.requests > 2_000, "{figures}");
    assert_eq!(figures.violations(), Vec::<String>::new(), "{figures}");
}
