//! GPIO: digital pins by number, in the shape of `embedded-hal`'s `digital` traits.
//!
//! [`Gpio`] is one bank of pins addressed by index, the way the vSoC's builtins
//! (`gpio_read`, `gpio_write`, `gpio_toggle`) see a board. Its operations mirror
//! `embedded-hal` 1.0 (`InputPin::is_high`, `OutputPin::set_state`,
//! `StatefulOutputPin::toggle`) with the pin number as an argument and a typed
//! [`GpioError`] instead of an associated error type, so it works as `dyn Gpio`.
//!
//! [`MemoryGpio`] is a deterministic in-memory bank (no I/O, no allocation) usable
//! on the host and on the target, e.g. as a simulated board in tests. [`SharedGpio`]
//! hands one bank to several holders — a board's pins to both `hal` (`hal://gpio`) and
//! the vSoC's builtins — so they see and drive the same pins.

use alloc::rc::Rc;
use core::cell::RefCell;

/// A pin level, as `embedded_hal::digital::PinState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PinState {
    /// Low (0).
    Low,
    /// High (1).
    High,
}

impl From<bool> for PinState {
    fn from(high: bool) -> Self {
        if high { Self::High } else { Self::Low }
    }
}

/// Why a GPIO operation was refused. The caller is at fault (wrong pin or mode); it knows
/// which pin it asked for, so the error does not repeat it: a `Result<bool, GpioError>` is
/// one byte, returned in a register (the vSoC's GPIO builtins are a hot path).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GpioError {
    /// The bank has no pin with this number.
    NoSuchPin,
    /// The pin is an input and cannot be driven.
    NotOutput,
}

/// One bank of digital pins, addressed by number.
pub trait Gpio {
    /// Number of pins (valid pins are `0..pins()`).
    fn pins(&self) -> u32;

    /// Whether `pin` reads high (an input's level, or an output's driven level).
    fn is_high(&mut self, pin: u32) -> Result<bool, GpioError>;

    /// Drive output `pin` to `state`.
    fn set_state(&mut self, pin: u32, state: PinState) -> Result<(), GpioError>;

    /// Invert output `pin`; returns the new level (`true` = high).
    fn toggle(&mut self, pin: u32) -> Result<bool, GpioError> {
        let high = !self.is_high(pin)?;
        self.set_state(pin, high.into())?;
        Ok(high)
    }
}

/// A deterministic in-memory bank of up to 32 pins.
///
/// Pins are outputs or inputs as configured; inputs take the levels a test (or a
/// simulated peripheral) sets with [`MemoryGpio::set_input`]. Every successful
/// write or toggle is counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryGpio {
    pins: u32,
    outputs: u32,
    levels: u32,
    writes: u64,
}

impl MemoryGpio {
    /// A bank of `pins` pins (at most 32), those in the bit mask `outputs` being outputs.
    pub const fn new(pins: u32, outputs: u32) -> Self {
        let pins = if pins > 32 { 32 } else { pins };
        let mask = if pins == 32 {
            u32::MAX
        } else {
            (1u32 << pins) - 1
        };
        Self {
            pins,
            outputs: outputs & mask,
            levels: 0,
            writes: 0,
        }
    }

    /// Levels of all pins as a bit mask (bit `n` = pin `n` high).
    pub const fn levels(&self) -> u32 {
        self.levels
    }

    /// Successful writes and toggles so far.
    pub const fn writes(&self) -> u64 {
        self.writes
    }

    /// Set the level an input pin reads (a simulated external signal).
    pub fn set_input(&mut self, pin: u32, state: PinState) -> Result<(), GpioError> {
        let bit = self.bit(pin)?;
        if self.outputs & bit != 0 {
            return Err(GpioError::NotOutput);
        }
        self.put(bit, state);
        Ok(())
    }

    fn bit(&self, pin: u32) -> Result<u32, GpioError> {
        if pin < self.pins {
            Ok(1 << pin)
        } else {
            Err(GpioError::NoSuchPin)
        }
    }

    fn put(&mut self, bit: u32, state: PinState) {
        match state {
            PinState::High => self.levels |= bit,
            PinState::Low => self.levels &= !bit,
        }
    }

    fn output_bit(&self, pin: u32) -> Result<u32, GpioError> {
        let bit = self.bit(pin)?;
        if self.outputs & bit == 0 {
            return Err(GpioError::NotOutput);
        }
        Ok(bit)
    }
}

