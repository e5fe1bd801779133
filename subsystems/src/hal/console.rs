//! The console: where instance output and logs end up (stdout, a UART).

use alloc::{format, string::String};

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

/// A console that starts every line written through it with `[label] `, so several
/// components can share one stdout or UART and stay readable.
#[derive(Debug, Clone)]
pub struct Labelled<C> {
    prefix: String,
    at_line_start: bool,
    inner: C,
}

impl<C: Console> Labelled<C> {
    /// Lines to `inner`, each starting with `[label] `.
    pub fn new(label: &str, inner: C) -> Self {
        Self {
            prefix: format!("[{label}] "),
            at_line_start: true,
            inner,
        }
    }
}

impl<C: Console> Console for Labelled<C> {
    fn write(&mut self, bytes: &[u8]) {
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            if self.at_line_start {
                self.inner.write(self.prefix.as_bytes());
            }
            self.inner.write(line);
            self.at_line_start = line.ends_with(b"\n");
        }
    }

    fn dropped(&self) -> u64 {
        self.inner.dropped()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Collects what it is given.
    #[derive(Default)]
    struct Collect(alloc::vec::Vec<u8>);

    impl Console for Collect {
        fn write(&mut self, bytes: &[u8]) {
            self.0.extend_from_slice(bytes);
        }
    }

    #[test]
    fn labelled_lines_start_with_the_label_even_when_split_across_writes() {
        let mut c = Labelled::new("app", Collect::default());
        c.write(b"one\ntw");
        c.write(b"o\n");
        c.write(b"three");
        assert_eq!(c.inner.0, b"[app] one\n[app] two\n[app] three");
    }

    #[test]
    fn null_console_counts_what_it_drops() {
        let mut c = NullConsole::default();
        c.write(b"abc");
        c.write(b"de");
        assert_eq!(c.dropped(), 5);
    }
}
