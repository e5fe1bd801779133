//! `sched`: the executor for stackless tasks (Rust futures).
//!
//! An [`Executor`] owns up to [`MAX_TASKS`] tasks in a slot table allocated once at creation.
//! [`Executor::step`] pops the front of a FIFO ready queue and polls that task once;
//! [`Executor::run_until_idle`] steps until nothing is ready. Order is deterministic: tasks run
//! in the order they were made ready (spawn order first, then wake order), so the same program
//! with the same inputs always interleaves the same way.
//!
//! [`Executor::run_until_idle`] and [`Executor::run_for`] poll in a loop with the step inlined.
//! Without an observer or a partition switch (both can only change through `&mut self`, so the
//! loop decides once) a task switch is: a ring pop (the head in a register, the slot's state
//! word read and its queued flag cleared), the entry recorded as the board's current task, a
//! `Context` lending the executor's running waker (one per executor, see `waker.rs`), the
//! task's own poll, and two counters (the yield one without a branch). Everything a wake-up or
//! a pop indexes is masked to a power of two, so none of it is bounds-checked at run time, and
//! the slot of a popped entry is known to be in bounds and live (see `run_plain`).

//! A task is named by a [`TaskId`] (slot + generation); once the task ends its id goes stale and
//! every use of it is a [`TaskError::Stale`], even after the slot is reused.
//!
//! # Waking
//!
//! Wakers are allocation-free (see `waker.rs`): a packed word naming a static wake board, a slot
//! and a generation. The executor is single-threaded and cooperative; **wakers must be called on
//! the executor's own thread** (from a task, or from the code that drives the executor). A waker
//! called elsewhere cannot cause undefined behaviour but may lose the wake-up. Interrupt
//! handlers do not call wakers: they raise flags that the firmware loop turns into
//! [`Executor::wake`] calls.
//!
//! # Partitions
//!
//! Each task belongs to a [`Placement`] (a memory partition and an owner). Given a
//! [`PartitionSwitch`] (the partitioned heap), the executor makes the task's placement current
//! around its poll — and around boxing its future at spawn — so the task's allocations land in
//! its own partition.
//!
//! # Observing
//!
//! [`Executor::set_observer`] installs a [`TaskObserver`] told of every spawn, resume,
//! completion and cancellation (the logger's scheduler events). Unset, it costs one branch
//! per poll.

mod dump;
mod observer;
mod wake_board;
mod waker;

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

pub use dump::{CoroutineDump, TaskInfo, TaskState};
pub use observer::TaskObserver;

use crate::config::MAX_TASKS;
use crate::mem::{PartitionSwitch, Placement};
use wake_board::WakeBoard;
pub(crate) use waker::{clone_waker, drop_waker, will_wake};

/// Names one task: its slot and the generation of that slot when the task was spawned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId {
    slot: u16,
    generation: u32,
}

impl TaskId {
    /// The slot index (reused by later tasks).
    pub const fn slot(self) -> u16 {
        self.slot
    }

    /// The generation (distinguishes successive tasks in the same slot).
    pub const fn generation(self) -> u32 {
        self.generation
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}.{}", self.slot, self.generation)
    }
}

/// Why an executor could not be created (the deployment's configuration is at fault).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecutorError {
    /// All `MAX_EXECUTORS` wake boards are taken by live executors.
    NoWakeBoard,
    /// The requested capacity exceeds `MAX_TASKS`.
    CapacityTooLarge,
}

/// Why a task could not be spawned; the future is handed back.
pub enum SpawnError<F> {
    /// Every task slot is in use (the caller spawned more than the configured capacity).
    Full(F),
}

impl<F> SpawnError<F> {
    /// The future that was not spawned.
    pub fn into_inner(self) -> F {
        match self {
            SpawnError::Full(future) => future,
        }
    }
}

impl<F> fmt::Debug for SpawnError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SpawnError::Full(..)")
    }
}

