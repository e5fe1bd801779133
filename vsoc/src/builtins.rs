//! Builtins: host functions linked straight into every instance, no router.
//!
//! Each builtin takes the instance's state, checks every guest-supplied
//! pointer through [`GuestSlice`], and either returns to the guest or stops
//! the instance with a [`BuiltinExit`] carried through wasmi as a host error.

use alloc::{boxed::Box, string::String};
use core::fmt;

use fireball_abi::{MODULE, builtin, limits::MAX_MESSAGE};
use fireball_subsystems::hal::Console;

use crate::guest_memory::{GuestSlice, MemoryFault};

/// Counters every instance keeps about its builtin use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BuiltinStats {
    /// Builtin calls made.
    pub host_calls: u64,
    /// Bytes written to the console.
    pub console_bytes: u64,
}

/// Per-instance state the builtins work on (the wasmi store's data).
pub struct InstanceState {
    pub(crate) console: Box<dyn Console>,
    pub(crate) memory: Option<wasmi::Memory>,
    pub(crate) stats: BuiltinStats,
    pub(crate) limits: wasmi::StoreLimits,
}

/// Why a builtin stopped its instance instead of returning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuiltinExit {
    /// The guest called `abort` (a guest panic) with this message.
    Abort(String),
    /// The guest passed a bad pointer or length.
    Fault(MemoryFault),
}

impl fmt::Display for BuiltinExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Abort(message) => write!(f, "guest aborted: {message}"),
            Self::Fault(fault) => fault.fmt(f),
        }
    }
}

impl wasmi::errors::HostError for BuiltinExit {}

/// Whether this vSoC provides the import `module::name`.
pub fn provides(module: &str, name: &str) -> bool {
    module == MODULE && matches!(name, builtin::PRINT | builtin::ABORT)
}

type Caller<'a> = wasmi::Caller<'a, InstanceState>;

/// The instance's memory and state, split so both can be borrowed at once.
fn memory_and_state<'a>(
    caller: &'a mut Caller<'_>,
) -> Result<(&'a mut [u8], &'a mut InstanceState), wasmi::Error> {
    let memory = caller
        .data()
        .memory
        .ok_or_else(|| wasmi::Error::host(BuiltinExit::Fault(MemoryFault::NoMemory)))?;
    Ok(memory.data_and_store_mut(caller))
}

fn read_message(memory: &[u8], ptr: i32, len: i32) -> Result<&[u8], wasmi::Error> {
    GuestSlice::new(ptr, len)
        .read(memory, MAX_MESSAGE)
        .map_err(|fault| wasmi::Error::host(BuiltinExit::Fault(fault)))
}

/// Link every builtin into `linker`.
pub(crate) fn link(linker: &mut wasmi::Linker<InstanceState>) -> Result<(), wasmi::Error> {
    linker.func_wrap(
        MODULE,
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
    linker.func_wrap(
        MODULE,
        builtin::ABORT,
        |mut caller: Caller<'_>, ptr: i32, len: i32| -> Result<(), wasmi::Error> {
            let (memory, state) = memory_and_state(&mut caller)?;
            state.stats.host_calls += 1;
            let message = String::from_utf8_lossy(read_message(memory, ptr, len)?).into_owned();
            Err(wasmi::Error::host(BuiltinExit::Abort(message)))
        },
    )?;
    Ok(())
}
