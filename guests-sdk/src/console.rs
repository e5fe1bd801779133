//! The console: text a guest prints goes to the hypervisor's console sink
//! (stdout or a buffer on the host, the UART on a board).

use core::fmt;

/// Print `text` as is (no newline added).
pub fn print(text: &str) {
    crate::sys::print(text.as_bytes());
}

/// Capacity of the formatting buffer [`println!`](crate::println) fills before
/// each `print` builtin call; longer output is sent in several calls.
pub const LINE_BUFFER: usize = 128;

/// A `fmt::Write` that batches output into [`LINE_BUFFER`]-byte builtin calls.
#[doc(hidden)]
pub struct Writer {
    buf: [u8; LINE_BUFFER],
    len: usize,
}

impl Writer {
    #[doc(hidden)]
    pub const fn new() -> Self {
        Self {
            buf: [0; LINE_BUFFER],
            len: 0,
        }
    }

    #[doc(hidden)]
    pub fn flush(&mut self) {
        if self.len > 0 {
            crate::sys::print(&self.buf[..self.len]);
            self.len = 0;
        }
    }
}

impl Default for Writer {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Write for Writer {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut bytes = s.as_bytes();
        while !bytes.is_empty() {
            if self.len == LINE_BUFFER {
                self.flush();
            }
            let n = bytes.len().min(LINE_BUFFER - self.len);
            self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
            self.len += n;
            bytes = &bytes[n..];
        }
        Ok(())
    }
}

/// Print formatted text followed by a newline, like `std::println!`.
#[macro_export]
macro_rules! println {
    () => { $crate::console::print("\n") };
    ($($arg:tt)*) => {{
        let mut w = $crate::console::Writer::new();
        let _ = ::core::fmt::Write::write_fmt(&mut w, format_args!($($arg)*));
        let _ = ::core::fmt::Write::write_str(&mut w, "\n");
        w.flush();
    }};
}

/// Print formatted text, like `std::print!`.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {{
        let mut w = $crate::console::Writer::new();
        let _ = ::core::fmt::Write::write_fmt(&mut w, format_args!($($arg)*));
        w.flush();
    }};
}
