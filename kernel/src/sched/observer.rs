//! The scheduler's event hook: an observer told of spawns, resumes and completions.
//!
//! The logger subsystem installs one to put scheduler events into its ring. The
//! hook is an `Option<&'static dyn TaskObserver>` on the executor: unset, it costs
//! one predictable branch per poll and nothing else; set, one indirect call per
//! event. Observers run on the executor's thread, outside every task's poll, and
//! must not block or call back into the executor.

use super::TaskId;

/// Told what the executor does with its tasks.
pub trait TaskObserver {
    /// Task `id` named `name` was spawned.
    fn spawned(&self, id: TaskId, name: &'static str);
    /// Task `id` is about to be polled (resumed).
    fn resumed(&self, id: TaskId);
    /// Task `id` finished (its future returned).
    fn completed(&self, id: TaskId);
    /// Task `id` was cancelled before it finished.
    fn cancelled(&self, id: TaskId) {
        let _ = id;
    }
}
