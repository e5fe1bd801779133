//! The console: where instance output and logs end up (stdout, a UART).

/// A byte sink for human-readable output.
///
/// Writing never fails from the caller's point of view: a backend that cannot
/// deliver (a full UART FIFO with no room to wait) drops the bytes and counts
/// them in [`Console::dropped`] rather than stalling a guest.
pub trait Console {
    /// Write `bytes` as they are.
    fn write(&mut self, bytes: &[u8]);

    /// Bytes this console had to drop so far.
    fn dropped(&self) -> u64 {
        0
    }
}

/// A console that discards everything, and counts it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct NullConsole {
    dropped: u64,
}

impl Console for NullConsole {
    fn write(&mut self, bytes: &[u8]) {
        self.dropped += bytes.len() as u64;
    }

    fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_console_counts_what_it_drops() {
        let mut c = NullConsole::default();
        c.write(b"abc");
        c.write(b"de");
        assert_eq!(c.dropped(), 5);
    }
}
