//! Instances allocate in their own partitions: compiled modules in P2, a
//! guest's store and memory in P5, a service's in its P4 quota — with the
//! kernel's `PartitionedHeap` as this test binary's global allocator, as on
//! the board.
//!
//! The test harness itself (threads, output capture) keeps using the system
//! allocator: only the test thread, inside `placed`, allocates from the
//! partitions, and every free goes back to whichever allocator owns the
//! address (`fireball_tests::placed`).

use std::{cell::RefCell, rc::Rc};

use fireball_subsystems::hal::Console;
use fireball_tests::placed::{Routed, lay_out, placed};
use fireball_vsoc::{
    Vsoc, VsocConfig, VsocEvent,
    kernel::{
        mem::{OwnerId, PartitionId, PartitionSwitch, PartitionedHeap, Placement},
        sched::Executor,
    },
};

static HEAP: PartitionedHeap = PartitionedHeap::new();

#[global_allocator]
static ALLOCATOR: Routed = Routed(&HEAP);

const SIZES: [usize; 6] = [256 << 10, 1 << 20, 16 << 10, 256 << 10, 256 << 10, 4 << 10];

/// A console whose buffer is reserved up front, so printing allocates nothing.
#[derive(Clone)]
struct Reserved(Rc<RefCell<Vec<u8>>>);

impl Console for Reserved {
    fn write(&mut self, bytes: &[u8]) {
        let mut buffer = self.0.borrow_mut();
        let room = buffer.capacity() - buffer.len();
        buffer.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }
}

fn allocated(id: PartitionId) -> usize {
    HEAP.stats(id).unwrap().allocated
}

fn service_allocated(owner: u16) -> usize {
    HEAP.service_stats(OwnerId(owner)).unwrap().allocated
}

/// The whole scenario is one test: the partition heap is process-global.
#[test]
fn instances_allocate_in_their_own_partitions() {
    let hello = fireball_tests::module("hello");
    lay_out(&HEAP, SIZES);
    placed(|| scenario(&hello));
}

fn scenario(hello: &[u8]) {
    // The platform builds the vSoC and its executor in the runtime partition.
    HEAP.switch_to(Placement::new(PartitionId::Runtime, OwnerId(0)));
    let mut vsoc = Vsoc::new(VsocConfig::default());
    vsoc.place_allocations(&HEAP);
    let mut executor = Executor::new().unwrap();
    executor.set_partition_switch(&HEAP);
    let output = Rc::new(RefCell::new(Vec::with_capacity(256)));
    let console = Reserved(output.clone());

    // Compiling the module is the runtime's memory.
    let (p2, p5, p1) = (
        allocated(PartitionId::Runtime),
        allocated(PartitionId::Guests),
        allocated(PartitionId::Kernel),
    );
    let module = vsoc.load("hello", hello).unwrap();
    assert!(
        allocated(PartitionId::Runtime) > p2,
        "the compiled module lives in P2"
    );
    assert_eq!(allocated(PartitionId::Guests), p5);

    // A guest's store, instance and linear memory are P5's.
    let before = allocated(PartitionId::Guests);
    let guest = vsoc
        .instantiate(&module, Box::new(console.clone()))
        .unwrap();
    let guest_bytes = allocated(PartitionId::Guests) - before;
    assert!(
        guest_bytes >= 4096,
        "a guest with a 4 KiB memory put only {guest_bytes} bytes in P5"
    );

    // A service's are its own P4 quota's, and nobody else's.
    HEAP.add_service_quota(OwnerId(3), 64 << 10).unwrap();
    vsoc.set_service_quota(3, 64 << 10);
    let (p5_before, s3_before) = (allocated(PartitionId::Guests), service_allocated(3));
    let service = vsoc
        .instantiate_in(&module, Box::new(console.clone()), Placement::service(3))
        .unwrap();
    assert!(service_allocated(3) - s3_before >= 4096);
    assert_eq!(
        allocated(PartitionId::Guests),
        p5_before,
        "a service never touches P5"
    );

    // Running as tasks: what the guest allocates while it runs stays in P5.
    vsoc.spawn(&mut executor, guest).unwrap();
    vsoc.spawn(&mut executor, service).unwrap();
    executor.run_until_idle();
    assert_eq!(
        String::from_utf8_lossy(&output.borrow()),
        "Hello from a Fireball guest!\nsum(1..=10) = 55\n".repeat(2)
    );

    // The platform drains the vSoC's events (they name the modules that finished).
    let mut finished = 0;
    while let Some(event) = vsoc.pop_event() {
        assert!(matches!(event, VsocEvent::Finished { .. }), "{event:?}");
        finished += 1;
    }
    assert_eq!(finished, 2);

    // Finished instances give everything back.
    drop(module);
    assert_eq!(
        allocated(PartitionId::Guests),
        before,
        "P5 back to where it was"
    );
    assert_eq!(service_allocated(3), s3_before, "the quota is empty again");
    assert_eq!(HEAP.foreign_frees(), 0);
    assert_eq!(
        allocated(PartitionId::Kernel),
        p1,
        "nothing of this ran in P1"
    );
}
