//! The debug port: the vSoC's instrumented instances as the `debugger` subsystem sees
//! them ([`Debuggee`]; feature `debug`; `docs/debugger.md`).
//!
//! An instance is debuggable when its module is an instrumented debug build (it imports
//! the probes of [`fireball_abi::debug`]); every other instance runs as before and is not
//! listed. Only a debugged instance ever stops: its task parks it, lending it to this
//! port, while every other task keeps its slices, router traffic and deadlines.

use alloc::{collections::VecDeque, rc::Rc, vec::Vec};

use fireball_subsystems::debugger::{DebugError, Debuggee, Event, InstanceId, Resume, StopKind};

use crate::{
    monitor::{Monitor, RunState},
    probes::{Mode, Probes},
    registry::Registry,
};

/// The debugger's handle on a vSoC ([`Vsoc::debug_port`](crate::Vsoc::debug_port)).
pub struct DebugPort {
    registry: Rc<Registry>,
    /// Every debuggable instance seen and not yet reported gone, by id.
    known: Vec<Rc<Monitor>>,
    /// Stops that happened without running (a step inside a statement), reported first.
    queued: VecDeque<Event>,
    attached: bool,
}

/// The probes of an instance found by its debug id (it has them: the lookups match on them).
fn probes(monitor: &Monitor) -> Result<&Probes, DebugError> {
    monitor.probes.as_deref().ok_or(DebugError::NoInstance)
}

impl DebugPort {
    pub(crate) fn new(registry: Rc<Registry>) -> Self {
        Self {
            registry,
            known: Vec::new(),
            queued: VecDeque::new(),
            attached: false,
        }
    }

    /// Whether a debugger is attached (any debuggable instance records for one).
    pub fn is_attached(&self) -> bool {
        self.registry
            .monitors
            .borrow()
            .iter()
            .any(|(_, m)| m.probes.as_deref().is_some_and(|p| p.attached.get()))
    }

    /// Stop every debuggable instance at its first stop location, where a debugger that
    /// connects later finds it (`fireball run --gdb`, the board's `gdb` image); `f` gets each
    /// one's id, component name and library name.
    pub fn hold(&mut self, f: &mut dyn FnMut(InstanceId, &str, &str)) {
        let mut ids = Vec::new();
        self.instances(&mut |id| ids.push(id));
        for id in ids {
            if self.interrupt(id).is_ok() {
                let _ = self.names(id, &mut |component, library| f(id, component, library));
            }
        }
    }

    /// Take in instances that appeared since the last look (new guests, restarts).
    fn refresh(&mut self) {
        for (_, monitor) in self.registry.monitors.borrow().iter() {
            let Some(p) = monitor.probes.as_deref() else {
                continue;
            };
            if self.known.iter().any(|m| Rc::ptr_eq(m, monitor)) {
                continue;
            }
            p.attached.set(self.attached);
            let at = self
                .known
                .partition_point(|m| probes(m).map_or(0, |q| q.id) < p.id);
            self.known.insert(at, monitor.clone());
        }
    }

    /// The live instance `id` (looked up in the registry: an instance spawned since the
    /// last [`poll_event`](Debuggee::poll_event) is found too).
    fn monitor(&self, id: InstanceId) -> Result<Rc<Monitor>, DebugError> {
        self.registry
            .monitors
            .borrow()
            .iter()
            .map(|(_, m)| m)
            .find(|m| m.probes.as_deref().is_some_and(|p| p.id == id) && is_alive(m))
            .cloned()
            .ok_or(DebugError::NoInstance)
    }

    /// The paused instance `id`.
    fn paused(&self, id: InstanceId) -> Result<Rc<Monitor>, DebugError> {
        let monitor = self.monitor(id)?;
        if *monitor.state.borrow() != RunState::Debugging {
            return Err(DebugError::Running);
        }
        Ok(monitor)
    }
}

fn is_alive(monitor: &Monitor) -> bool {
    !matches!(
        *monitor.state.borrow(),
        RunState::Finished | RunState::Stopped(_)
    )
}

impl Debuggee for DebugPort {
    fn instances(&self, f: &mut dyn FnMut(InstanceId)) {
        // `&self`: instances that appeared since the last `poll_event` are listed too.
        for (_, monitor) in self.registry.monitors.borrow().iter() {
            if let Some(p) = monitor.probes.as_deref() {
                f(p.id);
            }
        }
    }

    fn names(&self, id: InstanceId, f: &mut dyn FnMut(&str, &str)) -> Result<(), DebugError> {
        let monitor = self.monitor(id)?;
        f(&monitor.name, &probes(&monitor)?.library);
        Ok(())
    }

    fn is_paused(&self, id: InstanceId) -> Result<bool, DebugError> {
        Ok(*self.monitor(id)?.state.borrow() == RunState::Debugging)
    }

    fn poll_event(&mut self) -> Option<Event> {
        if let Some(event) = self.queued.pop_front() {
            return Some(event);
        }
        self.refresh();
        for (i, monitor) in self.known.iter().enumerate() {
            let Ok(p) = probes(monitor) else { continue };
            let state = monitor.state.borrow().clone();
            match state {
                RunState::Debugging if !p.reported.get() => {
                    p.reported.set(true);
                    let kind = p.stopped.get().unwrap_or(StopKind::Interrupted);
                    return Some(Event::Stopped(p.id, kind));
                }
                RunState::Finished | RunState::Stopped(_) => {
                    let id = p.id;
                    let finished = state == RunState::Finished;
                    self.known.remove(i);
                    return Some(if finished {
                        Event::Finished(id)
                    } else {
                        Event::Died(id)
                    });
                }
                _ => {}
            }
        }
        None
    }

