//! An instance: one module, its own store and memory, run in fuel slices.
//!
//! [`Instance::run`] gives the instance [`VsocConfig::yield_interval`] fuel and
//! runs it until it finishes, traps, runs dry, or calls a builtin that has to
//! wait. Running dry suspends the wasmi call in place; a waiting builtin
//! suspends it with a [`Pending`] operation which [`Instance::complete`]
//! answers. Either way the next turn resumes the guest exactly where it was.
//! A kernel task wraps this loop ([`crate::task`]); [`Instance::run_slice`] is
//! the same loop for callers without an executor.

use alloc::{
    boxed::Box,
    rc::Rc,
    string::{String, ToString},
};
use core::fmt;

pub use wasmi::TrapCode;

use fireball_abi::{ENTRY, limits::MAX_MESSAGE, status};
use fireball_kernel::mem::{OwnerId, PartitionId, PartitionSwitch, Placement};
use fireball_subsystems::hal::Console;

pub use crate::monitor::InstanceStats;
use crate::{
    budget::{Limiter, STORE_OVERHEAD_BYTES, Shortfall},
    builtins::{self, BuiltinExit, HostContext, LinkError},
    config::VsocConfig,
    guest_memory::{GuestSlice, MemoryFault},
    loader::LoadedModule,
    monitor::{BuiltinStats, Monitor, RunState},
    pending::{Completion, Pending, Suspended},
    registry::Registry,
    soc::Soc,
    stop::{StopReason, Trap, TrapKind, wasmi_error_text},
};

/// Why an instance could not be created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InstanceError {
    /// The module does not export `fb_main: () -> ()` (the module is at fault).
    MissingEntry,
    /// wasmi refused to instantiate (e.g. a start function trapped).
    Instantiate(String),
    /// The vSoC's builtins could not be linked: this vSoC build is at fault, not the
    /// module, and no module can be instantiated until it is fixed.
    Builtins(LinkError),
    /// Admission control: the instance's pool cannot hold its declared memory,
    /// value-stack cap and store overhead (the deployment asked too much).
    OutOfMemory(Shortfall),
}

impl fmt::Display for InstanceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingEntry => write!(f, "module does not export `{ENTRY}: () -> ()`"),
            Self::Instantiate(reason) => write!(f, "instantiation failed: {reason}"),
            Self::Builtins(e) => write!(f, "no builtins to link: {e}"),
            Self::OutOfMemory(shortfall) => write!(f, "not admitted: {shortfall}"),
        }
    }
}

/// The outcome of one slice, as [`Instance::run_slice`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Slice {
    /// Suspended (out of fuel, yielding, waiting): run another slice to continue.
    Yielded,
    /// The entry point returned.
    Finished,
    /// Stopped by a trap; further slices return the same trap.
    Trapped(Trap),
}

/// The outcome of one turn, as [`Instance::run`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Turn {
    /// Out of fuel, or the guest called `yield`: run again to continue.
    Yielded,
    /// Waiting for `Pending`; answer with [`Instance::complete`], then run again.
    Blocked(Pending),
    /// Paused at armed breakpoint `id`; run again to continue.
    Breakpoint(u32),
    /// Stopped for the debugger by a debug probe; run again to continue.
    Debug,
    /// The entry point returned.
    Finished,
    /// Stopped by a trap; further turns return the same trap.
    Trapped(Trap),
}

/// Where the instance's one wasmi call stands.
///
/// A suspended call (`OutOfFuel`, `HostTrap`) is a large value (its engine, root function
/// and value/call stacks: ~100 bytes on the M33), and wasmi's API takes it by value to
/// resume and hands a new one back. So it stays in this field between turns and is moved
/// exactly twice per turn: out to resume, back in with the result. What the call waits
/// for, and what it resumes with, live beside it ([`Instance::waiting`],
/// [`Instance::resume_with`]) so that answering it ([`Instance::complete`]) moves nothing.
enum Call {
    Ready(wasmi::TypedFunc<(), ()>),
    OutOfFuel(wasmi::TypedResumableCallOutOfFuel<()>),
    /// Suspended by a builtin: waiting if [`Instance::waiting`] is set, else ready to resume.
    HostTrap(wasmi::TypedResumableCallHostTrap<()>),
    Finished,
    Trapped(Trap),
}

