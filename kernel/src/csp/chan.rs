//! The channel state machine: a value ring, a FIFO of senders' offers, a FIFO of waiting
//! receivers. Futures and handles (`mod.rs`, `select.rs`) are thin shells around it.
//!
//! Invariants (checked by the proptest model in `model_tests.rs`):
//! - values leave in the order they entered (buffer first, then offers, both FIFO);
//! - **eligibility**: with `a` values available, the first `min(a, waiting)` receivers are the
//!   ones entitled to them and have been woken; a newcomer may take a value only if one is left
//!   over (`waiting < a`), so a receiver that queued earlier is never overtaken by one that
//!   queued later;
//! - a rendezvous offer is *committed* when a waiting receiver was entitled to it on arrival:
//!   its sender is released at once (seed §3.2 fast path) and the value stays deliverable even
//!   after close; uncommitted offers go back to their senders on close.
//!
//! # Fast path
//!
//! Everything an operation that does not wait needs is in `Cell`s: the value ring (a boxed
//! slice of `Cell<Option<T>>` with a head and a length, allocated once at creation), and the
//! *lengths* of the two wait queues — the senders' one sharing its word (`gate`) with the
//! closed flag, so that a single load tells a sender "open, nobody queued ahead of me" and a
//! receiver "no blocked sender to refill from". A `try_send`/`try_recv` on a buffered channel
//! with nobody waiting is a few loads and stores: no borrow flag, no `VecDeque`. The wait
//! queues themselves (`VecDeque`s of offers and waiters, in a `RefCell`) are touched only when
//! their mirrored length says someone is waiting or must start to.
//!
//! The queues are never borrowed across a call that may run foreign code, except waking a
//! waiter by reference (kernel wakers only queue a task; a waker that re-entered the channel
//! would panic on the borrow, never corrupt it). Values and wakers leave the queues before they
//! are dropped, so a value's own `Drop` may use the channel.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use core::cell::{Cell, RefCell};
use core::task::{Context, Poll, Waker};

use super::{TryRecvError, TrySendError};

struct Offer<T> {
    ticket: Ticket,
    value: T,
    waker: Option<Waker>,
    committed: bool,
}

struct Waiter {
    ticket: Ticket,
    waker: Waker,
}

/// Who is waiting: the slow path's state.
struct Queues<T> {
    offers: VecDeque<Offer<T>>,
    receivers: VecDeque<Waiter>,
}

pub(super) struct State<T> {
    /// The value ring; its length is the capacity (empty: rendezvous).
    slots: Box<[Cell<Option<T>>]>,
    /// Index of the oldest buffered value.
    head: Cell<usize>,
    /// Buffered values.
    len: Cell<usize>,
    /// `queues.offers.len()` (senders waiting), with [`CLOSED`] and [`OBSERVED`] as its top
    /// bits: a single load tells either fast path that no sender waits, the channel is open
    /// and nobody observes it.
    gate: Cell<usize>,
    /// `queues.receivers.len()`, readable without a borrow.
    receivers: Cell<usize>,
    /// Rendezvous offers committed to a receiver and not yet taken.
    committed: Cell<usize>,
    next_ticket: Cell<Ticket>,
    queues: RefCell<Queues<T>>,
}

/// A waiting sender's or receiver's place in its queue: numbered from 1 in arrival order per
/// channel (a `u64` never wraps), [`NO_TICKET`] while not queued.
pub(super) type Ticket = u64;

/// The ticket of an operation that is not queued.
pub(super) const NO_TICKET: Ticket = 0;

/// The closed bit of `State::gate`.
const CLOSED: usize = 1 << (usize::BITS - 1);

/// The observed bit of `State::gate`: the channel has an observer, so completed operations
/// leave the fast path (where the observer is not even looked at) to be reported.
const OBSERVED: usize = 1 << (usize::BITS - 2);

/// What a sender's poll concluded.
pub(super) enum SendPoll<T> {
    /// The value is delivered (buffered, taken, or committed to a waiting receiver).
    Done,
    /// Waiting; the offer holds this ticket.
    Waiting(Ticket),
    /// Closed before delivery: the value comes back.
    Closed(T),
}

