//! The channel state machine: a value buffer, a FIFO of senders' offers, a FIFO of waiting
//! receivers. Futures and handles (`mod.rs`, `select.rs`) are thin shells around it.
//!
//! Invariants (checked by the proptest model in `tests.rs`):
//! - values leave in the order they entered (buffer first, then offers, both FIFO);
//! - **eligibility**: with `a` values available, the first `min(a, waiting)` receivers are the
//!   ones entitled to them and have been woken; a newcomer may take a value only if one is left
//!   over (`waiting < a`), so a receiver that queued earlier is never overtaken by one that
//!   queued later;
//! - a rendezvous offer is *committed* when a waiting receiver was entitled to it on arrival:
//!   its sender is released at once (seed §3.2 fast path) and the value stays deliverable even
//!   after close; uncommitted offers go back to their senders on close.

use alloc::collections::VecDeque;
use core::task::{Context, Poll, Waker};

use super::{TryRecvError, TrySendError};

pub(super) struct Offer<T> {
    ticket: u64,
    value: T,
    waker: Option<Waker>,
    committed: bool,
}

struct Waiter {
    ticket: u64,
    waker: Waker,
}

pub(super) struct State<T> {
    capacity: usize,
    buffer: VecDeque<T>,
    offers: VecDeque<Offer<T>>,
    receivers: VecDeque<Waiter>,
    committed: usize,
    closed: bool,
    next_ticket: u64,
}

/// What a sender's poll concluded.
pub(super) enum SendPoll<T> {
    /// The value is delivered (buffered, taken, or committed to a waiting receiver).
    Done,
    /// Waiting; the offer holds this ticket.
    Waiting(u64),
    /// Closed before delivery: the value comes back.
    Closed(T),
}

