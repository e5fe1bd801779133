//! Host backends: deterministic stand-ins for hardware.

use std::{cell::RefCell, io::Write, rc::Rc, string::String, vec::Vec};

use crate::hal::Console;

/// A console on the process's stdout, each instance's output prefixed with
/// its name at the start of every line (`[hello] …`).
#[derive(Debug, Clone)]
pub struct StdoutConsole {
    prefix: String,
    at_line_start: bool,
}

impl StdoutConsole {
    /// A stdout console labelling lines with `name`.
    pub fn labelled(name: &str) -> Self {
        Self {
            prefix: format!("[{name}] "),
            at_line_start: true,
        }
    }
}

impl Console for StdoutConsole {
    fn write(&mut self, bytes: &[u8]) {
        let mut out = std::io::stdout().lock();
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            if self.at_line_start {
                let _ = out.write_all(self.prefix.as_bytes());
            }
            let _ = out.write_all(line);
            self.at_line_start = line.ends_with(b"\n");
        }
        let _ = out.flush();
    }
}

/// A console that records into a shared buffer; clone it to keep a handle
/// for reading back what was written.
#[derive(Debug, Clone, Default)]
pub struct BufferConsole {
    buffer: Rc<RefCell<Vec<u8>>>,
}

impl BufferConsole {
    /// An empty buffer console.
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything written so far, as bytes.
    pub fn bytes(&self) -> Vec<u8> {
        self.buffer.borrow().clone()
    }

    /// Everything written so far, as text.
    pub fn contents(&self) -> String {
        String::from_utf8_lossy(&self.buffer.borrow()).into_owned()
    }
}

impl Console for BufferConsole {
    fn write(&mut self, bytes: &[u8]) {
        self.buffer.borrow_mut().extend_from_slice(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_console_clones_share_one_buffer() {
        let reader = BufferConsole::new();
        let mut writer = reader.clone();
        writer.write(b"hello ");
        writer.write(b"world");
        assert_eq!(reader.contents(), "hello world");
    }
}
