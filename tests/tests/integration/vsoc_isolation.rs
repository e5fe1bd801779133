//! A guest that exhausts its memory and one that traps are stopped with the
//! reason reported while the others continue; admission control refuses an
//! instance its pool cannot hold.

use fireball_subsystems::hal::NullConsole;
use fireball_vsoc::{
    InstanceError, StopReason, TrapKind, Vsoc, VsocConfig, VsocEvent,
    budget::STORE_OVERHEAD_BYTES,
    instance::TrapCode,
    kernel::{
        mem::{ExhaustionPolicy, OwnerId, Placement},
        sched::Executor,
    },
    monitor::RunState,
};

const PAGE: usize = 1024;

/// Grows its memory 1 KiB at a time (1-byte custom pages) until refused, then gives up the
/// way a Rust guest does when its allocator gets null (`unreachable`).
const HOG: &str = r#"(module
    (memory (export "memory") 1024 65536 (pagesize 1))
    (func (export "fb_main")
        (loop $l
            (br_if $l (i32.ne (memory.grow (i32.const 1024)) (i32.const -1))))
        unreachable))"#;

const SPIN: &str = r#"(module
    (memory (export "memory") 1024 1024 (pagesize 1))
    (func (export "fb_main") (loop $l (br $l))))"#;

/// Spins a while, then divides by zero.
const TRAPPER: &str = r#"(module
    (memory (export "memory") 1024 1024 (pagesize 1))
    (func (export "fb_main") (local $i i32)
        (loop $l
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (i32.const 5000))))
        (drop (i32.div_u (i32.const 1) (i32.const 0)))))"#;

fn config(guest_pool_bytes: usize) -> VsocConfig {
    VsocConfig {
        yield_interval: 1_000,
        max_value_stack: 4 * 1024,
        guest_pool_bytes,
        ..VsocConfig::default()
    }
}

fn fixed() -> usize {
    STORE_OVERHEAD_BYTES + 4 * 1024
}

#[test]
fn an_exhausted_guest_is_unloaded_and_a_trapping_one_stopped_while_the_others_run() {
    // Room for three instances and 8 spare pages.
    let vsoc = Vsoc::new(config(3 * (fixed() + PAGE) + 8 * PAGE));
    let mut executor = Executor::new().unwrap();
    let mut spawn = |name: &str, wat: &str| {
        let module = vsoc.load(name, &wat::parse_str(wat).unwrap()).unwrap();
        let instance = vsoc
            .instantiate(&module, Box::new(NullConsole::default()))
            .unwrap();
        vsoc.spawn(&mut executor, instance).unwrap()
    };
    let hog = spawn("hog", HOG);
    let trapper = spawn("trapper", TRAPPER);
    let spinner = spawn("spinner", SPIN);
    let guests = vsoc.pool(hog.monitor.placement()).unwrap();
    assert_eq!(guests.used, 3 * (fixed() + PAGE));

    vsoc.run_for(&mut executor, 200);

    // The hog got its 8 pages, was refused the 9th, gave up, and was unloaded.
    let RunState::Stopped(StopReason::MemoryExhausted {
        trap,
        shortfall,
        policy,
    }) = hog.monitor.state()
    else {
        panic!("hog: {}", hog.monitor.state());
    };
    assert_eq!(trap.module, "hog");
    assert_eq!(trap.kind, TrapKind::Wasm(TrapCode::UnreachableCodeReached));
    assert_eq!(shortfall.available, 0);
    assert_eq!(
        policy,
        ExhaustionPolicy::UnloadGuest(hog.monitor.placement().owner)
    );
    assert_eq!(hog.monitor.stats().memory_peak, 9 * PAGE);
    assert!(!executor.contains(hog.id));

    // The trapper stopped with its trap code.
    let RunState::Stopped(StopReason::Trapped(trap)) = trapper.monitor.state() else {
        panic!("trapper: {}", trapper.monitor.state());
    };
    assert_eq!(
        (trap.module.as_str(), trap.function, trap.kind.clone()),
        (
            "trapper",
            "fb_main",
            TrapKind::Wasm(TrapCode::IntegerDivisionByZero)
        )
    );

    // Events say why, in order.
    let events: Vec<_> = std::iter::from_fn(|| vsoc.pop_event()).collect();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events.iter().any(|e| matches!(e,
        VsocEvent::Stopped { reason: StopReason::MemoryExhausted { .. }, placement }
            if *placement == hog.monitor.placement())));
    assert!(events.iter().any(|e| matches!(
        e,
        VsocEvent::Stopped {
            reason: StopReason::Trapped(_),
            ..
        }
    )));

    // The spinner kept running and keeps running; the pool is back to it alone.
    let before = spinner.monitor.stats().slices;
    vsoc.run_for(&mut executor, 10);
    assert_eq!(spinner.monitor.stats().slices, before + 10);
    assert_eq!(spinner.monitor.state(), RunState::Running);
    assert_eq!(vsoc.pool(Placement::guest(0)).unwrap().used, fixed() + PAGE);
}

