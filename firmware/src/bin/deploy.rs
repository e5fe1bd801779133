//! The `deploy` image: a deployment generated from a manifest (`cargo xtask deploy
//! <manifest>`), its modules in flash, booted and run by `fireball-deploy` exactly as
//! `fireball run` runs it on the host: the same simulated board, the same virtual time. The
//! components' consoles and logs, the router trace (each line marked `~ `, as it happens)
//! and the report go to UART0, so a test can compare them with the host's. Exits through semihosting with status 0 if every guest finished.
//!
//! Built for the nRF5340-DK (feature `nrf5340dk`), `hal` serves the DK's own devices (GPIO,
//! SAADC, RTC0), the buttons' edges raise the deployment's ISR flags, and the deployment's
//! clock is held to RTC0 (`fireball_firmware::nrf5340::run`; docs/boards.md).
//! Its module store is the chip's flash (NVMC): a module installed over the control port runs
//! again after a reset, and an SMP reset request resets the chip once the report is out.
//!
//! Built with a control port (feature `control-port`), each trace line and each of the
//! runner's own lines is stamped `@<instructions> w<instructions> `: SysTick since `main`
//! started it, and the part of it the loop spent waiting for SysTick to catch up with the
//! deployment's clock (by the calibration [`clock::instructions_per_tick_milli`] measures;
//! exact under QEMU `-icount shift=0`, to one tick). `tests/control_port.py` measures an
//! update's downtime from them. The images without it print what the host prints.
//!
//! Built with a debugger port (feature `gdb`), the image serves LLDB on UART2 (the DK's
//! UARTE1) and runs until
//! every guest has finished, as `fireball run --gdb` does (`fireball_firmware::gdb`).
#![no_std]
#![no_main]

extern crate alloc;

use alloc::{boxed::Box, rc::Rc};
use core::fmt::{self, Write as _};
#[cfg(feature = "control-port")]
use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m_rt::entry;
use fireball_deploy::{RunOptions, Sink, System};
use fireball_firmware::{
    ConsoleUart, clock, error, exit,
    fmt::Text,
    heap::partitioned::{self, HEAP},
    info, stack,
};
use fireball_subsystems::hal::{Console, Labelled};
use fireball_vsoc::kernel::mem::{OwnerId, PartitionId, Placement};

include!(env!("FIREBALL_PLAN"));

#[cfg(all(feature = "gdb", feature = "control-port"))]
compile_error!("a control port and a debugger port cannot be served in one image yet");

fn uart() -> ConsoleUart {
    fireball_firmware::console_uart()
}

/// Instructions per SysTick tick × 1000, measured once before boot (control-port image).
#[cfg(feature = "control-port")]
static PER_TICK_MILLI: AtomicU32 = AtomicU32::new(0);

/// `@<instructions since SysTick started> w<of which waiting> ` on `uart` (control-port
/// image only).
fn stamp(uart: &mut ConsoleUart) {
    #[cfg(feature = "control-port")]
    {
        let per_tick = u64::from(PER_TICK_MILLI.load(Ordering::Relaxed));
        let now = clock::ticks() * per_tick / 1000;
        let waited = fireball_firmware::control::waited_ticks() * per_tick / 1000;
        number(uart, b'@', now);
        number(uart, b'w', waited);
    }
    let _ = uart;
}

