//! A guest panic becomes an `abort` builtin call carrying its message.

use core::fmt::Write;

/// Fixed-size message buffer; a longer message is cut, never allocated.
struct Message {
    buf: [u8; 160],
    len: usize,
}

impl Write for Message {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let mut message = Message {
        buf: [0; 160],
        len: 0,
    };
    let _ = write!(message, "{}", info.message());
    if let Some(location) = info.location() {
        let _ = write!(message, " at {}:{}", location.file(), location.line());
    }
    crate::sys::abort(&message.buf[..message.len])
}
