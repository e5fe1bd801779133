//! A simulated GPIO bank with an observable history and edge interrupts.

use alloc::{collections::VecDeque, rc::Rc, vec::Vec};
use core::cell::RefCell;

use super::SimClock;
use crate::hal::{
    Clock, IrqLine,
    gpio::{Gpio, GpioError, MemoryGpio, PinState},
};

/// Changes kept in the history; older ones are dropped and counted.
pub const HISTORY: usize = 256;

/// One level change of one pin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PinChange {
    /// Virtual time of the change, in microseconds.
    pub at_us: u64,
    /// The pin.
    pub pin: u32,
    /// Its new level.
    pub level: PinState,
}

struct Bank {
    pins: MemoryGpio,
    clock: SimClock,
    history: VecDeque<PinChange>,
    forgotten: u64,
    /// Input pins whose changes raise `irq` (bit n = pin n).
    edge_pins: u32,
    irq: Option<IrqLine>,
}

impl Bank {
    fn record(&mut self, pin: u32, before: u32) {
        let bit = 1u32 << pin;
        let after = self.pins.levels();
        if (before ^ after) & bit == 0 {
            return;
        }
        if self.history.len() == HISTORY {
            self.history.pop_front();
            self.forgotten += 1;
        }
        self.history.push_back(PinChange {
            at_us: self.clock.now_us(),
            pin,
            level: PinState::from(after & bit != 0),
        });
    }
}

/// A bank of up to 32 pins on the virtual clock, shared by every clone.
///
/// Give one clone to the vSoC (its `gpio_*` builtins) and another to the device
/// registry (the `hal` subsystem's `hal://gpio/{pin}`): both act on the same
/// pins, so both views always agree. Every level change — driven by either, or
/// by a test through [`SimGpio::set_input`] — is recorded with its time; a
/// change of an input pin enabled with [`SimGpio::on_edges`] raises that line.
#[derive(Clone)]
pub struct SimGpio {
    bank: Rc<RefCell<Bank>>,
}

impl SimGpio {
    /// `pins` pins (at most 32), those in the bit mask `outputs` being outputs.
    pub fn new(clock: SimClock, pins: u32, outputs: u32) -> Self {
        Self {
            bank: Rc::new(RefCell::new(Bank {
                pins: MemoryGpio::new(pins, outputs),
                clock,
                history: VecDeque::new(),
                forgotten: 0,
                edge_pins: 0,
                irq: None,
            })),
        }
    }

    /// Raise `line` whenever an input pin in the bit mask `pins` changes level.
    pub fn on_edges(&self, pins: u32, line: IrqLine) {
        let mut bank = self.bank.borrow_mut();
        bank.edge_pins = pins;
        bank.irq = Some(line);
    }

    /// Drive input `pin` from outside (a button, a sensor's data-ready line).
    pub fn set_input(&self, pin: u32, state: PinState) -> Result<(), GpioError> {
        let line = {
            let mut bank = self.bank.borrow_mut();
            let before = bank.pins.levels();
            bank.pins.set_input(pin, state)?;
            bank.record(pin, before);
            let changed = (before ^ bank.pins.levels()) & (1 << pin) != 0;
            (changed && bank.edge_pins & (1 << pin) != 0)
                .then_some(bank.irq)
                .flatten()
        };
        if let Some(line) = line {
            line.raise();
        }
        Ok(())
    }

    /// Levels of all pins (bit n = pin n high).
    pub fn levels(&self) -> u32 {
        self.bank.borrow().pins.levels()
    }

    /// The recorded level changes, oldest first (at most [`HISTORY`]).
    pub fn history(&self) -> Vec<PinChange> {
        self.bank.borrow().history.iter().copied().collect()
    }

    /// Changes dropped from the history because it was full.
    pub fn forgotten(&self) -> u64 {
        self.bank.borrow().forgotten
    }
}

impl Gpio for SimGpio {
    fn pins(&self) -> u32 {
        self.bank.borrow().pins.pins()
    }

    fn is_high(&mut self, pin: u32) -> Result<bool, GpioError> {
        self.bank.borrow_mut().pins.is_high(pin)
    }

    fn set_state(&mut self, pin: u32, state: PinState) -> Result<(), GpioError> {
        let mut bank = self.bank.borrow_mut();
        let before = bank.pins.levels();
        bank.pins.set_state(pin, state)?;
        bank.record(pin, before);
        Ok(())
    }

    fn toggle(&mut self, pin: u32) -> Result<bool, GpioError> {
        let mut bank = self.bank.borrow_mut();
        let before = bank.pins.levels();
        let high = bank.pins.toggle(pin)?;
        bank.record(pin, before);
        Ok(high)
    }
}

#[cfg(test)]
mod tests {
    use core::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::hal::InterruptSink;

    struct Flags(AtomicU32);

    impl InterruptSink for Flags {
        fn raise(&self, mask: u32) {
            self.0.fetch_or(mask, Ordering::Relaxed);
        }
    }

    #[test]
    fn changes_are_recorded_with_their_time_by_every_clone() {
        let clock = SimClock::new();
        let gpio = SimGpio::new(clock.clone(), 8, 0b1111);
        let mut a = gpio.clone();
        let mut b = gpio.clone();
        a.set_state(1, PinState::High).unwrap();
        a.set_state(1, PinState::High).unwrap(); // no change, no entry
        clock.advance(10);
        assert_eq!(b.toggle(1), Ok(false));
        gpio.set_input(5, PinState::High).unwrap();
        assert_eq!(a.is_high(5), Ok(true));
        let low = PinState::Low;
        let high = PinState::High;
        assert_eq!(
            gpio.history(),
            [
                PinChange {
                    at_us: 0,
                    pin: 1,
                    level: high
                },
                PinChange {
                    at_us: 10,
                    pin: 1,
                    level: low
                },
                PinChange {
                    at_us: 10,
                    pin: 5,
                    level: high
                },
            ]
        );
        assert_eq!(gpio.set_input(1, high), Err(GpioError::NotOutput));
    }

    #[test]
    fn edges_of_enabled_inputs_raise_the_line_and_the_history_is_bounded() {
        static FLAGS: Flags = Flags(AtomicU32::new(0));
        let gpio = SimGpio::new(SimClock::new(), 8, 0b1);
        gpio.on_edges(0b100, IrqLine::new(&FLAGS, 1 << 3));
        gpio.set_input(4, PinState::High).unwrap();
        assert_eq!(FLAGS.0.load(Ordering::Relaxed), 0, "pin 4 has no edge irq");
        gpio.set_input(2, PinState::Low).unwrap();
        assert_eq!(FLAGS.0.load(Ordering::Relaxed), 0, "no change, no edge");
        gpio.set_input(2, PinState::High).unwrap();
        assert_eq!(FLAGS.0.load(Ordering::Relaxed), 1 << 3);
        let mut out = gpio.clone();
        for _ in 0..HISTORY + 10 {
            out.toggle(0).unwrap();
        }
        assert_eq!(gpio.history().len(), HISTORY);
        assert_eq!(gpio.forgotten(), 12);
    }
}
