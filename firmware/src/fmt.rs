//! The firmware's one logging facade (Embassy's `fmt.rs` pattern): [`info!`](crate::info),
//! [`warn!`](crate::warn) and [`error!`](crate::error) are `defmt`'s macros when the image is
//! built with feature `defmt`, and formatted text otherwise.
//!
//! | image | feature `defmt` | where a line goes |
//! | --- | --- | --- |
//! | `deploy` on QEMU `mps2-an505` | on | defmt frames on semihosting stdout; the host decodes them with the ELF's table (`fireball_tests::run_qemu`) |
//! | `deploy` on the nRF5340-DK | on | defmt frames over RTT (`defmt-rtt`), for `probe-rs` |
//! | `bench`, `hello`, `latency`, the control-port and debugger-port images | off | text: semihosting on QEMU, UARTE0 on the DK |
//!
//! Not moved here yet: the `hello` and `latency` images and `gdb.rs` call
//! `cortex_m_semihosting::hprintln!` themselves (text, as before: the latency table and the
//! debugger's flash in `docs/perf.md` were measured on those images as they are), and the
//! `bench` image's lines are its table for `cargo xtask bench`, not a log.
//!
//! A format string is written once for both: `{}` (and `{:?}`) on values that are
//! `defmt::Format` and `Display` alike (integers, `&str`). A value that only has `Display`
//! (a report, an error of another crate) goes in [`Text`], which defmt sends as a string
//! formatted on the board, and the text path prints as it is. What a line says is the same
//! either way: the host's decoder prints each frame's message alone, one per line, so the
//! tools that read the status lines (`cargo xtask sizes`, the budgets, the QEMU tests) read
//! the same text from both.
//!
//! Only the board's own diagnostics go through here. The components' consoles, the router
//! trace and the report stay text on the console UART: the host prints them, and the QEMU
//! tests compare the two byte for byte; as defmt `{=str}` frames they would cost the same
//! bytes on the wire and need a decoder in front of every terminal.
//!
//! Panics: the `deploy` images abort on the spot (`-Cpanic=immediate-abort`), so a panic is
//! a HardFault and its `error!` line says where (`pc`); the panic handler logs the message
//! where panics reach it (builds without immediate-abort). A fault inside the logger itself
//! cannot be logged: defmt's logger is still taken, the nested `error!` aborts again inside
//! the HardFault handler and the core locks up (under QEMU the run is killed at its timeout).

use core::fmt;

/// A status line (`defmt::info!`, or text).
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => {{
        #[cfg(feature = "defmt")]
        ::defmt::info!($($arg)*);
        #[cfg(not(feature = "defmt"))]
        $crate::fmt::line(::core::format_args!($($arg)*));
    }};
}

/// Something the board could go on after, but not as asked (`defmt::warn!`, or text).
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => {{
        #[cfg(feature = "defmt")]
        ::defmt::warn!($($arg)*);
        #[cfg(not(feature = "defmt"))]
        $crate::fmt::line(::core::format_args!($($arg)*));
    }};
}

/// Why the run is failing (`defmt::error!`, or text).
#[macro_export]
macro_rules! error {
    ($($arg:tt)*) => {{
        #[cfg(feature = "defmt")]
        ::defmt::error!($($arg)*);
        #[cfg(not(feature = "defmt"))]
        $crate::fmt::line(::core::format_args!($($arg)*));
    }};
}

/// A value logged through its `Display`: as it is on the text path, formatted on the board
/// into a defmt string argument with `defmt`. For what has no `defmt::Format` (reports,
/// other crates' errors); what has one should be logged as it is.
pub struct Text<T>(pub T);

impl<T: fmt::Display> fmt::Display for Text<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(feature = "defmt")]
impl<T: fmt::Display> defmt::Format for Text<T> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{}", defmt::Display2Format(&self.0));
    }
}

/// One line of text where the board's status lines go: QEMU's semihosting console (so UART0
/// carries exactly what the host prints), the nRF5340-DK's UARTE0.
#[doc(hidden)]
pub fn line(args: fmt::Arguments<'_>) {
    #[cfg(not(feature = "nrf5340dk"))]
    cortex_m_semihosting::hprintln!("{}", args);
    #[cfg(feature = "nrf5340dk")]
    crate::nrf5340::console::line(args);
}
