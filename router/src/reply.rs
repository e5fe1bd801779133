//! The caller's side of a call: the one-shot [`ReplySlot`] an endpoint waits on, and the
//! deadline of the call in flight.
//!
//! An endpoint makes one call at a time, so at most one reply is ever awaited, and the slot
//! is a cell for it and the caller's waker. A deadline costs the call one cell write (its
//! timeout): the router has no clock, and reads none per call. The deployment loop's
//! [`RouterAuthority::expire`](crate::RouterAuthority::expire) scans the slots with a call
//! open ([`ReplySlot::watch`]): the first scan that sees a call stamps it with the loop's
//! time, and a later one fails it once that time plus its timeout has passed.
//!
//! A leaf above `error`: it knows replies and errors, not requests, inboxes or routes.

use core::cell::Cell;
use core::task::{Context, Poll, Waker};

use crate::error::CallError;
use crate::record::Record;

/// A timeout of "never" (what `None` is stored as: a call writes one word pair, not an
/// option).
pub(crate) const NEVER: u64 = u64::MAX;

/// `Option<u64>` microseconds as stored.
#[inline]
pub(crate) const fn stored(timeout_us: Option<u64>) -> u64 {
    match timeout_us {
        Some(us) if us < NEVER => us,
        _ => NEVER,
    }
}

/// Stored microseconds as `Option<u64>`.
#[inline]
pub(crate) const fn shown(timeout_us: u64) -> Option<u64> {
    if timeout_us == NEVER {
        None
    } else {
        Some(timeout_us)
    }
}

/// The component that held a request when it was dropped unanswered: `(id, slot,
/// generation)`. Whether that was a live handler's choice (`NoReply`) or its death (the
/// stop answer) is decided when the caller looks, after whatever tore the handler down has
/// finished — a task's locals drop before the endpoint it owns.
pub(crate) type Orphan = (u32, u16, u32);

/// What [`ReplySlot::watch`] sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Watch {
    /// No call open, or one without a deadline.
    Idle,
    /// A call open until this time.
    Until(u64),
    /// Call `id` is past its deadline (`timeout_us` after it was first seen).
    Expired {
        /// The call's id.
        id: u32,
        /// Its timeout.
        timeout_us: u64,
    },
}

/// The caller's side of a pending request: who waits, for which id, until when, and the
/// one reply.
pub(crate) struct ReplySlot {
    /// The id of the one request this endpoint waits for, if any. A reply for any other id
    /// is discarded, so the slot never holds more than one reply.
    pub(crate) awaiting: Cell<Option<u32>>,
    reply: Cell<Option<Reply>>,
    waker: Cell<Option<Waker>>,
    /// The open call's timeout in microseconds ([`NEVER`]: none), written by every call.
    pub(crate) timeout_us: Cell<u64>,
    /// `(id, time)`: when a scan first saw call `id` open. Keyed by id, so a new call is
    /// seen as new without the call itself writing anything here.
    seen: Cell<(u32, u64)>,
    /// A request dropped unanswered, to be settled by the caller (see [`Orphan`]).
    orphan: Cell<Option<Orphan>>,
}

impl ReplySlot {
    pub(crate) fn new() -> Self {
        Self {
            awaiting: Cell::new(None),
            reply: Cell::new(None),
            waker: Cell::new(None),
            timeout_us: Cell::new(NEVER),
            seen: Cell::new((0, 0)),
            orphan: Cell::new(None),
        }
    }

    /// Stores the awaited reply and wakes the caller. The caller checked `awaiting`.
    #[inline(always)]
    pub(crate) fn put(&self, reply: Reply) {
        self.awaiting.set(None);
        // A reply never overwrites another: only the awaited id gets in, once.
        self.reply.set(Some(reply));
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }

    /// Answers the awaited call `id` with `NoReply` for now, remembering which handler
    /// dropped it: the caller settles it ([`Self::take_orphan`]).
    pub(crate) fn orphan(&self, id: u32, slot: u16, generation: u32) {
        self.orphan.set(Some((id, slot, generation)));
        self.put(Reply {
            id,
            result: Err(CallError::NoReply),
        });
    }

    /// The handler that dropped call `id` unanswered, if that is how it ended and it has not
    /// been settled yet.
    pub(crate) fn take_orphan(&self, id: u32) -> Option<(u16, u32)> {
        match self.orphan.take() {
            Some((orphan, slot, generation)) if orphan == id => Some((slot, generation)),
            _ => None,
        }
    }

    /// Forgets any reply left by an abandoned call.
    #[inline(always)]
    pub(crate) fn clear(&self) {
        drop(self.reply.take());
        drop(self.waker.take());
    }

