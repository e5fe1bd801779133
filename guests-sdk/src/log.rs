//! Logging through the `logger` subsystem (`log://`, feature `alloc`).
//!
//! ```ignore
//! use fireball_guests_sdk::log;
//!
//! log::info!("sampled {} channels", n);
//! log::say!(Info: "sampled ", n, " channels"); // the same line, without `core::fmt`
//! log::write(log::LogLevel::Warn, "battery low")?;
//! ```
//!
//! A line is a [`LogLine`] sent as a `write` *notification*: logging never blocks the
//! module (a full logger inbox is [`Error::QueueFull`] and the line is lost, which the
//! macros accept silently). The logger stamps each line with the sender's component name,
//! so a module cannot log as another. Each line binds `log://` and lets it go again: cheap
//! next to formatting, and it holds none of the module's bindings between lines.

use core::fmt;

use fireball_record::message::{self, Field};
pub use fireball_record::system::log::{LogLevel, LogLine};

use crate::route::{Error, Method, bind};

/// The route the logger serves.
pub const ROUTE: &str = "log://";

/// Longest text sent, in bytes: what the logger keeps per line (its message slots); longer
/// text is cut here at a character boundary instead of being shipped and dropped there.
pub const MAX_TEXT: usize = fireball_record::system::log::MAX_TEXT;

/// Send `text` at `level` (cut to [`MAX_TEXT`] bytes). Nothing is allocated: the line is
/// encoded on the stack, field for field as a [`LogLine`] encodes.
pub fn write(level: LogLevel, text: &str) -> Result<(), Error> {
    let mut buf = [0u8; LINE];
    let mut out = message::Writer::new(&mut buf);
    out.count(2);
    out.key("level");
    level.put(&mut out);
    out.key("text");
    out.str(cut(text));
    let line = out.finish(&crate::codec::LIMITS).ok_or(Error::TooLarge)?;
    crate::route::notify(
        &bind(ROUTE)?,
        Method::Write,
        buf.get(..line).unwrap_or_default(),
    )
}

/// Bytes of the longest line: the record's count, keys, level and text with its length.
const LINE: usize = 32 + MAX_TEXT;

/// Send `parts` one after the other at `level` (what [`say!`] calls): strings, integers and
/// anything else [`Show`](crate::text::Show), without `core::fmt`.
pub fn write_parts(level: LogLevel, parts: &[&dyn crate::text::Show]) -> Result<(), Error> {
    let mut buf = [0u8; MAX_TEXT];
    let mut text = crate::text::Text::new(&mut buf);
    text.push_all(parts);
    write(level, text.as_str())
}

/// Send formatted text at `level` (what the macros call).
pub fn write_fmt(level: LogLevel, args: fmt::Arguments<'_>) -> Result<(), Error> {
    match args.as_str() {
        Some(text) => write(level, text),
        None => write(level, &alloc::fmt::format(args)),
    }
}

