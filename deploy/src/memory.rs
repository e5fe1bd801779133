//! The partition table: what each of P1–P6 and each service quota was laid out with, holds
//! at the end of a run and held at its peak, measured on the partitioned heap.
//!
//! The board and the host runner run a deployment on the same [`PartitionedHeap`], laid out
//! from the same sizes ([`Plan::partitions`](crate::Plan::partitions)), and both print this
//! table from this code. The layout agrees byte for byte; used and peak may not, and on the
//! host they are the larger (a 64-bit host's pointers are twice a Cortex-M's): the host
//! never understates what the board will need (`docs/memory-partitions.md`).

use alloc::{string::String, vec::Vec};
use core::fmt;

use fireball_vsoc::kernel::mem::{OwnerId, PartitionId, PartitionedHeap};

/// One row: a partition, or a service's quota inside P4.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionRow {
    /// `P1 COOS` … `P6 Reserve`, or a quota's `filter (P4/1)`.
    pub label: String,
    /// Bytes it was laid out with (the manifest's size, or the service's quota).
    pub laid_out: usize,
    /// Bytes allocated in it at the end of the run (`None`: a quota already given back).
    pub used: Option<usize>,
    /// Most bytes allocated in it at once over the run (`None`: as for `used`).
    pub peak: Option<usize>,
}

/// The partitions P1–P6 in order, each service's quota after P4.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartitionTable {
    /// Its rows, as printed.
    pub rows: Vec<PartitionRow>,
    /// How many times the printed sizes the heap was really laid out with: 1 on a board, 2 on
    /// a 64-bit host (its pointers are twice as wide); said under the table when over 1.
    pub scale: usize,
}

/// The table's first line.
pub const TABLE_TITLE: &str = "partitions (bytes, measured on the partitioned heap)";

impl PartitionTable {
    /// Measure `heap`, laid out with `sizes` (P1 to P6) times `scale`, with `quotas` — each
    /// service's name, owner in P4 and quota (unscaled) — listed under P4.
    ///
    /// P4 holds the quotas' blocks, `scale` times their size: its row counts each live quota
    /// at the size printed for it, as the board's P4 does, so the row reads against its layout.
    pub fn measure(
        heap: &PartitionedHeap,
        sizes: [usize; 6],
        quotas: &[(&str, OwnerId, usize)],
        scale: usize,
    ) -> Self {
        let mut rows = Vec::new();
        for (id, laid_out) in PartitionId::ALL.into_iter().zip(sizes) {
            let stats = heap.stats(id);
            // The quota blocks' part beyond their printed size (0 on a board).
            let widened: usize = if id == PartitionId::Services {
                quotas
                    .iter()
                    .filter(|&&(_, owner, _)| heap.service_stats(owner).is_some())
                    .map(|&(_, _, quota)| quota * (scale.max(1) - 1))
                    .sum()
            } else {
                0
            };
            rows.push(PartitionRow {
                label: alloc::format!("P{} {}", id.number(), id.name()),
                laid_out,
                used: stats.map(|s| s.allocated.saturating_sub(widened)),
                peak: stats.map(|s| s.peak.saturating_sub(widened)),
            });
            if id == PartitionId::Services {
                for &(name, owner, quota) in quotas {
                    let stats = heap.service_stats(owner);
                    rows.push(PartitionRow {
                        label: alloc::format!("  {name} (P4/{})", owner.0),
                        laid_out: quota,
                        used: stats.map(|s| s.allocated),
                        peak: stats.map(|s| s.peak),
                    });
                }
            }
        }
        Self { rows, scale }
    }
}

impl fmt::Display for PartitionTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{TABLE_TITLE}")?;
        writeln!(
            f,
            "  {:<22} {:>10} {:>10} {:>10}",
            "partition", "laid out", "used", "peak"
        )?;
        let figure = |n: Option<usize>| n.map_or_else(|| "-".into(), |n| alloc::format!("{n}"));
        for row in &self.rows {
            writeln!(
                f,
                "  {:<22} {:>10} {:>10} {:>10}",
                row.label,
                row.laid_out,
                figure(row.used),
                figure(row.peak)
            )?;
        }
        if self.scale > 1 {
            writeln!(
                f,
                "  (host: laid out {}x these sizes for its wider pointers; used and peak are\n   \
                 the host's own, never below the board's: docs/memory-partitions.md)",
                self.scale
            )?;
        }
        Ok(())
    }
}
