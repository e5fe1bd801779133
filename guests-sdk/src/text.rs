//! Text without `core::fmt`: strings and integers written into a fixed buffer.
//!
//! `core::fmt` is the largest thing a small module links: the formatting machinery, padding,
//! and a function per argument type, several KiB of WASM that the hypervisor compiles to
//! ~4× that in RAM. A log line, a URI or a panic message rarely needs more than strings and
//! decimal integers, which [`Text`] writes by hand:
//!
//! ```
//! use fireball_guests_sdk::text::Text;
//!
//! let mut buf = [0u8; 32];
//! let mut uri = Text::new(&mut buf);
//! uri.push(&"hal://adc/").push(&3u8);
//! assert_eq!(uri.as_str(), "hal://adc/3");
//! ```
//!
//! [`log::say!`](crate::log::say) logs such a line. What does not fit the buffer is cut at a
//! character boundary (and [`Text::is_cut`] says so): text here never fails and never
//! allocates. Every part is a [`Show`]; the SDK's own types that have a `Debug` text show
//! exactly that text (tests hold each to its `Debug`).

/// Something [`Text`] can show: its text, as `Display` (or for a few SDK types, `Debug`)
/// would write it.
pub trait Show {
    /// Write `self` at the end of `out`.
    fn show(&self, out: &mut Text<'_>);
}

/// Text being written into a caller's buffer.
#[derive(Debug)]
pub struct Text<'b> {
    buf: &'b mut [u8],
    len: usize,
    cut: bool,
}

impl<'b> Text<'b> {
    /// Empty text over `buf` (its capacity).
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self {
            buf,
            len: 0,
            cut: false,
        }
    }

    /// Append `part`.
    pub fn push(&mut self, part: &dyn Show) -> &mut Self {
        part.show(self);
        self
    }

    /// Append `parts`, in order.
    pub fn push_all(&mut self, parts: &[&dyn Show]) -> &mut Self {
        for part in parts {
            part.show(self);
        }
        self
    }

    /// Append `text`, cut at a character boundary if the buffer is full.
    #[inline(never)]
    pub fn push_str(&mut self, text: &str) {
        let room = self.buf.len() - self.len;
        let mut n = text.len();
        if n > room {
            self.cut = true;
            n = room;
            while !text.is_char_boundary(n) {
                n -= 1;
            }
        }
        if let (Some(to), Some(from)) = (self.buf.get_mut(self.len..self.len + n), text.get(..n)) {
            to.copy_from_slice(from.as_bytes());
            self.len += n;
        }
    }

    /// Append `value` in decimal.
    #[inline(never)]
    pub fn push_u64(&mut self, mut value: u64) {
        let mut digits = [0u8; 20];
        let mut n = 0;
        for digit in digits.iter_mut().rev() {
            *digit = b'0' + (value % 10) as u8;
            n += 1;
            value /= 10;
            if value == 0 {
                break;
            }
        }
        let digits = digits.get(digits.len() - n..).unwrap_or_default();
        // ASCII: every byte is a character boundary.
        let n = digits.len().min(self.buf.len() - self.len);
        self.cut |= n < digits.len();
        if let (Some(to), Some(from)) = (self.buf.get_mut(self.len..self.len + n), digits.get(..n))
        {
            to.copy_from_slice(from);
            self.len += n;
        }
    }

    /// Append `value` in decimal, with a `-` when negative.
    #[inline(never)]
    pub fn push_i64(&mut self, value: i64) {
        if value < 0 {
            self.push_str("-");
        }
        self.push_u64(value.unsigned_abs());
    }

    /// The text so far.
    #[allow(unsafe_code)]
    pub fn as_str(&self) -> &str {
        let bytes = self.buf.get(..self.len).unwrap_or_default();
        // Safety: only whole `str`s cut at character boundaries (`push_str`) and ASCII digits
        // (`push_u64`) are ever appended, so the bytes are UTF-8. (Checking would link
        // `str::from_utf8` into every module for a text that cannot fail it.)
        unsafe { core::str::from_utf8_unchecked(bytes) }
    }

    /// The text so far, as bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.as_str().as_bytes()
    }

    /// Whether something was cut because the buffer was full.
    pub fn is_cut(&self) -> bool {
        self.cut
    }
}

