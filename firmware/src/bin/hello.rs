//! The `hello` image: boots, sets up the heap, loads the embedded `hello` guest through the
//! vSoC, runs it to completion in fuel slices with its console on UART0, and exits through
//! semihosting with status 0 if the guest finished, 1 otherwise (so the QEMU
//! process's exit status is the firmware's verdict).
//!
//! Modules are embedded at build time from `$FIREBALL_MODULES_DIR`, which
//! `cargo xtask firmware` sets after building them.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::boxed::Box;

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use fireball_firmware::{
    clock, exit, heap,
    uart::{CmsdkUart, UART0},
};
use fireball_subsystems::{log_service::EventLog, logger::Level};
use fireball_vsoc::{Vsoc, VsocConfig, VsocEvent, kernel::sched::Executor};

static HELLO: &[u8] = include_bytes!(concat!(env!("FIREBALL_MODULES_DIR"), "/hello.wasm"));

/// The guest's console: the board's UART0.
fn console() -> CmsdkUart {
    // Safety: UART0 is the mps2-an505's CMSDK UART, and only the guest's
    // console drives it in this image.
    unsafe { CmsdkUart::new(UART0) }
}

#[entry]
fn main() -> ! {
    let Some(peripherals) = cortex_m::Peripherals::take() else {
        exit(false)
    };
    clock::start(peripherals.SYST);
    let boot = clock::ticks();
    heap::init();
    let vsoc = Vsoc::new(VsocConfig::default());
    let module = match vsoc.load("hello", HELLO) {
        Ok(module) => module,
        Err(e) => {
            hprintln!("fireball: hello refused: {}", e);
            exit(false)
        }
    };
    let instance = match vsoc.instantiate(&module, Box::new(console())) {
        Ok(instance) => instance,
        Err(e) => {
            hprintln!("fireball: hello not instantiated: {}", e);
            exit(false)
        }
    };
    // The instance runs as a kernel task; the scheduler's events go to the
    // logger, which drains to the UART when the guest is done.
    let log: &'static EventLog = Box::leak(Box::new(EventLog::new(
        Level::Debug,
        Box::new(clock::SysTickClock),
    )));
    let Ok(mut executor) = Executor::new() else {
        exit(false)
    };
    executor.set_observer(log);
    if vsoc.spawn(&mut executor, instance).is_err() {
        exit(false)
    }
    // The guest's first instruction runs in the task's first poll.
    let first_guest_instruction = clock::ticks();
    executor.run_until_idle();
    let boot_instructions =
        (first_guest_instruction - boot) * clock::instructions_per_tick_milli() / 1000;
    let mut uart = console();
    log.drain(&mut uart);
    hprintln!("fireball: Cortex-M33 up, {} byte heap", heap::SIZE);
    hprintln!(
        "fireball: boot: {} instructions from main to the first guest instruction \
         (exact under QEMU -icount shift=0)",
        boot_instructions
    );
    match vsoc.pop_event() {
        Some(VsocEvent::Finished { .. }) => {
            hprintln!("fireball: hello finished, heap peak {} bytes", heap::peak());
            exit(true)
        }
        Some(VsocEvent::Stopped { reason, .. }) => {
            hprintln!("fireball: hello stopped: {:?}", reason);
            exit(false)
        }
        _ => exit(false),
    }
}
