//! The memory dump (seed §8.2: usage and fragmentation per heap), as a printable snapshot.

use core::fmt;

use super::{HeapStats, OwnerId, PartitionId, PartitionedHeap};

/// A snapshot of every partition's and every service quota's statistics.
///
/// ```text
/// P1 COOS           812/5836 B  13% used, peak 1024 B, 9 allocs, 2 frees, 0 failures, 3 gaps, largest free 4800 B
/// ...
///   svc 3          120/1024 B  11% used, ...
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryReport {
    /// Each partition's statistics (`None`: no region given).
    pub partitions: [Option<HeapStats>; 6],
    /// Each service quota inside P4.
    pub services: alloc::vec::Vec<(OwnerId, HeapStats)>,
    /// Events lost to a full queue.
    pub dropped_events: u32,
}

impl PartitionedHeap {
    /// Takes a [`MemoryReport`] (probes each heap for its largest free block).
    // Cold (boot, restarts, teardown): compiled for size in the firmware
    // (docs/perf.md, "Cold code in the hot crates").
    #[cfg_attr(fireball_size_hints, optimize(size))]
    #[inline(never)]
    pub fn report(&self) -> MemoryReport {
        let partitions = PartitionId::ALL.map(|id| self.stats(id));
        // The report is also what a failing firmware prints, perhaps because memory ran out:
        // the quotas' list is made only if its room can be had, and never aborts for it.
        let mut services = alloc::vec::Vec::new();
        if let Some(count) = self.room_for_quotas(&mut services) {
            self.each_quota(|owner, stats| {
                if services.len() < count {
                    services.push((owner, stats));
                }
            });
        }
        MemoryReport {
            partitions,
            services,
            dropped_events: self.dropped_events(),
        }
    }
}

fn line(f: &mut fmt::Formatter<'_>, label: fmt::Arguments<'_>, s: &HeapStats) -> fmt::Result {
    writeln!(
        f,
        "{label}{:>7}/{} B {:>3}% used, peak {} B, {} allocs, {} frees, {} failures, {} gaps, \
         largest free {} B",
        s.allocated,
        s.size,
        s.percent_used(),
        s.peak,
        s.allocs,
        s.frees,
        s.failures,
        s.fragments,
        s.largest_free
    )
}

impl fmt::Display for MemoryReport {
    #[cfg_attr(fireball_size_hints, optimize(size))]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (id, stats) in PartitionId::ALL.iter().zip(&self.partitions) {
            match stats {
                Some(s) => line(f, format_args!("P{} {:<11}", id.number(), id.name()), s)?,
                None => writeln!(f, "P{} {:<11} (no region)", id.number(), id.name())?,
            }
            if *id == PartitionId::Services {
                for (owner, s) in &self.services {
                    line(f, format_args!("  svc {:<8}", owner.0), s)?;
                }
            }
        }
        write!(f, "{} event(s) dropped", self.dropped_events)
    }
}