    /// The reply to `id`, or `Pending` with the caller's waker kept.
    #[inline(always)]
    pub(crate) fn poll(&self, id: u32, cx: &mut Context<'_>) -> Poll<Result<Record, CallError>> {
        match self.reply.take() {
            Some(reply) if reply.id == id => Poll::Ready(reply.result),
            // An older reply (cannot happen: `put` only takes the awaited id): dropped.
            _ => {
                let waker = match self.waker.take() {
                    Some(w) if w.will_wake(cx.waker()) => w,
                    _ => cx.waker().clone(),
                };
                self.waker.set(Some(waker));
                Poll::Pending
            }
        }
    }

    /// Looks at the open call at time `now_us`: stamps it if this is the first look, and
    /// says whether it is past its deadline. Does not fail it ([`Self::time_out`] does).
    pub(crate) fn watch(&self, now_us: u64) -> Watch {
        let Some(id) = self.awaiting.get() else {
            return Watch::Idle;
        };
        let timeout_us = self.timeout_us.get();
        if timeout_us == NEVER {
            return Watch::Idle;
        }
        let since = match self.seen.get() {
            // A clock that went backwards restarts the wait rather than never ending it.
            (seen, since) if seen == id && since <= now_us => since,
            _ => {
                self.seen.set((id, now_us));
                now_us
            }
        };
        if now_us - since >= timeout_us {
            Watch::Expired { id, timeout_us }
        } else {
            Watch::Until(since.saturating_add(timeout_us))
        }
    }

    /// Fails the awaited call `id` with [`CallError::Timeout`] and wakes its caller; a late
    /// reply finds nobody waiting and is discarded.
    pub(crate) fn time_out(&self, id: u32) {
        if self.awaiting.get() == Some(id) {
            self.put(Reply {
                id,
                result: Err(CallError::Timeout),
            });
        }
    }
}

pub(crate) struct Reply {
    pub(crate) id: u32,
    pub(crate) result: Result<Record, CallError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(slot: &ReplySlot, id: u32, timeout_us: Option<u64>) {
        slot.awaiting.set(Some(id));
        slot.timeout_us.set(stored(timeout_us));
    }

    #[test]
    fn a_call_is_stamped_when_first_seen_and_expires_a_timeout_later() {
        let slot = ReplySlot::new();
        assert_eq!(slot.watch(5), Watch::Idle);
        open(&slot, 7, Some(100));
        assert_eq!(slot.watch(1_000), Watch::Until(1_100));
        assert_eq!(slot.watch(1_099), Watch::Until(1_100));
        let expired = Watch::Expired {
            id: 7,
            timeout_us: 100,
        };
        assert_eq!(slot.watch(1_100), expired);
        slot.time_out(7);
        assert_eq!(slot.watch(2_000), Watch::Idle, "answered: nothing open");
        let waker = Waker::noop();
        let reply = slot.poll(7, &mut Context::from_waker(waker));
        assert_eq!(reply, Poll::Ready(Err(CallError::Timeout)));
    }

    #[test]
    fn a_new_call_is_seen_as_new_and_none_never_expires() {
        let slot = ReplySlot::new();
        open(&slot, 1, Some(10));
        assert_eq!(slot.watch(0), Watch::Until(10));
        open(&slot, 2, Some(10));
        assert_eq!(slot.watch(9), Watch::Until(19), "call 2 is stamped afresh");
        open(&slot, 3, None);
        assert_eq!(slot.watch(u64::MAX - 1), Watch::Idle);
        open(&slot, 4, Some(0));
        assert_eq!(
            slot.watch(50),
            Watch::Expired {
                id: 4,
                timeout_us: 0
            }
        );
        open(&slot, 5, Some(u64::MAX - 1));
        assert_eq!(slot.watch(10), Watch::Until(u64::MAX));
        slot.time_out(99);
        assert_eq!(
            slot.awaiting.get(),
            Some(5),
            "only the awaited id times out"
        );
    }

    #[test]
    fn a_clock_that_went_backwards_restarts_the_wait() {
        let slot = ReplySlot::new();
        open(&slot, 1, Some(10));
        assert_eq!(slot.watch(100), Watch::Until(110));
        assert_eq!(slot.watch(50), Watch::Until(60));
    }

    #[test]
    fn an_orphan_is_settled_once_and_only_for_its_call() {
        let slot = ReplySlot::new();
        open(&slot, 3, None);
        slot.orphan(3, 1, 2);
        assert_eq!(slot.take_orphan(4), None);
        slot.orphan(3, 1, 2);
        assert_eq!(slot.take_orphan(3), Some((1, 2)));
        assert_eq!(slot.take_orphan(3), None);
        assert_eq!(stored(None), NEVER);
        assert_eq!(shown(stored(Some(5))), Some(5));
        assert_eq!(shown(NEVER), None);
    }
}