/// How one step of the call stopped ([`Instance::step`]); the call is in [`Instance::call`].
enum Stop {
    Finished,
    OutOfFuel,
    /// Stopped at a builtin's host error (a suspension or a reason to stop).
    HostTrap,
    /// wasmi failed the call: a trap, or fuel it could not be given.
    Failed(wasmi::Error),
}

/// What an instance is created in: its vSoC's engine, limits, SoC, registry and
/// partition switch.
pub(crate) struct Site<'a> {
    pub(crate) engine: &'a wasmi::Engine,
    pub(crate) config: &'a VsocConfig,
    pub(crate) soc: &'a Rc<Soc>,
    pub(crate) registry: &'a Rc<Registry>,
    pub(crate) partitions: Option<&'static dyn PartitionSwitch>,
}

/// A running (or finished) module instance.
pub struct Instance {
    store: wasmi::Store<HostContext>,
    call: Call,
    /// The operation a suspended builtin waits for, until [`Instance::complete`] answers it.
    waiting: Option<Pending>,
    /// What the suspended builtin returns when the call resumes.
    resume_with: Option<wasmi::Val>,
    yield_interval: u64,
    /// Fuel per step of a turn while an instance waits on an ISR flag.
    irq_check_interval: u64,
    /// Bytes charged at admission besides linear memory (store overhead + value stack).
    fixed_charge: usize,
    stats: InstanceStats,
    /// A debug build's globals, by index (exported by the instrumenter), for the debugger.
    #[cfg(feature = "debug")]
    globals: alloc::vec::Vec<Option<wasmi::Global>>,
}

