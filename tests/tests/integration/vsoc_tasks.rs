//! Instances as kernel tasks: CPU-bound guests in endless loops cannot starve
//! each other or a guest that reports progress; the dump shows their statistics.

use fireball_subsystems::{hal::NullConsole, host::BufferConsole};
use fireball_vsoc::{
    Vsoc, VsocConfig,
    kernel::{mem::PartitionId, sched::Executor},
    monitor::RunState,
};

const SPIN_FOREVER: &str = r#"(module
    (memory (export "memory") 1 1)
    (func (export "fb_main") (local $i i32)
        (loop $l
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $l))))"#;

/// Prints "tick\n" every 1000 iterations, forever.
const REPORTER: &str = r#"(module
    (import "fb" "print" (func $print (param i32 i32)))
    (memory (export "memory") 1 1)
    (data (i32.const 0) "tick\n")
    (func (export "fb_main") (local $i i32)
        (loop $l
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (if (i32.eqz (i32.rem_u (local.get $i) (i32.const 1000)))
                (then (call $print (i32.const 0) (i32.const 5))))
            (br $l))))"#;

#[test]
fn two_spinners_and_a_reporter_all_make_progress() {
    let vsoc = Vsoc::new(VsocConfig {
        yield_interval: 2_000,
        ..VsocConfig::default()
    });
    let mut executor = Executor::new().unwrap();
    let spin = vsoc
        .load("spinner", &wat::parse_str(SPIN_FOREVER).unwrap())
        .unwrap();
    let report = vsoc
        .load("reporter", &wat::parse_str(REPORTER).unwrap())
        .unwrap();
    let console = BufferConsole::new();
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let instance = vsoc
            .instantiate(&spin, Box::new(NullConsole::default()))
            .unwrap();
        tasks.push(vsoc.spawn(&mut executor, instance).unwrap());
    }
    let reporter = vsoc
        .instantiate(&report, Box::new(console.clone()))
        .unwrap();
    tasks.push(vsoc.spawn(&mut executor, reporter).unwrap());

    // Endless guests never go idle: bound the run.
    assert_eq!(vsoc.run_for(&mut executor, 300), 300);

    // FIFO: every instance got a third of the polls, each a full slice.
    for task in &tasks {
        let stats = task.monitor.stats();
        assert_eq!((stats.slices, stats.yields), (100, 100), "{stats:?}");
        assert!(stats.fuel_consumed >= 100 * 1_990, "{stats:?}");
        assert_eq!(task.monitor.state(), RunState::Running);
        assert_eq!(task.monitor.placement().partition, PartitionId::Guests);
        let info = executor.info(task.id).unwrap();
        assert_eq!((info.polls, info.yields), (100, 100));
    }
    let ticks = console.contents().matches("tick\n").count();
    assert!(ticks >= 10, "the reporter printed only {ticks} ticks");
    assert_eq!(tasks[2].monitor.stats().builtins.host_calls, ticks as u64);
    // Distinct guests get distinct owners in P5.
    assert_ne!(tasks[0].monitor.placement(), tasks[1].monitor.placement());

    let dump = vsoc.dump(&executor).to_string();
    // Each instance twice: its kernel task, named for the component it runs, and its line
    // in the instance table.
    assert_eq!(dump.matches("spinner").count(), 4, "{dump}");
    assert_eq!(dump.matches("reporter").count(), 2, "{dump}");
    assert!(dump.contains("65536/65536"), "{dump}");
    assert!(!dump.contains("wasm-guest"), "{dump}");
}

#[test]
fn a_finished_guest_leaves_the_executor_and_reports_it() {
    let vsoc = Vsoc::default();
    let mut executor = Executor::new().unwrap();
    let module = vsoc
        .load(
            "quick",
            &wat::parse_str(r#"(module (func (export "fb_main")))"#).unwrap(),
        )
        .unwrap();
    let instance = vsoc
        .instantiate(&module, Box::new(NullConsole::default()))
        .unwrap();
    let task = vsoc.spawn(&mut executor, instance).unwrap();
    vsoc.run_until_idle(&mut executor);
    assert!(executor.is_empty());
    assert_eq!(task.monitor.state(), RunState::Finished);
    assert!(matches!(
        vsoc.pop_event(),
        Some(fireball_vsoc::VsocEvent::Finished { module, .. }) if module == "quick"
    ));
    // Its memory went back to the pool.
    let pool = vsoc.pool(task.monitor.placement()).unwrap();
    assert_eq!(pool.used, 0);
    assert!(pool.peak > 0);
}
