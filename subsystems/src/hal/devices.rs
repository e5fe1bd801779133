//! Backend traits for converters, buses, serial ports, clocks and radios.
//!
//! Each is object-safe with the shared [`HalError`], so the device registry
//! can hold any platform's drivers as `Box<dyn …>`. The shapes follow
//! `embedded-hal` 1.0 (`I2c::write_read`, `SpiBus::transfer_in_place`) and
//! `embedded-io` (`Read`/`Write`), and [`crate::hal::adapters`] lifts real
//! drivers implementing those crates' traits into these.

use super::HalError;

/// An analog-to-digital converter with numbered channels.
pub trait Adc {
    /// Number of channels (valid channels are `0..channels()`).
    fn channels(&self) -> u8;
    /// Resolution of a sample in bits (a sample is `0..2^bits`).
    fn resolution_bits(&self) -> u8;
    /// Convert `channel` now.
    fn read(&mut self, channel: u8) -> Result<u16, HalError>;
    /// The input voltage a full-scale sample stands for, in millivolts, when the converter
    /// knows it (an nRF SAADC's gain and reference fix it); `None` leaves it to the `hal`
    /// component's configured reference (`HalConfig::adc_reference_mv`).
    fn full_scale_mv(&self) -> Option<u32> {
        None
    }
}

/// An I2C controller, as `embedded_hal::i2c::I2c` with 7-bit addresses.
pub trait I2cBus {
    /// Write `bytes` to `address`.
    fn write(&mut self, address: u8, bytes: &[u8]) -> Result<(), HalError>;
    /// Read `buffer.len()` bytes from `address`.
    fn read(&mut self, address: u8, buffer: &mut [u8]) -> Result<(), HalError>;
    /// Write `bytes`, then read into `buffer` with a repeated start.
    fn write_read(&mut self, address: u8, bytes: &[u8], buffer: &mut [u8]) -> Result<(), HalError>;
}

/// A SPI controller with its device selected, as `embedded_hal::spi::SpiDevice`.
pub trait SpiBus {
    /// Clock `words` out and replace them with what was clocked in.
    fn transfer_in_place(&mut self, words: &mut [u8]) -> Result<(), HalError>;
}

/// A serial port, as `embedded_io::{Read, Write}` without blocking.
pub trait Uart {
    /// Queue `bytes` for transmission; returns how many were taken.
    fn write(&mut self, bytes: &[u8]) -> Result<usize, HalError>;
    /// Take received bytes into `buffer`; [`HalError::WouldBlock`] when none are waiting.
    fn read(&mut self, buffer: &mut [u8]) -> Result<usize, HalError>;
}

/// A monotonic clock in microseconds (SysTick on a board, a virtual clock on the host).
pub trait Clock {
    /// Microseconds since boot; never goes backwards.
    fn now_us(&self) -> u64;
}

/// A packet radio (an 802.15.4 / BLE-style link layer: whole frames, best effort).
pub trait Radio {
    /// Largest frame the radio carries, in bytes.
    fn max_frame(&self) -> usize;
    /// Send `frame` to every node in range.
    fn transmit(&mut self, frame: &[u8]) -> Result<(), HalError>;
    /// Take the next received frame into `buffer`; `Ok(None)` when none is waiting.
    fn receive(&mut self, buffer: &mut [u8]) -> Result<Option<usize>, HalError>;
}