impl Instance {
    // Cold (boot, restarts, teardown): compiled for size in the firmware
    // (docs/perf.md, "Cold code in the hot crates").
    #[cfg_attr(fireball_size_hints, optimize(size))]
    #[inline(never)]
    pub(crate) fn new(
        site: Site<'_>,
        linker: &wasmi::Linker<HostContext>,
        module: &LoadedModule,
        console: Box<dyn Console>,
        placement: Placement,
    ) -> Result<Self, InstanceError> {
        let Site {
            engine,
            config,
            soc,
            registry,
            partitions,
        } = site;
        let fixed_charge = STORE_OVERHEAD_BYTES + config.max_value_stack;
        let declared = module.info.memory.map_or(0, |m| {
            usize::try_from(m.initial_bytes).unwrap_or(usize::MAX)
        });
        {
            // Admission: everything the instance needs to start must fit now.
            let mut budget = registry.budget.borrow_mut();
            let available = budget.pool(placement).map_or(0, |p| p.available());
            let need = fixed_charge.saturating_add(declared);
            if need > available {
                return Err(InstanceError::OutOfMemory(Shortfall {
                    placement,
                    requested: need,
                    available,
                }));
            }
            budget
                .try_charge(placement, fixed_charge)
                .map_err(InstanceError::OutOfMemory)?;
        }
        let serial = registry.next_serial();
        #[allow(unused_mut)]
        let mut monitor = Monitor::new(module.info.name.clone(), placement);
        #[cfg(feature = "debug")]
        if module.info.is_debug_build() {
            let library = module.info.debug_name.clone();
            monitor.probes = Some(Box::new(crate::probes::Probes::new(
                u32::from(serial) + 1,
                library.unwrap_or_else(|| module.info.name.clone()),
            )));
        }
        let state = HostContext {
            console,
            memory: None,
            stats: BuiltinStats::default(),
            limiter: Limiter {
                placement,
                max_memory: usize::try_from(config.max_memory_bytes).unwrap_or(usize::MAX),
                max_table_elements: usize::try_from(config.max_table_elements)
                    .unwrap_or(usize::MAX),
                charged: 0,
                peak: 0,
                denied: None,
                budget: registry.budget.clone(),
                partitions,
                runtime_at_entry: 0,
                translated: 0,
            },
            soc: soc.clone(),
            registry: registry.clone(),
            monitor: Rc::new(monitor),
            serial,
            pending: None,
        };
        let mut store = wasmi::Store::new(engine, state);
        store.limiter(|state| &mut state.limiter);
        if partitions.is_some() {
            store.call_hook(|state, hook| {
                state.limiter.on_call(hook);
                Ok(())
            });
        }
        let mut instance = Self {
            store,
            call: Call::Finished,
            waiting: None,
            resume_with: None,
            yield_interval: config.yield_interval,
            irq_check_interval: config.irq_check_interval.max(1),
            fixed_charge,
            stats: InstanceStats::default(),
            #[cfg(feature = "debug")]
            globals: alloc::vec::Vec::new(),
        };
        // From here on, dropping `instance` gives every charge back.
        let fail = |e: wasmi::Error| InstanceError::Instantiate(wasmi_error_text(&e));
        // A start function runs at instantiation and gets one slice of fuel.
        instance
            .store
            .set_fuel(config.yield_interval)
            .map_err(fail)?;
        let wasm = linker
            .instantiate_and_start(&mut instance.store, &module.module)
            .map_err(|e| match instance.store.data().limiter.denied {
                Some(shortfall) => InstanceError::OutOfMemory(shortfall),
                None => fail(e),
            })?;
        let entry = wasm
            .get_typed_func::<(), ()>(&instance.store, ENTRY)
            .map_err(|_| InstanceError::MissingEntry)?;
        if let Some(switch) = partitions {
            // The entry point is translated when a call starts, before the call hook puts P2
            // current: translate it now, in P2, by calling it without fuel (its first
            // instruction asks for fuel, so nothing runs; a plain call, so its stack goes).
            instance.store.set_fuel(0).map_err(fail)?;
            let runtime = Placement::new(PartitionId::Runtime, OwnerId(0));
            let before = switch.allocated(runtime);
            let primed = fireball_kernel::mem::within(Some(switch), runtime, || {
                entry.call(&mut instance.store, ())
            });
            // The entry point's code is the first this instance translated.
            instance.store.data_mut().limiter.translated =
                switch.allocated(runtime) as isize - before as isize;
            match primed {
                Err(e) if e.as_trap_code() == Some(TrapCode::OutOfFuel) => {}
                Err(e) => return Err(fail(e)),
                Ok(()) => return Err(fail(wasmi::Error::new("entry ran without fuel"))),
            }
        }
        instance.store.data_mut().memory = wasm.get_memory(&instance.store, "memory");
        #[cfg(feature = "debug")]
        if module.info.is_debug_build() {
            for export in wasm.exports(&instance.store) {
                let index = export
                    .name()
                    .strip_prefix(fireball_abi::debug::GLOBAL_EXPORT)
                    .and_then(|n| n.parse::<usize>().ok());
                if let (Some(index), Some(global)) = (index, export.into_global()) {
                    if index >= instance.globals.len() {
                        instance.globals.resize(index + 1, None);
                    }
                    instance.globals[index] = Some(global);
                }
            }
        }
        instance.call = Call::Ready(entry);
        instance.publish();
        Ok(instance)
    }

    /// The module name this instance runs.
    pub fn name(&self) -> &str {
        &self.store.data().monitor.name
    }

    /// The routes this instance declared with `route_serve`, in order (method and pattern),
    /// if its vSoC [records them](crate::Vsoc::record_served_routes); empty otherwise.
    pub fn served_routes(&self) -> alloc::vec::Vec<(fireball_abi::Method, String)> {
        let serial = self.serial();
        self.store
            .data()
            .registry
            .served
            .borrow()
            .iter()
            .flatten()
            .filter(|(of, _, _)| *of == serial)
            .map(|(_, method, pattern)| (*method, pattern.clone()))
            .collect()
    }

    /// This instance's serial in its vSoC's registry.
    pub(crate) fn serial(&self) -> u16 {
        self.store.data().serial
    }

