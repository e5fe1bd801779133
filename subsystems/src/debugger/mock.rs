//! [`MockDebuggee`]: a scripted [`Debuggee`] for the stub's tests, the `debugger_mock`
//! example and the fuzz target.
//!
//! Each instance walks a list of stop locations (code offsets), one per [`tick`]; at each
//! it stops for a pending step, an armed breakpoint or an interrupt, in that order, and
//! after the last one it finishes. Frames: the current location, then fixed return
//! addresses. Local `i` of frame `f` is the `i32` `f * 100 + i` (four locals per frame);
//! global `g` is the `i32` `0x1000 + g` (two globals); memory is 256 bytes, byte `n` = `n`.
//!
//! [`tick`]: MockDebuggee::tick

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

use super::{DebugError, Debuggee, Event, InstanceId, Resume, StopKind};

/// The number of breakpoints one mock instance can hold.
pub const MOCK_BREAKPOINTS: usize = 4;

/// One scripted instance.
#[derive(Clone, Debug)]
pub struct MockInstance {
    /// Its thread / module id.
    pub id: InstanceId,
    /// Its component name.
    pub component: String,
    /// Its library name.
    pub library: String,
    /// The stop locations it walks through.
    pub path: Vec<u32>,
    /// Index into `path` of where it is.
    pub at: usize,
    /// The outer frames' return addresses, innermost first.
    pub callers: Vec<u32>,
    /// Paused for the debugger.
    pub paused: bool,
    /// Stop at the next location ([`Resume::Step`]).
    pub stepping: bool,
    /// Stop at the next location ([`Debuggee::interrupt`]).
    pub interrupting: bool,
    /// Armed breakpoints.
    pub breakpoints: Vec<u32>,
}

/// A scripted debuggee: instances, their breakpoints, and a queue of events.
#[derive(Clone, Debug, Default)]
pub struct MockDebuggee {
    /// The live instances, ascending ids.
    pub instances: Vec<MockInstance>,
    /// Events not polled yet.
    pub events: VecDeque<Event>,
    /// What `attach` was last called with.
    pub attached: bool,
    /// How many times `attach(true)` was called.
    pub attaches: u32,
}

impl MockDebuggee {
    /// Two instances: 1 `aggregator` and 2 `sensor-buffer`, each with a path of stop
    /// locations, running.
    pub fn two() -> Self {
        let mut m = MockDebuggee::default();
        m.add(1, "aggregator", &[0x184, 0x18a, 0x190, 0x19c, 0x1a0]);
        m.add(2, "sensor-buffer", &[0x210, 0x214, 0x220]);
        m
    }

    /// Add a running instance walking `path`.
    pub fn add(&mut self, id: InstanceId, component: &str, path: &[u32]) {
        let mut library = String::from(component);
        library.push_str(".wasm");
        self.instances.push(MockInstance {
            id,
            component: component.into(),
            library,
            path: path.into(),
            at: 0,
            callers: alloc::vec![0x2f0, 0x3a8],
            paused: false,
            stepping: false,
            interrupting: false,
            breakpoints: Vec::new(),
        });
    }

    /// Instance `id`, if alive.
    pub fn get(&self, id: InstanceId) -> Result<&MockInstance, DebugError> {
        self.instances
            .iter()
            .find(|i| i.id == id)
            .ok_or(DebugError::NoInstance)
    }

    fn get_mut(&mut self, id: InstanceId) -> Result<&mut MockInstance, DebugError> {
        self.instances
            .iter_mut()
            .find(|i| i.id == id)
            .ok_or(DebugError::NoInstance)
    }

    fn paused(&self, id: InstanceId) -> Result<&MockInstance, DebugError> {
        let i = self.get(id)?;
        if i.paused {
            Ok(i)
        } else {
            Err(DebugError::Running)
        }
    }

    /// Pause `id` where it is and queue `Stopped(id, kind)`, as the vSoC would.
    pub fn stop(&mut self, id: InstanceId, kind: StopKind) {
        if let Ok(i) = self.get_mut(id) {
            i.paused = true;
            self.events.push_back(Event::Stopped(id, kind));
        }
    }

    /// One scheduler turn: every running instance moves to its next stop location.
    pub fn tick(&mut self) {
        let mut gone = Vec::new();
        for i in self.instances.iter_mut().filter(|i| !i.paused) {
            i.at += 1;
            let Some(pc) = i.path.get(i.at) else {
                gone.push(i.id);
                continue;
            };
            let kind = if i.stepping {
                StopKind::Step
            } else if i.breakpoints.contains(pc) {
                StopKind::Breakpoint
            } else if i.interrupting {
                StopKind::Interrupted
            } else {
                continue;
            };
            i.paused = true;
            i.stepping = false;
            i.interrupting = false;
            self.events.push_back(Event::Stopped(i.id, kind));
        }
        for id in gone {
            self.instances.retain(|i| i.id != id);
            self.events.push_back(Event::Finished(id));
        }
    }
}

