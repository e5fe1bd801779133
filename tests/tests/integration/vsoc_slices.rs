//! Instances run in fuel slices: a looping guest yields instead of hogging
//! the core, and resumes exactly where it stopped.

use fireball_subsystems::{hal::NullConsole, host::BufferConsole};
use fireball_vsoc::{Instance, Slice, Vsoc, VsocConfig};

fn instance(vsoc: &Vsoc, wat: &str) -> Instance {
    let bytes = wat::parse_str(wat).unwrap();
    let module = vsoc.load("test", &bytes).unwrap();
    vsoc.instantiate(&module, Box::new(NullConsole::default()))
        .unwrap()
}

const SPIN_FOREVER: &str = r#"(module
    (memory (export "memory") 1 1)
    (func (export "fb_main") (loop $l (br $l))))"#;

/// Counts to `n` in a loop, then prints "done".
fn count_to(n: u32) -> String {
    format!(
        r#"(module
            (import "fb" "print" (func $print (param i32 i32)))
            (memory (export "memory") 1 1)
            (data (i32.const 0) "done")
            (func (export "fb_main") (local $i i32)
                (loop $l
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br_if $l (i32.lt_u (local.get $i) (i32.const {n}))))
                (call $print (i32.const 0) (i32.const 4))))"#
    )
}

#[test]
fn an_endless_loop_yields_every_slice_and_never_finishes() {
    let vsoc = Vsoc::new(VsocConfig {
        yield_interval: 1_000,
        ..VsocConfig::default()
    });
    let mut spinner = instance(&vsoc, SPIN_FOREVER);
    for _ in 0..50 {
        assert_eq!(spinner.run_slice(), Slice::Yielded);
    }
    let stats = spinner.stats();
    assert_eq!((stats.slices, stats.yields), (50, 50));
    // Each slice burns its whole allowance, give or take one instruction's cost.
    assert!(
        (49_000..=50_000).contains(&stats.fuel_consumed),
        "{stats:?}"
    );
}

#[test]
fn a_long_computation_resumes_across_slices_and_finishes() {
    let vsoc = Vsoc::new(VsocConfig {
        yield_interval: 500,
        ..VsocConfig::default()
    });
    let bytes = wat::parse_str(count_to(10_000)).unwrap();
    let module = vsoc.load("counter", &bytes).unwrap();
    let console = BufferConsole::new();
    let mut counter = vsoc
        .instantiate(&module, Box::new(console.clone()))
        .unwrap();
    let (outcome, slices) = counter.run_to_completion();
    assert_eq!(outcome, Slice::Finished);
    assert!(
        slices > 10,
        "10 000 iterations need many 500-fuel slices, took {slices}"
    );
    assert_eq!(console.contents(), "done");
    assert_eq!(
        counter.run_slice(),
        Slice::Finished,
        "finished stays finished"
    );
}

#[test]
fn a_spinning_guest_does_not_starve_a_working_one() {
    let vsoc = Vsoc::new(VsocConfig {
        yield_interval: 1_000,
        ..VsocConfig::default()
    });
    let mut spinner = instance(&vsoc, SPIN_FOREVER);
    let mut worker = instance(&vsoc, &count_to(20_000));
    let mut rounds = 0;
    // Round-robin, one slice each, as the kernel's FIFO ready queue does.
    while worker.run_slice() == Slice::Yielded {
        assert_eq!(spinner.run_slice(), Slice::Yielded);
        rounds += 1;
        assert!(rounds < 10_000, "worker never finished");
    }
    assert!(!worker.is_runnable());
    assert!(spinner.is_runnable());
    assert_eq!(spinner.stats().slices, rounds);
}
