//! An instance: one module, its own store and memory, run in fuel slices.
//!
//! [`Instance::run_slice`] gives the instance [`VsocConfig::yield_interval`]
//! fuel and runs it until it finishes, traps, or runs dry. Running dry
//! suspends the wasmi call in place; the next slice resumes it. A kernel
//! task wraps exactly this loop, yielding between slices.

use alloc::{
    boxed::Box,
    string::{String, ToString},
};
use core::fmt;

pub use wasmi::TrapCode;

use fireball_abi::ENTRY;
use fireball_subsystems::hal::Console;

use crate::{
    builtins::{self, BuiltinExit, BuiltinStats, InstanceState},
    config::VsocConfig,
    guest_memory::MemoryFault,
    loader::LoadedModule,
};

/// Why an instance could not be created. The module is at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InstanceError {
    /// The module does not export `fb_main: () -> ()`.
    MissingEntry,
    /// wasmi refused to instantiate (e.g. a start function trapped, or
    /// memory beyond the instance's limit was requested).
    Instantiate(String),
}

impl fmt::Display for InstanceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingEntry => write!(f, "module does not export `{ENTRY}: () -> ()`"),
            Self::Instantiate(reason) => write!(f, "instantiation failed: {reason}"),
        }
    }
}

/// What stopped an instance for good.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrapKind {
    /// A WebAssembly trap (unreachable, out-of-bounds access, division by
    /// zero, stack overflow, …).
    Wasm(wasmi::TrapCode),
    /// The guest aborted (a Rust guest's panic) with this message.
    Abort(String),
    /// The guest handed a builtin memory it does not own.
    Fault(MemoryFault),
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
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{} trapped: ", self.module, self.function)?;
        match &self.kind {
            TrapKind::Wasm(code) => write!(f, "{code}"),
            TrapKind::Abort(message) => write!(f, "aborted: {message}"),
            TrapKind::Fault(fault) => write!(f, "{fault}"),
            TrapKind::Other(reason) => f.write_str(reason),
        }
    }
}

/// The outcome of one slice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Slice {
    /// Out of fuel: suspended, run another slice to continue.
    Yielded,
    /// The entry point returned.
    Finished,
    /// Stopped by a trap; further slices return the same trap.
    Trapped(Trap),
}

/// Counters for one instance (part of the coroutine dump).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InstanceStats {
    /// Fuel consumed over all slices.
    pub fuel_consumed: u64,
    /// Slices run.
    pub slices: u64,
    /// Slices that ended by running out of fuel.
    pub yields: u64,
    /// Builtin usage.
    pub builtins: BuiltinStats,
}

enum Run {
    Ready(wasmi::TypedFunc<(), ()>),
    Suspended(wasmi::TypedResumableCallOutOfFuel<()>),
    Finished,
    Trapped(Trap),
}

/// A running (or finished) module instance.
pub struct Instance {
    name: String,
    store: wasmi::Store<InstanceState>,
    run: Run,
    yield_interval: u64,
    fuel_consumed: u64,
    slices: u64,
    yields: u64,
}

impl Instance {
    pub(crate) fn new(
        engine: &wasmi::Engine,
        config: &VsocConfig,
        module: &LoadedModule,
        console: Box<dyn Console>,
    ) -> Result<Self, InstanceError> {
        let state = InstanceState {
            console,
            memory: None,
            stats: BuiltinStats::default(),
            limits: wasmi::StoreLimitsBuilder::new()
                .memory_size(usize::try_from(config.max_memory_bytes).unwrap_or(usize::MAX))
                .instances(1)
                .memories(1)
                .tables(config.max_tables as usize)
                .build(),
        };
        let mut store = wasmi::Store::new(engine, state);
        store.limiter(|state| &mut state.limits);
        let fail = |e: wasmi::Error| InstanceError::Instantiate(e.to_string());
        // A start function runs at instantiation and gets one slice of fuel.
        store.set_fuel(config.yield_interval).map_err(fail)?;
        let mut linker = wasmi::Linker::new(engine);
        builtins::link(&mut linker).map_err(fail)?;
        let instance = linker
            .instantiate_and_start(&mut store, &module.module)
            .map_err(fail)?;
        let entry = instance
            .get_typed_func::<(), ()>(&store, ENTRY)
            .map_err(|_| InstanceError::MissingEntry)?;
        store.data_mut().memory = instance.get_memory(&store, "memory");
        Ok(Self {
            name: module.info.name.clone(),
            store,
            run: Run::Ready(entry),
            yield_interval: config.yield_interval,
            fuel_consumed: 0,
            slices: 0,
            yields: 0,
        })
    }