fn put(buf: &mut [u8], value: &[u8]) -> Result<usize, DebugError> {
    let dst = buf.get_mut(..value.len()).ok_or(DebugError::OutOfRange)?;
    dst.copy_from_slice(value);
    Ok(value.len())
}

impl Debuggee for MockDebuggee {
    fn ps(&self, out: &mut dyn core::fmt::Write) -> core::fmt::Result {
        for i in &self.instances {
            writeln!(
                out,
                "{:<12} {}",
                i.component,
                if i.paused { "paused" } else { "running" }
            )?;
        }
        Ok(())
    }

    fn instances(&self, f: &mut dyn FnMut(InstanceId)) {
        self.instances.iter().for_each(|i| f(i.id));
    }

    fn names(&self, id: InstanceId, f: &mut dyn FnMut(&str, &str)) -> Result<(), DebugError> {
        let i = self.get(id)?;
        f(&i.component, &i.library);
        Ok(())
    }

    fn is_paused(&self, id: InstanceId) -> Result<bool, DebugError> {
        Ok(self.get(id)?.paused)
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn resume(&mut self, id: InstanceId, how: Resume) -> Result<(), DebugError> {
        let i = self.get_mut(id)?;
        if i.paused {
            i.paused = false;
            i.stepping = how == Resume::Step;
        }
        Ok(())
    }

    fn interrupt(&mut self, id: InstanceId) -> Result<(), DebugError> {
        let i = self.get_mut(id)?;
        if !i.paused {
            i.interrupting = true;
        }
        Ok(())
    }

    fn attach(&mut self, attached: bool) {
        self.attached = attached;
        if attached {
            self.attaches += 1;
        } else {
            for i in &mut self.instances {
                i.breakpoints.clear();
                i.paused = false;
                i.stepping = false;
                i.interrupting = false;
            }
        }
    }

    fn call_stack(&self, id: InstanceId, f: &mut dyn FnMut(u32)) -> Result<(), DebugError> {
        let i = self.paused(id)?;
        f(i.path[i.at]);
        i.callers.iter().for_each(|pc| f(*pc));
        Ok(())
    }

    fn read_local(
        &self,
        id: InstanceId,
        frame: usize,
        index: u32,
        buf: &mut [u8],
    ) -> Result<usize, DebugError> {
        let i = self.paused(id)?;
        if frame > i.callers.len() || index >= 4 {
            return Err(DebugError::OutOfRange);
        }
        let value = u32::try_from(frame).map_err(|_| DebugError::OutOfRange)? * 100 + index;
        put(buf, &value.to_le_bytes())
    }

    fn read_global(&self, id: InstanceId, index: u32, buf: &mut [u8]) -> Result<usize, DebugError> {
        self.paused(id)?;
        if index >= 2 {
            return Err(DebugError::OutOfRange);
        }
        put(buf, &(0x1000 + index).to_le_bytes())
    }

    fn read_memory(
        &self,
        id: InstanceId,
        offset: u32,
        buf: &mut [u8],
    ) -> Result<usize, DebugError> {
        self.paused(id)?;
        let offset = usize::try_from(offset).map_err(|_| DebugError::OutOfRange)?;
        let n = buf.len().min(256usize.saturating_sub(offset));
        if n == 0 {
            return Err(DebugError::OutOfRange);
        }
        for (k, b) in buf[..n].iter_mut().enumerate() {
            *b = (offset + k) as u8;
        }
        Ok(n)
    }

    fn set_breakpoint(&mut self, id: InstanceId, offset: u32) -> Result<(), DebugError> {
        let i = self.get_mut(id)?;
        if !i.breakpoints.contains(&offset) {
            if i.breakpoints.len() == MOCK_BREAKPOINTS {
                return Err(DebugError::BreakpointsFull);
            }
            i.breakpoints.push(offset);
        }
        Ok(())
    }

    fn clear_breakpoint(&mut self, id: InstanceId, offset: u32) -> Result<bool, DebugError> {
        let i = self.get_mut(id)?;
        let before = i.breakpoints.len();
        i.breakpoints.retain(|b| *b != offset);
        Ok(i.breakpoints.len() != before)
    }
}