impl Gpio for MemoryGpio {
    fn pins(&self) -> u32 {
        self.pins
    }

    fn is_high(&mut self, pin: u32) -> Result<bool, GpioError> {
        Ok(self.levels & self.bit(pin)? != 0)
    }

    fn set_state(&mut self, pin: u32, state: PinState) -> Result<(), GpioError> {
        let bit = self.output_bit(pin)?;
        self.put(bit, state);
        self.writes += 1;
        Ok(())
    }

    fn toggle(&mut self, pin: u32) -> Result<bool, GpioError> {
        let bit = self.output_bit(pin)?;
        self.levels ^= bit;
        self.writes += 1;
        Ok(self.levels & bit != 0)
    }
}

/// One bank shared by several holders (`Clone` gives another handle to the same pins):
/// how a board gives its pins to `hal` and to the vSoC's GPIO builtins at once. A call
/// made while another holder's call is in progress (never, in the cooperative kernel:
/// calls do not nest) is refused as [`GpioError::NoSuchPin`] rather than panicking.
pub struct SharedGpio<G>(Rc<RefCell<G>>);

impl<G> SharedGpio<G> {
    /// Share `bank`.
    pub fn new(bank: G) -> Self {
        Self(Rc::new(RefCell::new(bank)))
    }

    fn with<R>(&self, f: impl FnOnce(&mut G) -> Result<R, GpioError>) -> Result<R, GpioError> {
        match self.0.try_borrow_mut() {
            Ok(mut bank) => f(&mut bank),
            Err(_) => Err(GpioError::NoSuchPin),
        }
    }
}

impl<G> Clone for SharedGpio<G> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<G: Gpio> Gpio for SharedGpio<G> {
    fn pins(&self) -> u32 {
        self.0.try_borrow().map_or(0, |bank| bank.pins())
    }

    fn is_high(&mut self, pin: u32) -> Result<bool, GpioError> {
        self.with(|bank| bank.is_high(pin))
    }

    fn set_state(&mut self, pin: u32, state: PinState) -> Result<(), GpioError> {
        self.with(|bank| bank.set_state(pin, state))
    }

    fn toggle(&mut self, pin: u32) -> Result<bool, GpioError> {
        self.with(|bank| bank.toggle(pin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_bank_is_one_set_of_pins() {
        let mut hal = SharedGpio::new(MemoryGpio::new(4, 0b0011));
        let mut vsoc = hal.clone();
        assert_eq!(vsoc.pins(), 4);
        vsoc.set_state(1, PinState::High).unwrap();
        assert_eq!(hal.is_high(1), Ok(true));
        assert_eq!(hal.toggle(1), Ok(false));
        assert_eq!(vsoc.is_high(1), Ok(false));
        assert_eq!(vsoc.set_state(2, PinState::High), Err(GpioError::NotOutput));
        assert_eq!(hal.is_high(9), Err(GpioError::NoSuchPin));
    }

    #[test]
    fn outputs_are_driven_and_toggled() {
        let mut gpio = MemoryGpio::new(8, 0b0000_0011);
        gpio.set_state(0, PinState::High).unwrap();
        assert_eq!(gpio.is_high(0), Ok(true));
        assert_eq!(gpio.toggle(1), Ok(true));
        assert_eq!(gpio.toggle(0), Ok(false));
        assert_eq!(gpio.levels(), 0b10);
        assert_eq!(gpio.writes(), 3);
    }

    #[test]
    fn inputs_read_what_is_set_and_refuse_writes() {
        let mut gpio = MemoryGpio::new(4, 0b0001);
        gpio.set_input(2, PinState::High).unwrap();
        assert_eq!(gpio.is_high(2), Ok(true));
        assert_eq!(gpio.set_state(2, PinState::Low), Err(GpioError::NotOutput));
        assert_eq!(gpio.toggle(3), Err(GpioError::NotOutput));
        assert_eq!(gpio.set_input(0, PinState::High), Err(GpioError::NotOutput));
    }

    #[test]
    fn pins_outside_the_bank_are_refused() {
        let mut gpio = MemoryGpio::new(4, 0b1111);
        assert_eq!(gpio.is_high(4), Err(GpioError::NoSuchPin));
        assert_eq!(gpio.toggle(u32::MAX), Err(GpioError::NoSuchPin));
        assert_eq!(MemoryGpio::new(40, u32::MAX).pins(), 32);
    }
}
