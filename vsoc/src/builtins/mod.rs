//! Builtins: host functions linked straight into every instance, no router.
//!
//! Each builtin takes the instance's host context (`HostContext`, the wasmi store's data),
//! checks every guest-supplied pointer through [`GuestSlice`], and then either returns to
//! the guest, stops the instance with a [`BuiltinExit`], or suspends it with a [`Pending`]
//! operation (both travel through wasmi as host errors; a resumable call keeps
//! the guest's stack so it continues with the operation's result).
//!
//! - this file: the host context, console (`print`, `abort`), `time_ticks`, `yield`,
//!   `breakpoint`;
//! - `devices`: GPIO and the vOffloader (`mmio_*`, `matmul_f32`);
//! - `blocking`: `sleep_ticks`, channels, ISR flags, and the kernel futures that complete a
//!   [`Pending`] operation;
//! - `route`: the router builtins (`route_bind`, `route_call`, …) over the per-instance
//!   router endpoints of `route_bridge`;
//! - `record`: `record_read`, a module's decode done natively.

mod blocking;
#[cfg(feature = "debug")]
mod debug;
mod devices;
mod record;
pub(crate) mod route;

use alloc::{boxed::Box, rc::Rc, string::String};
use core::fmt;

use fireball_abi::{MODULE, builtin, limits::MAX_MESSAGE};
use fireball_subsystems::hal::Console;

pub(crate) use blocking::{complete, suspend, try_complete};

use crate::{
    budget::Limiter,
    guest_memory::{GuestSlice, MemoryFault},
    monitor::Monitor,
    offload::MmioFault,
    registry::Registry,
    soc::Soc,
};
pub use crate::{
    monitor::BuiltinStats,
    pending::{Completion, Pending, Suspended},
    route_bridge::{ServeError, TOO_LARGE_FOR_SERVICE},
};

/// The host's side of one instance, which its builtins work on (the wasmi store's data).
pub(crate) struct HostContext {
    pub(crate) console: Box<dyn Console>,
    pub(crate) memory: Option<wasmi::Memory>,
    pub(crate) stats: BuiltinStats,
    pub(crate) limiter: Limiter,
    /// The devices, ISR flags and timers the builtins drive.
    pub(crate) soc: Rc<Soc>,
    /// The channels and router endpoints the builtins reach.
    pub(crate) registry: Rc<Registry>,
    pub(crate) monitor: Rc<Monitor>,
    /// This instance's serial in the registry (ISR ownership, router endpoint).
    pub(crate) serial: u16,
    /// The operation the builtin that just returned [`Suspended`] waits for.
    pub(crate) pending: Option<Pending>,
}

/// Why a builtin stopped its instance instead of returning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuiltinExit {
    /// The guest called `abort` (a guest panic) with this message.
    Abort(String),
    /// The guest passed a bad pointer or length.
    Fault(MemoryFault),
    /// The guest touched the device window where no device answers.
    Mmio(MmioFault),
}

impl fmt::Display for BuiltinExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Abort(message) => write!(f, "guest aborted: {message}"),
            Self::Fault(fault) => fault.fmt(f),
            Self::Mmio(fault) => fault.fmt(f),
        }
    }
}

impl wasmi::errors::HostError for BuiltinExit {}

/// The builtins could not be linked. This vSoC build is at fault, not a module: every
/// instantiation fails with it ([`InstanceError::Builtins`](crate::InstanceError::Builtins))
/// until the builtin table (`builtins::link`) is fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// The builtin of this name is defined twice: remove one definition.
    DefinedTwice(&'static str),
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DefinedTwice(name) => {
                write!(
                    f,
                    "builtin `{name}` is defined twice (a bug in this vSoC build)"
                )
            }
        }
    }
}

/// Every builtin name this vSoC links: all of the ABI's.
pub const PROVIDED: &[&str] = builtin::ALL;

/// Whether this vSoC provides the import `module::name`.
pub fn provides(module: &str, name: &str) -> bool {
    (module == MODULE && PROVIDED.contains(&name))
        || (cfg!(feature = "debug")
            && module == fireball_abi::debug::MODULE
            && fireball_abi::debug::ALL.contains(&name))
}