    /// The module name this instance runs.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the instance can still run (not finished, not trapped).
    pub fn is_runnable(&self) -> bool {
        matches!(self.run, Run::Ready(_) | Run::Suspended(_))
    }

    /// The instance's counters.
    pub fn stats(&self) -> InstanceStats {
        InstanceStats {
            fuel_consumed: self.fuel_consumed,
            slices: self.slices,
            yields: self.yields,
            builtins: self.store.data().stats,
        }
    }

    /// Bytes of linear memory the instance has now.
    pub fn memory_bytes(&self) -> usize {
        self.store
            .data()
            .memory
            .map_or(0, |m| m.data_size(&self.store))
    }

    /// Run one slice: at most `yield_interval` fuel.
    pub fn run_slice(&mut self) -> Slice {
        let call = match core::mem::replace(&mut self.run, Run::Finished) {
            Run::Finished => return Slice::Finished,
            Run::Trapped(trap) => {
                self.run = Run::Trapped(trap.clone());
                return Slice::Trapped(trap);
            }
            run @ (Run::Ready(_) | Run::Suspended(_)) => run,
        };
        let mut fuel = self.yield_interval;
        if let Run::Suspended(suspended) = &call {
            // Refuelling below what the next instruction needs never progresses.
            fuel = fuel.max(suspended.required_fuel());
        }
        self.slices += 1;
        if let Err(e) = self.store.set_fuel(fuel) {
            return self.trap(TrapKind::Other(e.to_string()));
        }
        let result = match call {
            Run::Ready(entry) => entry.call_resumable(&mut self.store, ()),
            Run::Suspended(suspended) => suspended.resume(&mut self.store),
            Run::Finished | Run::Trapped(_) => unreachable!("handled above"),
        };
        self.fuel_consumed += fuel - self.store.get_fuel().unwrap_or(0);
        match result {
            Ok(wasmi::TypedResumableCall::Finished(())) => {
                self.run = Run::Finished;
                Slice::Finished
            }
            Ok(wasmi::TypedResumableCall::OutOfFuel(suspended)) => {
                self.yields += 1;
                self.run = Run::Suspended(suspended);
                Slice::Yielded
            }
            Ok(wasmi::TypedResumableCall::HostTrap(host)) => {
                let kind = match host.host_error().downcast_ref::<BuiltinExit>() {
                    Some(BuiltinExit::Abort(message)) => TrapKind::Abort(message.clone()),
                    Some(BuiltinExit::Fault(fault)) => TrapKind::Fault(*fault),
                    None => TrapKind::Other(host.host_error().to_string()),
                };
                self.trap(kind)
            }
            Err(e) => {
                let kind = match e.as_trap_code() {
                    Some(code) => TrapKind::Wasm(code),
                    None => TrapKind::Other(e.to_string()),
                };
                self.trap(kind)
            }
        }
    }

    fn trap(&mut self, kind: TrapKind) -> Slice {
        let trap = Trap {
            module: self.name.clone(),
            function: ENTRY,
            kind,
        };
        self.run = Run::Trapped(trap.clone());
        Slice::Trapped(trap)
    }

    /// Run slices until the instance finishes or traps; returns the last
    /// outcome and how many slices it took. For tools and tests: a kernel
    /// task runs one slice per turn instead.
    pub fn run_to_completion(&mut self) -> (Slice, u64) {
        let start = self.slices;
        loop {
            match self.run_slice() {
                Slice::Yielded => continue,
                done => return (done, self.slices - start),
            }
        }
    }
}

impl fmt::Debug for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Instance")
            .field("name", &self.name)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}
