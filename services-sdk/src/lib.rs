//! Write Fireball service plugins.
//!
//! A service is a `no_std` `wasm32` module that registers route handlers
//! with the router and runs inside its own quota of partition P4.
//!
//! **Unfinished:** the handler registration API, typed requests and replies
//! and the host stub arrive with the router (see `docs/architecture.md`).
//! Today this crate only carries the shared ABI so service crates can be laid
//! out against it.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use fireball_abi as abi;
