//! The `hal` subsystem's typed requests and replies (`hal://…`).
//!
//! Each is a plain serde struct; the router maps it to and from a [`Record`](crate::Record)
//! (`to_record` / `from_record`), so a guest or a service sees the same
//! key-value messages on the wire (postcard). Byte fields travel as record
//! `bytes`. A request whose fields are all optional may be an empty record.

use alloc::vec::Vec;

use serde::{Deserialize, Serialize, Serializer};

use crate::Message;

fn as_bytes<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_bytes(bytes)
}

/// `hal://gpio/{pin}` — `write` request: drive the pin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Message)]
pub struct SetPin {
    /// High (`true`) or low.
    pub high: bool,
}

/// `hal://gpio/{pin}` — reply to `read`, `write` and `call` (toggle): the pin's level now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Message)]
pub struct PinLevel {
    /// The pin.
    pub pin: u32,
    /// Whether it is high.
    pub high: bool,
}

/// `hal://adc/{channel}` — reply to `read`: one conversion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Message)]
pub struct AdcSample {
    /// The channel converted.
    pub channel: u8,
    /// The raw sample, `0..2^bits`.
    pub raw: u16,
    /// The converter's resolution.
    pub bits: u8,
    /// The sample scaled to the reference voltage.
    pub millivolts: u32,
}

/// `hal://uart/{port}` — `write` request: bytes to transmit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Message)]
pub struct UartWrite {
    /// The bytes.
    #[serde(serialize_with = "as_bytes")]
    #[message(bytes)]
    pub data: Vec<u8>,
}

/// `hal://uart/{port}` — reply to `write`: bytes the port took.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Message)]
pub struct Written {
    /// How many.
    pub written: u32,
}

/// `hal://uart/{port}` — `read` request (may be empty: up to [`MAX_TRANSFER`] bytes).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Message)]
pub struct ReadRequest {
    /// At most this many bytes.
    pub max: Option<u32>,
}

/// Reply carrying bytes: UART and I2C reads, SPI transfers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Message)]
pub struct Data {
    /// The bytes (empty: nothing was waiting).
    #[serde(serialize_with = "as_bytes")]
    #[message(bytes)]
    pub data: Vec<u8>,
}

/// `hal://i2c/{bus}/{addr}` — `call` request: write `write`, then read `read` bytes
/// (a repeated start when both are given). `write` request: only `write`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Message)]
pub struct I2cTransfer {
    /// Bytes to write first (a register pointer, a command).
    #[serde(default, serialize_with = "as_bytes")]
    #[message(default, bytes)]
    pub write: Vec<u8>,
    /// Bytes to read afterwards.
    #[serde(default)]
    #[message(default)]
    pub read: u32,
}

/// `hal://spi/{bus}` — `call` request: bytes to clock out; the reply is a [`Data`]
/// with what was clocked in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Message)]
pub struct SpiTransfer {
    /// MOSI bytes.
    #[serde(serialize_with = "as_bytes")]
    #[message(bytes)]
    pub data: Vec<u8>,
}

/// `hal://radio/{radio}` — `write` request: one frame to broadcast (at most the radio's
/// frame size; 127 bytes on an 802.15.4 PHY). The reply is a [`Written`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Message)]
pub struct Frame {
    /// The frame's bytes.
    #[serde(serialize_with = "as_bytes")]
    #[message(bytes)]
    pub data: Vec<u8>,
}

/// `hal://timer/{timer}` — reply to `read`: the clock now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Message)]
pub struct TimerNow {
    /// Microseconds since boot.
    pub now_us: u64,
}

/// Largest UART read, I2C read or SPI transfer one request may ask for.
pub const MAX_TRANSFER: usize = 256;
