//! HAL backend traits: what a platform must provide.
//!
//! - [`Console`] — human-readable output.
//! - [`gpio::Gpio`] — digital pins (the vSoC's GPIO builtins use it directly).
//! - [`Adc`], [`I2cBus`], [`SpiBus`], [`Uart`], [`Clock`], [`Radio`] — the
//!   devices the `hal` subsystem serves over the router, with [`HalError`].
//! - [`adapters`] — lift `embedded-hal` / `embedded-io` drivers into these.
//! - [`registry`] — the platform's devices by kind and index.
//! - [`irq`] — [`InterruptSink`] / [`IrqLine`]: how devices raise the runtime's ISR flags.
//! - [`units`] — pure conversions a board's backends share (counter extension, ticks to µs,
//!   converter results to readings).

pub mod adapters;
mod console;
mod devices;
mod error;
pub mod gpio;
pub mod irq;
pub mod registry;
pub mod units;

pub use console::{Console, Labelled, NullConsole};
pub use devices::{Adc, Clock, I2cBus, Radio, SpiBus, Uart};
pub use error::HalError;
pub use irq::{InterruptSink, IrqLine};
pub use registry::{Device, DeviceId, DeviceKind, DeviceRegistry};
