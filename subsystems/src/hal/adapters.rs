//! Adapters from `embedded-hal` and `embedded-io` drivers to Fireball's backend traits.
//!
//! A board brings its drivers as they are (any crate implementing the
//! ecosystem traits) and wraps them here to register them.

use embedded_hal::i2c::{self, I2c};
use embedded_io::ErrorKind;

use super::{HalError, I2cBus, SpiBus, Uart};

/// An `embedded_hal::i2c::I2c` driver as an [`I2cBus`].
#[derive(Debug)]
pub struct I2cAdapter<T>(pub T);

fn i2c_error(kind: i2c::ErrorKind) -> HalError {
    match kind {
        i2c::ErrorKind::NoAcknowledge(_) => HalError::Nack,
        _ => HalError::Bus,
    }
}

impl<T: I2c> I2cBus for I2cAdapter<T> {
    fn write(&mut self, address: u8, bytes: &[u8]) -> Result<(), HalError> {
        self.0
            .write(address, bytes)
            .map_err(|e| i2c_error(i2c::Error::kind(&e)))
    }

    fn read(&mut self, address: u8, buffer: &mut [u8]) -> Result<(), HalError> {
        self.0
            .read(address, buffer)
            .map_err(|e| i2c_error(i2c::Error::kind(&e)))
    }

    fn write_read(&mut self, address: u8, bytes: &[u8], buffer: &mut [u8]) -> Result<(), HalError> {
        self.0
            .write_read(address, bytes, buffer)
            .map_err(|e| i2c_error(i2c::Error::kind(&e)))
    }
}

/// An `embedded_hal::spi::SpiDevice` driver as a [`SpiBus`].
#[derive(Debug)]
pub struct SpiAdapter<T>(pub T);

impl<T: embedded_hal::spi::SpiDevice> SpiBus for SpiAdapter<T> {
    fn transfer_in_place(&mut self, words: &mut [u8]) -> Result<(), HalError> {
        self.0.transfer_in_place(words).map_err(|_| HalError::Bus)
    }
}

/// An `embedded-io` serial driver (with `ReadReady`, so reads never block) as a [`Uart`].
#[derive(Debug)]
pub struct UartAdapter<T>(pub T);

fn io_error(kind: ErrorKind) -> HalError {
    match kind {
        ErrorKind::InvalidInput => HalError::InvalidArgument,
        _ => HalError::Bus,
    }
}

impl<T> Uart for UartAdapter<T>
where
    T: embedded_io::Read + embedded_io::Write + embedded_io::ReadReady,
{
    fn write(&mut self, bytes: &[u8]) -> Result<usize, HalError> {
        self.0
            .write(bytes)
            .map_err(|e| io_error(embedded_io::Error::kind(&e)))
    }

    fn read(&mut self, buffer: &mut [u8]) -> Result<usize, HalError> {
        let ready = self
            .0
            .read_ready()
            .map_err(|e| io_error(embedded_io::Error::kind(&e)))?;
        if !ready {
            return Err(HalError::WouldBlock);
        }
        self.0
            .read(buffer)
            .map_err(|e| io_error(embedded_io::Error::kind(&e)))
    }
}