    /// The partition and owner this instance is charged to.
    pub fn placement(&self) -> Placement {
        self.store.data().limiter.placement
    }

    /// The shared view of this instance (state, statistics, breakpoints).
    pub fn monitor(&self) -> Rc<Monitor> {
        self.store.data().monitor.clone()
    }

    /// Whether the instance can still run (not finished, not trapped).
    pub fn is_runnable(&self) -> bool {
        !matches!(self.call, Call::Finished | Call::Trapped(_))
    }

    /// The instance's counters.
    pub fn stats(&self) -> InstanceStats {
        self.stats
    }

    /// Bytes of linear memory the instance has now.
    pub fn memory_bytes(&self) -> usize {
        let state = self.store.data();
        state.memory.map_or(0, |m| m.data_size(&self.store))
    }

    /// Copy `bytes` into the instance's linear memory at `offset` (a host tool
    /// or debugger poking guest memory); checked like any guest range.
    pub fn write_memory(&mut self, offset: u32, bytes: &[u8]) -> Result<(), MemoryFault> {
        let memory = self.store.data().memory.ok_or(MemoryFault::NoMemory)?;
        let len = i32::try_from(bytes.len()).unwrap_or(i32::MAX);
        GuestSlice::new(offset as i32, len)
            .write(memory.data_mut(&mut self.store), usize::MAX)?
            .copy_from_slice(bytes);
        Ok(())
    }

    /// Copy `out.len()` bytes of linear memory at `offset` into `out`.
    pub fn read_memory(&self, offset: u32, out: &mut [u8]) -> Result<(), MemoryFault> {
        let memory = self.store.data().memory.ok_or(MemoryFault::NoMemory)?;
        let len = i32::try_from(out.len()).unwrap_or(i32::MAX);
        out.copy_from_slice(
            GuestSlice::new(offset as i32, len).read(memory.data(&self.store), usize::MAX)?,
        );
        Ok(())
    }

    /// Why the instance stopped, once it has trapped. A trap (abort or
    /// `unreachable`) after a refused memory growth is a memory exhaustion.
    // Cold (when an instance stops): compiled for size in the firmware
    // (docs/perf.md, "Cold code in the hot crates").
    #[cfg_attr(fireball_size_hints, optimize(size))]
    pub fn stop_reason(&self) -> Option<StopReason> {
        let Call::Trapped(trap) = &self.call else {
            return None;
        };
        let gave_up = matches!(
            trap.kind,
            TrapKind::Abort(_) | TrapKind::Wasm(TrapCode::UnreachableCodeReached)
        );
        Some(match self.store.data().limiter.denied {
            Some(shortfall) if gave_up => StopReason::MemoryExhausted {
                trap: trap.clone(),
                shortfall,
                policy: shortfall
                    .placement
                    .partition
                    .policy(shortfall.placement.owner),
            },
            _ => StopReason::Trapped(trap.clone()),
        })
    }

    /// Answer the operation the instance is [`Turn::Blocked`] on; the next
    /// [`Instance::run`] resumes the guest with it. Returns `false` (and changes
    /// nothing) if the instance is not blocked.
    pub fn complete(&mut self, completion: Completion) -> bool {
        let Some(op) = self.waiting.take() else {
            return false;
        };
        self.resume_with = match (op, completion) {
            (Pending::Recv { out, .. }, Completion::Received(value)) => {
                let slot = GuestSlice::new(out as i32, 8);
                let memory = self.store.data().memory;
                let written = memory.and_then(|m| {
                    let bytes = slot.write(m.data_mut(&mut self.store), MAX_MESSAGE).ok()?;
                    bytes.copy_from_slice(&value.to_le_bytes());
                    Some(())
                });
                Some(wasmi::Val::I32(if written.is_some() {
                    status::OK
                } else {
                    status::CLOSED
                }))
            }
            // `route_call_into`, `route_respond_next`: what arrived goes straight into the
            // buffer the builtin checked, when it fits (else it waits to be fetched).
            (Pending::RouteCall { serial, out, cap }, Completion::Status(len))
                if len > 0 && len as u32 <= cap =>
            {
                Some(wasmi::Val::I32(self.copy_routed(serial, out, len, false)))
            }
            (Pending::RouteNext { serial, out, cap }, Completion::Status(len))
                if len > 0 && len as u32 <= cap =>
            {
                Some(wasmi::Val::I32(self.copy_routed(serial, out, len, true)))
            }
            (_, Completion::Status(code)) => Some(wasmi::Val::I32(code)),
            (_, Completion::Unit | Completion::Received(_)) => None,
        };
        true
    }