impl<T> State<T> {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            buffer: VecDeque::with_capacity(capacity),
            offers: VecDeque::new(),
            receivers: VecDeque::new(),
            committed: 0,
            closed: false,
            next_ticket: 0,
        }
    }

    pub(super) fn capacity(&self) -> usize {
        self.capacity
    }

    pub(super) fn is_closed(&self) -> bool {
        self.closed
    }

    /// Rendezvous offers committed to a receiver that was waiting but has not taken them yet.
    #[cfg(test)]
    pub(super) fn committed(&self) -> usize {
        self.committed
    }

    /// Values in the buffer (always 0 for a rendezvous channel).
    pub(super) fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Values a receiver could take now.
    fn available(&self) -> usize {
        let offers = match (self.capacity, self.closed) {
            (0, false) => self.offers.len(),
            (0, true) => self.committed,
            _ => 0,
        };
        self.buffer.len() + offers
    }

    fn ticket(&mut self) -> u64 {
        self.next_ticket += 1;
        self.next_ticket
    }

    /// One more value became available: wake the receiver now entitled to it.
    fn on_available(&mut self) {
        let entitled = self.available() - 1;
        if let Some(waiter) = self.receivers.get(entitled) {
            waiter.waker.wake_by_ref();
        }
    }

    /// Removes and returns the next value in FIFO order (caller checked `available() > 0`).
    fn take(&mut self) -> Option<T> {
        if let Some(value) = self.buffer.pop_front() {
            if !self.closed
                && let Some(offer) = self.offers.pop_front()
            {
                // A blocked sender's value moves into the freed buffer space.
                self.buffer.push_back(offer.value);
                if let Some(waker) = offer.waker {
                    waker.wake();
                }
            }
            return Some(value);
        }
        let offer = self.offers.pop_front()?;
        if offer.committed {
            self.committed -= 1;
        }
        if let Some(waker) = offer.waker {
            waker.wake();
        }
        Some(offer.value)
    }

    pub(super) fn try_send(&mut self, value: T) -> Result<(), TrySendError<T>> {
        if self.closed {
            return Err(TrySendError::Closed(value));
        }
        if self.capacity > 0 {
            if !self.offers.is_empty() || self.buffer.len() >= self.capacity {
                return Err(TrySendError::Full(value));
            }
            self.buffer.push_back(value);
        } else {
            // Rendezvous: only when a waiting receiver is left without a value.
            if self.receivers.len() <= self.available() {
                return Err(TrySendError::Full(value));
            }
            let ticket = self.ticket();
            self.offers.push_back(Offer {
                ticket,
                value,
                waker: None,
                committed: true,
            });
            self.committed += 1;
        }
        self.on_available();
        Ok(())
    }

    /// First poll of a send: deliver now, or queue an offer.
    pub(super) fn start_send(&mut self, value: T, cx: &mut Context<'_>) -> SendPoll<T> {
        let value = match self.try_send(value) {
            Ok(()) => return SendPoll::Done,
            Err(TrySendError::Closed(value)) => return SendPoll::Closed(value),
            Err(TrySendError::Full(value)) => value,
        };
        let ticket = self.ticket();
        let waker = Some(cx.waker().clone());
        self.offers.push_back(Offer {
            ticket,
            value,
            waker,
            committed: false,
        });
        if self.capacity == 0 {
            self.on_available();
        }
        SendPoll::Waiting(ticket)
    }

    fn offer_index(&self, ticket: u64) -> Option<usize> {
        self.offers.binary_search_by_key(&ticket, |o| o.ticket).ok()
    }

    /// Later polls of a send that is waiting with `ticket`.
    pub(super) fn poll_send(&mut self, ticket: u64, cx: &mut Context<'_>) -> SendPoll<T> {
        let Some(index) = self.offer_index(ticket) else {
            return SendPoll::Done;
        };
        if self.closed && !self.offers[index].committed {
            return match self.offers.remove(index) {
                Some(offer) => SendPoll::Closed(offer.value),
                None => SendPoll::Done,
            };
        }
        let offer = &mut self.offers[index];
        if !offer
            .waker
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
        {
            offer.waker = Some(cx.waker().clone());
        }
        SendPoll::Waiting(ticket)
    }

    /// A waiting send was dropped: withdraw its offer if still queued (the value is dropped).
    pub(super) fn cancel_send(&mut self, ticket: u64) -> Option<T> {
        let index = self.offer_index(ticket)?;
        let offer = self.offers.remove(index)?;
        if offer.committed {
            self.committed -= 1;
        }
        Some(offer.value)
    }

    pub(super) fn try_recv(&mut self) -> Result<T, TryRecvError> {
        if self.receivers.len() < self.available() {
            return self.take().ok_or(TryRecvError::Empty);
        }
        if self.closed && self.available() == 0 {
            Err(TryRecvError::Closed)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    fn waiter_index(&self, ticket: u64) -> Option<usize> {
        self.receivers
            .binary_search_by_key(&ticket, |w| w.ticket)
            .ok()
    }

    /// Polls a receive; `ticket` is `Some` once it has queued as a waiting receiver.
    pub(super) fn poll_recv(
        &mut self,
        ticket: &mut Option<u64>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<T>> {
        let position = match *ticket {
            Some(t) => self.waiter_index(t).unwrap_or(self.receivers.len()),
            None => self.receivers.len(),
        };
        if position < self.available() {
            if let Some(t) = ticket.take()
                && let Some(index) = self.waiter_index(t)
            {
                self.receivers.remove(index);
            }
            return Poll::Ready(self.take());
        }
        if self.closed {
            self.cancel_recv(ticket);
            return Poll::Ready(None);
        }
        match *ticket {
            Some(t) => {
                if let Some(index) = self.waiter_index(t) {
                    let waiter = &mut self.receivers[index];
                    if !waiter.waker.will_wake(cx.waker()) {
                        waiter.waker = cx.waker().clone();
                    }
                }
            }
            None => {
                let t = self.ticket();
                self.receivers.push_back(Waiter {
                    ticket: t,
                    waker: cx.waker().clone(),
                });
                *ticket = Some(t);
            }
        }
        Poll::Pending
    }

    /// A receive stops waiting (dropped, or another `select` arm fired). If it was entitled
    /// to a value, the entitlement passes to the next waiting receiver.
    pub(super) fn cancel_recv(&mut self, ticket: &mut Option<u64>) {
        let Some(t) = ticket.take() else { return };
        let Some(index) = self.waiter_index(t) else {
            return;
        };
        self.receivers.remove(index);
        let available = self.available();
        if index < available
            && let Some(next) = self.receivers.get(available - 1)
        {
            next.waker.wake_by_ref();
        }
    }

    /// Closes the channel and wakes everyone waiting so they can observe it.
    pub(super) fn close(&mut self) {
        if self.closed {
            return;
        }
        self.closed = true;
        for waiter in &self.receivers {
            waiter.waker.wake_by_ref();
        }
        for offer in &self.offers {
            if let Some(waker) = &offer.waker {
                waker.wake_by_ref();
            }
        }
    }
}
