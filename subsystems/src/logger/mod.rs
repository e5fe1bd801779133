//! The logger subsystem's core: an event ring and a text message queue.
//!
//! Two paths, both non-blocking:
//!
//! - **Events** ([`Event`], 8 bytes) from the scheduler, channels, memory,
//!   router and vSoC go into an [`EventRing`] of 256 slots (seed §1.2.1).
//!   Pushing is a store and an index update; overflow overwrites the oldest
//!   event and is counted.
//! - **Messages** — text a component logs through `log://` — go into a
//!   bounded queue of [`MESSAGE_SLOTS`]; a full queue drops the new message
//!   and counts it (the sender is never blocked).
//!
//! [`Logger::drain`] renders both, oldest first, to a console (stdout on the
//! host, the UART on a board), followed by the drop counts if any.

mod event;
mod ring;

pub use event::{Event, EventKind, Level};
pub use ring::{DEFAULT_EVENTS, EventRing};

use alloc::vec::Vec;
use core::fmt::Write as _;

use fireball_kernel::mem::Placement;

use crate::hal::Console;

/// Text messages held at once.
pub const MESSAGE_SLOTS: usize = 16;
/// Longest message kept, in bytes; longer text is cut at a character boundary. The same
/// limit the SDKs cut at (`fireball_record::system::log::MAX_TEXT`).
pub const MESSAGE_BYTES: usize = fireball_record::system::log::MAX_TEXT;

/// One text message from a component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// When, in milliseconds since boot.
    pub at_ms: u32,
    /// How severe.
    pub level: Level,
    /// Who logged it.
    pub component: heapless::String<24>,
    /// What it said (cut to [`MESSAGE_BYTES`]).
    pub text: heapless::String<MESSAGE_BYTES>,
}

/// What a task slot runs: the name and placement a scheduler event about it is printed with.
#[derive(Clone, Debug, PartialEq, Eq)]
struct TaskLabel {
    name: heapless::String<24>,
    placement: Placement,
}

/// The logger: events, messages, a level filter and drop counters.
pub struct Logger<const N: usize = DEFAULT_EVENTS> {
    events: EventRing<N>,
    /// By task slot, what the task spawned there last runs (events carry only the slot).
    tasks: Vec<Option<TaskLabel>>,
    messages: heapless::Deque<Message, MESSAGE_SLOTS>,
    messages_dropped: u64,
    filtered: u64,
    max_level: Level,
    reported_overwritten: u64,
    reported_dropped: u64,
}

impl<const N: usize> Default for Logger<N> {
    fn default() -> Self {
        Self::new(Level::Info)
    }
}

fn cut<const M: usize>(text: &str) -> heapless::String<M> {
    let mut end = text.len().min(M);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = heapless::String::new();
    // Cannot fail: `end <= M` bytes.
    let _ = out.push_str(&text[..end]);
    out
}

impl<const N: usize> Logger<N> {
    /// A logger keeping events and messages at `max_level` or more severe.
    pub fn new(max_level: Level) -> Self {
        Self {
            events: EventRing::new(),
            tasks: Vec::new(),
            messages: heapless::Deque::new(),
            messages_dropped: 0,
            filtered: 0,
            max_level,
            reported_overwritten: 0,
            reported_dropped: 0,
        }
    }

    /// Record an event (never blocks; overflow is counted).
    #[inline]
    pub fn event(&mut self, event: Event) {
        if event.level() <= self.max_level {
            self.events.push(event);
        } else {
            self.filtered += 1;
        }
    }

    /// Record a component's text message (never blocks; a full queue drops and counts).
    pub fn message(&mut self, at_ms: u32, level: Level, component: &str, text: &str) {
        if level > self.max_level {
            self.filtered += 1;
            return;
        }
        let message = Message {
            at_ms,
            level,
            component: cut(component),
            text: cut(text),
        };
        if self.messages.push_back(message).is_err() {
            self.messages_dropped += 1;
        }
    }

    /// Name task slot `slot`: scheduler events about it print `name (placement)` instead of
    /// the slot (`sched: spawned filter (P4/1)`). A later task in the same slot replaces the
    /// label; the label is read when a line is drained, so an event still in the ring when
    /// its slot is reused would print the newer name (the logger drains at every idle turn).
    pub fn label_task(&mut self, slot: u16, name: &str, placement: Placement) {
        let slot = usize::from(slot);
        if self.tasks.len() <= slot {
            self.tasks.resize(slot + 1, None);
        }
        self.tasks[slot] = Some(TaskLabel {
            name: cut(name),
            placement,
        });
    }

    /// `event` as one line: a scheduler event names its task when it has a label.
    fn write_event(&self, line: &mut heapless::String<160>, event: &Event) {
        let label = match event.kind() {
            Some(
                kind @ (EventKind::TaskSpawned
                | EventKind::TaskResumed
                | EventKind::TaskCompleted
                | EventKind::TaskCancelled),
            ) => self
                .tasks
                .get(usize::from(event.arg()))
                .and_then(Option::as_ref)
                .map(|label| (kind, label)),
            _ => None,
        };
        match label {
            Some((kind, label)) => {
                let what = match kind {
                    EventKind::TaskSpawned => "spawned",
                    EventKind::TaskResumed => "resumed",
                    EventKind::TaskCompleted => "completed",
                    _ => "cancelled",
                };
                let _ = write!(
                    line,
                    "[{:>6}.{:03}] {} sched: {what} {} ({})",
                    event.at_ms() / 1000,
                    event.at_ms() % 1000,
                    event.level().label(),
                    label.name,
                    label.placement
                );
            }
            None => {
                let _ = write!(line, "{event}");
            }
        }
    }

    /// The event ring (for statistics).
    pub fn events(&self) -> &EventRing<N> {
        &self.events
    }

    /// Messages dropped because the queue was full.
    pub fn messages_dropped(&self) -> u64 {
        self.messages_dropped
    }

    /// Events and messages below the level filter.
    pub fn filtered(&self) -> u64 {
        self.filtered
    }

    /// Write everything waiting to `console`, oldest first (events and
    /// messages interleaved by time), then a line counting any overflow since
    /// the last drain. Returns how many lines were written.
    pub fn drain(&mut self, console: &mut dyn Console) -> usize {
        let mut lines = 0;
        let mut line = heapless::String::<160>::new();
        loop {
            let message_first = match (self.events.peek(), self.messages.front()) {
                (None, None) => break,
                (Some(e), Some(m)) => m.at_ms < e.at_ms(),
                (None, Some(_)) => true,
                (Some(_), None) => false,
            };
            line.clear();
            if message_first {
                if let Some(m) = self.messages.pop_front() {
                    let _ = write!(
                        line,
                        "[{:>6}.{:03}] {} {}: {}",
                        m.at_ms / 1000,
                        m.at_ms % 1000,
                        m.level.label(),
                        m.component,
                        m.text
                    );
                }
            } else if let Some(e) = self.events.pop() {
                self.write_event(&mut line, &e);
            }
            let _ = line.push('\n');
            console.write(line.as_bytes());
            lines += 1;
        }
        let overwritten = self.events.overwritten() - self.reported_overwritten;
        let dropped = self.messages_dropped - self.reported_dropped;
        if overwritten > 0 || dropped > 0 {
            line.clear();
            let _ = writeln!(
                line,
                "[logger] overflow: {overwritten} event(s) overwritten, {dropped} message(s) dropped"
            );
            console.write(line.as_bytes());
            lines += 1;
            self.reported_overwritten += overwritten;
            self.reported_dropped += dropped;
        }
        lines
    }
}

#[cfg(test)]
mod tests;
