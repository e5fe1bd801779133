//! Fireball firmware for Cortex-M33 (QEMU `mps2-an505`, nRF5340 budgets).
//!
//! Boots, sets up the heap, loads the embedded `hello` guest through the
//! vSoC, runs it to completion in fuel slices, and exits through
//! semihosting with status 0 if the guest finished, 1 otherwise (so the QEMU
//! process's exit status is the firmware's verdict).
//!
//! Modules are embedded at build time from `$FIREBALL_MODULES_DIR`, which
//! `cargo xtask firmware` sets after building them.
#![no_std]
#![no_main]

extern crate alloc;

mod console;
mod heap;

use alloc::boxed::Box;

use cortex_m_rt::{ExceptionFrame, entry, exception};
use cortex_m_semihosting::{debug, hprintln};
use fireball_vsoc::{Slice, Vsoc, VsocConfig};

static HELLO: &[u8] = include_bytes!(concat!(env!("FIREBALL_MODULES_DIR"), "/hello.wasm"));

fn exit(ok: bool) -> ! {
    debug::exit(if ok {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    // Without a debugger attached semihosting exit returns; park the core.
    loop {
        cortex_m::asm::wfi();
    }
}

#[entry]
fn main() -> ! {
    heap::init();
    hprintln!("fireball: Cortex-M33 up, {} byte heap", heap::SIZE);
    let vsoc = Vsoc::new(VsocConfig::default());
    let module = match vsoc.load("hello", HELLO) {
        Ok(module) => module,
        Err(e) => {
            hprintln!("fireball: hello refused: {}", e);
            exit(false)
        }
    };
    let mut instance = match vsoc.instantiate(&module, Box::new(console::Semihosting)) {
        Ok(instance) => instance,
        Err(e) => {
            hprintln!("fireball: hello not instantiated: {}", e);
            exit(false)
        }
    };
    let (outcome, slices) = instance.run_to_completion();
    match outcome {
        Slice::Finished => {
            hprintln!(
                "fireball: hello finished after {} slice(s), heap peak {} bytes",
                slices,
                heap::peak()
            );
            exit(true)
        }
        Slice::Trapped(trap) => {
            hprintln!("fireball: {}", trap);
            exit(false)
        }
        Slice::Yielded => exit(false),
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    hprintln!("fireball: firmware panic: {}", info);
    exit(false)
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    hprintln!("fireball: HardFault at pc={:#010x}", frame.pc());
    exit(false)
}
