//! A deployment's clock held to a real one: virtual time goes no faster than the board's
//! clock. It may go slower — a guest computing keeps the core busy however far behind the
//! wall its slices put it.
//!
//! After each [`System::turn`], [`Wall::hold`] compares the deployment's clock with the
//! wall's: when the deployment is ahead (a turn jumped it to the next sleeper's deadline, or
//! slices ran faster than their fuel's worth of time), or when nothing is left to run
//! ([`Turn::Idle`]), the board waits — in its own way (polling a UART for a request, or for
//! a button's edge) and at most as long as it says — and an idle deployment's clock is
//! moved on to the wall's, so a request or an interrupt finds it where a client expects it.
//! The QEMU control-port image holds virtual time to SysTick this way, the nRF5340-DK's image
//! to RTC0 (with [`System::run_paced`]).

use crate::system::{System, Turn};
use fireball_subsystems::hal::Clock;

/// A real clock, counted from the start of the run.
pub struct Wall<C> {
    clock: C,
    start: u64,
}

impl<C: Clock> Wall<C> {
    /// The wall from now on.
    pub fn start(clock: C) -> Self {
        let start = clock.now_us();
        Self { clock, start }
    }

    /// Microseconds since [`Wall::start`].
    pub fn now(&self) -> u64 {
        self.clock.now_us() - self.start
    }

    /// After a `turn` of `system`: if its clock is ahead of the wall or it is idle, call
    /// `wait(until)` — wait until the wall reads `until` (at most `longest_us` from now,
    /// never less than 1 µs) or the board has news — then, if it was idle, move its clock
    /// on to the wall's.
    pub fn hold(&self, system: &mut System, turn: Turn, longest_us: u64, wait: impl FnOnce(u64)) {
        let ahead = system.now().saturating_sub(self.now());
        if turn == Turn::Idle || ahead > 0 {
            wait(self.now() + ahead.clamp(1, longest_us.max(1)));
            if turn == Turn::Idle {
                system.advance_clock(self.now());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use core::cell::Cell;

    use super::*;

    /// A wall clock that moves only when told.
    struct Hands<'a>(&'a Cell<u64>);

    impl Clock for Hands<'_> {
        fn now_us(&self) -> u64 {
            self.0.get()
        }
    }

    #[test]
    fn the_wall_counts_from_its_start() {
        let time = Cell::new(5_000);
        let wall = Wall::start(Hands(&time));
        assert_eq!(wall.now(), 0);
        time.set(5_250);
        assert_eq!(wall.now(), 250);
    }
}
