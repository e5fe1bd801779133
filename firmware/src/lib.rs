//! Fireball's board support for Cortex-M33: QEMU `mps2-an505` (nRF5340 budgets), and the
//! nRF5340-DK's application core (feature `nrf5340dk`).
//!
//! The pieces every firmware image shares; each image is one file in `src/bin/`:
//!
//! - `hello` — boots, runs the embedded `hello` guest, exits with its verdict.
//! - `bench` — runs the crates' benchmark workloads and prints instruction
//!   counts (feature `bench`; run under QEMU `-icount shift=0`).
//!
//! Modules: [`board`] (the devices: models for what the board lacks),
//! [`heap`] (the global allocator, with a high-water mark),
//! [`console`] (semihosting console), [`uart`] (the CMSDK UART driver and
//! console), [`clock`] (SysTick as a 64-bit tick
//! counter), `control` (feature `control-port`: the `deploy` image's SMP port on UART1, or
//! UARTE1 on the nRF5340-DK),
//! `gdb` (feature `gdb`: the `deploy` image's debugger port on UART2),
//! [`exit`] (semihosting exit, so QEMU's exit status is the
//! firmware's verdict), [`fmt`] (the one logging facade, [`info!`], [`warn!`], [`error!`]:
//! defmt frames with feature `defmt`, text otherwise; semihosting under QEMU).
//!
//! With feature `nrf5340dk` the same `deploy` image is built for the nRF5340-DK instead:
//! `nrf5340` replaces `board`, `console` and `uart` (UARTE0 is the console and carries the
//! status lines too, unless they go over RTT as defmt frames; there is no semihosting on a
//! board without a debugger; NVMC keeps the installed modules; UARTE1 carries the control
//! port), and [`exit`] parks the core. `docs/boards.md` has both boards.
#![no_std]

extern crate alloc;

// The defmt transport of the board the image is built for (feature `defmt`): its
// `#[defmt::global_logger]`. Only the one named here is linked.
#[cfg(all(feature = "defmt", feature = "nrf5340dk"))]
use defmt_rtt as _;
#[cfg(all(feature = "defmt", not(feature = "nrf5340dk")))]
use defmt_semihosting as _;

// First: its macros are used by the modules below.
#[macro_use]
pub mod fmt;

#[cfg(not(feature = "nrf5340dk"))]
pub mod board;
pub mod clock;
#[cfg(not(feature = "nrf5340dk"))]
pub mod console;
#[cfg(feature = "control-port")]
pub mod control;
#[cfg(feature = "gdb")]
pub mod gdb;
pub mod heap;
mod mem;
#[cfg(feature = "nrf5340dk")]
pub mod nrf5340;
#[cfg(not(feature = "nrf5340dk"))]
pub mod uart;

/// The console UART of the board the image is built for: UART0 (CMSDK) under QEMU, UARTE0
/// on the nRF5340-DK.
#[cfg(not(feature = "nrf5340dk"))]
pub type ConsoleUart = uart::CmsdkUart;
/// The console UART of the board the image is built for: UART0 (CMSDK) under QEMU, UARTE0
/// on the nRF5340-DK.
#[cfg(feature = "nrf5340dk")]
pub type ConsoleUart = nrf5340::console::Uarte0;

/// The board's console UART (see [`ConsoleUart`]).
pub fn console_uart() -> ConsoleUart {
    #[cfg(not(feature = "nrf5340dk"))]
    return uart::CmsdkUart::console();
    #[cfg(feature = "nrf5340dk")]
    return nrf5340::console::Uarte0;
}

/// End the run. On the nRF5340-DK there is nothing to exit to: the verdict goes to the
/// console and the core sleeps.
#[cfg(feature = "nrf5340dk")]
pub fn exit(ok: bool) -> ! {
    info!("fireball: run ended: {}", if ok { "ok" } else { "FAILED" });
    loop {
        cortex_m::asm::wfi();
    }
}

