//! What the debug probes of one instrumented instance record, and what the debugger asks
//! of it (feature `debug`; `docs/debugger.md`).
//!
//! A debug build instrumented by `fireball-instrument` imports the probes of
//! [`fireball_abi::debug`]; the builtins behind them (`builtins::debug`) keep this state:
//! a shadow call stack of [`Frame`]s (each with the code offset it is at and, while a
//! debugger is attached, its locals) and the instance's code breakpoints. The debug port
//! ([`crate::debug`]) reads and steers it through the instance's monitor. A release module
//! imports no probe and has no `Probes`.
//!
//! A leaf: the builtins, the monitor, the instance and the debug port name it.

use alloc::{rc::Rc, string::String, vec::Vec};
use core::cell::{Cell, RefCell};

use fireball_subsystems::debugger::{InstanceId, StopKind};

use crate::breakpoints::Breakpoints;

/// One local's value, as the probe recorded it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Local {
    I32(i32),
    I64(i64),
    F32(f32),
    F64(f64),
}

impl Local {
    /// Little endian at its natural width into `buf`; the bytes written (0: no room).
    pub(crate) fn write_le(self, buf: &mut [u8]) -> usize {
        let (bytes, len) = match self {
            Self::I32(v) => (u64::from(v as u32).to_le_bytes(), 4),
            Self::F32(v) => (u64::from(v.to_bits()).to_le_bytes(), 4),
            Self::I64(v) => (v.to_le_bytes(), 8),
            Self::F64(v) => (v.to_bits().to_le_bytes(), 8),
        };
        match buf.get_mut(..len) {
            Some(out) => {
                out.copy_from_slice(&bytes[..len]);
                len
            }
            None => 0,
        }
    }
}

/// One function activation on the shadow call stack.
#[derive(Clone, Debug, Default)]
pub(crate) struct Frame {
    /// Where it is: the stop location it last passed, or the return address of the call it
    /// is making (file offsets of the original module).
    pub(crate) pc: u32,
    /// Its locals by index, as last recorded (only while a debugger is attached).
    pub(crate) locals: Vec<Option<Local>>,
}

/// How the instance goes on at its next stop location.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Stop only at an armed breakpoint.
    Continue,
    /// Stop at the next stop location.
    Step,
    /// Stop at the next stop location, reporting an interrupt.
    Interrupt,
}

/// The filter bit of code offset `offset`: its low six bits, with the next six folded in
/// (statements a few bytes apart get different bits).
#[inline]
fn bit(offset: u32) -> u64 {
    1 << ((offset ^ (offset >> 6)) & 63)
}

/// A paused instance, lent to the debugger: its memory and globals.
pub(crate) trait Inspect {
    /// Copy linear memory from `offset` into `buf`: the bytes copied (0 past the end).
    fn read_memory(&self, offset: u32, buf: &mut [u8]) -> usize;
    /// Global `index`, if the module has it.
    fn read_global(&self, index: u32) -> Option<Local>;
}

/// The debug state of one instrumented instance.
pub(crate) struct Probes {
    /// Its thread and module id for the debugger (the instance's serial + 1).
    pub(crate) id: InstanceId,
    /// The name LLDB loads the module's DWARF by (`fireball.debug`), or the component's.
    pub(crate) library: String,
    /// A debugger is attached: frames record their locals at each call.
    pub(crate) attached: Cell<bool>,
    mode: Cell<Mode>,
    /// Something may stop the instance at a stop location (a breakpoint is armed or the
    /// mode is not `Continue`): the one flag `line` tests when nothing is armed.
    watching: Cell<bool>,
    /// One bit per armed breakpoint ([`bit`]): most stop locations are told "not here" by one
    /// AND, before the table is scanned.
    filter: Cell<u64>,
    breakpoints: RefCell<Breakpoints>,
    /// Why the instance stopped, from the probe that stopped it until it resumes.
    pub(crate) stopped: Cell<Option<StopKind>>,
    /// The stop was reported to the debugger.
    pub(crate) reported: Cell<bool>,
    /// A breakpoint at a function's body start was hit on entry: the frame at this depth
    /// stops at its first stop location, shown at the body start (where the breakpoint is).
    pub(crate) entry_stop: Cell<Option<(usize, u32)>>,
    /// A single step moved inside the statement without running (see
    /// [`DebugPort`](crate::debug::DebugPort)'s `resume`): frame 0 shows `pc + 1`.
    pub(crate) inside: Cell<bool>,
    pub(crate) frames: RefCell<Vec<Frame>>,
    /// The paused instance, lent while it is stopped for the debugger.
    pub(crate) parked: RefCell<Option<Rc<RefCell<dyn Inspect>>>>,
}