    /// Copy the reply (or with `delivery`, the delivery) instance `serial` waited for into its
    /// memory at `out`, `len` bytes that fit the buffer its builtin checked: the length, or
    /// the router bridge's status (`NO_REPLY` if it is gone meanwhile).
    fn copy_routed(&mut self, serial: u16, out: u32, len: i32, delivery: bool) -> i32 {
        let Some(memory) = self.store.data().memory else {
            return status::NO_REPLY;
        };
        let (bytes, state) = memory.data_and_store_mut(&mut self.store);
        let Ok(dest) = GuestSlice::new(out as i32, len).write(bytes, len as usize) else {
            return status::NO_REPLY;
        };
        let routes = &state.registry.routes;
        if delivery {
            routes.take_delivery(serial, dest)
        } else {
            routes.take_reply(serial, dest)
        }
    }

    /// Run one turn: at most `yield_interval` fuel.
    ///
    /// While an instance is blocked on an ISR flag (`wait_irq`), the turn runs in steps of
    /// `irq_check_interval` fuel and ends after the step in which one of those flags was
    /// raised; a turn that would start while one is raised does not run at all. Either way
    /// the turn is [`Turn::Yielded`] and the waiter, woken at the context switch, runs
    /// before this instance's next step. Cutting a turn into steps does not change what it
    /// runs: each step gets the fuel left in the turn, up to the interval, and the turn ends
    /// exactly where one slice of the same fuel would have.
    pub fn run(&mut self) -> Turn {
        // Everything that does not run the guest is decided by reference: nothing moves.
        let mut budget = self.yield_interval;
        match &self.call {
            Call::Finished => return Turn::Finished,
            Call::Trapped(trap) => return Turn::Trapped(trap.clone()),
            Call::HostTrap(_) => {
                if let Some(op) = self.waiting {
                    return Turn::Blocked(op);
                }
            }
            // Refuelling below what the next instruction needs never progresses.
            Call::OutOfFuel(suspended) => budget = budget.max(suspended.required_fuel()),
            Call::Ready(_) => {}
        }
        if self.store.data().soc.irq_due() {
            // An interrupt waiter was woken: let it run first.
            return Turn::Yielded;
        }
        self.stats.slices += 1;
        let mut left = budget;
        let turn = loop {
            let required = match &self.call {
                Call::OutOfFuel(suspended) => suspended.required_fuel(),
                _ => 0,
            };
            let step = if self.store.data().soc.irq_watched() {
                left.min(self.irq_check_interval.max(required))
            } else {
                left
            };
            let (consumed, stop) = self.step(step);
            self.stats.fuel_consumed += consumed;
            left -= consumed.min(left);
            match stop {
                Stop::Finished => break Turn::Finished,
                Stop::OutOfFuel => {
                    let required = match &self.call {
                        Call::OutOfFuel(suspended) => suspended.required_fuel(),
                        _ => 0,
                    };
                    let more = step < left + consumed
                        && required <= left
                        && !self.store.data().soc.irq_due();
                    if !more {
                        self.stats.yields += 1;
                        break Turn::Yielded;
                    }
                }
                Stop::HostTrap => break self.host_trap(),
                Stop::Failed(e) => {
                    let kind = match e.as_trap_code() {
                        Some(code) => TrapKind::Wasm(code),
                        None => TrapKind::Other(wasmi_error_text(&e)),
                    };
                    break self.trap(kind);
                }
            }
        };
        self.publish();
        turn
    }

