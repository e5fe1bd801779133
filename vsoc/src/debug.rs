//! The debug port: the vSoC's instrumented instances as the `debugger` subsystem sees
//! them ([`Debuggee`]; feature `debug`; `docs/debugger.md`).
//!
//! An instance is debuggable when its module is an instrumented debug build (it imports
//! the probes of [`fireball_abi::debug`]); every other instance runs as before and is not
//! listed. Only a debugged instance ever stops: its task parks it, lending it to this
//! port, while every other task keeps its slices, router traffic and deadlines.

use alloc::{rc::Rc, vec::Vec};

use fireball_subsystems::debugger::{
    DebugError, Debuggee, Event, InstanceId, Resume, StopKind,
};

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
    attached: bool,
}

fn probes(monitor: &Monitor) -> &Probes {
    // `known` holds only monitors with probes.
    monitor
        .probes
        .as_deref()
        .expect("a known instance has probes")
}

impl DebugPort {
    pub(crate) fn new(registry: Rc<Registry>) -> Self {
        Self {
            registry,
            known: Vec::new(),
            attached: false,
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
                .partition_point(|m| probes(m).id < p.id);
            self.known.insert(at, monitor.clone());
        }
    }

    fn monitor(&self, id: InstanceId) -> Result<&Rc<Monitor>, DebugError> {
        self.known
            .iter()
            .find(|m| probes(m).id == id && is_alive(m))
            .ok_or(DebugError::NoInstance)
    }

    /// The paused instance `id`'s probes.
    fn paused(&self, id: InstanceId) -> Result<&Probes, DebugError> {
        let monitor = self.monitor(id)?;
        if *monitor.state.borrow() != RunState::Debugging {
            return Err(DebugError::Running);
        }
        Ok(probes(monitor))
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
        let found = self
            .registry
            .monitors
            .borrow()
            .iter()
            .find(|(_, m)| m.probes.as_deref().is_some_and(|p| p.id == id))
            .map(|(_, m)| m.clone())
            .ok_or(DebugError::NoInstance)?;
        f(&found.name, &probes(&found).library);
        Ok(())
    }

    fn is_paused(&self, id: InstanceId) -> Result<bool, DebugError> {
        Ok(*self.monitor(id)?.state.borrow() == RunState::Debugging)
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.refresh();
        for (i, monitor) in self.known.iter().enumerate() {
            let p = probes(monitor);
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
        let p = probes(monitor);
        if *monitor.state.borrow() != RunState::Debugging {
            return Ok(());
        }
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
            probes(monitor).set_mode(Mode::Interrupt);
        }
        Ok(())
    }

    fn attach(&mut self, attached: bool) {
        self.refresh();
        self.attached = attached;
        for monitor in &self.known {
            let p = probes(monitor);
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
        let p = self.paused(id)?;
        for frame in p.frames.borrow().iter().rev() {
            f(frame.pc);
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
        let p = self.paused(id)?;
        let frames = p.frames.borrow();
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

    fn read_global(
        &self,
        id: InstanceId,
        index: u32,
        buf: &mut [u8],
    ) -> Result<usize, DebugError> {
        let p = self.paused(id)?;
        let parked = p.parked.borrow();
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
        let p = self.paused(id)?;
        let parked = p.parked.borrow();
        let instance = parked.as_ref().ok_or(DebugError::Running)?;
        match instance.borrow().read_memory(offset, buf) {
            0 if !buf.is_empty() => Err(DebugError::OutOfRange),
            n => Ok(n),
        }
    }

    fn set_breakpoint(&mut self, id: InstanceId, offset: u32) -> Result<(), DebugError> {
        let p = probes(self.monitor(id)?);
        if p.arm(offset) {
            Ok(())
        } else {
            Err(DebugError::BreakpointsFull)
        }
    }

    fn clear_breakpoint(&mut self, id: InstanceId, offset: u32) -> Result<bool, DebugError> {
        Ok(probes(self.monitor(id)?).disarm(offset))
    }
}
