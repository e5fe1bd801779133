//! Memory admission and accounting: what each instance may hold, checked before
//! anything is allocated.
//!
//! Guests share the P5 pool; each service draws on its own P4 quota. An instance
//! is admitted only if its pool can hold its declared linear memory, its value
//! stack cap and the store overhead ([`STORE_OVERHEAD_BYTES`]); every later
//! `memory.grow` is charged to the same pool through the instance's
//! [`ResourceLimiter`](wasmi::ResourceLimiter) and denied (the guest sees `-1`)
//! when it does not fit. Because the ledger is checked *before* wasmi allocates,
//! guest-driven growth never reaches the allocator's out-of-memory abort path.
//! The pools mirror the kernel partitions the platform set up (`mem` sizes).

use alloc::vec::Vec;
use core::fmt;

use fireball_kernel::mem::{OwnerId, PartitionId, PartitionSwitch, Placement};

/// RAM a wasmi store + instance + builtins take besides linear memory and value
/// stack (recipe: ~4.2 KB live / ~7 KB peak on Cortex-M33), rounded up.
pub const STORE_OVERHEAD_BYTES: usize = 8 * 1024;

/// A pool of bytes with its use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pool {
    /// Bytes the pool holds.
    pub capacity: usize,
    /// Bytes charged now.
    pub used: usize,
    /// Highest `used` seen.
    pub peak: usize,
}

impl Pool {
    fn new(capacity: usize) -> Self {
        Self {
            capacity,
            used: 0,
            peak: 0,
        }
    }

    /// Bytes still free.
    pub fn available(&self) -> usize {
        self.capacity - self.used
    }
}

/// A charge did not fit: the instance's owner is at fault (it asked for too much).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shortfall {
    /// Where the bytes were asked.
    pub placement: Placement,
    /// Bytes asked.
    pub requested: usize,
    /// Bytes free in that pool.
    pub available: usize,
}

impl fmt::Display for Shortfall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} asked for {} bytes, {} available",
            self.placement, self.requested, self.available
        )
    }
}

/// The guest pool and the service quotas of one vSoC.
#[derive(Clone, Debug, Default)]
pub struct MemoryBudget {
    guests: Pool,
    services: Vec<(u16, Pool)>,
}

impl MemoryBudget {
    /// A budget whose guests share `guest_pool` bytes, with no service quota yet.
    pub fn new(guest_pool: usize) -> Self {
        Self {
            guests: Pool::new(guest_pool),
            services: Vec::new(),
        }
    }

    /// Give service `id` a quota of `bytes` (replacing an unused one).
    pub fn set_service_quota(&mut self, id: u16, bytes: usize) {
        match self.services.iter_mut().find(|(s, _)| *s == id) {
            Some((_, pool)) => pool.capacity = bytes.max(pool.used),
            None => self.services.push((id, Pool::new(bytes))),
        }
    }

    /// The pool `placement` draws on (`None`: not a guest or a service with a quota).
    pub fn pool(&self, placement: Placement) -> Option<Pool> {
        match placement.partition {
            PartitionId::Guests => Some(self.guests),
            PartitionId::Services => self
                .services
                .iter()
                .find(|(s, _)| *s == placement.owner.0)
                .map(|(_, p)| *p),
            _ => None,
        }
    }

    fn pool_mut(&mut self, placement: Placement) -> Option<&mut Pool> {
        match placement.partition {
            PartitionId::Guests => Some(&mut self.guests),
            PartitionId::Services => self
                .services
                .iter_mut()
                .find(|(s, _)| *s == placement.owner.0)
                .map(|(_, p)| p),
            _ => None,
        }
    }

    /// Charge `bytes` to `placement`'s pool if they fit.
    pub fn try_charge(&mut self, placement: Placement, bytes: usize) -> Result<(), Shortfall> {
        let shortfall = |available| Shortfall {
            placement,
            requested: bytes,
            available,
        };
        let pool = self.pool_mut(placement).ok_or(shortfall(0))?;
        if bytes > pool.available() {
            return Err(shortfall(pool.available()));
        }
        pool.used += bytes;
        pool.peak = pool.peak.max(pool.used);
        Ok(())
    }

    /// Give back `bytes` charged earlier to `placement`.
    pub fn release(&mut self, placement: Placement, bytes: usize) {
        if let Some(pool) = self.pool_mut(placement) {
            pool.used = pool.used.saturating_sub(bytes);
        }
    }
}