impl Probes {
    pub(crate) fn new(id: InstanceId, library: String) -> Self {
        Self {
            id,
            library,
            attached: Cell::new(false),
            mode: Cell::new(Mode::Continue),
            watching: Cell::new(false),
            filter: Cell::new(0),
            breakpoints: RefCell::new(Breakpoints::default()),
            stopped: Cell::new(None),
            reported: Cell::new(false),
            entry_stop: Cell::new(None),
            inside: Cell::new(false),
            frames: RefCell::new(Vec::new()),
            parked: RefCell::new(None),
        }
    }

    /// Whether a breakpoint is armed at `offset` (the debugger continuing, not stepping): the
    /// `enter` probe's check at a function's body start, where LLDB puts a breakpoint on a
    /// function whose prologue it does not skip.
    #[inline]
    pub(crate) fn breakpoint_at(&self, offset: u32) -> bool {
        self.watching.get()
            && self.mode.get() == Mode::Continue
            && self.filter.get() & bit(offset) != 0
            && self.breakpoints.borrow().is_armed(offset)
    }

    /// The `line` probe's decision at stop location `offset` (the frame's pc is set by the
    /// caller): why to stop here, if at all.
    #[inline]
    pub(crate) fn stop_at(&self, offset: u32) -> Option<StopKind> {
        if !self.watching.get() {
            return None;
        }
        let kind = match self.mode.get() {
            Mode::Step => StopKind::Step,
            Mode::Interrupt => StopKind::Interrupted,
            Mode::Continue
                if self.filter.get() & bit(offset) != 0
                    && self.breakpoints.borrow().is_armed(offset) =>
            {
                StopKind::Breakpoint
            }
            Mode::Continue => return None,
        };
        self.set_mode(Mode::Continue);
        Some(kind)
    }

    pub(crate) fn set_mode(&self, mode: Mode) {
        self.mode.set(mode);
        self.rewatch();
    }

    fn rewatch(&self) {
        let table = self.breakpoints.borrow();
        self.filter
            .set(table.ids().iter().fold(0, |filter, &at| filter | bit(at)));
        self.watching
            .set(self.mode.get() != Mode::Continue || !table.is_empty());
    }

    /// Arm a breakpoint at `offset`; `false` when all slots are taken.
    pub(crate) fn arm(&self, offset: u32) -> bool {
        let armed = self.breakpoints.borrow_mut().try_arm(offset).is_ok();
        self.rewatch();
        armed
    }

    /// Disarm the breakpoint at `offset`; whether one was armed.
    pub(crate) fn disarm(&self, offset: u32) -> bool {
        let was = self.breakpoints.borrow_mut().disarm(offset);
        self.rewatch();
        was
    }

    /// Forget every breakpoint and stop request (the debugger detached).
    pub(crate) fn reset(&self) {
        *self.breakpoints.borrow_mut() = Breakpoints::default();
        self.set_mode(Mode::Continue);
        self.attached.set(false);
        self.inside.set(false);
        self.entry_stop.set(None);
    }
}

impl core::fmt::Debug for Probes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Probes")
            .field("id", &self.id)
            .field("library", &self.library)
            .field("attached", &self.attached.get())
            .field("mode", &self.mode.get())
            .field("stopped", &self.stopped.get())
            .field("frames", &self.frames.borrow().len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_never_hides_an_armed_breakpoint() {
        let probes = Probes::new(1, String::new());
        probes.set_mode(Mode::Continue);
        // 0 and 4096 share a filter bit; disarming one keeps the other.
        assert_eq!(bit(0), bit(4096));
        assert!(probes.arm(0) && probes.arm(4096) && probes.arm(77));
        assert_eq!(probes.stop_at(4096), Some(StopKind::Breakpoint));
        assert!(probes.disarm(0));
        assert_eq!(probes.stop_at(0), None);
        assert_eq!(probes.stop_at(4096), Some(StopKind::Breakpoint));
        assert_eq!(probes.stop_at(78), None);
        probes.reset();
        assert_eq!(probes.stop_at(77), None);
        assert_eq!(probes.filter.get(), 0);
    }
}
