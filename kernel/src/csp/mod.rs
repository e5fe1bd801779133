//! `csp`: rendezvous and bounded channels, the kernel's only way for tasks to talk.
//!
//! A [`Channel`] of capacity 0 is a **rendezvous**: `send` completes only once a receiver has
//! the value (at once if a receiver is already waiting — the seed's fast path — otherwise when
//! one arrives). A channel of capacity `N` buffers up to `N` values in FIFO order and `send`
//! waits only while the buffer is full. Values move: ownership passes from sender to receiver.
//!
//! Waiting senders and receivers are served first-come, first-served. [`Channel::close`] may
//! be called from either side: sends then fail and hand their value back, values already
//! accepted are still delivered, and `recv` gives `None` once the channel is drained.
//! [`select()`] waits on several channels' receives at once.
//!
//! A channel may be **observed**: [`Channel::observe`] gives it a 16-bit id and a
//! [`ChannelObserver`] told of every value sent, every value received and the close (the logger
//! puts these in its ring). Unobserved, the hook costs nothing on `try_send`/`try_recv` (the
//! observed flag shares the word their fast path tests anyway) and one load and a predictable
//! branch per completed `send`/`recv`.
//!
//! Channels use `Cell`s (and a `RefCell` for the queues of waiting tasks) and are not `Sync`:
//! the kernel is cooperative and single-threaded. Share one as `Rc` through
//! [`Sender`]/[`Receiver`] handles (the channel closes when the last handle of either side is
//! dropped), or as a plain `&'static Channel` (e.g. `Box::leak`) and close it explicitly. No
//! operation allocates except when a queue of waiting tasks grows past its previous high-water
//! mark; the value buffer (a ring of exactly `capacity` slots) is allocated once, at creation.
//!
//! # Cost
//!
//! An operation that does not wait — `try_send`/`try_recv`, or a `send`/`recv` whose first poll
//! completes, on a buffered channel — reads and writes only `Cell`s: the value ring, and the
//! lengths of the wait queues, mirrored so that one load says "nobody waits and the channel is
//! open". The queues (and their borrow flag) are touched only when a task must wait or be woken.
//! A rendezvous always goes through the queues: its values travel as offers. Waiting tasks are
//! found by a ticket (a per-channel arrival number), at the front of their queue in the usual
//! case, by binary search otherwise.

mod chan;
mod observer;
mod select;

#[cfg(test)]
mod model_tests;
#[cfg(test)]
mod tests;

use alloc::rc::Rc;
use core::cell::{Cell, OnceCell};
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

pub use observer::ChannelObserver;
pub use select::{Select, select};

use chan::{NO_TICKET, SendPoll, State, Ticket};

/// `try_send` failed; the value comes back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// No room now (buffer full, or no receiver waiting on a rendezvous). Retry later.
    Full(T),
    /// The channel is closed; no send will ever succeed.
    Closed(T),
}

impl<T> TrySendError<T> {
    /// The value that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(v) | TrySendError::Closed(v) => v,
        }
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySendError::Full(_) => "Full(..)",
            TrySendError::Closed(_) => "Closed(..)",
        })
    }
}

/// `send` failed because the channel was closed before the value was accepted.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(closed, ..)")
    }
}

/// `try_recv` found no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing to take now (or what is there is owed to receivers that queued earlier).
    Empty,
    /// Closed and drained: nothing will ever arrive.
    Closed,
}

/// A CSP channel. See the [module documentation](self).
pub struct Channel<T> {
    state: State<T>,
    senders: Cell<usize>,
    receivers: Cell<usize>,
    observer: OnceCell<Rc<dyn ChannelObserver>>,
    id: Cell<u16>,
}

impl<T> Channel<T> {
    /// A channel buffering up to `capacity` values; 0 makes a rendezvous channel.
    pub fn new(capacity: usize) -> Self {
        Self {
            state: State::new(capacity),
            senders: Cell::new(0),
            receivers: Cell::new(0),
            observer: OnceCell::new(),
            id: Cell::new(0),
        }
    }

    /// Names this channel `id` and tells `observer` of every value sent and received on it
    /// from now on, and of its close. A channel has one observer for its life: a second
    /// call renames it and keeps the first observer.
    pub fn observe(&self, id: u16, observer: Rc<dyn ChannelObserver>) {
        self.id.set(id);
        let _ = self.observer.set(observer);
        self.state.set_observed();
    }

    /// The id given by [`observe`](Self::observe) (0 when unobserved).
    pub fn id(&self) -> u16 {
        self.id.get()
    }

    #[inline]
    fn note_sent(&self) {
        if let Some(observer) = self.observer.get() {
            observer.sent(self.id.get());
        }
    }

    #[inline]
    fn note_received(&self) {
        if let Some(observer) = self.observer.get() {
            observer.received(self.id.get());
        }
    }

    /// A rendezvous channel (capacity 0).
    pub fn rendezvous() -> Self {
        Self::new(0)
    }

    /// The buffer capacity (0: rendezvous).
    pub fn capacity(&self) -> usize {
        self.state.capacity()
    }

    /// Values waiting in the buffer.
    pub fn len(&self) -> usize {
        self.state.buffered()
    }

    /// Whether the buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the channel has been closed.
    pub fn is_closed(&self) -> bool {
        self.state.is_closed()
    }

    /// Closes the channel (either side may). Idempotent.
    pub fn close(&self) {
        if self.state.is_closed() {
            return;
        }
        self.state.close();
        if let Some(observer) = self.observer.get() {
            observer.closed(self.id.get());
        }
    }

