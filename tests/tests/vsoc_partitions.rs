//! Instances allocate in their own partitions: compiled modules in P2, a
//! guest's store and memory in P5, a service's in its P4 quota — with the
//! kernel's `PartitionedHeap` as this test binary's global allocator, as on
//! the board.
//!
//! The test harness itself (threads, output capture) keeps using the system
//! allocator: only the test thread, while `PLACED` is set, allocates from the
//! partitions, and every free goes back to whichever allocator owns the
//! address.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::{Cell, RefCell},
    mem::MaybeUninit,
    rc::Rc,
};

use fireball_subsystems::hal::Console;
use fireball_vsoc::{
    Vsoc, VsocConfig, VsocEvent,
    kernel::{
        mem::{Arena, OwnerId, PartitionId, PartitionSwitch, PartitionedHeap, Placement, Region},
        sched::Executor,
    },
};

static HEAP: PartitionedHeap = PartitionedHeap::new();

const SIZES: [usize; 6] = [256 << 10, 1 << 20, 16 << 10, 256 << 10, 256 << 10, 4 << 10];
static P1: Arena<{ SIZES[0] }> = Arena::new();
static P2: Arena<{ SIZES[1] }> = Arena::new();
static P3: Arena<{ SIZES[2] }> = Arena::new();
static P4: Arena<{ SIZES[3] }> = Arena::new();
static P5: Arena<{ SIZES[4] }> = Arena::new();
static P6: Arena<{ SIZES[5] }> = Arena::new();

std::thread_local! {
    static PLACED: Cell<bool> = const { Cell::new(false) };
}

struct Routed;

fn in_arenas(ptr: *mut u8) -> bool {
    let addr = ptr as usize;
    // An arena not yet set up has base usize::MAX and holds nothing.
    let within = |start: *const u8, len: usize| {
        (start as usize)
            .checked_add(len)
            .is_some_and(|end| (start as usize..end).contains(&addr))
    };
    within(P1_BASE.get(), SIZES[0])
        || within(P2_BASE.get(), SIZES[1])
        || within(P3_BASE.get(), SIZES[2])
        || within(P4_BASE.get(), SIZES[3])
        || within(P5_BASE.get(), SIZES[4])
        || within(P6_BASE.get(), SIZES[5])
}

/// Arena base addresses, recorded once at setup.
struct Base(std::sync::atomic::AtomicUsize);
impl Base {
    const fn new() -> Self {
        Self(std::sync::atomic::AtomicUsize::new(usize::MAX))
    }
    fn get(&self) -> *const u8 {
        self.0.load(std::sync::atomic::Ordering::Relaxed) as *const u8
    }
}
static P1_BASE: Base = Base::new();
static P2_BASE: Base = Base::new();
static P3_BASE: Base = Base::new();
static P4_BASE: Base = Base::new();
static P5_BASE: Base = Base::new();
static P6_BASE: Base = Base::new();

// Safety: both allocators uphold the GlobalAlloc contract; each pointer is freed by the
// allocator whose memory holds it (the arenas are disjoint from the system heap).
unsafe impl GlobalAlloc for Routed {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if PLACED.try_with(Cell::get).unwrap_or(false) {
            // Safety: the caller's contract, passed on.
            unsafe { HEAP.alloc(layout) }
        } else {
            // Safety: the caller's contract, passed on.
            unsafe { System.alloc(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if in_arenas(ptr) {
            // Safety: `ptr` came from HEAP (it lies in one of its arenas).
            unsafe { HEAP.dealloc(ptr, layout) }
        } else {
            // Safety: `ptr` came from the system allocator.
            unsafe { System.dealloc(ptr, layout) }
        }
    }
}

#[global_allocator]
static ALLOCATOR: Routed = Routed;

fn add(id: PartitionId, memory: &'static mut [MaybeUninit<u8>], base: &Base) {
    base.0.store(
        memory.as_ptr() as usize,
        std::sync::atomic::Ordering::Relaxed,
    );
    HEAP.add_partition(id, Region::new(memory)).unwrap();
}

fn setup() {
    add(PartitionId::Kernel, P1.take().unwrap(), &P1_BASE);
    add(PartitionId::Runtime, P2.take().unwrap(), &P2_BASE);
    add(PartitionId::Subsystems, P3.take().unwrap(), &P3_BASE);
    add(PartitionId::Services, P4.take().unwrap(), &P4_BASE);
    add(PartitionId::Guests, P5.take().unwrap(), &P5_BASE);
    add(PartitionId::Reserve, P6.take().unwrap(), &P6_BASE);
}

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
    setup();
    // A failing assertion must report with the system allocator.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PLACED.with(|p| p.set(false));
        report(info);
    }));
    PLACED.with(|p| p.set(true));

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
    let module = vsoc.load("hello", &hello).unwrap();
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
    PLACED.with(|p| p.set(false));
}
