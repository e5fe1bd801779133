//! vSoC configuration: the yield interval and the limits every module is held to.

/// Fuel per slice on a Cortex-M33 at 100 MHz (seed §6.2: 30 000 instructions,
/// scaled with the clock). wasmi charges roughly one fuel unit per
/// instruction, so a slice is ~0.3 ms of guest time at 100 MHz.
pub const DEFAULT_YIELD_INTERVAL: u64 = 30_000;

/// The guest pool by default: the kernel's P5 size on the board; on the host,
/// where the runner simulates many guests at once, 4 MiB.
pub const DEFAULT_GUEST_POOL: usize = if cfg!(target_os = "none") {
    fireball_kernel::config::P5_GUEST_BYTES
} else {
    4 * 1024 * 1024
};

/// Fuel between two looks at the interrupt flags while an instance waits on one
/// (`wait_irq`): a slice runs in steps of this much fuel and ends early once a flag a waiter
/// waits for is raised, so the waiter is not held up for whole slices. ~2,000 fuel is about
/// 28,000 instructions of integer code on the Cortex-M33 (docs/perf.md, "Interrupt to
/// guest").
pub const DEFAULT_IRQ_CHECK_INTERVAL: u64 = 2_000;

/// The smallest value-stack cap a vSoC runs with (wasmi's stack starts at 1 000 bytes).
pub const MIN_VALUE_STACK: usize = 1024;

/// Tuning and limits of a [`Vsoc`](crate::Vsoc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VsocConfig {
    /// Fuel an instance gets per slice before it is suspended.
    pub yield_interval: u64,
    /// While an instance waits on an interrupt flag, slices run in steps of this much fuel
    /// and end at the first step after a flag it waits for is raised (no effect while no
    /// instance waits on one; `u64::MAX`: slices are never cut).
    pub irq_check_interval: u64,
    /// Largest module accepted, in bytes.
    pub max_module_bytes: usize,
    /// Largest linear memory a module may declare (its maximum, or minimum
    /// when it declares no maximum), in bytes.
    pub max_memory_bytes: u64,
    /// Most functions (imported + defined) a module may have.
    pub max_functions: u32,
    /// Most tables a module may have.
    pub max_tables: u32,
    /// Most elements any one table may declare, or grow to (`table.grow` past it returns
    /// `-1`).
    pub max_table_elements: u64,
    /// Deepest call nesting before the instance traps with a stack overflow.
    pub max_call_depth: usize,
    /// Cap on wasmi's value stack per instance, in bytes (charged at admission); raised to
    /// [`MIN_VALUE_STACK`] if lower.
    pub max_value_stack: usize,
    /// Bytes all guests together may hold (the P5 pool): linear memories,
    /// value-stack caps and store overheads. Services get per-service quotas
    /// instead ([`Vsoc::set_service_quota`](crate::Vsoc::set_service_quota)).
    pub guest_pool_bytes: usize,
}

impl VsocConfig {
    /// The same configuration with another yield interval, scaled for a
    /// core running at `mhz` (seed §6.2: the interval scales with the clock).
    pub fn for_clock_mhz(mhz: u32) -> Self {
        Self {
            yield_interval: DEFAULT_YIELD_INTERVAL * u64::from(mhz) / 100,
            ..Self::default()
        }
    }
}

impl Default for VsocConfig {
    fn default() -> Self {
        Self {
            yield_interval: DEFAULT_YIELD_INTERVAL,
            irq_check_interval: DEFAULT_IRQ_CHECK_INTERVAL,
            max_module_bytes: 256 * 1024,
            max_memory_bytes: 64 * 1024,
            max_functions: 1024,
            max_tables: 1,
            max_table_elements: 1024,
            max_call_depth: 256,
            max_value_stack: 16 * 1024,
            guest_pool_bytes: DEFAULT_GUEST_POOL,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_scales_with_clock() {
        assert_eq!(VsocConfig::for_clock_mhz(100).yield_interval, 30_000);
        assert_eq!(VsocConfig::for_clock_mhz(64).yield_interval, 19_200);
        assert_eq!(VsocConfig::for_clock_mhz(2000).yield_interval, 600_000);
    }
}
