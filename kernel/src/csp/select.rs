//! Waiting on several channels' receives at once (the router's main loop).

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use super::Channel;
use super::chan::{NO_TICKET, Ticket};

/// Receives from whichever of `channels` has a value first.
///
/// Resolves to `(index, value)`: the position of the channel in `channels` and what it gave —
/// `None` if that channel is closed and drained (drop it from the set, or select on the rest).
/// When several are ready in the same poll the lowest index wins, so results are deterministic;
/// a caller worried about starvation rotates the array between calls. While waiting, the select
/// queues as an ordinary receiver on every channel, in FIFO order with other receivers; when one
/// arm fires, its places in the other queues are given up (passing any entitlement on).
/// No allocation: `N` is known at compile time.
pub fn select<'a, T, const N: usize>(channels: [&'a Channel<T>; N]) -> Select<'a, T, N> {
    Select {
        channels,
        tickets: [NO_TICKET; N],
    }
}

/// The future of [`select`].
#[must_use = "futures do nothing unless awaited"]
pub struct Select<'a, T, const N: usize> {
    channels: [&'a Channel<T>; N],
    tickets: [Ticket; N],
}

impl<T, const N: usize> Select<'_, T, N> {
    fn give_up_all(&mut self) {
        for (channel, ticket) in self.channels.iter().zip(self.tickets.iter_mut()) {
            channel.cancel_recv(ticket);
        }
    }
}

impl<T, const N: usize> Future for Select<'_, T, N> {
    type Output = (usize, Option<T>);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        for index in 0..N {
            if let Poll::Ready(value) = this.channels[index].poll_recv(&mut this.tickets[index], cx)
            {
                this.give_up_all();
                return Poll::Ready((index, value));
            }
        }
        Poll::Pending
    }
}

impl<T, const N: usize> Drop for Select<'_, T, N> {
    fn drop(&mut self) {
        self.give_up_all();
    }
}
