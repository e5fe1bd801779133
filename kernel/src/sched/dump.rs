//! Task metadata and the coroutine dump (seed §8.2: the list of active coroutines).

use core::fmt;

use super::{Executor, TaskId};
use crate::mem::Placement;

/// Where a live task stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TaskState {
    /// In the ready queue: it will be polled.
    Ready,
    /// Suspended until something wakes it (a channel, a timer, an ISR flag).
    Waiting,
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            TaskState::Ready => "ready",
            TaskState::Waiting => "waiting",
        })
    }
}

/// A snapshot of one task's metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskInfo {
    /// The task's id.
    pub id: TaskId,
    /// The name given at spawn.
    pub name: &'static str,
    /// Ready or waiting.
    pub state: TaskState,
    /// The partition and owner its allocations are charged to.
    pub placement: Placement,
    /// Times the task has been polled.
    pub polls: u32,
    /// Polls that ended with the task re-queueing itself (a voluntary yield, e.g.
    /// [`super::yield_now`] or a guest running out of fuel).
    pub yields: u32,
}

/// A `Display`-able snapshot of every live task, one line each, in slot order.
///
/// ```text
/// id        name              state    partition  polls  yields
/// #0.1      router            waiting  P1/0           12       0
/// #1.1      svc-filter        ready    P4/3            4       3
/// ```
pub struct CoroutineDump<'a> {
    executor: &'a Executor,
    labels: Option<&'a dyn Fn(TaskId) -> Option<&'a str>>,
}

impl<'a> CoroutineDump<'a> {
    pub(super) fn new(executor: &'a Executor) -> Self {
        Self {
            executor,
            labels: None,
        }
    }

    /// Show `labels(id)` (the component a task runs, say) in place of a task's static name
    /// where it has one.
    pub fn labelled(self, labels: &'a dyn Fn(TaskId) -> Option<&'a str>) -> Self {
        Self {
            labels: Some(labels),
            ..self
        }
    }
}

impl fmt::Display for CoroutineDump<'_> {
    #[cfg_attr(fireball_size_hints, optimize(size))]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<9} {:<17} {:<8} {:<10} {:>6} {:>7}",
            "id", "name", "state", "partition", "polls", "yields"
        )?;
        for task in self.executor.tasks() {
            // Format through a small stack buffer so the columns line up without allocating.
            let mut id = Column::<12>::new();
            fmt::write(&mut id, format_args!("{}", task.id))?;
            let mut placement = Column::<12>::new();
            fmt::write(&mut placement, format_args!("{}", task.placement))?;
            writeln!(
                f,
                "{:<9} {:<17} {:<8} {:<10} {:>6} {:>7}",
                id.as_str(),
                self.labels
                    .and_then(|labels| labels(task.id))
                    .unwrap_or(task.name),
                task.state,
                placement.as_str(),
                task.polls,
                task.yields
            )?;
        }
        write!(
            f,
            "{} task(s), {} ready, capacity {}",
            self.executor.len(),
            self.executor.ready_len(),
            self.executor.capacity()
        )
    }
}

impl fmt::Debug for CoroutineDump<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A fixed-size text buffer used to pad composite values to a column width.
struct Column<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> Column<N> {
    fn new() -> Self {
        Self {
            bytes: [0; N],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        // Only whole `&str`s are ever copied in, so the prefix is valid UTF-8.
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("?")
    }
}

impl<const N: usize> fmt::Write for Column<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > N {
            return Err(fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
