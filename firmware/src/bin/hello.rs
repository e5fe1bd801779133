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

use alloc::{rc::Rc, vec};
use core::{cell::RefCell, fmt::Write as _};
use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use fireball_firmware::{
    board, clock, exit, heap,
    uart::{CmsdkUart, UART0},
};

use fireball_router::{
    Method, Methods, Record, Registration, Router, RouterConfig, from_record, to_record,
};
use fireball_subsystems::{
    hal::Console,
    hal_service::{AdcSample, Data, HalConfig, HalService, I2cTransfer},
    log_service::EventLog,
    logger::Level,
    sim::{ClimateSensor, SimClock},
};
use fireball_vsoc::{Vsoc, VsocConfig, VsocEvent, kernel::sched::Executor};

static HELLO: &[u8] = include_bytes!(concat!(env!("FIREBALL_MODULES_DIR"), "/hello.wasm"));

/// The guest's console: the board's UART0.
fn console() -> CmsdkUart {
    // Safety: UART0 is the mps2-an505's CMSDK UART, and only the guest's
    // console drives it in this image.
    unsafe { CmsdkUart::new(UART0) }
}

/// Read the board's modelled ADC and sensor through the router, as any
/// component would, and report on the UART. `false` if anything failed.
fn board_check(executor: &mut Executor, uart: &mut CmsdkUart) -> bool {
    let models = SimClock::new();
    board::follow_systick(&models);
    let (router, authority) = Router::new(RouterConfig::default());
    let Ok(hal) = HalService::register(&router, board::devices(&models), HalConfig::default())
    else {
        return false;
    };
    let allowed = authority
        .allow("board-check", "hal://adc/{channel}", Methods::READ)
        .is_ok()
        && authority
            .allow("board-check", "hal://i2c/{bus}/{addr}", Methods::CALL)
            .is_ok();
    let Ok(mut check) = router.register(Registration::new("board-check", &[])) else {
        return false;
    };
    let report: Rc<RefCell<Option<(AdcSample, Data)>>> = Rc::default();
    let out = report.clone();
    let spawned = executor.spawn("hal", hal.run()).is_ok()
        && executor
            .spawn("board-check", async move {
                let (Ok(adc), Ok(sensor)) =
                    (check.bind("hal://adc/0"), check.bind("hal://i2c/0/68"))
                else {
                    return;
                };
                let sample = check.call(&adc, Method::Read, Record::new()).await;
                let who = I2cTransfer {
                    write: vec![ClimateSensor::WHO_AM_I],
                    read: 1,
                };
                let Ok(request) = to_record(&who) else { return };
                let id = check.call(&sensor, Method::Call, request).await;
                if let (Ok(sample), Ok(id)) = (sample, id) {
                    if let (Ok(sample), Ok(id)) = (from_record(&sample), from_record(&id)) {
                        *out.borrow_mut() = Some((sample, id));
                    }
                }
                // Dropping the endpoints closes the routes; the `hal` task ends.
                drop(check);
            })
            .is_ok();
    executor.run_until_idle();
    drop(router);
    executor.run_until_idle();
    let Some((sample, id)) = report.borrow_mut().take() else {
        return false;
    };
    let mut line = heapless::String::<96>::new();
    let _ = writeln!(
        line,
        "board: hal://adc/0 = {} ({} mV); hal://i2c/0/68 WHO_AM_I = {:#04x}",
        sample.raw,
        sample.millivolts,
        id.data.first().copied().unwrap_or(0)
    );
    Console::write(uart, line.as_bytes());
    allowed && spawned
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
    let log: Rc<EventLog> = Rc::new(EventLog::new(Level::Debug, Box::new(clock::SysTickClock)));
    let Ok(mut executor) = Executor::new() else {
        exit(false)
    };
    executor.set_observer(log.clone());
    if vsoc.spawn(&mut executor, instance).is_err() {
        exit(false)
    }
    // The guest's first instruction runs in the task's first poll.
    let first_guest_instruction = clock::ticks();
    executor.run_until_idle();
    let boot_instructions =
        (first_guest_instruction - boot) * clock::instructions_per_tick_milli() / 1000;
    let mut uart = console();
    if !board_check(&mut executor, &mut uart) {
        exit(false)
    }
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
