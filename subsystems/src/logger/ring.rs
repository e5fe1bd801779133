//! The event ring: a fixed array of events, written without ever blocking.

use super::Event;

/// The seed's ring size (§1.2.1: 256 events).
pub const DEFAULT_EVENTS: usize = 256;

/// A ring of the last `N` events.
///
/// [`push`](EventRing::push) is a store and two index updates: it never
/// blocks, allocates or fails. When the ring is full the oldest event is
/// overwritten and [`overwritten`](EventRing::overwritten) counts it, so
/// overflow is visible in every drain rather than hidden.
pub struct EventRing<const N: usize = DEFAULT_EVENTS> {
    slots: [Event; N],
    /// Index of the oldest event.
    head: usize,
    len: usize,
    overwritten: u64,
    pushed: u64,
}

impl<const N: usize> Default for EventRing<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> EventRing<N> {
    const NON_EMPTY: () = assert!(N > 0, "an event ring needs at least one slot");

    /// An empty ring.
    pub const fn new() -> Self {
        let () = Self::NON_EMPTY;
        Self {
            slots: [Event::new(0, super::Level::Debug, super::EventKind::Message, 0); N],
            head: 0,
            len: 0,
            overwritten: 0,
            pushed: 0,
        }
    }

    /// Record `event`, overwriting the oldest one if the ring is full.
    #[inline]
    pub fn push(&mut self, event: Event) {
        let mut tail = self.head + self.len;
        if tail >= N {
            tail -= N;
        }
        self.slots[tail] = event;
        self.pushed += 1;
        if self.len == N {
            self.head = if self.head + 1 == N { 0 } else { self.head + 1 };
            self.overwritten += 1;
        } else {
            self.len += 1;
        }
    }

    /// Take the oldest event.
    pub fn pop(&mut self) -> Option<Event> {
        if self.len == 0 {
            return None;
        }
        let event = self.slots[self.head];
        self.head = if self.head + 1 == N { 0 } else { self.head + 1 };
        self.len -= 1;
        Some(event)
    }

    /// The oldest event, left in place.
    pub fn peek(&self) -> Option<&Event> {
        (self.len > 0).then(|| &self.slots[self.head])
    }

    /// The waiting events, oldest first, left in place (a debugger's view of the ring).
    pub fn iter(&self) -> impl Iterator<Item = &Event> + '_ {
        let (tail, head) = self.slots.split_at(self.head);
        head.iter().chain(tail).take(self.len)
    }

    /// Events waiting to be drained.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Capacity in events.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Events lost to overflow since the ring was made.
    pub fn overwritten(&self) -> u64 {
        self.overwritten
    }

    /// Events ever pushed.
    pub fn pushed(&self) -> u64 {
        self.pushed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logger::{EventKind, Level};

    fn ev(n: u16) -> Event {
        Event::new(u32::from(n), Level::Info, EventKind::TaskSpawned, n)
    }

    #[test]
    fn fifo_until_full() {
        let mut ring = EventRing::<4>::new();
        for n in 0..3 {
            ring.push(ev(n));
        }
        assert_eq!(ring.len(), 3);
        assert_eq!(ring.pop().map(|e| e.arg()), Some(0));
        ring.push(ev(3));
        ring.push(ev(4));
        let seen: Vec<u16> = ring.iter().map(|e| e.arg()).collect();
        assert_eq!(seen, [1, 2, 3, 4], "iter: oldest first across the wrap");
        let drained: Vec<u16> = core::iter::from_fn(|| ring.pop())
            .map(|e| e.arg())
            .collect();
        assert_eq!(drained, [1, 2, 3, 4]);
        assert_eq!(ring.overwritten(), 0);
    }

    #[test]
    fn ten_thousand_events_into_256_slots_keep_the_newest_and_count_the_rest() {
        let mut ring = EventRing::<DEFAULT_EVENTS>::new();
        for n in 0..10_000u32 {
            ring.push(Event::new(
                n,
                Level::Debug,
                EventKind::ChannelSend,
                n as u16,
            ));
        }
        assert_eq!(ring.len(), 256);
        assert_eq!(ring.pushed(), 10_000);
        assert_eq!(ring.overwritten(), 10_000 - 256);
        let times: Vec<u32> = core::iter::from_fn(|| ring.pop())
            .map(|e| e.at_ms())
            .collect();
        assert_eq!(times, (10_000 - 256..10_000).collect::<Vec<_>>());
    }
}
