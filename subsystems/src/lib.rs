//! Fireball's native subsystems and the HAL backend layer beneath them.
//!
//! - [`hal`] — the backend traits every platform implements (the console
//!   today; GPIO, ADC, I2C, SPI, UART, timer as they arrive).
//! - [`host`] (feature `std`) — deterministic host backends for tests and
//!   the simulator.
//!
//! The Cortex-M33 backends live with the board, in the `firmware` crate.
//! `no_std` unless the `std` feature is on.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]

pub mod hal;
#[cfg(feature = "std")]
pub mod host;
