//! Fireball's native subsystems and the HAL backend layer beneath them.
//!
//! - [`hal`] — the backend traits every platform implements (console, GPIO,
//!   ADC, I2C, SPI, UART, clock, radio) and the device registry.
//! - [`logger`] — the event ring (256 × 8-byte events) and message queue
//!   behind `log://`; enqueueing never blocks, overflow is counted.
//! - [`sim`] — deterministic device models (virtual clock, ADC waveforms, an
//!   I2C climate sensor, SPI loopback, a radio medium, a serial port); `no_std`,
//!   so the firmware can model what its board lacks.
//! - [`hal_service`] — the `hal` component: devices on `hal://…` routes, typed records.
//! - [`log_service`] — the `logger` component on `log://`, and the [`EventLog`](log_service::EventLog)
//!   that scheduler, memory and router events feed.
//! - [`host`] (feature `std`) — host-only backends (stdout console).
//!
//! The Cortex-M33 backends live with the board, in the `firmware` crate.
//! Depends on `fireball-router` (the subsystems are router components) and
//! `fireball-kernel` (only its executor's observer hook and memory events);
//! never on the vSoC. `no_std` + `alloc` unless the `std` feature is on.
//! `docs/subsystems.md` is the concept page.
#![cfg_attr(not(any(feature = "std", test)), no_std)]
#![deny(unsafe_code)] // one exception: `debugger::lent` (a borrow lent for one call)
#![warn(missing_docs)]

extern crate alloc;

#[cfg(feature = "bench")]
pub mod bench;
#[cfg(feature = "debugger")]
pub mod debugger;
pub mod hal;
pub mod hal_service;
#[cfg(feature = "std")]
pub mod host;
pub mod log_service;
pub mod logger;
pub mod sim;
