//! Host backends: deterministic stand-ins for hardware.

use std::{cell::RefCell, io::Write, rc::Rc, string::String, vec::Vec};

use crate::hal::Labelled;

use crate::hal::Console;

/// The process's stdout as a console.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stdout;

impl Console for Stdout {
    fn write(&mut self, bytes: &[u8]) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(bytes);
        let _ = out.flush();
    }
}

/// A console on the process's stdout, each instance's output prefixed with
/// its name at the start of every line (`[hello] …`).
#[derive(Debug, Clone)]
pub struct StdoutConsole(Labelled<Stdout>);

impl StdoutConsole {
    /// A stdout console labelling lines with `name`.
    pub fn labelled(name: &str) -> Self {
        Self(Labelled::new(name, Stdout))
    }
}

impl Console for StdoutConsole {
    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
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
