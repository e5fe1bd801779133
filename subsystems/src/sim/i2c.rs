//! A simulated I2C bus and a temperature/humidity sensor on it.

use alloc::{boxed::Box, vec::Vec};

use super::SimClock;
use crate::hal::{Clock, HalError, I2cBus};

/// A device on the simulated bus: it sees the bytes of each transfer.
pub trait I2cDevice {
    /// The controller wrote `bytes`.
    fn on_write(&mut self, bytes: &[u8]) -> Result<(), HalError>;
    /// The controller reads `buffer.len()` bytes.
    fn on_read(&mut self, buffer: &mut [u8]) -> Result<(), HalError>;
}

/// A simulated I2C bus: devices by 7-bit address; an absent address NACKs.
#[derive(Default)]
pub struct SimI2cBus {
    devices: Vec<(u8, Box<dyn I2cDevice>)>,
    transfers: u64,
}

impl SimI2cBus {
    /// An empty bus.
    pub fn new() -> Self {
        Self::default()
    }

    /// Attach `device` at `address` (replacing any device there).
    pub fn attach(&mut self, address: u8, device: Box<dyn I2cDevice>) {
        self.devices.retain(|(a, _)| *a != address);
        self.devices.push((address, device));
    }

    /// Transfers done so far.
    pub fn transfers(&self) -> u64 {
        self.transfers
    }

    fn device(&mut self, address: u8) -> Result<&mut Box<dyn I2cDevice>, HalError> {
        self.transfers += 1;
        self.devices
            .iter_mut()
            .find(|(a, _)| *a == address)
            .map(|(_, d)| d)
            .ok_or(HalError::Nack)
    }
}

impl I2cBus for SimI2cBus {
    fn write(&mut self, address: u8, bytes: &[u8]) -> Result<(), HalError> {
        self.device(address)?.on_write(bytes)
    }

    fn read(&mut self, address: u8, buffer: &mut [u8]) -> Result<(), HalError> {
        self.device(address)?.on_read(buffer)
    }

    fn write_read(&mut self, address: u8, bytes: &[u8], buffer: &mut [u8]) -> Result<(), HalError> {
        let device = self.device(address)?;
        device.on_write(bytes)?;
        device.on_read(buffer)
    }
}

/// A temperature/humidity sensor with a small register map.
///
/// | register | bytes | content |
/// | --- | --- | --- |
/// | `0x00` | 2 | temperature, centi-°C, `i16` big-endian |
/// | `0x02` | 2 | relative humidity, centi-%, `u16` big-endian |
/// | `0x0F` | 1 | `WHO_AM_I` = `0xBC` |
///
/// A write sets the register pointer; reads continue from it. Readings drift
/// slowly and deterministically with the virtual clock: temperature
/// 22.50 °C ± 2.00 over a 60 s cycle, humidity 45.00 % ± 5.00 over 90 s.
pub struct ClimateSensor {
    clock: SimClock,
    pointer: u8,
}

impl ClimateSensor {
    /// The sensor's usual bus address.
    pub const ADDRESS: u8 = 0x44;
    /// Register: temperature.
    pub const TEMPERATURE: u8 = 0x00;
    /// Register: humidity.
    pub const HUMIDITY: u8 = 0x02;
    /// Register: identity.
    pub const WHO_AM_I: u8 = 0x0F;
    /// The identity value.
    pub const ID: u8 = 0xBC;

    /// A sensor reading the virtual `clock`.
    pub fn new(clock: SimClock) -> Self {
        Self { clock, pointer: 0 }
    }

    fn wave(&self, centre: f32, swing: f32, period_us: u64) -> f32 {
        let phase = (self.clock.now_us() % period_us) as f32 / period_us as f32;
        centre + swing * libm::sinf(core::f32::consts::TAU * phase)
    }

    /// Temperature now, in centi-°C.
    pub fn temperature_centi(&self) -> i16 {
        libm::roundf(self.wave(2250.0, 200.0, 60_000_000)) as i16
    }

    /// Relative humidity now, in centi-%.
    pub fn humidity_centi(&self) -> u16 {
        libm::roundf(self.wave(4500.0, 500.0, 90_000_000)) as u16
    }

    fn register(&self, register: u8) -> Option<u8> {
        let t = self.temperature_centi().to_be_bytes();
        let h = self.humidity_centi().to_be_bytes();
        Some(match register {
            0x00 => t[0],
            0x01 => t[1],
            0x02 => h[0],
            0x03 => h[1],
            0x0F => Self::ID,
            _ => return None,
        })
    }
}

impl I2cDevice for ClimateSensor {
    fn on_write(&mut self, bytes: &[u8]) -> Result<(), HalError> {
        match bytes {
            [register] if self.register(*register).is_some() => {
                self.pointer = *register;
                Ok(())
            }
            // The map is read-only: a register pointer is all one may write.
            _ => Err(HalError::InvalidArgument),
        }
    }

    fn on_read(&mut self, buffer: &mut [u8]) -> Result<(), HalError> {
        for byte in buffer {
            *byte = self
                .register(self.pointer)
                .ok_or(HalError::InvalidArgument)?;
            self.pointer = self.pointer.wrapping_add(1);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sensor_answers_over_the_bus_and_drifts_with_time() {
        let clock = SimClock::new();
        let mut bus = SimI2cBus::new();
        bus.attach(
            ClimateSensor::ADDRESS,
            Box::new(ClimateSensor::new(clock.clone())),
        );
        let mut id = [0];
        bus.write_read(0x44, &[ClimateSensor::WHO_AM_I], &mut id)
            .unwrap();
        assert_eq!(id, [0xBC]);
        let mut raw = [0; 4];
        bus.write_read(0x44, &[ClimateSensor::TEMPERATURE], &mut raw)
            .unwrap();
        assert_eq!(i16::from_be_bytes([raw[0], raw[1]]), 2250);
        assert_eq!(u16::from_be_bytes([raw[2], raw[3]]), 4500);
        clock.advance(15_000_000); // a quarter of the temperature cycle
        bus.write_read(0x44, &[0x00], &mut raw[..2]).unwrap();
        assert_eq!(i16::from_be_bytes([raw[0], raw[1]]), 2450);
    }

    #[test]
    fn absent_devices_nack_and_bad_registers_are_refused() {
        let mut bus = SimI2cBus::new();
        bus.attach(0x44, Box::new(ClimateSensor::new(SimClock::new())));
        assert_eq!(bus.write(0x45, &[0]), Err(HalError::Nack));
        assert_eq!(bus.write(0x44, &[0x30]), Err(HalError::InvalidArgument));
        assert_eq!(bus.write(0x44, &[0x00, 1]), Err(HalError::InvalidArgument));
        let mut past_end = [0; 3];
        assert_eq!(
            bus.write_read(0x44, &[0x02], &mut past_end),
            Err(HalError::InvalidArgument)
        );
        assert_eq!(bus.transfers(), 4);
    }
}