/// Position of `ticket` in a FIFO whose tickets increase from front to back. The front is
/// checked first: it is where a woken waiter almost always is.
fn position<E>(queue: &VecDeque<E>, ticket: Ticket, key: impl Fn(&E) -> Ticket) -> Option<usize> {
    match queue.front() {
        None => None,
        Some(front) if key(front) == ticket => Some(0),
        Some(_) => queue.binary_search_by_key(&ticket, key).ok(),
    }
}

/// Removes entry `index`; the front (the usual case) without `VecDeque::remove`'s shuffling.
#[inline]
fn remove<E>(queue: &mut VecDeque<E>, index: usize) -> Option<E> {
    if index == 0 {
        queue.pop_front()
    } else {
        queue.remove(index)
    }
}

impl<T> State<T> {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            slots: core::iter::repeat_with(|| Cell::new(None))
                .take(capacity)
                .collect(),
            head: Cell::new(0),
            len: Cell::new(0),
            gate: Cell::new(0),
            receivers: Cell::new(0),
            committed: Cell::new(0),
            next_ticket: Cell::new(0),
            queues: RefCell::new(Queues {
                offers: VecDeque::new(),
                receivers: VecDeque::new(),
            }),
        }
    }

    #[inline]
    pub(super) fn capacity(&self) -> usize {
        self.slots.len()
    }

    #[inline]
    pub(super) fn is_closed(&self) -> bool {
        self.gate.get() & CLOSED != 0
    }

    /// Offers queued (`queues.offers.len()`).
    #[inline]
    fn offers(&self) -> usize {
        self.gate.get() & !(CLOSED | OBSERVED)
    }

    /// From now on, completed `try_send`s and `try_recv`s call their `done` hook.
    pub(super) fn set_observed(&self) {
        self.gate.set(self.gate.get() | OBSERVED);
    }

    #[inline]
    fn is_observed(&self) -> bool {
        self.gate.get() & OBSERVED != 0
    }

    /// Counts an offer in (`+1`) or out (`-1` as `usize::MAX`), leaving the closed bit alone.
    #[inline]
    fn count_offers(&self, delta: usize) {
        self.gate.set(self.gate.get().wrapping_add(delta));
    }

    /// Rendezvous offers committed to a receiver that was waiting but has not taken them yet.
    #[cfg(test)]
    pub(super) fn committed(&self) -> usize {
        self.committed.get()
    }

    /// Values in the buffer (always 0 for a rendezvous channel).
    #[inline]
    pub(super) fn buffered(&self) -> usize {
        self.len.get()
    }

    /// Values a receiver could take now.
    #[inline]
    fn available(&self) -> usize {
        if self.slots.is_empty() {
            if self.is_closed() {
                self.committed.get()
            } else {
                self.offers()
            }
        } else {
            self.len.get()
        }
    }

    fn ticket(&self) -> Ticket {
        let ticket = self.next_ticket.get() + 1;
        self.next_ticket.set(ticket);
        ticket
    }

    /// Appends to the ring (caller checked there is room).
    #[inline]
    fn push_value(&self, value: T) {
        let len = self.len.get();
        let mut tail = self.head.get() + len;
        if tail >= self.slots.len() {
            tail -= self.slots.len();
        }
        // The slot is empty (it is past the buffered values), so nothing is dropped here.
        self.slots[tail].set(Some(value));
        self.len.set(len + 1);
    }

    /// Removes the oldest buffered value.
    #[inline]
    fn pop_value(&self) -> Option<T> {
        let len = self.len.get();
        if len == 0 {
            return None;
        }
        let head = self.head.get();
        let value = self.slots[head].take();
        let next = head + 1;
        self.head
            .set(if next == self.slots.len() { 0 } else { next });
        self.len.set(len - 1);
        value
    }

    /// One more value became available: wake the receiver now entitled to it.
    #[inline]
    fn on_available(&self) {
        let entitled = self.available() - 1;
        if entitled < self.receivers.get() {
            self.wake_receiver(entitled);
        }
    }

    fn wake_receiver(&self, index: usize) {
        if let Some(waiter) = self.queues.borrow().receivers.get(index) {
            waiter.waker.wake_by_ref();
        }
    }

    /// Removes and returns the next value in FIFO order (caller checked `available() > 0`).
    #[inline]
    fn take(&self) -> Option<T> {
        if self.len.get() == 0 {
            return self.take_offer();
        }
        let value = self.pop_value();
        if self.gate.get() != 0 {
            self.refill();
        }
        value
    }

    /// A blocked sender's value moves into the freed buffer space (not once closed: waiting
    /// senders then get their values back).
    fn refill(&self) {
        if self.is_closed() || self.offers() == 0 {
            return;
        }
        let offer = self.queues.borrow_mut().offers.pop_front();
        if let Some(offer) = offer {
            self.count_offers(usize::MAX);
            self.push_value(offer.value);
            if let Some(waker) = offer.waker {
                waker.wake();
            }
        }
    }

    /// Takes the front offer's value directly (rendezvous).
    fn take_offer(&self) -> Option<T> {
        if self.offers() == 0 {
            return None;
        }
        let offer = self.queues.borrow_mut().offers.pop_front()?;
        self.count_offers(usize::MAX);
        if offer.committed {
            self.committed.set(self.committed.get() - 1);
        }
        if let Some(waker) = offer.waker {
            waker.wake();
        }
        Some(offer.value)
    }

    /// Sends without waiting; `sent` runs after a delivery if the channel is observed (the
    /// fast path, unobserved by construction, never looks).
    #[inline]
    pub(super) fn try_send(&self, value: T, sent: impl FnOnce()) -> Result<(), TrySendError<T>> {
        let len = self.len.get();
        // One test for "closed, a sender waiting, observed, buffer full, or rendezvous".
        if self.gate.get() != 0 || len >= self.slots.len() {
            return self.try_send_slow(value, sent);
        }
        self.buffer(value, len);
        Ok(())
    }

    /// Appends to the ring, which holds `len` values and has room.
    #[inline(always)]
    fn buffer(&self, value: T, len: usize) {
        self.push_value(value);
        // The new value is the `len`-th available one: a waiting receiver there is entitled.
        if len < self.receivers.get() {
            self.wake_receiver(len);
        }
    }

    fn try_send_slow(&self, value: T, sent: impl FnOnce()) -> Result<(), TrySendError<T>> {
        let len = self.len.get();
        let result = if self.is_closed() {
            Err(TrySendError::Closed(value))
        } else if self.slots.is_empty() {
            self.try_send_rendezvous(value)
        } else if self.offers() == 0 && len < self.slots.len() {
            // Only observed: the fast path's delivery.
            self.buffer(value, len);
            Ok(())
        } else {
            Err(TrySendError::Full(value))
        };
        if result.is_ok() && self.is_observed() {
            sent();
        }
        result
    }

    /// Rendezvous: only when a waiting receiver is left without a value.
    fn try_send_rendezvous(&self, value: T) -> Result<(), TrySendError<T>> {
        if self.receivers.get() <= self.available() {
            return Err(TrySendError::Full(value));
        }
        let ticket = self.ticket();
        self.queues.borrow_mut().offers.push_back(Offer {
            ticket,
            value,
            waker: None,
            committed: true,
        });
        self.count_offers(1);
        self.committed.set(self.committed.get() + 1);
        self.on_available();
        Ok(())
    }

    /// First poll of a send: deliver now (then `sent` runs if the channel is observed), or
    /// queue an offer.
    #[inline]
    pub(super) fn start_send(
        &self,
        value: T,
        cx: &mut Context<'_>,
        sent: impl FnOnce(),
    ) -> SendPoll<T> {
        match self.try_send(value, sent) {
            Ok(()) => SendPoll::Done,
            Err(TrySendError::Closed(value)) => SendPoll::Closed(value),
            Err(TrySendError::Full(value)) => self.queue_offer(value, cx),
        }
    }

    fn queue_offer(&self, value: T, cx: &mut Context<'_>) -> SendPoll<T> {
        let ticket = self.ticket();
        let waker = Some(crate::sched::clone_waker(cx.waker()));
        self.queues.borrow_mut().offers.push_back(Offer {
            ticket,
            value,
            waker,
            committed: false,
        });
        self.count_offers(1);
        if self.slots.is_empty() {
            self.on_available();
        }
        SendPoll::Waiting(ticket)
    }

    /// Later polls of a send that is waiting with `ticket`.
    #[inline]
    pub(super) fn poll_send(&self, ticket: Ticket, cx: &mut Context<'_>) -> SendPoll<T> {
        if self.offers() == 0 {
            // Every offer was taken (or moved into the buffer): ours was delivered.
            return SendPoll::Done;
        }
        self.poll_queued_send(ticket, cx)
    }

    fn poll_queued_send(&self, ticket: Ticket, cx: &mut Context<'_>) -> SendPoll<T> {
        let mut queues = self.queues.borrow_mut();
        let Some(index) = position(&queues.offers, ticket, |o| o.ticket) else {
            return SendPoll::Done;
        };
        if self.is_closed() && !queues.offers[index].committed {
            let offer = remove(&mut queues.offers, index);
            drop(queues);
            return match offer {
                Some(offer) => {
                    self.count_offers(usize::MAX);
                    SendPoll::Closed(offer.value)
                }
                None => SendPoll::Done,
            };
        }
        let offer = &mut queues.offers[index];
        if !offer
            .waker
            .as_ref()
            .is_some_and(|w| crate::sched::will_wake(w, cx.waker()))
        {
            let old = offer.waker.replace(crate::sched::clone_waker(cx.waker()));
            drop(queues);
            drop(old);
        }
        SendPoll::Waiting(ticket)
    }

    /// A waiting send was dropped: withdraw its offer if still queued (the value comes back to
    /// be dropped by the caller, outside any borrow).
    pub(super) fn cancel_send(&self, ticket: Ticket) -> Option<T> {
        if self.offers() == 0 {
            return None;
        }
        let mut queues = self.queues.borrow_mut();
        let index = position(&queues.offers, ticket, |o| o.ticket)?;
        let offer = remove(&mut queues.offers, index)?;
        drop(queues);
        self.count_offers(usize::MAX);
        if offer.committed {
            self.committed.set(self.committed.get() - 1);
        }
        Some(offer.value)
    }

    /// Receives without waiting; `received` runs after a delivery if the channel is observed
    /// (checked only where the fast path already branches on `gate`).
    #[inline]
    pub(super) fn try_recv(&self, received: impl FnOnce()) -> Result<T, TryRecvError> {
        if self.receivers.get() < self.len.get() {
            let value = self.pop_value();
            if self.gate.get() != 0 {
                self.refill();
                if value.is_some() && self.is_observed() {
                    received();
                }
            }
            return value.ok_or(TryRecvError::Empty);
        }
        let result = self.try_recv_slow(self.len.get());
        if result.is_ok() && self.is_observed() {
            received();
        }
        result
    }

    fn try_recv_slow(&self, len: usize) -> Result<T, TryRecvError> {
        if self.slots.is_empty() {
            self.try_recv_rendezvous()
        } else if len == 0 && self.is_closed() {
            Err(TryRecvError::Closed)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    fn try_recv_rendezvous(&self) -> Result<T, TryRecvError> {
        let available = self.available();
        if self.receivers.get() < available {
            return self.take_offer().ok_or(TryRecvError::Empty);
        }
        if self.is_closed() && available == 0 {
            Err(TryRecvError::Closed)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    /// Polls a receive; `ticket` is not [`NO_TICKET`] once it has queued as a waiting
    /// receiver. `received` runs after a delivery if the channel is observed.
    #[inline]
    pub(super) fn poll_recv(
        &self,
        ticket: &mut Ticket,
        cx: &mut Context<'_>,
        received: impl FnOnce(),
    ) -> Poll<Option<T>> {
        // A newcomer's fast path: the oldest buffered value, if one is left over by the
        // receivers already waiting (rendezvous channels buffer nothing: slow path).
        if *ticket == NO_TICKET && self.receivers.get() < self.len.get() {
            let value = self.pop_value();
            if self.gate.get() != 0 {
                self.refill();
                if value.is_some() && self.is_observed() {
                    received();
                }
            }
            return Poll::Ready(value);
        }
        let polled = self.poll_recv_slow(ticket, cx);
        if let Poll::Ready(Some(_)) = polled
            && self.is_observed()
        {
            received();
        }
        polled
    }

    fn poll_recv_slow(&self, ticket: &mut Ticket, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if *ticket != NO_TICKET {
            return self.poll_queued_recv(ticket, cx);
        }
        // A newcomer: served only from what the receivers already waiting leave over.
        if self.receivers.get() < self.available() {
            return Poll::Ready(self.take());
        }
        if self.is_closed() {
            return Poll::Ready(None);
        }
        self.queue_receiver(ticket, cx);
        Poll::Pending
    }

    fn queue_receiver(&self, ticket: &mut Ticket, cx: &mut Context<'_>) {
        let t = self.ticket();
        let waker = crate::sched::clone_waker(cx.waker());
        self.queues
            .borrow_mut()
            .receivers
            .push_back(Waiter { ticket: t, waker });
        self.receivers.set(self.receivers.get() + 1);
        *ticket = t;
    }

    fn poll_queued_recv(&self, ticket: &mut Ticket, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let t = *ticket;
        let mut queues = self.queues.borrow_mut();
        let Some(index) = position(&queues.receivers, t, |w| w.ticket) else {
            // Not queued (a queued receive leaves only through here or `cancel_recv`, which
            // both clear the ticket): start over as a newcomer.
            drop(queues);
            *ticket = NO_TICKET;
            return self.poll_recv_slow(ticket, cx);
        };
        if index < self.available() {
            let waiter = remove(&mut queues.receivers, index);
            drop(queues);
            self.receivers.set(self.receivers.get() - 1);
            *ticket = NO_TICKET;
            if let Some(waiter) = waiter {
                crate::sched::drop_waker(waiter.waker);
            }
            return Poll::Ready(self.take());
        }
        if self.is_closed() {
            drop(queues);
            self.cancel_recv(ticket);
            return Poll::Ready(None);
        }
        let waiter = &mut queues.receivers[index];
        if !crate::sched::will_wake(&waiter.waker, cx.waker()) {
            let old = core::mem::replace(&mut waiter.waker, crate::sched::clone_waker(cx.waker()));
            drop(queues);
            drop(old);
        }
        Poll::Pending
    }

    /// A receive stops waiting (dropped, or another `select` arm fired). If it was entitled
    /// to a value, the entitlement passes to the next waiting receiver.
    #[inline]
    pub(super) fn cancel_recv(&self, ticket: &mut Ticket) {
        if *ticket != NO_TICKET {
            self.withdraw_receiver(core::mem::replace(ticket, NO_TICKET));
        }
    }

    fn withdraw_receiver(&self, ticket: Ticket) {
        let mut queues = self.queues.borrow_mut();
        let Some(index) = position(&queues.receivers, ticket, |w| w.ticket) else {
            return;
        };
        let waiter = remove(&mut queues.receivers, index);
        self.receivers.set(self.receivers.get() - 1);
        let available = self.available();
        if index < available
            && let Some(next) = queues.receivers.get(available - 1)
        {
            next.waker.wake_by_ref();
        }
        drop(queues);
        drop(waiter);
    }

    /// Closes the channel and wakes everyone waiting so they can observe it.
    pub(super) fn close(&self) {
        if self.is_closed() {
            return;
        }
        self.gate.set(self.gate.get() | CLOSED);
        let queues = self.queues.borrow();
        for waiter in &queues.receivers {
            waiter.waker.wake_by_ref();
        }
        for offer in &queues.offers {
            if let Some(waker) = &offer.waker {
                waker.wake_by_ref();
            }
        }
    }
}
