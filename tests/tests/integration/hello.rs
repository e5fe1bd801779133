//! The walking skeleton: the `hello` guest, built by the real SDK, runs on
//! real wasmi on both platforms and prints through the console builtin.

use std::time::Duration;

use fireball_subsystems::host::BufferConsole;
use fireball_vsoc::{Slice, Vsoc, VsocConfig};

const GREETING: &str = "Hello from a Fireball guest!\nsum(1..=10) = 55\n";

#[test]
fn hello_prints_on_the_host() {
    let vsoc = Vsoc::new(VsocConfig::default());
    let module = vsoc
        .load("hello", &fireball_tests::module("hello"))
        .unwrap();
    let console = BufferConsole::new();
    let mut instance = vsoc
        .instantiate(&module, Box::new(console.clone()))
        .unwrap();
    let (outcome, _) = instance.run_to_completion();
    assert_eq!(outcome, Slice::Finished);
    assert_eq!(console.contents(), GREETING);
    assert_eq!(instance.stats().builtins.host_calls, 2);
}

#[test]
fn hello_prints_on_the_uart_under_qemu_on_cortex_m33() {
    let run = fireball_tests::run_qemu(
        &fireball_tests::firmware_elf(),
        Duration::from_secs(60),
        false,
    )
    .expect("qemu-system-arm runs (installed by `cargo xtask setup`)");
    assert!(
        !run.timed_out,
        "firmware hung; output so far:\n{}",
        run.stdout
    );
    // The guest's console is the board's UART, captured by QEMU's -serial;
    // after it come the board check and the logger's drain of the scheduler's events.
    let (guest, log) = run.serial.split_at(GREETING.len().min(run.serial.len()));
    assert_eq!(
        guest, GREETING,
        "UART output:\n{}\nstdout:\n{}",
        run.serial, run.stdout
    );
    // The board's modelled ADC and sensor, read through the router.
    assert!(
        log.starts_with("board: hal://adc/0 = 2048 (1650 mV); hal://i2c/0/68 WHO_AM_I = 0xbc\n"),
        "UART log:\n{log}"
    );
    for event in [
        "sched: spawned hal (P1/0)",
        "sched: resumed board-check (P1/0)",
        "sched: completed board-check (P1/0)",
    ] {
        assert!(log.contains(event), "no `{event}` in the UART log:\n{log}");
    }
    assert!(
        run.stdout.contains("fireball: hello finished"),
        "output:\n{}",
        run.stdout
    );
    assert_eq!(run.status, Some(0), "output:\n{}", run.stdout);
}