/// `<mark><n> ` on `uart`, without the formatting machinery.
#[cfg(feature = "control-port")]
fn number(uart: &mut ConsoleUart, mark: u8, mut n: u64) {
    // The mark, up to 20 digits and a space, written backwards.
    let mut text = [0u8; 22];
    let mut at = text.len() - 1;
    text[at] = b' ';
    loop {
        at -= 1;
        text[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    at -= 1;
    text[at] = mark;
    Console::write(uart, &text[at..]);
}

struct UartSink;

impl Sink for UartSink {
    fn console(&self, label: &str) -> Box<dyn Console> {
        // Every component's console is the one UART, each line labelled as on the host.
        Box::new(Labelled::new(label, uart()))
    }

    fn booted(&self, name: &str) {
        // With the board's log lines, not on the UART: the UART carries what the host prints.
        // Without probing for free blocks: this runs inside the boot being counted.
        let used = |p: PartitionId| HEAP.allocated(Placement::new(p, OwnerId(0)));
        info!(
            "fireball: {} booted: P2 {} B, P4 {} B, P5 {} B in use",
            name,
            used(PartitionId::Runtime),
            used(PartitionId::Services),
            used(PartitionId::Guests),
        );
    }

    fn memory(&self, text: &str) {
        info!("fireball: memory: {}", text);
    }

    fn trace(&self, lines: &str) {
        // Streamed, each line marked, so the host's trace can be compared line for line.
        let mut uart = uart();
        for line in lines.lines() {
            Console::write(&mut uart, b"~ ");
            stamp(&mut uart);
            Console::write(&mut uart, line.as_bytes());
            Console::write(&mut uart, b"\n");
        }
    }

    fn line(&self, text: &str) {
        let mut uart = uart();
        stamp(&mut uart);
        Console::write(&mut uart, text.as_bytes());
        Console::write(&mut uart, b"\n");
    }
}

/// UARTE1 opened for the port this image serves beside the deployment (control or
/// debugger), its rings in P2 with the port's other buffers; without its peripherals the
/// image cannot serve the port and exits.
#[cfg(all(feature = "nrf5340dk", any(feature = "control-port", feature = "gdb")))]
fn open_uarte1(
    system: &System,
    peripherals: Option<fireball_firmware::nrf5340::serial::Peripherals>,
) -> fireball_firmware::nrf5340::serial::ControlSerial {
    match peripherals {
        Some(p) => System::in_module_partition(system.heap(), || {
            fireball_firmware::nrf5340::serial::ControlSerial::open(p)
        }),
        None => exit(false),
    }
}

/// The deployment's interrupt flags (`RunOptions::isr`): the guests' `irq_subscribe` /
/// `wait_irq` flags, raised by the board's interrupt handlers.
static ISR_FLAGS: fireball_vsoc::platform::IsrFlags = fireball_vsoc::platform::IsrFlags::new();

#[entry]
fn main() -> ! {
    let Some(peripherals) = cortex_m::Peripherals::take() else {
        exit(false)
    };
    let before_main = clock::since_reset();
    stack::paint();
    clock::start(peripherals.SYST);
    // The chip, its console and clock; its devices go to `hal` below.
    #[cfg(feature = "nrf5340dk")]
    let mut board = fireball_firmware::nrf5340::init();
    #[cfg(feature = "control-port")]
    PER_TICK_MILLI.store(
        u32::try_from(clock::instructions_per_tick_milli()).unwrap_or(u32::MAX),
        Ordering::Relaxed,
    );
    let start = clock::ticks();
    /// P4's quota table, one slot per service of the plan (`QUOTA_SLOTS`, generated).
    static mut QUOTA_TABLE: [partitioned::QuotaSlot; QUOTA_SLOTS] =
        [partitioned::QuotaSlot::EMPTY; QUOTA_SLOTS];
    // Safety: `main` runs once and never returns, and this is the only reference ever made
    // to the table; it is handed to the heap for good.
    let slots = unsafe { &mut *(&raw mut QUOTA_TABLE) };
    let heap = match partitioned::init(PARTITIONS, slots) {
        Ok(heap) => heap,
        Err(e) => {
            error!("fireball: cannot lay out the heap: {}", Text(&e));
            exit(false)
        }
    };
    let plan = plan();
    let mut options = RunOptions::new(Rc::new(UartSink));
    // The guests' interrupt flags live as long as the image: the board's handlers raise them.
    options.isr = Some(&ISR_FLAGS);
    // The whole trace would not fit in RAM beside the modules: it streams to the UART.
    options.keep_trace = false;
    options.heap = Some(heap);
    // UARTE1: the control port's, or the debugger port's.
    #[cfg(all(feature = "nrf5340dk", any(feature = "control-port", feature = "gdb")))]
    let control = board.control.take();
    #[cfg(feature = "nrf5340dk")]
    {
        // The module store on the chip's flash: a component it keeps a package for boots
        // from it. A region that cannot be cut into slots leaves the board with a RAM store.
        let flash = core::cell::RefCell::new(board.flash.take());
        options.store = Some(Rc::new(move || {
            let store = flash
                .borrow_mut()
                .take()
                .map(fireball_firmware::nrf5340::store::open);
            match store {
                Some(Ok(store)) => Box::new(store) as Box<dyn fireball_deploy::ModuleStore>,
                Some(Err(e)) => {
                    fireball_firmware::warn!(
                        "fireball: the module store is unusable ({}): installs stay in RAM",
                        Text(&e)
                    );
                    Box::new(fireball_deploy::RamStore::new(
                        fireball_deploy::modules::RAM_STORE_BYTES,
                    ))
                }
                None => Box::new(fireball_deploy::RamStore::new(
                    fireball_deploy::modules::RAM_STORE_BYTES,
                )),
            }
        }));
        // The board's devices move to `hal` at the one boot this image does, and the guests'
        // GPIO builtins get the same LEDs and buttons (`hal` is made first, in P3).
        use fireball_subsystems::hal::gpio::Gpio;
        let board = core::cell::RefCell::new(Some(board));
        let pins = Rc::new(core::cell::RefCell::new(None));
        let for_vsoc = pins.clone();
        options.devices = Some(Rc::new(move || {
            board.borrow_mut().take().map_or_else(
                fireball_subsystems::hal::DeviceRegistry::new,
                |b| {
                    let (devices, gpio) = b.devices();
                    *pins.borrow_mut() = Some(gpio);
                    devices
                },
            )
        }));
        options.gpio = Some(Rc::new(move || match for_vsoc.borrow_mut().take() {
            Some(gpio) => Box::new(gpio) as Box<dyn Gpio>,
            // No second boot in this image; a bank without pins refuses every pin.
            None => Box::new(fireball_subsystems::hal::gpio::MemoryGpio::new(0, 0)),
        }));
    }
    #[cfg(any(feature = "control-port", feature = "gdb"))]
    let max_time_us = options.max_time_us;
    let system = match System::boot(&plan, options) {
        Ok(system) => system,
        Err(e) => {
            error!(
                "fireball: {} did not boot: {}",
                plan.name.as_str(),
                Text(&e)
            );
            exit(false)
        }
    };
    let booted = clock::ticks();
    // The DK's buttons raise the deployment's ISR flags from now on.
    #[cfg(feature = "nrf5340dk")]
    fireball_firmware::nrf5340::buttons::connect(&ISR_FLAGS);
    let per_tick = clock::instructions_per_tick_milli();
    let to_instructions = |ticks: u64| ticks * per_tick / 1000;
    // Reset to every component spawned: the next instruction the core runs for the
    // deployment is the first component's first WASM instruction (exact under QEMU -icount
    // shift=0, to one SysTick tick).
    info!(
        "fireball: {} booted in {} instructions (reset to main {}, main to every component \
         spawned {})",
        plan.name.as_str(),
        to_instructions(before_main + booted - start),
        to_instructions(before_main),
        to_instructions(booted - start),
    );
    #[cfg(not(any(feature = "control-port", feature = "gdb")))]
    let (report, ok) = {
        #[cfg(not(feature = "nrf5340dk"))]
        let report = system.run();
        // On the DK the deployment's clock is held to RTC0.
        #[cfg(feature = "nrf5340dk")]
        let report = fireball_firmware::nrf5340::run(system);
        let ok = report.all_guests_finished() && report.halted.is_none();
        (report, ok)
    };
    #[cfg(feature = "control-port")]
    let (report, ok, reset) = {
        info!(
            "fireball: control port: SMP on {} (serial framing, {}-byte buffer); a reset \
             request ends the run",
            fireball_firmware::control::PORT,
            fireball_firmware::control::BUF_SIZE
        );
        #[cfg(not(feature = "nrf5340dk"))]
        let transport = fireball_firmware::control::qemu_uart1();
        #[cfg(feature = "nrf5340dk")]
        let transport = open_uarte1(&system, control);
        let served = fireball_firmware::control::serve(system, max_time_us, transport);
        if !served.reset {
            fireball_firmware::warn!(
                "fireball: control port: the run ended without a reset request"
            );
        }
        let ok = served.reset && served.report.halted.is_none();
        (served.report, ok, served.reset)
    };
    #[cfg(feature = "gdb")]
    let (report, ok) = {
        #[cfg(not(feature = "nrf5340dk"))]
        let transport = fireball_firmware::gdb::qemu_uart2();
        #[cfg(feature = "nrf5340dk")]
        let transport = open_uarte1(&system, control);
        let report = fireball_firmware::gdb::serve(system, max_time_us, transport);
        let ok = report.all_guests_finished() && report.halted.is_none();
        (report, ok)
    };
    // Written as it is formatted, a piece at a time: the whole report as one `String` would
    // need one contiguous block of several KiB in a partition fragmented by the run.
    let mut uart = ConsoleWriter(uart());
    let _ = write!(uart, "\n{report}");
    // The board's own figures, with its log lines (the UART matches the host's).
    info!(
        "fireball: RAM by partition (bytes)\n{}",
        Text(&heap.report())
    );
    if let Some(table) = report.ram_table() {
        info!("fireball: {}", Text(&table));
    }
    info!(
        "fireball: {} allocation(s) covered by the reserve",
        heap.loans()
    );
    info!(
        "fireball: main stack peak {} of {} bytes",
        stack::peak(),
        stack::size()
    );
    // A board asked to reset resets: it boots again, from the packages its flash kept.
    #[cfg(all(feature = "nrf5340dk", feature = "control-port"))]
    if reset {
        info!("fireball: resetting");
        cortex_m::peripheral::SCB::sys_reset();
    }
    #[cfg(all(feature = "control-port", not(feature = "nrf5340dk")))]
    let _ = reset;
    exit(ok)
}

/// `fmt::Write` onto a console: formatted text goes out as it is produced, never held whole.
struct ConsoleWriter<C: Console>(C);

impl<C: Console> fmt::Write for ConsoleWriter<C> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        Console::write(&mut self.0, s.as_bytes());
        Ok(())
    }
}
