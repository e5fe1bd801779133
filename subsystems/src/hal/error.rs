//! The error every bus and converter trait shares.

use core::fmt;

/// Why a HAL operation failed, and whose fault it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HalError {
    /// No device is registered under this kind and index (the caller asked wrongly).
    NoDevice,
    /// The channel, register or pin number does not exist on this device (the caller).
    InvalidArgument,
    /// The addressed bus device did not acknowledge (the device is absent or busy).
    Nack,
    /// The device has nothing to give right now (e.g. an empty receive FIFO); retry later.
    WouldBlock,
    /// The device or bus reported a fault (wiring, electrical, or a driver error).
    Bus,
    /// The device did not finish in the time its driver allows (it is stuck, unclocked or
    /// unpowered: the board's fault, not the caller's).
    Timeout,
}

impl fmt::Display for HalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoDevice => "no such device",
            Self::InvalidArgument => "no such channel, register or pin on this device",
            Self::Nack => "device did not acknowledge",
            Self::WouldBlock => "nothing available yet",
            Self::Bus => "bus or device fault",
            Self::Timeout => "device did not answer in time",
        })
    }
}