/// End the run: semihosting exit with status 0 (`ok`) or 1.
#[cfg(not(feature = "nrf5340dk"))]
pub fn exit(ok: bool) -> ! {
    use cortex_m_semihosting::debug;
    debug::exit(if ok {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    // Without a debugger or QEMU to catch it, semihosting exit returns; park.
    loop {
        cortex_m::asm::wfi();
    }
}

/// Panics and faults end the run with a failure status, never a hang.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    error!("fireball: firmware panic: {}", fmt::Text(info));
    heap_at_failure();
    exit(false)
}

/// Where the deployment's heap stood when the firmware failed: most failures of a deployment
/// are an allocation no partition (nor the reserve) could serve. The `deploy` image aborts
/// on the spot on a panic (`panic=immediate-abort`), so this runs from the HardFault too.
fn heap_at_failure() {
    #[cfg(feature = "deploy")]
    {
        let heap = &heap::partitioned::HEAP;
        error!(
            "fireball: allocating in {}; {} loan(s) from the reserve\n{}",
            fmt::Text(&heap.current()),
            heap.loans(),
            fmt::Text(&heap.report())
        );
    }
}

/// The device-interrupt part of the vector table on QEMU's mps2-an505 (cortex-m-rt's
/// `device` feature; the nRF5340-DK's comes from its PAC). Without it cortex-m-rt reserves
/// the 480 lines ARMv8-M Mainline allows, 1,920 bytes of flash; the an505's NVIC has 124
/// (the SSE-200's 32 and the board's 92, QEMU `hw/arm/mps2-tz.c`), which its ICTR reports
/// as four groups of 32: the table covers those 128, every one to `DefaultHandler` (the
/// images that take an interrupt, `latency`, define it).
#[cfg(not(feature = "nrf5340dk"))]
mod vectors {
    /// Interrupt lines: the ICTR's four groups of 32.
    pub const LINES: usize = 128;

    unsafe extern "C" {
        // cortex-m-rt's linker script provides it (an image's own, or its default).
        fn DefaultHandler();
    }

    #[unsafe(link_section = ".vector_table.interrupts")]
    #[unsafe(no_mangle)]
    #[used]
    static __INTERRUPTS: [unsafe extern "C" fn(); LINES] = [DefaultHandler; LINES];
}

#[cortex_m_rt::exception]
unsafe fn HardFault(frame: &cortex_m_rt::ExceptionFrame) -> ! {
    error!("fireball: HardFault at pc={:#010x}", frame.pc());
    heap_at_failure();
    exit(false)
}

/// The main stack's high-water mark, measured by painting: [`paint`](stack::paint) fills the
/// unused stack with a pattern early in `main`, [`peak`](stack::peak) finds how deep it was
/// overwritten.
pub mod stack {
    unsafe extern "C" {
        // cortex-m-rt's linker script: the stack grows down from `_stack_start` to
        // `_stack_end` (the end of the statics).
        static _stack_start: u32;
        static _stack_end: u32;
    }

    const PAINT: u32 = 0xDEAD_BEEF;

    fn bounds() -> (usize, usize) {
        (
            &raw const _stack_end as usize,
            &raw const _stack_start as usize,
        )
    }

    /// Fill the stack below the caller's frame (keeping 256 bytes of margin) with the pattern.
    #[inline(never)]
    pub fn paint() {
        let (bottom, _) = bounds();
        let here = cortex_m::register::msp::read() as usize - 256;
        let mut word = bottom;
        while word < here {
            // Safety: `bottom..here` is the unused part of the main stack, below every live
            // frame; nothing else owns it, and the words are aligned.
            unsafe { (word as *mut u32).write_volatile(PAINT) };
            word += 4;
        }
    }

    /// Bytes of stack used at most since [`paint`]: from the top down to the deepest word
    /// overwritten.
    pub fn peak() -> usize {
        let (bottom, top) = bounds();
        let mut word = bottom;
        // Safety: reads of the stack region's aligned words, below the live frames.
        while word < top && unsafe { (word as *const u32).read_volatile() } == PAINT {
            word += 4;
        }
        top - word
    }

    /// Bytes the stack may use: from its top to the end of the statics.
    pub fn size() -> usize {
        let (bottom, top) = bounds();
        top - bottom
    }
}