pub(crate) type Caller<'a> = wasmi::Caller<'a, HostContext>;

pub(crate) fn exit(why: BuiltinExit) -> wasmi::Error {
    wasmi::Error::host(why)
}

/// Count one builtin call.
pub(crate) fn count(caller: &mut Caller<'_>) {
    caller.data_mut().stats.host_calls += 1;
}

/// The instance's memory and state, split so both can be borrowed at once.
pub(crate) fn memory_and_state<'a>(
    caller: &'a mut Caller<'_>,
) -> Result<(&'a mut [u8], &'a mut HostContext), wasmi::Error> {
    let memory = caller
        .data()
        .memory
        .ok_or_else(|| exit(BuiltinExit::Fault(MemoryFault::NoMemory)))?;
    Ok(memory.data_and_store_mut(caller))
}

fn read_message(memory: &[u8], ptr: i32, len: i32) -> Result<&[u8], wasmi::Error> {
    GuestSlice::new(ptr, len)
        .read(memory, MAX_MESSAGE)
        .map_err(|fault| exit(BuiltinExit::Fault(fault)))
}

/// Define builtin `name` (in the ABI's import module) as `func`.
fn define<Params, Results>(
    linker: &mut wasmi::Linker<HostContext>,
    name: &'static str,
    func: impl wasmi::IntoFunc<HostContext, Params, Results>,
) -> Result<(), LinkError> {
    // A host function's only way to fail is a name already defined.
    match linker.func_wrap(MODULE, name, func) {
        Ok(_) => Ok(()),
        Err(_) => Err(LinkError::DefinedTwice(name)),
    }
}

/// Link every builtin into `linker`.
pub(crate) fn link(linker: &mut wasmi::Linker<HostContext>) -> Result<(), LinkError> {
    define(
        linker,
        builtin::PRINT,
        |mut caller: Caller<'_>, ptr: i32, len: i32| -> Result<(), wasmi::Error> {
            let (memory, state) = memory_and_state(&mut caller)?;
            let bytes = read_message(memory, ptr, len)?;
            state.stats.host_calls += 1;
            state.stats.console_bytes += bytes.len() as u64;
            state.console.write(bytes);
            Ok(())
        },
    )?;
    define(
        linker,
        builtin::ABORT,
        |mut caller: Caller<'_>, ptr: i32, len: i32| -> Result<(), wasmi::Error> {
            let (memory, state) = memory_and_state(&mut caller)?;
            state.stats.host_calls += 1;
            let message = String::from_utf8_lossy(read_message(memory, ptr, len)?).into_owned();
            Err(exit(BuiltinExit::Abort(message)))
        },
    )?;
    define(
        linker,
        builtin::TIME_TICKS,
        |mut caller: Caller<'_>| -> i64 {
            count(&mut caller);
            caller.data().soc.clock.now_us() as i64
        },
    )?;
    define(
        linker,
        builtin::YIELD,
        |mut caller: Caller<'_>| -> Result<(), wasmi::Error> {
            count(&mut caller);
            Err(suspend(caller.data_mut(), Pending::Yield))
        },
    )?;
    define(
        linker,
        builtin::BREAKPOINT,
        |mut caller: Caller<'_>, id: i32| -> Result<(), wasmi::Error> {
            count(&mut caller);
            let id = id as u32;
            if caller.data().monitor.breakpoints.get().is_armed(id) {
                return Err(suspend(caller.data_mut(), Pending::Breakpoint(id)));
            }
            Ok(())
        },
    )?;
    devices::link(linker)?;
    blocking::link(linker)?;
    route::link(linker)?;
    record::link(linker)?;
    #[cfg(feature = "debug")]
    debug::link(linker)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_builtin_defined_twice_is_named_not_formatted() {
        let engine = wasmi::Engine::default();
        let mut linker = wasmi::Linker::<HostContext>::new(&engine);
        assert_eq!(link(&mut linker), Ok(()));
        // Linking the table again defines its first builtin a second time.
        assert_eq!(
            link(&mut linker),
            Err(LinkError::DefinedTwice(builtin::PRINT))
        );
        // Small enough to keep in `Vsoc` and copy into every refused instantiation.
        assert!(size_of::<LinkError>() <= 2 * size_of::<usize>());
    }
}