/// Why a [`TaskId`] was refused (the caller holds a wrong id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskError {
    /// The task has finished or was cancelled; its slot may have been reused.
    Stale,
    /// The id names a slot this executor does not have (forged or from another executor).
    OutOfRange,
}

/// What one [`Executor::step`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Nothing was ready.
    Idle,
    /// The task was polled and is still alive.
    Suspended(TaskId),
    /// The task was polled and finished; its id is now stale.
    Finished(TaskId),
}

type TaskFuture = Pin<Box<dyn Future<Output = ()>>>;

/// One slot of the task table: everything the kernel keeps per task, besides the future's own
/// state (boxed) and the slot's wake-board entry.
pub(crate) struct TaskSlot {
    future: Option<TaskFuture>,
    name: &'static str,
    polls: u32,
    yields: u32,
    placement: Placement,
}

impl TaskSlot {
    const fn empty() -> Self {
        Self {
            future: None,
            name: "",
            polls: 0,
            yields: 0,
            placement: Placement::KERNEL,
        }
    }
}

/// Per-task bookkeeping bytes: the slot plus its static wake-board entry (excludes the future).
pub const TASK_OVERHEAD_BYTES: usize = size_of::<TaskSlot>() + wake_board::BOARD_BYTES_PER_SLOT;

// On 32-bit targets (Cortex-M33) the figure is pinned: 28 B of slot + 6 B of board. The
// firmware build fails if a change grows it; see `per_task_overhead_is_bounded` for the budget.
#[cfg(target_pointer_width = "32")]
const _: () = assert!(size_of::<TaskSlot>() == 28 && TASK_OVERHEAD_BYTES == 34);

/// The cooperative executor. See the [module documentation](self).
pub struct Executor {
    board_index: u8,
    board: &'static WakeBoard,
    /// Ring position of the oldest ready entry on the board (free-running). Only the executor
    /// pops, so the head lives here, where the run loop can keep it in a register.
    head: u32,
    slots: Box<[TaskSlot]>,
    live: usize,

    switch: Option<&'static dyn PartitionSwitch>,
    observer: Option<Rc<dyn TaskObserver>>,
}

impl Executor {
    /// An executor with room for [`MAX_TASKS`] tasks.
    pub fn new() -> Result<Self, ExecutorError> {
        Self::with_capacity(MAX_TASKS)
    }

    /// An executor with room for `capacity` tasks (at most [`MAX_TASKS`]).
    pub fn with_capacity(capacity: usize) -> Result<Self, ExecutorError> {
        if capacity > MAX_TASKS {
            return Err(ExecutorError::CapacityTooLarge);
        }
        let (board_index, board) = WakeBoard::claim().ok_or(ExecutorError::NoWakeBoard)?;
        let mut slots = Vec::with_capacity(capacity);
        slots.resize_with(capacity, TaskSlot::empty);
        Ok(Self {
            board_index,
            board,
            head: 0,
            slots: slots.into_boxed_slice(),
            live: 0,
            switch: None,
            observer: None,
        })
    }

    /// Routes each task's allocations to its partition: `switch` is told the task's placement
    /// before the task is polled (or its future boxed) and the previous one afterwards.
    pub fn set_partition_switch(&mut self, switch: &'static dyn PartitionSwitch) {
        self.switch = Some(switch);
    }

    /// Tells `observer` of every spawn, resume, completion and cancellation from now on.
    pub fn set_observer(&mut self, observer: Rc<dyn TaskObserver>) {
        self.observer = Some(observer);
    }

