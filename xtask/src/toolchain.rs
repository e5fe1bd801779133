//! The cross toolchain: [`fireball_tooling::toolchain`], shared with the `fireball` tool.

pub use fireball_tooling::toolchain::*;
