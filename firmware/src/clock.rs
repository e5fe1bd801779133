//! SysTick as a free-running 64-bit tick counter.
//!
//! Under QEMU with `-icount shift=0` every instruction advances virtual time
//! by exactly 1 ns, so ticks convert to instructions by a fixed factor that
//! [`instructions_per_tick`] measures against a loop of known length. Costs
//! measured this way are deterministic: the same binary prints the same
//! counts on every run.

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::peripheral::{SYST, syst::SystClkSource};
use cortex_m_rt::exception;

const RELOAD: u32 = 0x00FF_FFFF;

static WRAPS: AtomicU32 = AtomicU32::new(0);

#[exception]
fn SysTick() {
    WRAPS.fetch_add(1, Ordering::Relaxed);
}

// SysTick starts counting at reset, before RAM is initialised (cortex-m-rt calls `__pre_init`
// first thing in the reset handler), so that `main` can tell how long the start-up took: the
// copy of `.data` and the zeroing of `.bss`. Registers only; no stack, no RAM.
core::arch::global_asm!(
    ".section .text.__pre_init,\"ax\",%progbits",
    ".global __pre_init",
    ".type __pre_init,%function",
    ".thumb_func",
    "__pre_init:",
    "ldr r0, =0xE000E010", // SYST_CSR; RVR at +4, CVR at +8
    "ldr r1, =0x00FFFFFF",
    "str r1, [r0, #4]",
    "movs r1, #0",
    "str r1, [r0, #8]",
    "movs r1, #5", // enable, processor clock, no interrupt
    "str r1, [r0]",
    "bx lr",
    ".ltorg",
);

/// Ticks from reset to now, read before [`start`] restarts the counter: what the reset
/// handler spent before `main` (SysTick has counted down from its reload since then).
pub fn since_reset() -> u64 {
    u64::from(RELOAD - SYST::get_current())
}

/// Start counting: SysTick on the core clock, wrapping every 2^24 ticks.
pub fn start(mut syst: SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(RELOAD);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
    // The counter reads 0 until its first reload; until then `ticks` would
    // jump backwards. Wait for the reload (one tick).
    while SYST::get_current() == 0 {}
}

/// Ticks since [`start`].
pub fn ticks() -> u64 {
    loop {
        let before = WRAPS.load(Ordering::Relaxed);
        let current = SYST::get_current();
        if WRAPS.load(Ordering::Relaxed) == before {
            return u64::from(before) * u64::from(RELOAD + 1) + u64::from(RELOAD - current);
        }
    }
}

/// Spin for exactly `2 * n + small constant` instructions.
#[inline(never)]
fn spin(n: u32) {
    if n == 0 {
        return;
    }
    // Safety: a register-only countdown loop; touches no memory.
    unsafe {
        core::arch::asm!(
            "2:",
            "subs {0}, {0}, #1",
            "bne 2b",
            inout(reg) n => _,
            options(nomem, nostack),
        );
    }
}

/// Instructions per tick (×1000 for precision), measured: the difference
/// between spinning 2·N and N iterations is exactly 2·N instructions.
pub fn instructions_per_tick_milli() -> u64 {
    const N: u32 = 200_000;
    let t0 = ticks();
    spin(N);
    let t1 = ticks();
    spin(2 * N);
    let t2 = ticks();
    let delta = (t2 - t1).saturating_sub(t1 - t0).max(1);
    u64::from(2 * N) * 1000 / delta
}

/// SysTick's rate on QEMU `mps2-an505`: the 20 MHz system clock
/// (`cargo xtask bench` calibrates 50 instructions per tick under `-icount shift=0`).
#[cfg(not(feature = "nrf5340dk"))]
pub const SYSTICK_HZ: u64 = 20_000_000;
/// SysTick's rate on the nRF5340's application core: the core clock, 64 MHz out of reset
/// (HFCLKCTRL divides the 128 MHz clock by 2; `embassy_nrf::init` leaves it so).
#[cfg(feature = "nrf5340dk")]
pub const SYSTICK_HZ: u64 = 64_000_000;

/// SysTick as the HAL clock the logger and the device models read.
#[derive(Clone, Copy, Debug, Default)]
pub struct SysTickClock;

impl fireball_subsystems::hal::Clock for SysTickClock {
    fn now_us(&self) -> u64 {
        ticks() / (SYSTICK_HZ / 1_000_000)
    }
}