    /// Spawns a kernel task (placement [`Placement::KERNEL`]); it runs after those already ready.
    pub fn spawn<F>(&mut self, name: &'static str, future: F) -> Result<TaskId, SpawnError<F>>
    where
        F: Future<Output = ()> + 'static,
    {
        self.spawn_in(name, Placement::KERNEL, future)
    }

    /// Spawns a task owned by `placement`; its future is boxed in that partition.
    pub fn spawn_in<F>(
        &mut self,
        name: &'static str,
        placement: Placement,
        future: F,
    ) -> Result<TaskId, SpawnError<F>>
    where
        F: Future<Output = ()> + 'static,
    {
        self.spawn_labelled_in(name, name, placement, future)
    }

    /// [`spawn_in`](Self::spawn_in), telling the observer `label` (the component the task
    /// runs, say) instead of `name`, the task's static kind the dump shows.
    pub fn spawn_labelled_in<F>(
        &mut self,
        name: &'static str,
        label: &str,
        placement: Placement,
        future: F,
    ) -> Result<TaskId, SpawnError<F>>
    where
        F: Future<Output = ()> + 'static,
    {
        let Some(slot) = self.slots.iter().position(|s| s.future.is_none()) else {
            return Err(SpawnError::Full(future));
        };
        let boxed: TaskFuture = self.within(placement, || Box::pin(future));
        let generation = self.board.occupy(slot);
        self.slots[slot] = TaskSlot {
            future: Some(boxed),
            name,
            polls: 0,
            yields: 0,
            placement,
        };
        self.live += 1;
        self.board.push(self.entry(slot));
        // Slots are < MAX_TASKS <= 1024.
        let id = TaskId {
            slot: slot as u16,
            generation,
        };
        if let Some(observer) = &self.observer {
            observer.spawned(id, label, placement);
        }
        Ok(id)
    }

    /// Polls the task at the front of the ready queue once.
    pub fn step(&mut self) -> Step {
        self.poll_next()
    }

    /// [`Executor::step`], inlined into the general run loop so that a task switch costs no
    /// call of its own.
    #[inline(always)]
    fn poll_next(&mut self) -> Step {
        let Some((entry, state)) = self.board.pop(self.head) else {
            return Step::Idle;
        };
        self.head = self.head.wrapping_add(1);
        let slot = wake_board::slot_of(entry);
        let id = TaskId {
            slot: slot as u16,
            generation: state >> 1,
        };
        // The executor's running waker wakes whichever task the board says is current.
        self.board.set_current(entry);
        let waker = waker::running_waker(self.board);
        let mut cx = Context::from_waker(&waker);
        let switch = self.switch;
        if let Some(observer) = &self.observer {
            observer.resumed(id);
        }
        let task = &mut self.slots[slot];
        let previous = switch.map(|s| s.switch_to(task.placement));
        let Some(future) = task.future.as_mut() else {
            unreachable!("a queued slot always holds a task")
        };
        let poll = future.as_mut().poll(&mut cx);
        task.polls = task.polls.wrapping_add(1);
        let step = match poll {
            Poll::Pending => {
                if self.board.is_queued(slot) {
                    // It woke itself while running: a voluntary yield.
                    task.yields = task.yields.wrapping_add(1);
                }
                Step::Suspended(id)
            }
            Poll::Ready(()) => {
                task.future = None;
                self.finished(id);
                Step::Finished(id)
            }
        };
        if let (Some(s), Some(p)) = (switch, previous) {
            s.switch_to(p);
        }
        step
    }

    /// The run loop of [`Executor::run_until_idle`] and [`Executor::run_for`] for an executor
    /// with neither observer nor partition switch (both can only change through `&mut self`,
    /// so the caller checks them once): pops, polls and counts, and builds no [`Step`].
    ///
    /// The board, the ring head and the running waker live in locals (the head is written
    /// back before a finished task's bookkeeping and at the end), so nothing the poll could
    /// reach is reloaded per switch. With `BOUNDED` it stops after `max_polls` polls; either
    /// way it returns the polls made, which is how far the head moved (modulo 2^32, which
    /// only a 64-bit host running more than 4 billion polls in one call could notice).
    #[inline(always)]
    #[allow(unsafe_code)]
    fn run_plain<const BOUNDED: bool>(&mut self, max_polls: usize) -> usize {
        let board = self.board;
        // One waker for every poll: it wakes whichever task the board says is current.
        let waker = waker::running_waker(board);
        let start = self.head;
        let mut head = start;
        let mut polls = 0usize;
        while !BOUNDED || polls < max_polls {
            let Some((entry, state)) = board.pop(head) else {
                break;
            };
            head = head.wrapping_add(1);
            polls = polls.wrapping_add(1);
            let slot = wake_board::slot_of(entry);
            board.set_current(entry);
            let mut cx = Context::from_waker(&waker);
            debug_assert!(slot < self.slots.len() && self.slots[slot].future.is_some());
            // Safety: a slot is queued only while it holds a task: `spawn_in` queues the slot
            // it fills (an index below `slots.len()`), `Executor::wake` and wakers queue a slot
            // only while its state word says live (odd generation, set by `occupy`, which only
            // `spawn_in` calls, for a slot of this table), and `vacate` unlinks the slot from
            // the ring before it empties it. A board's slots beyond this executor's capacity
            // are never occupied while it holds the board, so their state never matches a
            // waker's. Hence `slot` is in bounds and its future is `Some`.
            let task = unsafe { self.slots.get_unchecked_mut(slot) };
            // Safety: see above.
            let future = unsafe { task.future.as_mut().unwrap_unchecked() };
            let poll = future.as_mut().poll(&mut cx);
            task.polls = task.polls.wrapping_add(1);
            match poll {
                Poll::Pending => {
                    // Queued again already: it woke itself while running, a voluntary yield
                    // (counted without a branch).
                    task.yields = task.yields.wrapping_add(board.queued_bit(slot));
                }
                Poll::Ready(()) => {
                    self.head = head;
                    self.finish_plain(slot, state);
                }
            }
        }
        self.head = head;
        if BOUNDED {
            polls
        } else {
            head.wrapping_sub(start) as usize
        }
    }

    /// A task of [`Executor::run_plain`] returned: drop its future, free its slot.
    #[inline(never)]
    fn finish_plain(&mut self, slot: usize, state: u32) {
        self.slots[slot].future = None;
        self.finished(TaskId {
            slot: slot as u16,
            generation: state >> 1,
        });
    }

    /// Bookkeeping once task `id`'s future has returned and been dropped.
    fn finished(&mut self, id: TaskId) {
        self.board.vacate(usize::from(id.slot), self.head);
        self.live -= 1;
        if let Some(observer) = &self.observer {
            observer.completed(id);
        }
    }

    /// Whether the run loops may use [`Executor::run_plain`].
    fn is_plain(&self) -> bool {
        self.observer.is_none() && self.switch.is_none()
    }

    /// Steps until no task is ready; returns the number of polls made.
    ///
    /// Never returns if tasks keep yielding forever; use [`Executor::run_for`] to bound it.
    pub fn run_until_idle(&mut self) -> usize {
        if self.is_plain() {
            return self.run_plain::<false>(usize::MAX);
        }
        let mut polls = 0;
        while self.poll_next() != Step::Idle {
            polls += 1;
        }
        polls
    }

    /// Steps at most `max_polls` times; returns the polls made (less than `max_polls` only if
    /// the executor went idle).
    pub fn run_for(&mut self, max_polls: usize) -> usize {
        if self.is_plain() {
            return self.run_plain::<true>(max_polls);
        }
        let mut polls = 0;
        while polls < max_polls && self.poll_next() != Step::Idle {
            polls += 1;
        }
        polls
    }

    /// Makes task `id` ready (for wake-ups that arrive without a waker, e.g. ISR flags).
    pub fn wake(&mut self, id: TaskId) -> Result<(), TaskError> {
        self.check(id)?;
        self.board.push(self.entry(usize::from(id.slot)));
        Ok(())
    }

    /// Drops task `id`'s future without polling it again; its id goes stale.
    pub fn cancel(&mut self, id: TaskId) -> Result<(), TaskError> {
        self.check(id)?;
        self.vacate(usize::from(id.slot));
        if let Some(observer) = &self.observer {
            observer.cancelled(id);
        }
        Ok(())
    }

    /// Cancels every task owned by `placement` (a terminated service, an unloaded guest);
    /// returns how many were cancelled.
    pub fn cancel_owned_by(&mut self, placement: Placement) -> usize {
        let doomed: Vec<usize> = (0..self.slots.len())
            .filter(|&i| self.slots[i].future.is_some() && self.slots[i].placement == placement)
            .collect();
        for &slot in &doomed {
            self.vacate(slot);
        }
        doomed.len()
    }

    /// Metadata of task `id`.
    pub fn info(&self, id: TaskId) -> Result<TaskInfo, TaskError> {
        self.check(id)?;
        Ok(self.info_at(usize::from(id.slot)))
    }

    /// Whether task `id` is still alive.
    pub fn contains(&self, id: TaskId) -> bool {
        self.check(id).is_ok()
    }

    /// Number of live tasks.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether no task is alive.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Number of tasks in the ready queue.
    pub fn ready_len(&self) -> usize {
        self.board.ready_len(self.head)
    }

    /// Task slots (the capacity given at creation).
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Metadata of every live task, in slot order.
    pub fn tasks(&self) -> impl Iterator<Item = TaskInfo> + '_ {
        (0..self.slots.len())
            .filter(|&i| self.slots[i].future.is_some())
            .map(|i| self.info_at(i))
    }