impl Show for str {
    fn show(&self, out: &mut Text<'_>) {
        out.push_str(self);
    }
}

impl<T: Show + ?Sized> Show for &T {
    fn show(&self, out: &mut Text<'_>) {
        (**self).show(out);
    }
}

#[cfg(feature = "alloc")]
impl Show for alloc::string::String {
    fn show(&self, out: &mut Text<'_>) {
        out.push_str(self);
    }
}

#[cfg(all(not(feature = "alloc"), not(target_arch = "wasm32")))]
impl Show for String {
    fn show(&self, out: &mut Text<'_>) {
        out.push_str(self);
    }
}

impl Show for bool {
    fn show(&self, out: &mut Text<'_>) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

impl Show for char {
    fn show(&self, out: &mut Text<'_>) {
        out.push_str(self.encode_utf8(&mut [0; 4]));
    }
}

macro_rules! show_unsigned {
    ($($t:ty),*) => {$(
        impl Show for $t {
            fn show(&self, out: &mut Text<'_>) {
                out.push_u64(*self as u64);
            }
        }
    )*};
}

macro_rules! show_signed {
    ($($t:ty),*) => {$(
        impl Show for $t {
            fn show(&self, out: &mut Text<'_>) {
                out.push_i64(*self as i64);
            }
        }
    )*};
}

show_unsigned!(u8, u16, u32, u64, usize);
show_signed!(i8, i16, i32, i64, isize);

/// A slice shown as `Debug` shows a list of integers or strings-as-`Display`: `[1, 2, 3]`.
#[derive(Clone, Copy, Debug)]
pub struct List<'a, T>(pub &'a [T]);

impl<T: Show> Show for List<'_, T> {
    fn show(&self, out: &mut Text<'_>) {
        out.push_str("[");
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            item.show(out);
        }
        out.push_str("]");
    }
}

/// `bytes` as a `str`, if they are UTF-8: what `core::str::from_utf8` does, with the
/// small checker of [`fireball_abi::delivery::is_utf8`] (a module checks a few short names
/// per delivery; core's validator would cost more code than they do).
#[allow(unsafe_code)]
pub fn utf8(bytes: &[u8]) -> Option<&str> {
    if !fireball_abi::delivery::is_utf8(bytes) {
        return None;
    }
    // Safety: just checked to be UTF-8 (the checker agrees with `from_utf8`: abi's tests).
    Some(unsafe { core::str::from_utf8_unchecked(bytes) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(parts: &[&dyn Show]) -> String {
        let mut buf = [0u8; 64];
        Text::new(&mut buf).push_all(parts).as_str().to_string()
    }

    #[test]
    fn parts_read_as_display_writes_them() {
        assert_eq!(
            shown(&[
                &"n=",
                &0u8,
                &" ",
                &u64::MAX,
                &" ",
                &i64::MIN,
                &" ",
                &-7i32,
                &" ",
                &true
            ]),
            format!("n=0 {} {} -7 true", u64::MAX, i64::MIN)
        );
        assert_eq!(shown(&[&'é', &String::from("x")]), "éx");
        assert_eq!(shown(&[&List(&[1u8, 2, 3])]), format!("{:?}", [1u8, 2, 3]));
        assert_eq!(shown(&[&List::<u8>(&[])]), "[]");
    }

    #[test]
    fn a_full_buffer_cuts_at_a_character_boundary() {
        let mut buf = [0u8; 4];
        let mut text = Text::new(&mut buf);
        text.push(&"abcé");
        assert_eq!((text.as_str(), text.is_cut()), ("abc", true));
        let mut buf = [0u8; 5];
        let mut text = Text::new(&mut buf);
        text.push(&"abcé");
        assert_eq!((text.as_str(), text.is_cut()), ("abcé", false));
        text.push(&"z");
        assert_eq!((text.as_str(), text.is_cut()), ("abcé", true));
        let mut buf = [0u8; 3];
        let mut text = Text::new(&mut buf);
        text.push(&12345u32);
        assert_eq!((text.as_str(), text.is_cut()), ("123", true));
    }
}
