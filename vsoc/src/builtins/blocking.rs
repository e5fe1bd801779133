//! Blocking builtins: the guest calls them as plain functions; the host
//! suspends the wasmi call with a [`Pending`] operation, the instance's task
//! awaits the kernel future for it ([`complete`]), and the call resumes with the result.

use fireball_abi::{builtin, limits::MAX_MESSAGE, status};
use fireball_kernel::csp::{TryRecvError, TrySendError};

use super::{BuiltinExit, Caller, HostContext, LinkError, count, define, exit, memory_and_state};
use crate::{
    guest_memory::GuestSlice,
    pending::{Completion, Pending, Suspended},
    registry::Registry,
    soc::Soc,
};

/// Suspend the calling instance until `op` completes: the builtin returns this error.
pub(crate) fn suspend(state: &mut HostContext, op: Pending) -> wasmi::Error {
    state.pending = Some(op);
    wasmi::Error::host(Suspended)
}

/// Complete `op` now if it can be, without waiting.
pub(crate) fn try_complete(soc: &Soc, registry: &Registry, op: &Pending) -> Option<Completion> {
    match *op {
        Pending::Sleep { until } => (soc.clock.now_us() >= until).then_some(Completion::Unit),
        Pending::WaitIrq { mask } => match soc.isr().take(mask) {
            0 => None,
            raised => Some(Completion::Status(raised as i32)),
        },
        Pending::Send { handle, value } => match registry.channel(handle) {
            None => Some(Completion::Status(status::BAD_HANDLE)),
            Some(chan) => match chan.try_send(value) {
                Ok(()) => Some(Completion::Status(status::OK)),
                Err(TrySendError::Closed(_)) => Some(Completion::Status(status::CLOSED)),
                Err(TrySendError::Full(_)) => None,
            },
        },
        Pending::Recv { handle, .. } => match registry.channel(handle) {
            None => Some(Completion::Status(status::BAD_HANDLE)),
            Some(chan) => match chan.try_recv() {
                Ok(value) => Some(Completion::Received(value)),
                Err(TryRecvError::Closed) => Some(Completion::Status(status::CLOSED)),
                Err(TryRecvError::Empty) => None,
            },
        },
        Pending::Yield | Pending::Breakpoint(_) | Pending::Debug => Some(Completion::Unit),
        // A router reply needs the handler's task to run: only the executor gets it.
        Pending::RouteCall { .. } | Pending::RouteNext { .. } => None,
    }
}

/// Wait until `op` completes: the kernel future behind a blocking builtin.
pub(crate) async fn complete(soc: &Soc, registry: &Registry, op: Pending) -> Completion {
    match op {
        Pending::Send { handle, value } => match registry.channel(handle) {
            None => Completion::Status(status::BAD_HANDLE),
            Some(chan) => match chan.send(value).await {
                Ok(()) => Completion::Status(status::OK),
                Err(_) => Completion::Status(status::CLOSED),
            },
        },
        Pending::Recv { handle, .. } => match registry.channel(handle) {
            None => Completion::Status(status::BAD_HANDLE),
            Some(chan) => match chan.recv().await {
                Some(value) => Completion::Received(value),
                None => Completion::Status(status::CLOSED),
            },
        },
        Pending::Sleep { until } => {
            soc.sleep(until).await;
            Completion::Unit
        }
        Pending::WaitIrq { mask } => Completion::Status(soc.wait_irq(mask).await as i32),
        Pending::Yield | Pending::Breakpoint(_) | Pending::Debug => Completion::Unit,
        Pending::RouteCall { serial, .. } => registry.routes.complete(serial).await,
        Pending::RouteNext { serial, .. } => registry.routes.await_next(serial).await,
    }
}

pub(super) fn link(linker: &mut wasmi::Linker<HostContext>) -> Result<(), LinkError> {
    define(
        linker,
        builtin::SLEEP_TICKS,
        |mut caller: Caller<'_>, ticks: i64| -> Result<(), wasmi::Error> {
            count(&mut caller);
            let now = caller.data().soc.clock.now_us();
            let until = now.saturating_add(ticks.max(0) as u64);
            if until <= now {
                return Ok(());
            }
            Err(suspend(caller.data_mut(), Pending::Sleep { until }))
        },
    )?;
    define(
        linker,
        builtin::CHAN_SEND,
        |mut caller: Caller<'_>, handle: i32, value: i64| -> Result<i32, wasmi::Error> {
            count(&mut caller);
            let op = Pending::Send {
                handle: handle as u32,
                value,
            };
            // Fast path: a waiting receiver or buffer room completes it now.
            let state = caller.data();
            match try_complete(&state.soc, &state.registry, &op) {
                Some(Completion::Status(status)) => Ok(status),
                _ => Err(suspend(caller.data_mut(), op)),
            }
        },
    )?;
    define(
        linker,
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
            match try_complete(&state.soc, &state.registry, &op) {
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
    define(
        linker,
        builtin::IRQ_SUBSCRIBE,
        |mut caller: Caller<'_>, mask: i32| -> i32 {
            count(&mut caller);
            let state = caller.data();
            state.soc.subscribe(state.serial, mask as u32)
        },
    )?;
    define(
        linker,
        builtin::WAIT_IRQ,
        |mut caller: Caller<'_>, mask: i32| -> Result<i32, wasmi::Error> {
            count(&mut caller);
            let mask = mask as u32;
            let state = caller.data_mut();
            if !state.soc.owns_irqs(state.serial, mask) {
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

impl HostContext {
    fn isr_take(&self, mask: u32) -> u32 {
        self.soc.isr().take(mask)
    }
}
