//! The operations a blocking builtin suspends its instance for ([`Pending`]), how they
//! end ([`Completion`]) and the host error that carries the suspension through wasmi
//! ([`Suspended`]).
//!
//! A leaf: the builtins create these, the SoC and the registry complete them, the monitor
//! shows them, the instance resumes with them.

use core::fmt;

/// An operation a builtin is waiting for; the instance is suspended until it completes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pending {
    /// `yield`: let the other tasks run, then continue.
    Yield,
    /// `breakpoint(id)` hit an armed breakpoint: paused until continued.
    Breakpoint(u32),
    /// A debug probe stopped an instrumented instance for the debugger (feature `debug`).
    Debug,
    /// `sleep_ticks`: wait until the clock reads `until`.
    Sleep {
        /// Deadline in clock ticks.
        until: u64,
    },
    /// `chan_send`: hand `value` to the channel `handle`.
    Send {
        /// The channel handle as the guest passed it (checked when used).
        handle: u32,
        /// The value.
        value: i64,
    },
    /// `chan_recv`: take a value from channel `handle`, store it at `out`.
    Recv {
        /// The channel handle as the guest passed it (checked when used).
        handle: u32,
        /// Where the value goes in guest memory (checked before suspending).
        out: u32,
    },
    /// `wait_irq`: wait for one of the ISR flags in `mask`.
    WaitIrq {
        /// Flags waited for (all subscribed by this instance).
        mask: u32,
    },
    /// `route_call` / `route_call_into`: the request staged by instance `serial` is sent;
    /// wait for the reply (copied to `out` on resume if it fits `cap`).
    RouteCall {
        /// The calling instance's serial on the board.
        serial: u16,
        /// Where the reply goes in guest memory (checked before suspending).
        out: u32,
        /// The room there: 0 for `route_call`, which copies nothing (a record is never
        /// empty; the reply waits for `route_reply`).
        cap: u32,
    },
    /// `route_next` / `route_respond_next`: service `serial` waits for a request,
    /// notification or publication (copied to `out` on resume if it fits `cap`).
    RouteNext {
        /// The serving instance's serial on the board.
        serial: u16,
        /// Where the delivery goes in guest memory (checked before suspending).
        out: u32,
        /// The room there: 0 for `route_next` (the delivery waits for `route_take`).
        cap: u32,
    },
}

impl fmt::Display for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Yield => f.write_str("yield"),
            Self::Breakpoint(id) => write!(f, "breakpoint {id}"),
            Self::Debug => f.write_str("stopped for the debugger"),
            Self::Sleep { until } => write!(f, "sleep until tick {until}"),
            Self::Send { handle, .. } => write!(f, "send on channel {handle:#x}"),
            Self::Recv { handle, .. } => write!(f, "receive on channel {handle:#x}"),
            Self::WaitIrq { mask } => write!(f, "wait for ISR flags {mask:#x}"),
            Self::RouteCall { .. } => f.write_str("wait for a router reply"),
            Self::RouteNext { .. } => f.write_str("wait for a request"),
        }
    }
}

impl wasmi::errors::HostError for Pending {}

/// The host error a blocking builtin suspends its wasmi call with; the operation itself
/// waits in the instance's store (its host context's `pending`) for the instance to take it.
///
/// Zero-sized on purpose: `wasmi::Error::host` boxes its argument, and a box of a
/// zero-sized value allocates nothing, so suspending costs one allocation (wasmi's own
/// `ErrorKind` box) instead of two, twice per router round trip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Suspended;

impl fmt::Display for Suspended {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("suspended by a blocking builtin")
    }
}

impl wasmi::errors::HostError for Suspended {}

/// How a [`Pending`] operation ended: what the suspended builtin returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completion {
    /// Done, nothing to return (`yield`, `breakpoint`, `sleep_ticks`).
    Unit,
    /// The builtin returns this status (or flag set, for `wait_irq`).
    Status(i32),
    /// `chan_recv` got a value: it is stored at the guest's `out`, status OK.
    Received(i64),
}