    /// Run the call on `fuel` (at least what it requires): the fuel it consumed and how it
    /// stopped, the suspended call back in `self.call`. Only the small [`Stop`] goes back to
    /// the caller: the call moves from wasmi's result straight into its slot, not through a
    /// returned `Result` that `run` matches on and moves again (~70 instructions a round
    /// trip of `vsoc/wasm_route_call` on the M33, in `run` itself).
    fn step(&mut self, fuel: u64) -> (u64, Stop) {
        if let Err(e) = self.store.set_fuel(fuel) {
            return (0, Stop::Failed(e));
        }
        // The one move out of `self.call` this step (the call goes to wasmi by value) …
        let result = match core::mem::replace(&mut self.call, Call::Finished) {
            Call::Ready(entry) => entry.call_resumable(&mut self.store, ()),
            Call::OutOfFuel(suspended) => suspended.resume(&mut self.store),
            Call::HostTrap(call) => {
                let value = self.resume_with.take();
                call.resume(&mut self.store, value.as_slice())
            }
            // `run` returns before stepping a finished or trapped call.
            done @ (Call::Finished | Call::Trapped(_)) => {
                self.call = done;
                return (0, Stop::Finished);
            }
        };
        let consumed = fuel - self.store.get_fuel().unwrap_or(0);
        // … and the one move back in (a finished or failed call leaves `Finished` there).
        let stop = match result {
            Ok(wasmi::TypedResumableCall::Finished(())) => Stop::Finished,
            Ok(wasmi::TypedResumableCall::OutOfFuel(suspended)) => {
                self.call = Call::OutOfFuel(suspended);
                Stop::OutOfFuel
            }
            Ok(wasmi::TypedResumableCall::HostTrap(host)) => {
                self.call = Call::HostTrap(host);
                Stop::HostTrap
            }
            Err(e) => Stop::Failed(e),
        };
        (consumed, stop)
    }

    /// The call stopped at a builtin's host error (now in `self.call`): a suspension
    /// ([`Suspended`], its operation in the store) or a reason to stop.
    fn host_trap(&mut self) -> Turn {
        let Call::HostTrap(host) = &self.call else {
            return Turn::Finished;
        };
        // A suspension: the builtin set its operation and returned `Suspended` (`suspend`
        // does both, and nothing else sets it), so the operation alone tells, without
        // downcasting wasmi's error (two type-id comparisons, ~70 instructions a round trip
        // of `vsoc/wasm_route_call`).
        if let Some(op) = self.store.data_mut().pending.take() {
            return match op {
                Pending::Yield => {
                    self.stats.yields += 1;
                    Turn::Yielded
                }
                Pending::Breakpoint(id) => Turn::Breakpoint(id),
                Pending::Debug => Turn::Debug,
                op => {
                    self.waiting = Some(op);
                    Turn::Blocked(op)
                }
            };
        }
        let error = host.host_error();
        if error.downcast_ref::<Suspended>().is_some() {
            // A builtin that suspended without an operation is a bug in this crate, reported
            // as a trap rather than a panic.
            return self.trap(TrapKind::Other("suspended without an operation".into()));
        }
        let kind = match error.downcast_ref::<BuiltinExit>() {
            Some(BuiltinExit::Abort(message)) => TrapKind::Abort(message.clone()),
            Some(BuiltinExit::Fault(fault)) => TrapKind::Fault(*fault),
            Some(BuiltinExit::Mmio(fault)) => TrapKind::Mmio(*fault),
            None => TrapKind::Other(wasmi_error_text(error)),
        };
        self.trap(kind)
    }

    fn trap(&mut self, kind: TrapKind) -> Turn {
        let trap = Trap {
            module: self.name().to_string(),
            function: ENTRY,
            kind,
        };
        self.call = Call::Trapped(trap.clone());
        Turn::Trapped(trap)
    }

