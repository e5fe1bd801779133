//! A component's restart policy at work: on each stop, restart it (after a back-off that
//! doubles within the window) or give up. Plain logic on virtual time, tested on its own.
//!
//! The state machine of one component:
//!
//! - **running** → stops. The policy says whether the stop counts: `never` never, `on-failure`
//!   when it failed (trap, memory, watchdog), `always` also when its entry point returned.
//!   A stop that does not count leaves it down.
//! - A counted stop forgets the stops older than the window; with fewer than `max_restarts`
//!   left in the window it is **waiting**: restart `n` (1 for the first in the window) is due
//!   after `backoff × 2^(n-1)`, at most `backoff × MAX_BACKOFF_FACTOR`. Otherwise it **gave
//!   up**: `max_restarts + 1` failures in the window; it stays down.
//! - **waiting** → the clock reaches the due time → the system re-instantiates it from its
//!   compiled module and it is **running** again.

use alloc::vec::Vec;

use crate::plan::{Lifecycle, MAX_BACKOFF_FACTOR, Restart};

/// What to do about a stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Its policy does not restart it after this stop: it stays down.
    Stay,
    /// Restart it at `at_us` (`after_us` from now): restart `nth` in the window.
    Restart { nth: u32, after_us: u64, at_us: u64 },
    /// Past `max_restarts` in the window: `failures` stops in it; it stays down.
    GiveUp { failures: u32 },
}

/// One component's restarts.
#[derive(Clone, Debug)]
pub(crate) struct Restarts {
    pub(crate) policy: Lifecycle,
    /// When each counted stop within the window happened, µs.
    stops: Vec<u64>,
    /// Restarts made over the whole run.
    pub(crate) total: u32,
    /// When the pending restart is due, if one is.
    pub(crate) due_us: Option<u64>,
    /// The last restart decided: its number in the window and its back-off.
    pub(crate) last: Option<(u32, u64)>,
}

/// Stops of the window kept in room reserved at boot: a window of up to this many restarts
/// never allocates while a component crashes (a board's P1 does not grow with the crash rate;
/// the soak run found its 32 B growing as a window first held five stops). A longer window
/// grows beyond it as it fills, as before.
const RESERVED_STOPS: u32 = 32;

impl Restarts {
    pub(crate) fn new(policy: Lifecycle) -> Self {
        let reserved = match policy.restart {
            Restart::Never => 0,
            _ => policy.max_restarts.min(RESERVED_STOPS) as usize,
        };
        Self {
            policy,
            stops: Vec::with_capacity(reserved),
            total: 0,
            due_us: None,
            last: None,
        }
    }

    /// Whether its policy restarts it at all.
    pub(crate) fn restarts(&self) -> bool {
        self.policy.restart != Restart::Never
    }

    /// It stopped at `now_us`; `failed` unless its entry point returned.
    pub(crate) fn on_stop(&mut self, now_us: u64, failed: bool) -> Decision {
        let counts = match self.policy.restart {
            Restart::Never => false,
            Restart::OnFailure => failed,
            Restart::Always => true,
        };
        if !counts {
            return Decision::Stay;
        }
        let window = self.policy.window_us;
        self.stops.retain(|&t| now_us.saturating_sub(t) < window);
        let before = self.stops.len() as u32;
        if before >= self.policy.max_restarts {
            return Decision::GiveUp {
                failures: before + 1,
            };
        }
        self.stops.push(now_us);
        let factor = 1u64
            .checked_shl(before)
            .unwrap_or(u64::MAX)
            .min(MAX_BACKOFF_FACTOR);
        let after_us = self.policy.backoff_us.saturating_mul(factor);
        let at_us = now_us.saturating_add(after_us);
        self.due_us = Some(at_us);
        self.last = Some((before + 1, after_us));
        Decision::Restart {
            nth: before + 1,
            after_us,
            at_us,
        }
    }

