//! What the platform hands the vSoC: a GPIO bank, a clock, and the ISR flags.
//!
//! The firmware supplies the board's GPIO and its clock; the host supplies [`MemoryGpio`] and
//! a [`SimClock`] that only moves when a test (or the runner) advances it, so every run is
//! deterministic. The clock is the HAL's [`Clock`] (microseconds), the one clock trait the
//! `hal://timer` route, the logger and the vSoC share: a `time_ticks` tick is a microsecond.

use alloc::boxed::Box;
use core::sync::atomic::{AtomicU32, Ordering};

use fireball_subsystems::hal::{
    Clock, InterruptSink,
    gpio::{Gpio, MemoryGpio},
};
use fireball_subsystems::sim::SimClock;

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
    /// The clock behind `time_ticks` and `sleep_ticks` (one tick is one of its microseconds).
    pub clock: Box<dyn Clock>,
    /// The interrupt flags instances subscribe to: a board's `static`, or `None` for
    /// flags owned by the vSoC (raised through [`Vsoc::isr_flags`](crate::Vsoc::isr_flags)).
    pub isr: Option<&'static IsrFlags>,
}

impl Platform {
    /// A simulated board: 32 in-memory pins (0..16 outputs, 16..32 inputs), a
    /// virtual clock, and ISR flags owned by the vSoC.
    pub fn simulated(clock: SimClock) -> Self {
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
}
