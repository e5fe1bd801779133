//! A service's watchdog: stop it when it holds a request, or runs without coming back to
//! `route_next`, for longer than its limit ([`Overrun`]).
//!
//! Checked at the context switch, never inside a builtin: after each turn the instance's task
//! tells its watchdog whether the turn ran out of fuel (or yielded) and which request the
//! service holds longest ([`Watchdog::after_turn`]); a service blocked while it holds one waits
//! at most until [`Watchdog::held_deadline`]. Time is the platform clock (virtual time on the
//! host), read at turn boundaries, so an overrun is seen to within a slice.

use crate::stop::Overrun;

/// One instance's watchdog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Watchdog {
    /// The instance it watches (its registry serial).
    pub(crate) serial: u16,
    /// The limit for both holding a request and running without `route_next`, µs.
    pub(crate) limit_us: u64,
    /// The request held longest (its token) and since when.
    held: Option<(u32, u64)>,
    /// Since when the instance has run (turns out of fuel or yielded) without blocking.
    running_since: Option<u64>,
}

impl Watchdog {
    pub(crate) fn new(serial: u16, limit_us: u64) -> Self {
        Self {
            serial,
            limit_us,
            held: None,
            running_since: None,
        }
    }

    /// After a turn at `now`: `ran` if it ended out of fuel (or yielding) rather than blocked,
    /// `oldest` the token of the request it holds longest. The overrun, if it has overrun.
    pub(crate) fn after_turn(
        &mut self,
        now: u64,
        ran: bool,
        oldest: Option<u32>,
    ) -> Option<Overrun> {
        self.held = match (oldest, self.held) {
            (None, _) => None,
            (Some(token), Some((held, since))) if held == token => Some((token, since)),
            (Some(token), _) => Some((token, now)),
        };
        if let Some((token, since)) = self.held
            && now.saturating_sub(since) > self.limit_us
        {
            return Some(Overrun::Held {
                token,
                for_us: now - since,
            });
        }
        if !ran {
            self.running_since = None;
            return None;
        }
        let since = *self.running_since.get_or_insert(now);
        (now.saturating_sub(since) > self.limit_us).then(|| Overrun::Ran {
            for_us: now - since,
        })
    }

    /// The instance was stopped by a debugger for `for_us`: that time does not count (a
    /// service under a debugger is not hung). Its callers' deadlines still run.
    #[cfg(feature = "debug")]
    pub(crate) fn paused(&mut self, for_us: u64) {
        if let Some((_, since)) = &mut self.held {
            *since = since.saturating_add(for_us);
        }
        if let Some(since) = &mut self.running_since {
            *since = since.saturating_add(for_us);
        }
    }

    /// When a wait that started while it holds a request must end: its holding limit.
    pub(crate) fn held_deadline(&self) -> Option<(u32, u64)> {
        self.held
            .map(|(token, since)| (token, since.saturating_add(self.limit_us).saturating_add(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_without_blocking_overruns_after_the_limit() {
        let mut dog = Watchdog::new(1, 100);
        assert_eq!(dog.after_turn(0, true, None), None);
        assert_eq!(dog.after_turn(100, true, None), None);
        assert_eq!(
            dog.after_turn(101, true, None),
            Some(Overrun::Ran { for_us: 101 })
        );
        // Blocking (reaching route_next) starts the count again.
        assert_eq!(dog.after_turn(150, false, None), None);
        assert_eq!(dog.after_turn(200, true, None), None);
        assert_eq!(dog.after_turn(300, true, None), None);
    }

    #[test]
    fn holding_one_request_overruns_answering_them_does_not() {
        let mut dog = Watchdog::new(1, 100);
        assert_eq!(dog.after_turn(0, false, Some(1)), None);
        assert_eq!(dog.held_deadline(), Some((1, 101)));
        // Another request is the oldest now: the count starts again.
        assert_eq!(dog.after_turn(90, false, Some(2)), None);
        assert_eq!(dog.after_turn(180, false, Some(2)), None);
        assert_eq!(
            dog.after_turn(191, false, Some(2)),
            Some(Overrun::Held {
                token: 2,
                for_us: 101
            })
        );
        assert_eq!(dog.after_turn(200, false, None), None);
        assert_eq!(dog.held_deadline(), None);
    }

    #[cfg(feature = "debug")]
    #[test]
    fn time_stopped_by_a_debugger_does_not_count() {
        let mut dog = Watchdog::new(1, 100);
        assert_eq!(dog.after_turn(0, true, Some(1)), None);
        dog.paused(1_000);
        assert_eq!(dog.after_turn(1_050, true, Some(1)), None);
        assert_eq!(dog.held_deadline(), Some((1, 1_101)));
        assert_eq!(
            dog.after_turn(1_101, true, Some(1)),
            Some(Overrun::Held {
                token: 1,
                for_us: 101
            })
        );
    }
}