    fn resume(&mut self, id: InstanceId, how: Resume) -> Result<(), DebugError> {
        let monitor = self.monitor(id)?;
        if *monitor.state.borrow() != RunState::Debugging {
            return Ok(());
        }
        let p = probes(&monitor)?;
        // A debugger steps by instructions, and steps once off a breakpoint before it steps
        // through the line; an instance stops only at statements. So the first step from a
        // stop location moves inside its statement without running (frame 0 at `pc + 1`,
        // still on that line), and the next one runs to the next stop location. (LLDB, whose
        // step off a breakpoint would otherwise leave the line at once, then takes that stop
        // as the end of the step off the breakpoint and runs on.)
        if how == Resume::Step && !p.inside.get() {
            p.inside.set(true);
            self.queued.push_back(Event::Stopped(id, StopKind::Step));
            return Ok(());
        }
        p.inside.set(false);
        p.set_mode(match how {
            Resume::Continue => Mode::Continue,
            Resume::Step => Mode::Step,
        });
        monitor.resume.set(true);
        if let Some(waker) = monitor.waker.borrow_mut().take() {
            waker.wake();
        }
        Ok(())
    }

    fn interrupt(&mut self, id: InstanceId) -> Result<(), DebugError> {
        let monitor = self.monitor(id)?;
        if *monitor.state.borrow() != RunState::Debugging {
            probes(&monitor)?.set_mode(Mode::Interrupt);
        }
        Ok(())
    }

    fn attach(&mut self, attached: bool) {
        self.refresh();
        self.attached = attached;
        for monitor in &self.known {
            let Ok(p) = probes(monitor) else { continue };
            if attached {
                p.attached.set(true);
            } else {
                p.reset();
                if *monitor.state.borrow() == RunState::Debugging {
                    monitor.resume.set(true);
                    if let Some(waker) = monitor.waker.borrow_mut().take() {
                        waker.wake();
                    }
                }
            }
        }
    }

    fn call_stack(&self, id: InstanceId, f: &mut dyn FnMut(u32)) -> Result<(), DebugError> {
        let monitor = self.paused(id)?;
        let p = probes(&monitor)?;
        let inside = u32::from(p.inside.get());
        for (depth, frame) in p.frames.borrow().iter().rev().enumerate() {
            f(if depth == 0 {
                frame.pc + inside
            } else {
                frame.pc
            });
        }
        Ok(())
    }

    fn read_local(
        &self,
        id: InstanceId,
        frame: usize,
        index: u32,
        buf: &mut [u8],
    ) -> Result<usize, DebugError> {
        let monitor = self.paused(id)?;
        let frames = probes(&monitor)?.frames.borrow();
        let at = frames
            .len()
            .checked_sub(frame + 1)
            .ok_or(DebugError::OutOfRange)?;
        let value = frames[at]
            .locals
            .get(index as usize)
            .copied()
            .flatten()
            .ok_or(DebugError::OutOfRange)?;
        Ok(value.write_le(buf))
    }

    fn read_global(&self, id: InstanceId, index: u32, buf: &mut [u8]) -> Result<usize, DebugError> {
        let monitor = self.paused(id)?;
        let parked = probes(&monitor)?.parked.borrow();
        let value = parked
            .as_ref()
            .and_then(|i| i.borrow().read_global(index))
            .ok_or(DebugError::OutOfRange)?;
        Ok(value.write_le(buf))
    }

    fn read_memory(
        &self,
        id: InstanceId,
        offset: u32,
        buf: &mut [u8],
    ) -> Result<usize, DebugError> {
        let monitor = self.paused(id)?;
        let parked = probes(&monitor)?.parked.borrow();
        let instance = parked.as_ref().ok_or(DebugError::Running)?;
        match instance.borrow().read_memory(offset, buf) {
            0 if !buf.is_empty() => Err(DebugError::OutOfRange),
            n => Ok(n),
        }
    }

    fn set_breakpoint(&mut self, id: InstanceId, offset: u32) -> Result<(), DebugError> {
        if probes(&*self.monitor(id)?)?.arm(offset) {
            Ok(())
        } else {
            Err(DebugError::BreakpointsFull)
        }
    }

    fn ps(&self, out: &mut dyn core::fmt::Write) -> core::fmt::Result {
        writeln!(
            out,
            "{:<16} {:>6} {:>9} {:>12}  state",
            "component", "thread", "slices", "calls"
        )?;
        for (_, monitor) in self.registry.monitors.borrow().iter() {
            let stats = monitor.stats();
            let thread = monitor.probes.as_deref().map_or(0, |p| p.id);
            writeln!(
                out,
                "{:<16} {:>6} {:>9} {:>12}  {}",
                monitor.name,
                thread,
                stats.slices,
                stats.builtins.host_calls,
                monitor.state.borrow()
            )?;
        }
        Ok(())
    }

    fn clear_breakpoint(&mut self, id: InstanceId, offset: u32) -> Result<bool, DebugError> {
        Ok(probes(&*self.monitor(id)?)?.disarm(offset))
    }
}