    /// A printable snapshot of all live tasks (the seed's coroutine dump).
    pub fn dump(&self) -> CoroutineDump<'_> {
        CoroutineDump::new(self)
    }

    /// `slot`'s ring entry on this executor's board.
    fn entry(&self, slot: usize) -> u16 {
        wake_board::entry(usize::from(self.board_index), slot)
    }

    fn check(&self, id: TaskId) -> Result<(), TaskError> {
        let slot = usize::from(id.slot);
        let task = self.slots.get(slot).ok_or(TaskError::OutOfRange)?;
        if task.future.is_some() && self.board.generation(slot) == id.generation {
            Ok(())
        } else {
            Err(TaskError::Stale)
        }
    }

    fn info_at(&self, slot: usize) -> TaskInfo {
        let task = &self.slots[slot];
        TaskInfo {
            id: TaskId {
                slot: slot as u16,
                generation: self.board.generation(slot),
            },
            name: task.name,
            state: if self.board.is_queued(slot) {
                TaskState::Ready
            } else {
                TaskState::Waiting
            },
            placement: task.placement,
            polls: task.polls,
            yields: task.yields,
        }
    }

    fn vacate(&mut self, slot: usize) {
        let placement = self.slots[slot].placement;
        let future = self.slots[slot].future.take();
        self.within(placement, move || drop(future));
        self.board.vacate(slot, self.head);
        self.live -= 1;
    }

    fn within<R>(&self, placement: Placement, f: impl FnOnce() -> R) -> R {
        crate::mem::within(self.switch, placement, f)
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        for slot in 0..self.slots.len() {
            if self.slots[slot].future.is_some() {
                self.vacate(slot);
            }
        }
        self.board.release();
    }
}

impl fmt::Debug for Executor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Executor")
            .field("board", &self.board_index)
            .field("live", &self.live)
            .field("ready", &self.ready_len())
            .field("capacity", &self.capacity())
            .finish()
    }
}

/// A future that suspends its task once, letting every other ready task run first.
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            Poll::Ready(())
        } else {
            self.yielded = true;
            // On a kernel executor, queue the task directly rather than through the vtable.
            if !waker::wake_if_running(cx.waker()) {
                cx.waker().wake_by_ref();
            }
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests;
