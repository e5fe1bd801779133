//! HAL backend traits: what a platform must provide.

mod console;

pub use console::{Console, NullConsole};
