//! The nRF5340 application core's peripherals as Fireball's HAL devices, their logic apart
//! from their registers.
//!
//! Where `embassy-nrf`'s drivers fit the cooperative kernel (blocking UARTE, RTC, GPIO), the
//! board (`fireball-firmware`'s `nrf5340` module) uses them as they are. Where they do not —
//! the SAADC only samples asynchronously, and GPIOTE's driver wakes futures rather than
//! raising the runtime's ISR flags — the sequencing lives here, generic over a small trait
//! of register operations:
//!
//! - [`saadc`] — [`saadc::Saadc`], the HAL's `Adc`: one blocking one-shot conversion per read
//!   over [`saadc::SaadcRegisters`];
//! - [`gpiote`] — [`gpiote::Edges`]: GPIOTE input events (the DK's buttons) raised as ISR
//!   flags through `IrqLine`s, over [`gpiote::GpioteRegisters`].
//!
//! The firmware implements the traits on `nrf-pac`'s register blocks
//! (`embassy_nrf::pac`); the tests implement them on fakes that model each peripheral's
//! state machine, so the logic is tested on the host — down to the `hal://adc/{channel}`
//! reply. Depends on `fireball-subsystems` (the HAL traits) only; `no_std`, no `alloc`
//! outside tests.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)] // one exception: the SAADC fake's EasyDMA write (tests only)
#![warn(missing_docs)]

#[cfg(test)]
extern crate alloc;

pub mod gpiote;
pub mod saadc;