    /// Sends without waiting; on failure the value comes back.
    #[inline]
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        self.state.try_send(value, || self.note_sent())
    }

    /// Receives without waiting.
    #[inline]
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.state.try_recv(|| self.note_received())
    }

    /// Sends `value`, waiting for room (or, on a rendezvous, for a receiver).
    pub fn send(&self, value: T) -> SendFuture<'_, T> {
        SendFuture {
            channel: self,
            value: Some(value),
            ticket: NO_TICKET,
        }
    }

    /// Receives the next value; `None` once the channel is closed and drained.
    pub fn recv(&self) -> RecvFuture<'_, T> {
        RecvFuture {
            channel: self,
            ticket: NO_TICKET,
        }
    }

    #[inline]
    pub(crate) fn poll_recv(&self, ticket: &mut Ticket, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.state.poll_recv(ticket, cx, || self.note_received())
    }

    #[inline]
    pub(crate) fn cancel_recv(&self, ticket: &mut Ticket) {
        self.state.cancel_recv(ticket);
    }

    /// Rendezvous offers committed to a waiting receiver and not yet taken (model tests).
    #[cfg(test)]
    pub(crate) fn committed(&self) -> usize {
        self.state.committed()
    }
}

impl<T> fmt::Debug for Channel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Channel")
            .field("capacity", &self.capacity())
            .field("buffered", &self.len())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The future of [`Channel::send`]. Dropping it while waiting withdraws the offer.
#[must_use = "futures do nothing unless awaited"]
pub struct SendFuture<'a, T> {
    channel: &'a Channel<T>,
    value: Option<T>,
    ticket: Ticket,
}

// The value is never pinned structurally: it is moved into the channel by value.
impl<T> Unpin for SendFuture<'_, T> {}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let channel = this.channel;
        if this.ticket == NO_TICKET {
            let Some(value) = this.value.take() else {
                panic!("SendFuture polled after completion")
            };
            // A delivery here is reported inside the channel, and only if it is observed.
            return match channel.state.start_send(value, cx, || channel.note_sent()) {
                SendPoll::Done => Poll::Ready(Ok(())),
                SendPoll::Waiting(ticket) => {
                    this.ticket = ticket;
                    Poll::Pending
                }
                SendPoll::Closed(value) => Poll::Ready(Err(SendError(value))),
            };
        }
        match channel.state.poll_send(this.ticket, cx) {
            SendPoll::Done => {
                this.ticket = NO_TICKET;
                this.channel.note_sent();
                Poll::Ready(Ok(()))
            }
            SendPoll::Waiting(ticket) => {
                this.ticket = ticket;
                Poll::Pending
            }
            SendPoll::Closed(value) => {
                this.ticket = NO_TICKET;
                Poll::Ready(Err(SendError(value)))
            }
        }
    }
}

impl<T> Drop for SendFuture<'_, T> {
    fn drop(&mut self) {
        // Every completed send is dropped here at the end of its `.await`: it only reads its
        // ticket (the future is going away, nothing needs it cleared).
        if self.ticket != NO_TICKET {
            // Dropped here, outside the channel's state, so its own drop may use the channel.
            let withdrawn = self.channel.state.cancel_send(self.ticket);
            drop(withdrawn);
        }
    }
}

/// The future of [`Channel::recv`]. Dropping it while waiting gives its turn to the next
/// receiver.
#[must_use = "futures do nothing unless awaited"]
pub struct RecvFuture<'a, T> {
    channel: &'a Channel<T>,
    ticket: Ticket,
}

impl<T> Future for RecvFuture<'_, T> {
    type Output = Option<T>;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = &mut *self;
        this.channel.poll_recv(&mut this.ticket, cx)
    }
}

impl<T> Drop for RecvFuture<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.channel.cancel_recv(&mut self.ticket);
    }
}

/// A new `Rc`-shared channel's two ends; capacity 0 makes a rendezvous.
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Rc::new(Channel::new(capacity));
    shared.senders.set(1);
    shared.receivers.set(1);
    (
        Sender {
            channel: shared.clone(),
        },
        Receiver { channel: shared },
    )
}

/// The sending end of an `Rc`-shared [`Channel`]. Cloneable; the last one dropped closes it.
pub struct Sender<T> {
    channel: Rc<Channel<T>>,
}

impl<T> Sender<T> {
    /// See [`Channel::send`].
    pub fn send(&self, value: T) -> SendFuture<'_, T> {
        self.channel.send(value)
    }

    /// See [`Channel::try_send`].
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        self.channel.try_send(value)
    }

    /// The shared channel.
    pub fn channel(&self) -> &Channel<T> {
        &self.channel
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.channel.senders.set(self.channel.senders.get() + 1);
        Self {
            channel: self.channel.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let left = self.channel.senders.get() - 1;
        self.channel.senders.set(left);
        if left == 0 {
            self.channel.close();
        }
    }
}

/// The receiving end of an `Rc`-shared [`Channel`]. Cloneable; the last one dropped closes it.
pub struct Receiver<T> {
    channel: Rc<Channel<T>>,
}

impl<T> Receiver<T> {
    /// See [`Channel::recv`].
    pub fn recv(&self) -> RecvFuture<'_, T> {
        self.channel.recv()
    }

    /// See [`Channel::try_recv`].
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.channel.try_recv()
    }

    /// The shared channel (for [`select()`]).
    pub fn channel(&self) -> &Channel<T> {
        &self.channel
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.channel.receivers.set(self.channel.receivers.get() + 1);
        Self {
            channel: self.channel.clone(),
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let left = self.channel.receivers.get() - 1;
        self.channel.receivers.set(left);
        if left == 0 {
            self.channel.close();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Sender").field(&*self.channel).finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Receiver").field(&*self.channel).finish()
    }
}