/// One instance's memory limiter: wasmi asks it before every linear-memory
/// allocation (at instantiation and on `memory.grow`).
pub(crate) struct Limiter {
    pub(crate) placement: Placement,
    /// Largest linear memory this module may have ([`crate::VsocConfig::max_memory_bytes`]).
    pub(crate) max_memory: usize,
    /// Most elements its table may grow to ([`crate::VsocConfig::max_table_elements`], the
    /// loader's limit on a declared table).
    pub(crate) max_table_elements: usize,
    /// Linear-memory bytes charged to the pool so far.
    pub(crate) charged: usize,
    /// Peak linear memory.
    pub(crate) peak: usize,
    /// The last growth refused, if any (evidence for a memory-exhaustion stop).
    pub(crate) denied: Option<Shortfall>,
    pub(crate) budget: alloc::rc::Rc<core::cell::RefCell<MemoryBudget>>,
    /// Where allocations are placed, when they are (`Vsoc::place_allocations`).
    pub(crate) partitions: Option<&'static dyn PartitionSwitch>,
    /// P2's allocated bytes when wasm code last started running.
    pub(crate) runtime_at_entry: usize,
    /// Net bytes P2 gained while this instance's wasm code ran: the functions it was the
    /// first to call, translated (lazy translation), charged to its module.
    pub(crate) translated: isize,
}

impl Limiter {
    /// wasmi's call hook, when allocations are placed. Wasm code runs with P2 (the runtime)
    /// current, so a function translated on its first call lands with the rest of the
    /// compiled code, in P2, whichever instance called it first; builtins run in the
    /// instance's own placement. What else wasm code allocates stays the instance's: its
    /// value and call stacks are allocated before the hook switches (and grow by `realloc`,
    /// which keeps a block in the heap that holds it), and so is a linear memory or table
    /// that is not empty ([`Limiter::growing_from`]).
    pub(crate) fn on_call(&mut self, hook: wasmi::CallHook) {
        let Some(switch) = self.partitions else {
            return;
        };
        match hook {
            wasmi::CallHook::CallingWasm | wasmi::CallHook::ReturningFromHost => {
                switch.switch_to(RUNTIME);
                self.runtime_at_entry = switch.allocated(RUNTIME);
            }
            wasmi::CallHook::CallingHost | wasmi::CallHook::ReturningFromWasm => {
                let now = switch.allocated(RUNTIME);
                self.translated += now as isize - self.runtime_at_entry as isize;
                self.runtime_at_entry = now;
                switch.switch_to(self.placement);
            }
        }
    }

    /// Net bytes P2 gained while this instance's wasm code ran (0 unless placed).
    pub(crate) fn translated(&self) -> usize {
        usize::try_from(self.translated).unwrap_or(0)
    }

    /// A linear memory or table growing from nothing is a fresh allocation (growing a
    /// non-empty one reallocates it where it is): make the instance's placement current for
    /// it. It stays current until the next builtin returns or the run ends, so a function
    /// first called in between is translated into the instance's placement — charged to it,
    /// never lost. Fireball's modules declare a non-empty memory.
    fn growing_from(&self, current: usize) {
        if current == 0
            && let Some(switch) = self.partitions
        {
            switch.switch_to(self.placement);
        }
    }
}

/// The runtime partition (P2), where compiled code lives.
const RUNTIME: Placement = Placement::new(PartitionId::Runtime, OwnerId(0));

impl wasmi::ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, wasmi_core::LimiterError> {
        self.growing_from(current);
        let over_module = desired > self.max_memory || maximum.is_some_and(|max| desired > max);
        let extra = desired.saturating_sub(current.max(self.charged));
        let charged = if over_module {
            Err(Shortfall {
                placement: self.placement,
                requested: desired,
                available: self.max_memory,
            })
        } else {
            self.budget.borrow_mut().try_charge(self.placement, extra)
        };
        match charged {
            Ok(()) => {
                self.charged += extra;
                self.peak = self.peak.max(desired);
                Ok(true)
            }
            Err(shortfall) => {
                self.denied = Some(shortfall);
                Ok(false)
            }
        }
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, wasmi_core::LimiterError> {
        self.growing_from(current);
        // A `table.grow` past the vSoC's limit fails as the guest's own `-1`, as one past
        // the table's declared maximum does: a guest cannot make the host allocate a table
        // of 2^30 elements (16 GiB), which a host run without the partitioned heap would try
        // (the `guest` fuzz target found it).
        Ok(desired <= self.max_table_elements && maximum.is_none_or(|max| desired <= max))
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        1
    }

    fn memories(&self) -> usize {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_fit_or_report_the_shortfall() {
        let mut budget = MemoryBudget::new(100);
        let guest = Placement::guest(1);
        budget.try_charge(guest, 60).unwrap();
        assert_eq!(
            budget.try_charge(Placement::guest(2), 50),
            Err(Shortfall {
                placement: Placement::guest(2),
                requested: 50,
                available: 40
            })
        );
        budget.release(guest, 60);
        assert_eq!(budget.pool(guest).map(|p| (p.used, p.peak)), Some((0, 60)));
    }

    #[test]
    fn services_draw_on_their_own_quota_only() {
        let mut budget = MemoryBudget::new(1000);
        assert!(budget.try_charge(Placement::service(3), 1).is_err());
        budget.set_service_quota(3, 10);
        budget.try_charge(Placement::service(3), 10).unwrap();
        assert!(budget.try_charge(Placement::service(3), 1).is_err());
        assert_eq!(budget.pool(Placement::guest(0)).unwrap().used, 0);
        assert!(budget.try_charge(Placement::KERNEL, 1).is_err());
    }
}
