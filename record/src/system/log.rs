//! The `logger` subsystem's message (`log://`).

use alloc::string::String;

use serde::{Deserialize, Serialize};

/// Longest text the logger keeps per line, in bytes (its message slots are this big);
/// senders cut longer text at a character boundary rather than ship bytes that would be
/// dropped.
pub const MAX_TEXT: usize = 80;

/// Severity as it travels in a [`LogLine`] (`"error"`, `"warn"`, `"info"`, `"debug"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Something failed.
    Error,
    /// Something is wrong but everything still runs.
    Warn,
    /// Normal lifecycle events.
    Info,
    /// Detail for debugging.
    Debug,
}

/// `log://` — `write` body: one line of text at a level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// How severe.
    pub level: LogLevel,
    /// What to say (the logger cuts it to its message size).
    pub text: String,
}
