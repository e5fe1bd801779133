//! What the platform hands the vSoC: a GPIO bank, a clock, and the ISR flags.
//!
//! The firmware supplies the board's GPIO and a tick counter; the host supplies
//! [`MemoryGpio`] and a
//! [`VirtualClock`] that only moves when a test (or the runner) advances it, so
//! every run is deterministic.

use alloc::{boxed::Box, rc::Rc};
use core::{
    cell::Cell,
    sync::atomic::{AtomicU32, Ordering},
};

use fireball_subsystems::hal::{
    InterruptSink,
    gpio::{Gpio, MemoryGpio},
};

/// A monotonic tick counter.
pub trait Clock {
    /// Ticks since an arbitrary origin; never decreases.
    fn now_ticks(&self) -> u64;
}

/// A clock that moves only when told to: deterministic time for the host.
///
/// Clones share the same time, so a test keeps one and hands another to the vSoC.
#[derive(Clone, Debug, Default)]
pub struct VirtualClock {
    now: Rc<Cell<u64>>,
}

impl VirtualClock {
    /// A clock at tick 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Move time forward by `ticks` (saturating).
    pub fn advance(&self, ticks: u64) {
        self.now.set(self.now.get().saturating_add(ticks));
    }
}

impl Clock for VirtualClock {
    fn now_ticks(&self) -> u64 {
        self.now.get()
    }
}

/// Interrupt flags (ADR-002): set lock-free by interrupt handlers, taken by the runtime.
///
/// One bit per interrupt source. An ISR only calls [`IsrFlags::raise`] (one atomic
/// `fetch_or`); the vSoC looks at the flags at each context switch and wakes the
/// instance that subscribed to them. Usable as a `static`.
#[derive(Debug, Default)]
pub struct IsrFlags {
    raised: AtomicU32,
}

impl IsrFlags {
    /// No flag raised.
    pub const fn new() -> Self {
        Self {
            raised: AtomicU32::new(0),
        }
    }

    /// Raise the flags in `mask` (interrupt-safe, lock-free).
    pub fn raise(&self, mask: u32) {
        self.raised.fetch_or(mask, Ordering::Release);
    }

    /// The flags raised now, without clearing them.
    pub fn pending(&self) -> u32 {
        self.raised.load(Ordering::Acquire)
    }

    /// Clear and return the raised flags among `mask`.
    pub fn take(&self, mask: u32) -> u32 {
        self.raised.fetch_and(!mask, Ordering::AcqRel) & mask
    }
}

/// Device models raise the flags through their `IrqLine`s (ADC conversion done,
/// GPIO edge, UART receive): give them `IrqLine::new(&FLAGS, mask)` with the
/// board's `&'static IsrFlags` (the same one as [`Platform::isr`]).
impl InterruptSink for IsrFlags {
    fn raise(&self, mask: u32) {
        IsrFlags::raise(self, mask);
    }
}

/// The devices one vSoC drives.
pub struct Platform {
    /// The GPIO bank behind `gpio_read` / `gpio_write` / `gpio_toggle`.
    pub gpio: Box<dyn Gpio>,
    /// The clock behind `time_ticks` and `sleep_ticks`.
    pub clock: Box<dyn Clock>,
    /// The interrupt flags instances subscribe to: a board's `static`, or `None` for
    /// flags owned by the vSoC (raised through [`Vsoc::isr_flags`](crate::Vsoc::isr_flags)).
    pub isr: Option<&'static IsrFlags>,
}

impl Platform {
    /// A simulated board: 32 in-memory pins (0..16 outputs, 16..32 inputs), a
    /// virtual clock, and ISR flags owned by the vSoC.
    pub fn simulated(clock: VirtualClock) -> Self {
        Self {
            gpio: Box::new(MemoryGpio::new(32, 0x0000_ffff)),
            clock: Box::new(clock),
            isr: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_taken_once_and_only_within_the_mask() {
        let flags = IsrFlags::new();
        flags.raise(0b101);
        assert_eq!(flags.take(0b001), 0b001);
        assert_eq!(flags.take(0b001), 0);
        assert_eq!(flags.pending(), 0b100);
    }

    #[test]
    fn virtual_clock_clones_share_time() {
        let clock = VirtualClock::new();
        let seen = clock.clone();
        clock.advance(7);
        assert_eq!(seen.now_ticks(), 7);
        clock.advance(u64::MAX);
        assert_eq!(seen.now_ticks(), u64::MAX);
    }
}
