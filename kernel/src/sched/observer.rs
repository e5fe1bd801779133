//! The scheduler's event hook: an observer told of spawns, resumes and completions.
//!
//! The logger subsystem installs one to put scheduler events into its ring. The
//! hook is an `Option<&'static dyn TaskObserver>` on the executor: unset, it costs
//! one predictable branch per poll and nothing else; set, one indirect call per
//! event. Observers run on the executor's thread, outside every task's poll, and
//! must not block or call back into the executor.

use super::TaskId;
use crate::mem::Placement;

/// Told what the executor does with its tasks.
pub trait TaskObserver {
    /// Task `id` was spawned in `placement`. `name` is what it runs: its static kind
    /// (`hal`), or the component it runs when the spawner said
    /// ([`Executor::spawn_labelled_in`](super::Executor::spawn_labelled_in)); an observer
    /// that keeps it copies it.
    fn spawned(&self, id: TaskId, name: &str, placement: Placement);
    /// Task `id` is about to be polled (resumed).
    fn resumed(&self, id: TaskId);
    /// Task `id` finished (its future returned).
    fn completed(&self, id: TaskId);
    /// Task `id` was cancelled before it finished.
    fn cancelled(&self, id: TaskId) {
        let _ = id;
    }
}
