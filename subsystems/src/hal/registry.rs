//! The device registry: every backend device of a platform, by kind and index.
//!
//! The platform (host runner or firmware) registers its devices at start-up;
//! the `hal` subsystem and the vSoC builtins look them up by [`DeviceId`].
//! Capacity is fixed at build time (`DeviceRegistry<N>`, 16 by default, the
//! seed's §1.2.1 budget) so registration never allocates beyond the boxes.

use alloc::boxed::Box;
use core::fmt;

use super::{Adc, Clock, HalError, I2cBus, Radio, SpiBus, Uart, gpio::Gpio};

/// Default registry capacity (seed §1.2.1: 16 devices).
pub const DEFAULT_DEVICES: usize = 16;

/// What kind of device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeviceKind {
    /// A GPIO bank.
    Gpio,
    /// An analog-to-digital converter.
    Adc,
    /// A serial port.
    Uart,
    /// An I2C bus.
    I2c,
    /// A SPI bus.
    Spi,
    /// A clock / timer.
    Timer,
    /// A packet radio.
    Radio,
}

/// A device's address in the registry: its kind and its index among that kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceId {
    /// The kind.
    pub kind: DeviceKind,
    /// Index among devices of that kind (`hal://adc/{channel}` uses ADC 0, …).
    pub index: u8,
}

/// A registered backend device.
pub enum Device {
    /// A GPIO bank.
    Gpio(Box<dyn Gpio>),
    /// An ADC.
    Adc(Box<dyn Adc>),
    /// A serial port.
    Uart(Box<dyn Uart>),
    /// An I2C bus.
    I2c(Box<dyn I2cBus>),
    /// A SPI bus.
    Spi(Box<dyn SpiBus>),
    /// A clock.
    Timer(Box<dyn Clock>),
    /// A radio.
    Radio(Box<dyn Radio>),
}

impl Device {
    /// The kind of this device.
    pub fn kind(&self) -> DeviceKind {
        match self {
            Self::Gpio(_) => DeviceKind::Gpio,
            Self::Adc(_) => DeviceKind::Adc,
            Self::Uart(_) => DeviceKind::Uart,
            Self::I2c(_) => DeviceKind::I2c,
            Self::Spi(_) => DeviceKind::Spi,
            Self::Timer(_) => DeviceKind::Timer,
            Self::Radio(_) => DeviceKind::Radio,
        }
    }
}

impl fmt::Debug for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Device::{:?}", self.kind())
    }
}

/// Registration failed; the device comes back.
#[derive(Debug)]
pub enum RegisterError {
    /// The registry holds its capacity already.
    Full(Device),
    /// Another device of that kind has that index.
    Duplicate(Device),
}

/// The platform's devices, at most `N` of them.
pub struct DeviceRegistry<const N: usize = DEFAULT_DEVICES> {
    devices: heapless::Vec<(u8, Device), N>,
}

impl<const N: usize> Default for DeviceRegistry<N> {
    fn default() -> Self {
        Self::new()
    }
}

macro_rules! accessor {
    ($(#[$doc:meta])* $name:ident, $variant:ident, $trait:path) => {
        $(#[$doc])*
        pub fn $name(&mut self, index: u8) -> Result<&mut dyn $trait, HalError> {
            self.devices
                .iter_mut()
                .find_map(|(i, device)| match device {
                    Device::$variant(d) if *i == index => Some(&mut **d as &mut dyn $trait),
                    _ => None,
                })
                .ok_or(HalError::NoDevice)
        }
    };
}

impl<const N: usize> DeviceRegistry<N> {
    /// An empty registry.
    pub const fn new() -> Self {
        Self {
            devices: heapless::Vec::new(),
        }
    }

    /// Register `device` as index `index` of its kind.
    pub fn register(&mut self, index: u8, device: Device) -> Result<DeviceId, RegisterError> {
        let id = DeviceId {
            kind: device.kind(),
            index,
        };
        if self.contains(id) {
            return Err(RegisterError::Duplicate(device));
        }
        self.devices
            .push((index, device))
            .map_err(|(_, device)| RegisterError::Full(device))?;
        Ok(id)
    }

    /// Whether a device is registered under `id`.
    pub fn contains(&self, id: DeviceId) -> bool {
        self.devices
            .iter()
            .any(|(i, d)| *i == id.index && d.kind() == id.kind)
    }

    /// Every registered device's id, in registration order.
    pub fn ids(&self) -> impl Iterator<Item = DeviceId> + '_ {
        self.devices.iter().map(|(index, d)| DeviceId {
            kind: d.kind(),
            index: *index,
        })
    }

    /// Number of registered devices.
    pub fn len(&self) -> usize {
        self.devices.len()
    }

    /// Whether no device is registered.
    pub fn is_empty(&self) -> bool {
        self.devices.is_empty()
    }

    accessor!(
        /// GPIO bank `index`.
        gpio, Gpio, Gpio
    );
    accessor!(
        /// ADC `index`.
        adc, Adc, Adc
    );
    accessor!(
        /// Serial port `index`.
        uart, Uart, Uart
    );
    accessor!(
        /// I2C bus `index`.
        i2c, I2c, I2cBus
    );
    accessor!(
        /// SPI bus `index`.
        spi, Spi, SpiBus
    );
    accessor!(
        /// Clock `index`.
        timer, Timer, Clock
    );
    accessor!(
        /// Radio `index`.
        radio, Radio, Radio
    );
}
