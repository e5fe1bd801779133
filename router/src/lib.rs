//! The router: Fireball's star-topology dependency-injection container.
//!
//! Every component beyond the hot paths registers here under URI route
//! patterns (`hal://adc/{channel}`, `svc://filter/{op}`, `log://`), and every
//! request is resolved, checked against an access policy and delivered over
//! kernel channels as a typed key-value record.
//!
//! What is here so far:
//! - [`uri`] — URIs and route patterns, and matching one against the other
//!   (pure logic, `no_std`).
//!
//! `no_std` + `alloc`.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod uri;