    /// Whether a stop at `now_us` would be restarted (rather than give up), if it counts.
    pub(crate) fn would_restart(&self, now_us: u64) -> bool {
        let window = self.policy.window_us;
        let recent = self
            .stops
            .iter()
            .filter(|&&t| now_us.saturating_sub(t) < window)
            .count() as u32;
        self.restarts() && recent < self.policy.max_restarts
    }
}

/// `us` as a short duration: `10 s`, `20 ms`, `750 µs`.
pub(crate) fn duration(us: u64) -> alloc::string::String {
    if us >= 1_000_000 && us.is_multiple_of(1_000_000) {
        alloc::format!("{} s", us / 1_000_000)
    } else if us >= 1000 && us.is_multiple_of(1000) {
        alloc::format!("{} ms", us / 1000)
    } else {
        alloc::format!("{us} µs")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_of_up_to_32_restarts_is_reserved_at_boot_and_never_reallocated() {
        let thirty = Lifecycle {
            max_restarts: 30,
            ..policy(Restart::OnFailure)
        };
        let mut r = Restarts::new(thirty);
        let room = r.stops.capacity();
        assert!(room >= 30, "{room}");
        for stop in 0..30 {
            assert!(matches!(r.on_stop(stop, true), Decision::Restart { .. }));
        }
        assert_eq!(
            r.stops.capacity(),
            room,
            "the stops stayed in the room reserved"
        );
        assert_eq!(Restarts::new(policy(Restart::Never)).stops.capacity(), 0);
    }

    fn policy(restart: Restart) -> Lifecycle {
        Lifecycle {
            restart,
            max_restarts: 3,
            window_us: 10_000_000,
            backoff_us: 20_000,
            watchdog_us: None,
        }
    }

    #[test]
    fn on_failure_restarts_three_times_in_the_window_with_a_doubling_back_off_then_gives_up() {
        let mut r = Restarts::new(policy(Restart::OnFailure));
        assert_eq!(
            r.on_stop(5, false),
            Decision::Stay,
            "a return is no failure"
        );
        let first = r.on_stop(1_000, true);
        assert_eq!(
            first,
            Decision::Restart {
                nth: 1,
                after_us: 20_000,
                at_us: 21_000
            }
        );
        assert!(matches!(
            r.on_stop(30_000, true),
            Decision::Restart {
                nth: 2,
                after_us: 40_000,
                ..
            }
        ));
        assert!(r.would_restart(80_000));
        assert!(matches!(
            r.on_stop(80_000, true),
            Decision::Restart {
                nth: 3,
                after_us: 80_000,
                ..
            }
        ));
        assert!(!r.would_restart(200_000));
        assert_eq!(r.on_stop(200_000, true), Decision::GiveUp { failures: 4 });
        // A window later the count starts again.
        assert!(matches!(
            r.on_stop(20_000_000, true),
            Decision::Restart { nth: 1, .. }
        ));
    }

    #[test]
    fn always_restarts_a_return_never_restarts_nothing_and_the_back_off_is_capped() {
        let mut always = Restarts::new(Lifecycle {
            max_restarts: 100,
            ..policy(Restart::Always)
        });
        assert!(matches!(
            always.on_stop(0, false),
            Decision::Restart { nth: 1, .. }
        ));
        let mut last = 0;
        for i in 1..40 {
            if let Decision::Restart { after_us, .. } = always.on_stop(i, true) {
                last = after_us;
            }
        }
        assert_eq!(last, 20_000 * MAX_BACKOFF_FACTOR);
        let mut never = Restarts::new(policy(Restart::Never));
        assert_eq!(never.on_stop(0, true), Decision::Stay);
        assert!(!never.would_restart(0));
        assert_eq!(duration(10_000_000), "10 s");
        assert_eq!(duration(20_000), "20 ms");
        assert_eq!(duration(1_500), "1500 µs");
    }
}
