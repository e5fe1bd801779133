//! Deterministic device models: the simulator's hardware.
//!
//! Every model is a pure function of its configuration, the virtual clock and
//! what was done to it — the same seed and the same calls give the same
//! readings on every run and on every platform. They are `no_std` so the
//! firmware can use them for what a board lacks (the QEMU board has no ADC or
//! sensor), and the host simulator uses them for everything.
//!
//! - [`SimClock`] — virtual microseconds, advanced by whoever drives time.
//! - [`SimGpio`] — a shared pin bank with a history of (time, pin, level)
//!   changes and edge interrupts.
//! - [`SimAdc`] — channels with reproducible [`Waveform`]s.
//! - [`SimI2cBus`] with [`ClimateSensor`] — a temperature/humidity sensor
//!   behind an I2C register map.
//! - [`SpiLoopback`] — MISO wired to MOSI.
//! - [`RadioMedium`] / [`SimRadio`] — a shared broadcast medium for mesh tests.
//! - [`SimUart`] — a serial port whose transmit side is recorded and whose
//!   receive side tests feed.
//!
//! Interrupt sources: [`SimAdc`] (conversion done), [`SimGpio`] (input edge)
//! and [`SimUart`] (bytes received) raise an [`IrqLine`](crate::hal::IrqLine)
//! when given one.

mod adc;
mod clock;
mod gpio;
mod i2c;
mod radio;
mod spi;
mod uart;

pub use adc::{SimAdc, Waveform};
pub use clock::SimClock;
pub use gpio::{HISTORY, PinChange, SimGpio};
pub use i2c::{ClimateSensor, I2cDevice, SimI2cBus};
pub use radio::{RadioMedium, SimRadio};
pub use spi::SpiLoopback;
pub use uart::SimUart;
