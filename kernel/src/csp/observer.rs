//! The channel event hook: an observer told of values sent and received, and of the close.
//!
//! Installed per channel with [`Channel::observe`](super::Channel::observe), which also names
//! the channel with a 16-bit id (the logger's event subject). Observers are called from inside
//! the channel operation — from a task's poll — so they must only record: never block, never
//! touch the channel or the executor.

/// Told what happens on the channels it observes.
pub trait ChannelObserver {
    /// A value was accepted by channel `id` (buffered, or taken by a rendezvous receiver).
    fn sent(&self, id: u16);
    /// A value was taken from channel `id`.
    fn received(&self, id: u16);
    /// Channel `id` was closed (once, by whichever side closed it first).
    fn closed(&self, id: u16);
}
