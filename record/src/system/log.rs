//! The `logger` subsystem's message (`log://`).

use alloc::string::String;

use serde::{Deserialize, Serialize};

use crate::message::{Field, Message, Reader, Writer};

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

impl LogLevel {
    /// The name it travels as.
    pub fn name(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warn => "warn",
            Self::Info => "info",
            Self::Debug => "debug",
        }
    }
}

/// A unit variant is its name as a string, as serde maps it.
impl Field for LogLevel {
    fn put(&self, out: &mut Writer<'_>) {
        out.str(self.name());
    }

    fn get(input: &mut Reader<'_>, tag: u8, _: usize) -> Option<Self> {
        Some(match input.str(tag)? {
            "error" => Self::Error,
            "warn" => Self::Warn,
            "info" => Self::Info,
            "debug" => Self::Debug,
            _ => return None,
        })
    }
}

/// `log://` — `write` body: one line of text at a level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Message)]
pub struct LogLine {
    /// How severe.
    pub level: LogLevel,
    /// What to say (the logger cuts it to its message size).
    pub text: String,
}
