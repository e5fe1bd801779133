//! The monitor: what the outside (the runtime, a debugger, the coroutine dump)
//! sees of an instance while its task owns it — its [`RunState`], its statistics
//! ([`InstanceStats`], [`BuiltinStats`]) and its [`Breakpoints`].

use alloc::string::String;
use core::{
    cell::{Cell, RefCell},
    fmt,
    task::Waker,
};

use fireball_kernel::mem::Placement;

pub use crate::breakpoints::{Breakpoints, BreakpointsFull};
use crate::{pending::Pending, stop::StopReason};

/// Counters every instance keeps about its builtin use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BuiltinStats {
    /// Builtin calls made.
    pub host_calls: u64,
    /// Bytes written to the console.
    pub console_bytes: u64,
}

/// Counters for one instance (part of the coroutine dump).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InstanceStats {
    /// Fuel consumed over all slices.
    pub fuel_consumed: u64,
    /// Slices run.
    pub slices: u64,
    /// Slices that ended by running out of fuel or by `yield`.
    pub yields: u64,
    /// Builtin usage.
    pub builtins: BuiltinStats,
    /// Linear memory now, in bytes.
    pub memory_bytes: usize,
    /// Largest linear memory so far, in bytes.
    pub memory_peak: usize,
    /// Bytes of compiled code this instance's calls added to P2 (functions translated on
    /// their first call, lazy translation): 0 unless allocations are placed.
    pub translated: usize,
}

/// Where an instance stands in its run, as its monitor shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunState {
    /// Runnable: running, or queued for its next slice.
    Running,
    /// Suspended in a blocking builtin.
    Blocked(Pending),
    /// Paused at an armed breakpoint until continued.
    Paused(u32),
    /// Stopped by the debugger (a breakpoint, a step or an interrupt) until it resumes it.
    Debugging,
    /// The entry point returned.
    Finished,
    /// Stopped for good.
    Stopped(StopReason),
}

impl fmt::Display for RunState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Running => f.write_str("running"),
            Self::Blocked(op) => write!(f, "blocked: {op}"),
            Self::Paused(id) => write!(f, "paused at breakpoint {id}"),
            Self::Debugging => f.write_str("stopped for the debugger"),
            Self::Finished => f.write_str("finished"),
            Self::Stopped(reason) => write!(f, "stopped: {reason}"),
        }
    }
}

/// The shared view of one instance.
#[derive(Debug)]
pub struct Monitor {
    pub(crate) name: String,
    pub(crate) placement: Placement,
    pub(crate) breakpoints: Cell<Breakpoints>,
    pub(crate) stats: Cell<InstanceStats>,
    pub(crate) state: RefCell<RunState>,
    pub(crate) resume: Cell<bool>,
    pub(crate) waker: RefCell<Option<Waker>>,
    /// The debug probes' state, for an instrumented debug build (feature `debug`).
    #[cfg(feature = "debug")]
    pub(crate) probes: Option<alloc::boxed::Box<crate::probes::Probes>>,
}

impl Monitor {
    pub(crate) fn new(name: String, placement: Placement) -> Self {
        Self {
            name,
            placement,
            breakpoints: Cell::new(Breakpoints::default()),
            stats: Cell::new(InstanceStats::default()),
            state: RefCell::new(RunState::Running),
            resume: Cell::new(false),
            waker: RefCell::new(None),
            #[cfg(feature = "debug")]
            probes: None,
        }
    }

    /// The module name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The partition and owner the instance is charged to.
    pub fn placement(&self) -> Placement {
        self.placement
    }

    /// Statistics as of the end of its last slice.
    pub fn stats(&self) -> InstanceStats {
        self.stats.get()
    }

    /// Where it stands.
    pub fn state(&self) -> RunState {
        self.state.borrow().clone()
    }

    /// Arm breakpoint `id`.
    pub fn arm_breakpoint(&self, id: u32) -> Result<(), BreakpointsFull> {
        let mut table = self.breakpoints.get();
        table.try_arm(id)?;
        self.breakpoints.set(table);
        Ok(())
    }

    /// Disarm breakpoint `id`; returns whether it was armed.
    pub fn disarm_breakpoint(&self, id: u32) -> bool {
        let mut table = self.breakpoints.get();
        let was = table.disarm(id);
        self.breakpoints.set(table);
        was
    }

    /// Let an instance paused at a breakpoint continue; returns whether it was paused.
    pub fn continue_from_breakpoint(&self) -> bool {
        if !matches!(*self.state.borrow(), RunState::Paused(_)) {
            return false;
        }
        self.resume.set(true);
        if let Some(waker) = self.waker.borrow_mut().take() {
            waker.wake();
        }
        true
    }
}
