//! The virtual clock.

use alloc::rc::Rc;
use core::cell::Cell;

use crate::hal::Clock;

/// Virtual time in microseconds, shared by every handle cloned from it.
///
/// Nothing advances it but [`SimClock::advance`], so simulated time (and so
/// every waveform and timeout) is exact in tests.
#[derive(Clone, Debug, Default)]
pub struct SimClock {
    now: Rc<Cell<u64>>,
}

impl SimClock {
    /// A clock at time zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Move time forward by `us` microseconds.
    pub fn advance(&self, us: u64) {
        self.now.set(self.now.get().saturating_add(us));
    }
}

impl Clock for SimClock {
    fn now_us(&self) -> u64 {
        self.now.get()
    }
}
