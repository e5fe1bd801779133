//! Why an instance stopped, and the events the vSoC reports about it.

use alloc::string::String;
use core::fmt;

use fireball_kernel::mem::{ExhaustionPolicy, Placement};

use crate::{budget::Shortfall, guest_memory::MemoryFault, offload::MmioFault};

/// What stopped an instance's code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrapKind {
    /// A WebAssembly trap (unreachable, out-of-bounds access, division by
    /// zero, stack overflow, …).
    Wasm(wasmi::TrapCode),
    /// The guest aborted (a Rust guest's panic) with this message.
    Abort(String),
    /// The guest handed a builtin memory it does not own.
    Fault(MemoryFault),
    /// The guest accessed the device window where no device answers.
    Mmio(MmioFault),
    /// Any other execution error wasmi reported.
    Other(String),
}

/// An instance stopped by a trap, with who and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trap {
    /// The module's name.
    pub module: String,
    /// The export that was running.
    pub function: &'static str,
    /// What happened.
    pub kind: TrapKind,
}

impl fmt::Display for Trap {
    #[cfg_attr(fireball_size_hints, optimize(size))]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{} trapped: ", self.module, self.function)?;
        match &self.kind {
            TrapKind::Wasm(code) => write!(f, "{code}"),
            TrapKind::Abort(message) => write!(f, "aborted: {message}"),
            TrapKind::Fault(fault) => write!(f, "{fault}"),
            TrapKind::Mmio(fault) => write!(f, "{fault}"),
            TrapKind::Other(reason) => f.write_str(reason),
        }
    }
}

/// Why an instance stopped for good.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// It trapped (module, function and trap code inside).
    Trapped(Trap),
    /// It ran out of memory: a growth was refused and the guest then gave up
    /// (its allocator got null and it aborted). Seed §1.2.2: a guest is
    /// unloaded, a service terminated — `policy` says which.
    MemoryExhausted {
        /// The trap that ended it.
        trap: Trap,
        /// The refused growth.
        shortfall: Shortfall,
        /// What the runtime does about it.
        policy: ExhaustionPolicy,
    },
    /// Its watchdog stopped it (a service given `watchdog_ms`): it held a request, or ran
    /// without coming back to `route_next`, for longer than `limit_us`.
    Watchdog {
        /// The module's name.
        module: String,
        /// What it overran.
        overrun: Overrun,
        /// The watchdog's limit, µs.
        limit_us: u64,
    },
}

/// What a service's watchdog caught it doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overrun {
    /// It held request `token` (taken with `route_next`, not answered) for `for_us`.
    Held {
        /// The request's token.
        token: u32,
        /// How long it held it, µs.
        for_us: u64,
    },
    /// It ran (slice after slice, out of fuel) for `for_us` without reaching `route_next`
    /// or any other wait.
    Ran {
        /// How long it ran, µs.
        for_us: u64,
    },
}

impl fmt::Display for Overrun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Held { token, for_us } => {
                write!(f, "held request {token} for {for_us} µs without answering")
            }
            Self::Ran { for_us } => {
                write!(f, "ran for {for_us} µs without coming back to route_next")
            }
        }
    }
}

impl fmt::Display for StopReason {
    #[cfg_attr(fireball_size_hints, optimize(size))]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Trapped(trap) => trap.fmt(f),
            Self::MemoryExhausted {
                trap,
                shortfall,
                policy,
            } => write!(
                f,
                "{}: memory exhausted ({shortfall}), {policy:?}",
                trap.module
            ),
            Self::Watchdog {
                module,
                overrun,
                limit_us,
            } => write!(f, "{module}: watchdog: {overrun} (limit {limit_us} µs)"),
        }
    }
}

/// Something the vSoC reports to the platform (drained with
/// [`Vsoc::pop_event`](crate::Vsoc::pop_event)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VsocEvent {
    /// An instance finished normally.
    Finished {
        /// Its module name.
        module: String,
        /// Where it ran.
        placement: Placement,
    },
    /// An instance was stopped; the others go on.
    Stopped {
        /// Where it ran.
        placement: Placement,
        /// Why.
        reason: StopReason,
    },
}