#[test]
fn admission_refuses_an_instance_the_pool_cannot_hold() {
    let vsoc = Vsoc::new(config(fixed() + PAGE + PAGE / 2));
    let module = vsoc.load("spin", &wat::parse_str(SPIN).unwrap()).unwrap();
    let first = vsoc
        .instantiate(&module, Box::new(NullConsole::default()))
        .unwrap();
    let Err(InstanceError::OutOfMemory(shortfall)) =
        vsoc.instantiate(&module, Box::new(NullConsole::default()))
    else {
        panic!("the second instance must be refused");
    };
    assert_eq!(shortfall.requested, fixed() + PAGE);
    assert_eq!(shortfall.available, PAGE / 2);
    // Unloading the first makes room again.
    drop(first);
    assert!(
        vsoc.instantiate(&module, Box::new(NullConsole::default()))
            .is_ok()
    );
}

#[test]
fn a_service_exhausting_its_quota_is_terminated_alone() {
    let vsoc = Vsoc::new(config(1 << 20));
    let mut executor = Executor::new().unwrap();
    vsoc.set_service_quota(7, fixed() + 4 * PAGE);
    let hog = vsoc.load("svc-hog", &wat::parse_str(HOG).unwrap()).unwrap();
    let spin = vsoc.load("spin", &wat::parse_str(SPIN).unwrap()).unwrap();
    let service = vsoc
        .instantiate_in(
            &hog,
            Box::new(NullConsole::default()),
            Placement::service(7),
        )
        .unwrap();
    // A service without a quota is not admitted.
    assert!(matches!(
        vsoc.instantiate_in(
            &spin,
            Box::new(NullConsole::default()),
            Placement::service(8)
        ),
        Err(InstanceError::OutOfMemory(_))
    ));
    let guest = vsoc
        .instantiate(&spin, Box::new(NullConsole::default()))
        .unwrap();
    let service = vsoc.spawn(&mut executor, service).unwrap();
    let guest = vsoc.spawn(&mut executor, guest).unwrap();
    vsoc.run_for(&mut executor, 40);
    let Some(VsocEvent::Stopped {
        reason: StopReason::MemoryExhausted { policy, .. },
        placement,
    }) = vsoc.pop_event()
    else {
        panic!("expected the service's exhaustion");
    };
    assert_eq!(placement, Placement::service(7));
    assert_eq!(policy, ExhaustionPolicy::TerminateService(OwnerId(7)));
    assert_eq!(service.monitor.stats().memory_peak, 4 * PAGE);
    // The policy also ends any other task the service owned; the guest is untouched.
    assert_eq!(vsoc.apply_policy(&mut executor, policy), 0);
    assert!(executor.contains(guest.id));
    assert_eq!(guest.monitor.state(), RunState::Running);
    assert_eq!(vsoc.pool(Placement::service(7)).unwrap().used, 0);
}

/// Grows its table by 2^30 elements (16 GiB of wasmi's table entries), then by 8; prints
/// what each `table.grow` returned and the table's size.
const TABLE_GROWER: &str = r#"(module
    (import "fb" "print" (func $print (param i32 i32)))
    (memory (export "memory") 64 64 (pagesize 1))
    (table 1 funcref)
    (func $digit (param $v i32) (param $at i32)
        (i32.store8 (local.get $at)
            (select (i32.add (i32.const 48) (local.get $v)) (i32.const 45)
                (i32.ge_s (local.get $v) (i32.const 0)))))
    (func (export "fb_main")
        (call $digit (table.grow (ref.null func) (i32.const 0x40000000)) (i32.const 0))
        (call $digit (table.grow (ref.null func) (i32.const 8)) (i32.const 1))
        (call $digit (i32.sub (table.size) (i32.const 8)) (i32.const 2))
        (call $print (i32.const 0) (i32.const 3))))"#;

/// A guest cannot make the host allocate a huge table: `table.grow` past the vSoC's
/// `max_table_elements` returns -1 to the guest (as past a declared maximum), and growing
/// within it works. Without the partitioned heap (a host run, a test, the fuzz target) the
/// 2^30-element grow used to be a real 16 GiB allocation.
#[test]
fn a_table_grown_past_the_limit_answers_minus_one() {
    let vsoc = Vsoc::new(VsocConfig::default());
    let module = vsoc
        .load("grower", &wat::parse_str(TABLE_GROWER).unwrap())
        .unwrap();
    let console = fireball_subsystems::host::BufferConsole::new();
    let mut instance = vsoc
        .instantiate(&module, Box::new(console.clone()))
        .unwrap();
    assert_eq!(
        instance.run_to_completion().0,
        fireball_vsoc::Slice::Finished
    );
    // -1 (refused), 1 (the old size), 1 (size 9, less 8).
    assert_eq!(console.contents(), "-11");
}
