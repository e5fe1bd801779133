//! Interrupt lines: how a device (simulated or real) tells the runtime it has news.
//!
//! A device model holds an [`IrqLine`] — a sink and the flag bits that are its
//! line — and raises it when a conversion completes, a pin changes, or bytes
//! arrive. The vSoC's ISR flags implement [`InterruptSink`], so a raised line
//! wakes the guest waiting on it (`wait_irq`). This crate does not depend on
//! the vSoC: the trait is the whole contract.

use core::fmt;

/// Something interrupt flags can be raised on (the vSoC's `IsrFlags`).
///
/// `raise` must be cheap, lock-free and callable from an interrupt handler; a sink is
/// shared between the handlers and the runtime (`Sync`), so a board can keep its lines in a
/// `static`.
pub trait InterruptSink: Sync {
    /// Raise the flags in `mask`.
    fn raise(&self, mask: u32);
}

/// One device's interrupt line: a sink and the flag bits it raises there.
#[derive(Clone, Copy)]
pub struct IrqLine {
    sink: &'static dyn InterruptSink,
    mask: u32,
}

impl IrqLine {
    /// The line raising `mask` on `sink`.
    pub const fn new(sink: &'static dyn InterruptSink, mask: u32) -> Self {
        Self { sink, mask }
    }

    /// The flag bits this line raises.
    pub const fn mask(&self) -> u32 {
        self.mask
    }

    /// Signal the interrupt.
    #[inline]
    pub fn raise(&self) {
        self.sink.raise(self.mask);
    }
}

impl fmt::Debug for IrqLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IrqLine({:#x})", self.mask)
    }
}

#[cfg(test)]
mod tests {
    use core::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    struct Flags(AtomicU32);

    impl InterruptSink for Flags {
        fn raise(&self, mask: u32) {
            self.0.fetch_or(mask, Ordering::Relaxed);
        }
    }

    #[test]
    fn a_line_raises_its_own_bits_only() {
        static FLAGS: Flags = Flags(AtomicU32::new(0));
        let line = IrqLine::new(&FLAGS, 0b100);
        line.raise();
        assert_eq!(FLAGS.0.load(Ordering::Relaxed), 0b100);
        assert_eq!(line.mask(), 0b100);
    }
}
