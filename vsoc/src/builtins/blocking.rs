//! Blocking builtins: the guest calls them as plain functions; the host
//! suspends the wasmi call with a [`Pending`] operation, the instance's task
//! awaits the kernel future for it, and the call resumes with the result.

use core::fmt;

use fireball_abi::{MODULE, builtin, limits::MAX_MESSAGE, status};

use super::{BuiltinExit, Caller, InstanceState, count, exit, memory_and_state};
use crate::guest_memory::GuestSlice;

/// An operation a builtin is waiting for; the instance is suspended until it completes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pending {
    /// `yield`: let the other tasks run, then continue.
    Yield,
    /// `breakpoint(id)` hit an armed breakpoint: paused until continued.
    Breakpoint(u32),
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
    /// `route_call`: the request staged by instance `serial` is sent; wait for the reply.
    RouteCall {
        /// The calling instance's serial on the board.
        serial: u16,
    },
    /// `route_next`: service `serial` waits for a request, notification or publication.
    RouteNext {
        /// The serving instance's serial on the board.
        serial: u16,
    },
}

impl fmt::Display for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Yield => f.write_str("yield"),
            Self::Breakpoint(id) => write!(f, "breakpoint {id}"),
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
/// waits in the store ([`InstanceState::pending`]) for the instance to take it.
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

/// Suspend the calling instance until `op` completes: the builtin returns this error.
pub(crate) fn suspend(state: &mut InstanceState, op: Pending) -> wasmi::Error {
    state.pending = Some(op);
    wasmi::Error::host(Suspended)
}

pub(super) fn link(linker: &mut wasmi::Linker<InstanceState>) -> Result<(), wasmi::Error> {
    linker.func_wrap(
        MODULE,
        builtin::SLEEP_TICKS,
        |mut caller: Caller<'_>, ticks: i64| -> Result<(), wasmi::Error> {
            count(&mut caller);
            let now = caller.data().board.clock.now_ticks();
            let until = now.saturating_add(ticks.max(0) as u64);
            if until <= now {
                return Ok(());
            }
            Err(suspend(caller.data_mut(), Pending::Sleep { until }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        builtin::CHAN_SEND,
        |mut caller: Caller<'_>, handle: i32, value: i64| -> Result<i32, wasmi::Error> {
            count(&mut caller);
            let op = Pending::Send {
                handle: handle as u32,
                value,
            };
            // Fast path: a waiting receiver or buffer room completes it now.
            match caller.data().board.try_complete(&op) {
                Some(Completion::Status(status)) => Ok(status),
                _ => Err(suspend(caller.data_mut(), op)),
            }
        },
    )?;
    linker.func_wrap(
        MODULE,
        builtin::CHAN_RECV,
        |mut caller: Caller<'_>, handle: i32, out: i32| -> Result<i32, wasmi::Error> {
            let (memory, state) = memory_and_state(&mut caller)?;
            state.stats.host_calls += 1;
            // Check the destination before waiting, so the guest learns of a bad
            // pointer at the call, not after a value was taken from the channel.
            let slot = GuestSlice::new(out, 8);
            slot.write(memory, MAX_MESSAGE)
                .map_err(|fault| exit(BuiltinExit::Fault(fault)))?;
            let op = Pending::Recv {
                handle: handle as u32,
                out: out as u32,
            };
            match state.board.try_complete(&op) {
                Some(Completion::Received(value)) => {
                    if let Ok(bytes) = slot.write(memory, MAX_MESSAGE) {
                        bytes.copy_from_slice(&value.to_le_bytes());
                    }
                    Ok(status::OK)
                }
                Some(Completion::Status(status)) => Ok(status),
                _ => Err(suspend(state, op)),
            }
        },
    )?;
    linker.func_wrap(
        MODULE,
        builtin::IRQ_SUBSCRIBE,
        |mut caller: Caller<'_>, mask: i32| -> i32 {
            count(&mut caller);
            let state = caller.data();
            state.board.subscribe(state.serial, mask as u32)
        },
    )?;
    linker.func_wrap(
        MODULE,
        builtin::WAIT_IRQ,
        |mut caller: Caller<'_>, mask: i32| -> Result<i32, wasmi::Error> {
            count(&mut caller);
            let mask = mask as u32;
            let state = caller.data_mut();
            if !state.board.owns_irqs(state.serial, mask) {
                return Ok(status::IRQ_TAKEN);
            }
            match state.isr_take(mask) {
                0 => Err(suspend(state, Pending::WaitIrq { mask })),
                raised => Ok(raised as i32),
            }
        },
    )?;
    Ok(())
}

impl InstanceState {
    fn isr_take(&self, mask: u32) -> u32 {
        self.board.isr().take(mask)
    }
}