fn cut(text: &str) -> &str {
    let mut end = text.len().min(MAX_TEXT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default()
}

#[doc(hidden)]
#[macro_export]
macro_rules! __log_at {
    ($level:ident, $($arg:tt)*) => {{
        // Logging never fails the caller: a line the logger cannot take is dropped.
        let _ = $crate::log::write_fmt(
            $crate::log::LogLevel::$level,
            ::core::format_args!($($arg)*),
        );
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __log_say {
    ($level:ident: $($part:expr),+ $(,)?) => {{
        // Logging never fails the caller: a line the logger cannot take is dropped.
        let _ = $crate::log::write_parts(
            $crate::log::LogLevel::$level,
            &[$(&$part as &dyn $crate::text::Show),+],
        );
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __log_error {
    ($($arg:tt)*) => { $crate::__log_at!(Error, $($arg)*) };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __log_warn {
    ($($arg:tt)*) => { $crate::__log_at!(Warn, $($arg)*) };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __log_info {
    ($($arg:tt)*) => { $crate::__log_at!(Info, $($arg)*) };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __log_debug {
    ($($arg:tt)*) => { $crate::__log_at!(Debug, $($arg)*) };
}

/// Log the parts one after the other at a level, without `core::fmt`:
/// `log::say!(Info: "channel ", channel, " retuned by ", caller)`. Each part is a
/// [`Show`](crate::text::Show): strings, integers, [`List`](crate::text::List), the SDK's
/// errors. The line reads as the `format!` one would (`"channel {channel} retuned by {caller}"`)
/// for a few hundred bytes of module instead of `core::fmt`'s several KiB.
#[doc(inline)]
pub use crate::__log_say as say;

/// Log formatted text at [`LogLevel::Error`], like `format!`; never blocks, never fails.
#[doc(inline)]
pub use crate::__log_error as error;

/// Log formatted text at [`LogLevel::Warn`].
#[doc(inline)]
pub use crate::__log_warn as warn;

/// Log formatted text at [`LogLevel::Info`].
#[doc(inline)]
pub use crate::__log_info as info;

/// Log formatted text at [`LogLevel::Debug`].
#[doc(inline)]
pub use crate::__log_debug as debug;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stub::router;

    fn lines() -> Vec<LogLine> {
        router::notified()
            .iter()
            .inspect(|n| assert_eq!((n.uri.as_str(), n.method), (ROUTE, Method::Write)))
            .map(|n| {
                let line: LogLine = n.decode();
                assert_eq!(
                    crate::codec::encode(&line).as_deref(),
                    Some(n.body.as_slice()),
                    "the line's bytes are a `LogLine`'s"
                );
                line
            })
            .collect()
    }

    #[test]
    fn macros_send_one_write_notification_per_line() {
        router::serve(ROUTE, |_, _| panic!("logging must notify, never call"));
        crate::log::info!("sampled {} channels", 3);
        crate::log::warn!("low");
        crate::log::error!("failed: {}", "adc");
        crate::log::debug!("x={:02}", 7);
        let expected = [
            (LogLevel::Info, "sampled 3 channels"),
            (LogLevel::Warn, "low"),
            (LogLevel::Error, "failed: adc"),
            (LogLevel::Debug, "x=07"),
        ];
        let got = lines();
        assert_eq!(got.len(), expected.len());
        for (line, (level, text)) in got.iter().zip(expected) {
            assert_eq!((line.level, line.text.as_str()), (level, text));
        }
    }

    #[test]
    fn said_lines_read_as_formatted_ones() {
        router::serve(ROUTE, |_, _| panic!("logging must notify, never call"));
        let (channel, caller) = (3u8, "app");
        crate::log::say!(Info: "channel ", channel, " retuned by ", caller);
        crate::log::say!(Warn: "ids ", crate::text::List(&[1u8, 2]), " error ", Error::Failed(404));
        let got = lines();
        assert_eq!(
            (got[0].level, got[0].text.as_str()),
            (
                LogLevel::Info,
                format!("channel {channel} retuned by {caller}").as_str()
            )
        );
        assert_eq!(
            (got[1].level, got[1].text.as_str()),
            (LogLevel::Warn, "ids [1, 2] error Failed(404)")
        );
        crate::log::say!(Info: "é".repeat(MAX_TEXT));
        assert_eq!(lines()[2].text.len(), MAX_TEXT);
    }

    #[test]
    fn long_text_is_cut_at_a_character_boundary_and_errors_reach_write() {
        assert_eq!(write(LogLevel::Info, "no logger"), Err(Error::NoRoute));
        crate::log::info!("dropped silently");
        router::serve(ROUTE, |_, _| panic!("logging must notify, never call"));
        let long = "é".repeat(MAX_TEXT);
        write(LogLevel::Info, &long).unwrap();
        let text = &lines()[0].text;
        assert_eq!(text.len(), MAX_TEXT);
        assert!(long.starts_with(text.as_str()));
        assert_eq!(cut("short"), "short");
    }
}