    /// Copy the counters and state to the monitor.
    fn publish(&mut self) {
        let state = self.store.data();
        self.stats.builtins = state.stats;
        // A linear memory only grows, and only through the limiter (its creation included):
        // its peak is its size, without resolving the memory in the store each turn.
        self.stats.memory_bytes = if state.memory.is_some() {
            state.limiter.peak
        } else {
            0
        };
        debug_assert_eq!(
            self.stats.memory_bytes,
            state.memory.map_or(0, |m| m.data_size(&self.store))
        );
        self.stats.memory_peak = self.stats.memory_bytes;
        self.stats.translated = state.limiter.translated();
        state.monitor.stats.set(self.stats);
        let run_state = match &self.call {
            Call::HostTrap(_) => match self.waiting {
                Some(op) => RunState::Blocked(op),
                None => RunState::Running,
            },
            Call::Finished => RunState::Finished,
            Call::Trapped(_) => match self.stop_reason() {
                Some(reason) => RunState::Stopped(reason),
                None => RunState::Running,
            },
            Call::Ready(_) | Call::OutOfFuel(_) => RunState::Running,
        };
        *self.store.data().monitor.state.borrow_mut() = run_state;
    }

    /// Run one slice, completing blocking operations without waiting: an
    /// operation that cannot complete yet (an empty channel, a sleep not over)
    /// makes the slice return [`Slice::Yielded`] without running the guest.
    /// Breakpoints do not pause here. For callers without an executor; a kernel
    /// task uses [`Instance::run`] and awaits instead.
    pub fn run_slice(&mut self) -> Slice {
        if let Some(op) = &self.waiting {
            let state = self.store.data();
            match builtins::try_complete(&state.soc, &state.registry, op) {
                Some(done) => {
                    self.complete(done);
                }
                None => return Slice::Yielded,
            }
        }
        match self.run() {
            Turn::Yielded | Turn::Blocked(_) | Turn::Breakpoint(_) | Turn::Debug => Slice::Yielded,
            Turn::Finished => Slice::Finished,
            Turn::Trapped(trap) => Slice::Trapped(trap),
        }
    }

    /// Run slices until the instance finishes or traps; returns the last
    /// outcome and how many slices it took. For tools and tests: a kernel
    /// task runs one slice per turn instead. A guest waiting for something
    /// nobody provides (a channel no one sends on) makes this loop forever.
    pub fn run_to_completion(&mut self) -> (Slice, u64) {
        let start = self.stats.slices;
        loop {
            match self.run_slice() {
                Slice::Yielded => continue,
                done => return (done, self.stats.slices - start),
            }
        }
    }
}

#[cfg(feature = "debug")]
impl crate::probes::Inspect for Instance {
    fn read_memory(&self, offset: u32, buf: &mut [u8]) -> usize {
        let Some(memory) = self.store.data().memory else {
            return 0;
        };
        let data = memory.data(&self.store);
        let from = (offset as usize).min(data.len());
        let n = buf.len().min(data.len() - from);
        buf[..n].copy_from_slice(&data[from..from + n]);
        n
    }

    fn read_global(&self, index: u32) -> Option<crate::probes::Local> {
        use crate::probes::Local;
        let global = (*self.globals.get(index as usize)?)?;
        Some(match global.get(&self.store) {
            wasmi::Val::I32(v) => Local::I32(v),
            wasmi::Val::I64(v) => Local::I64(v),
            wasmi::Val::F32(v) => Local::F32(v.into()),
            wasmi::Val::F64(v) => Local::F64(v.into()),
            _ => return None,
        })
    }
}

impl Drop for Instance {
    #[cfg_attr(fireball_size_hints, optimize(size))]
    fn drop(&mut self) {
        let state = self.store.data();
        let charged = self.fixed_charge + state.limiter.charged;
        state
            .registry
            .budget
            .borrow_mut()
            .release(state.limiter.placement, charged);
        // Its router endpoint and its ISR flags go with it.
        state.registry.routes.release(state.serial);
        state.soc.release_irqs(state.serial);
        state.registry.disarm_watchdog(state.serial);
    }
}

impl fmt::Debug for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Instance")
            .field("name", &self.name())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}
