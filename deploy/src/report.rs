//! What a run did: [`RunReport`], and its text form.

use alloc::{format, string::String, vec::Vec};
use core::fmt::{self, Write as _};

use crate::board::NodeLog;
use crate::component::{Kind, State};
use crate::memory::PartitionTable;

/// One component at the end of a run.
#[derive(Clone, Debug)]
pub struct ComponentReport {
    /// Its name.
    pub name: String,
    /// Service or guest.
    pub kind: Kind,
    /// Where its memory was charged (`P4/1`, `P5/3`).
    pub placement: String,
    /// How it ended.
    pub state: State,
    /// Fuel slices it ran.
    pub slices: u64,
    /// Fuel (≈ WASM instructions) it consumed.
    pub fuel: u64,
    /// Its linear memory now, bytes.
    pub memory: usize,
    /// A service's P4 quota.
    pub quota: Option<u64>,
    /// A service's quota use now and at peak.
    pub pool: Option<(usize, usize)>,
    /// Times its restart policy restarted it.
    pub restarts: u32,
}

/// A component's RAM on a board with a partitioned heap, measured, not estimated: what its
/// load and its instantiation allocated, and a service's quota peak.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComponentRam {
    /// Its name.
    pub name: String,
    /// Its placement (`P4/1`, `P5/3`).
    pub placement: String,
    /// Bytes its module added to P2 (wasmi's module metadata and the function bodies when it
    /// was loaded, then the code of each function this component was the first to call,
    /// translated on that call).
    pub module: usize,
    /// Bytes its instantiation took in its own heap (store, instance, linear memory).
    pub instance: usize,
    /// A service's quota peak over the run (store, memory, stacks, messages).
    pub peak: Option<usize>,
}

/// What a run did.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// The deployment's name.
    pub deployment: String,
    /// Virtual time at the end (µs).
    pub time_us: u64,
    /// Scheduler polls made.
    pub polls: u64,
    /// Whether the time limit ended it (guests still running).
    pub timed_out: bool,
    /// Why the run was halted: P1, P2 or P6 ran out (a board resets).
    pub halted: Option<String>,
    /// Every component, services first.
    pub components: Vec<ComponentReport>,
    /// Each component's measured RAM (empty without a partitioned heap).
    pub ram: Vec<ComponentRam>,
    /// Heap in use before the first module loaded: kernel, engine, router, `hal`, `logger`
    /// (`None` without a partitioned heap).
    pub fixed_ram: Option<usize>,
    /// The partition table at the end of the run (`None` without a partitioned heap): the
    /// report's last section, the one part of it that a 64-bit host prints larger than a
    /// board.
    pub partitions: Option<PartitionTable>,
    /// P5: capacity, used now, peak.
    pub guest_pool: Option<(usize, usize, usize)>,
    /// The coroutine dump at the end.
    pub dump: String,
    /// The router's trace, rendered (empty unless [`RunOptions::keep_trace`](crate::RunOptions::keep_trace)).
    pub trace: String,
    /// Router trace events.
    pub trace_events: u64,
    /// Requests among them.
    pub requests: u64,
    /// Requests the policy refused.
    pub denied: u64,
    /// What each remote mesh node heard.
    pub radio: Vec<NodeLog>,
    /// Bytes written to UART 0.
    pub uart: Vec<u8>,
    /// Logger events pushed and overwritten.
    pub log_events: (u64, u64),
    /// GPIO level changes recorded.
    pub gpio_changes: usize,
}

impl RunReport {
    /// Whether every guest finished (none stopped, none still running).
    pub fn all_guests_finished(&self) -> bool {
        self.components
            .iter()
            .filter(|c| c.kind == Kind::Guest)
            .all(|c| c.state == State::Finished)
    }
}

impl RunReport {
    /// The RAM each component took, measured on the partitioned heap (`None` without one):
    /// a table for a board's log.
    pub fn ram_table(&self) -> Option<String> {
        let fixed = self.fixed_ram?;
        let mut out = format!(
            "RAM by component (bytes, measured)\n  {:<14} {:<6} {:>8} {:>9} {:>8}\n",
            "name", "where", "module", "instance", "peak"
        );
        out += &format!("  {:<14} {:<6} {fixed:>8}\n", "fixed", "P1-P3");
        for c in &self.ram {
            let peak = c.peak.map_or_else(String::new, |p| format!("{p}"));
            out += &format!(
                "  {:<14} {:<6} {:>8} {:>9} {peak:>8}\n",
                c.name, c.placement, c.module, c.instance
            );
        }
        Some(out)
    }
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.time_us;
        writeln!(
            f,
            "== {}: {} at t={}.{:06} s (virtual), {} polls",
            self.deployment,
            match (&self.halted, self.timed_out) {
                (Some(_), _) => "halted",
                (None, true) => "time limit reached",
                (None, false) => "guests done",
            },
            t / 1_000_000,
            t % 1_000_000,
            self.polls
        )?;
        writeln!(f, "\ncomponents")?;
        writeln!(
            f,
            "  {:<14} {:<8} {:<6} {:>8} {:>10} {:>8}  state",
            "name", "kind", "where", "slices", "fuel", "memory"
        )?;
        for c in &self.components {
            let state = match &c.state {
                State::Running(note) => format!("running ({note})"),
                State::Finished => "finished".into(),
                State::Stopped(why) => format!("stopped: {why}"),
                State::Removed => "removed".into(),
            };
            // Only a component that was restarted says so: other reports stay as they were.
            let state = match c.restarts {
                0 => state,
                1 => format!("{state}; restarted once"),
                n => format!("{state}; restarted {n} times"),
            };
            writeln!(
                f,
                "  {:<14} {:<8} {:<6} {:>8} {:>10} {:>8}  {state}",
                c.name,
                match c.kind {
                    Kind::Service => "service",
                    Kind::Guest => "guest",
                },
                c.placement,
                c.slices,
                c.fuel,
                c.memory
            )?;
        }
        writeln!(f, "\ncoroutine dump")?;
        for line in self.dump.lines() {
            writeln!(f, "  {line}")?;
        }
        writeln!(
            f,
            "\nrouter: {} trace events, {} requests, {} denied",
            self.trace_events, self.requests, self.denied
        )?;
        let mut radio = String::new();
        for (i, node) in self.radio.iter().enumerate() {
            let _ = write!(
                radio,
                "{}node {}: {} frames / {} B",
                if i == 0 { "" } else { ", " },
                i + 1,
                node.frames,
                node.bytes
            );
        }
        writeln!(f, "radio: {radio}")?;
        writeln!(
            f,
            "uart0: {} B written; logger: {} events ({} overwritten); gpio: {} changes",
            self.uart.len(),
            self.log_events.0,
            self.log_events.1,
            self.gpio_changes
        )?;
        match &self.partitions {
            Some(table) => write!(f, "\n{table}"),
            None => Ok(()),
        }
    }
}