/// wasmi's error `e` as the text of a stop reason or a load error.
///
/// With `validate` (the host, the `bench` and `hello` images: images that check modules
/// themselves) this is wasmi's whole message. Without it (the deploy image, whose modules
/// wasmi's validator accepted when the image was built, or when their package was signed)
/// it is the same text for a trap (and a linear memory's access out of bounds), a message and
/// a builtin's own error — the texts a run meets, equal on board and host; a table's access
/// out of bounds reads as its trap — and for any other
/// error (a module wasmi cannot compile or link: a bug in the build) its kind; wasmi's
/// `Display` of its other errors, with the texts of every validation and translation error,
/// stays out of the image (docs/perf.md, "wasmi's error texts and the vector table").
#[cfg_attr(fireball_size_hints, optimize(size))]
#[inline(never)]
pub(crate) fn wasmi_error_text(e: &wasmi::Error) -> String {
    #[cfg(feature = "validate")]
    {
        use alloc::string::ToString;
        e.to_string()
    }
    #[cfg(not(feature = "validate"))]
    {
        compact_error_text(e)
    }
}

/// [`wasmi_error_text`] without `validate`: compiled (and tested, linted) in every build,
/// used only where wasmi's own texts are left out.
#[cfg_attr(feature = "validate", allow(dead_code))]
fn compact_error_text(e: &wasmi::Error) -> String {
    use alloc::string::ToString;
    use wasmi::errors::ErrorKind;
    // A trap, and the memory and table errors wasmi counts as one (an access out of
    // bounds: a data or element segment that does not fit, at instantiation): the trap's
    // text, which for a linear memory is also wasmi's own.
    if let Some(code) = e.as_trap_code() {
        return String::from(code.trap_message());
    }
    let kind = match e.kind() {
        ErrorKind::Message(message) => return String::from(&**message),
        // The builtins' own errors, with their own texts.
        ErrorKind::Host(error) => return error.to_string(),
        ErrorKind::I32ExitStatus(_) => "exit status",
        ErrorKind::Memory(_) => "linear memory",
        ErrorKind::Table(_) => "table",
        ErrorKind::Global(_) => "global variable",
        ErrorKind::Linker(_) => "linking",
        ErrorKind::Instantiation(_) => "instantiation",
        ErrorKind::Fuel(_) => "fuel",
        ErrorKind::Func(_) => "function",
        ErrorKind::Read(_) | ErrorKind::Wasm(_) => "module bytes",
        ErrorKind::Translation(_) | ErrorKind::Ir(_) => "translation",
        ErrorKind::UserLimits(_) | ErrorKind::ImplementationLimits(_) => "limits",
        _ => "interpreter",
    };
    let mut text = String::from("wasmi error: ");
    text.push_str(kind);
    text
}

#[cfg(test)]
mod tests {
    use alloc::string::ToString;

    use wasmi::errors::{MemoryError, TableError};

    use super::compact_error_text;

    #[test]
    fn the_compact_text_is_wasmis_for_what_a_run_meets_and_names_the_rest() {
        let met = [
            wasmi::Error::from(wasmi::TrapCode::IntegerDivisionByZero),
            wasmi::Error::from(MemoryError::OutOfBoundsAccess),
            wasmi::Error::new("said so"),
        ];
        for e in &met {
            assert_eq!(compact_error_text(e), e.to_string(), "the host's text");
        }
        // A table out of bounds: the trap wasmi counts it as.
        let table = wasmi::Error::from(TableError::InitOutOfBounds);
        assert_eq!(
            compact_error_text(&table),
            "undefined element: out of bounds table access"
        );
        let exit = wasmi::Error::i32_exit(3);
        assert_eq!(compact_error_text(&exit), "wasmi error: exit status");
    }
}
