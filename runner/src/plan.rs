//! `fireball plan <manifest>`: partition sizes and service quotas proposed from measured
//! figures, for the host and for a board, before any firmware build.
//!
//! The deployment runs once on the host's partitioned heap with every partition and quota
//! made generous (so a manifest whose sizes are too small still runs), until its guests
//! finish; the peaks it reaches are the measurement. The host's allocations are as large as
//! the board's or larger, never smaller (docs/memory-partitions.md), so:
//!
//! - **for a board**, each size is the host's peak rounded up to a KiB, plus a KiB of
//!   headroom: enough on the board, which needs no more (often 15–30 % less; `cargo xtask
//!   sizes` measures the board image under QEMU when it is built);
//! - **for the host**, which lays out [`HOST_SCALE`] times the manifest's sizes, each size
//!   is the peak over that scale, rounded up and with the same headroom.
//!
//! P4 is the quotas' sum and a KiB for their blocks' headers; P6 (the reserve) keeps the
//! manifest's size. The board's column is checked against `deployment.ram`.

use std::{fmt::Write as _, path::Path};

use fireball_kernel::mem::HostHeap;
use fireball_manifest::{Manifest, ModuleDirs};

use crate::deploy::{self, HOST_SCALE, Output, RunOptions};

/// Bytes every size is made generous with for the measuring run.
const GENEROUS: u64 = 1024 * 1024;
/// Headroom over a measured peak.
const HEADROOM: u64 = 1024;

/// One proposed size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// `kernel`, `runtime`, … or a service's name.
    pub what: String,
    /// What the manifest says now.
    pub now: u64,
    /// The host's peak in the measuring run.
    pub peak: u64,
    /// Proposed for a board.
    pub board: u64,
    /// Proposed for the host.
    pub host: u64,
}

/// The measured proposal for a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// P1 to P6, by their manifest names.
    pub partitions: Vec<Proposal>,
    /// Each service's quota.
    pub quotas: Vec<Proposal>,
    /// `deployment.ram`.
    pub ram: u64,
    /// Whether every guest finished in the measuring run (else the peaks may be short).
    pub finished: bool,
}

fn round_up(bytes: u64) -> u64 {
    bytes.div_ceil(1024) * 1024
}

fn propose(what: &str, now: u64, peak: u64) -> Proposal {
    Proposal {
        what: what.to_string(),
        now,
        peak,
        board: round_up(peak) + HEADROOM,
        host: round_up(peak.div_ceil(HOST_SCALE as u64)) + HEADROOM,
    }
}

/// Measure `manifest` (its modules in `modules`) on `heap` and propose its sizes. `heap` is
/// laid out by this call: a process measures one manifest.
pub fn measure(manifest: &Path, modules: &Path, heap: &'static HostHeap) -> Result<Plan, String> {
    let original = Manifest::load(manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    let mut generous = original.clone();
    let p = &mut generous.partitions;
    for size in [
        &mut p.kernel,
        &mut p.runtime,
        &mut p.subsystems,
        &mut p.guests,
    ] {
        *size = (*size).max(GENEROUS);
    }
    for service in &mut generous.services {
        service.quota = service.quota.max(GENEROUS / 4);
    }
    p.services = generous.services.iter().map(|s| s.quota).sum::<u64>() + HEADROOM;
    generous.deployment.ram = p.total();
    let dirs = ModuleDirs {
        manifest_dir: manifest.parent().unwrap_or(Path::new(".")).to_path_buf(),
        modules_dir: modules.to_path_buf(),
    };
    let options = RunOptions {
        output: Output::Buffer(fireball_subsystems::host::BufferConsole::new()),
        heap: Some(heap),
        ..RunOptions::default()
    };
    let system = deploy::boot(&generous, &dirs, options).map_err(|e| e.to_string())?;
    let report = system.run();
    let table = report
        .partitions
        .as_ref()
        .ok_or("the run has no partition table")?;
    let peak_of = |label: &str| {
        table
            .rows
            .iter()
            .find(|r| r.label == label || r.label.starts_with(&format!("{label} ")))
            .and_then(|r| r.peak)
            .unwrap_or(0) as u64
    };
    let p = &original.partitions;
    let mut partitions = vec![
        propose("kernel", p.kernel, peak_of("P1")),
        propose("runtime", p.runtime, peak_of("P2")),
        propose("subsystems", p.subsystems, peak_of("P3")),
    ];
    let quotas: Vec<Proposal> = original
        .services
        .iter()
        .map(|s| {
            let peak = table
                .rows
                .iter()
                .find(|r| {
                    r.label
                        .trim_start()
                        .starts_with(&format!("{} (P4/", s.name))
                })
                .and_then(|r| r.peak)
                .unwrap_or(0) as u64;
            propose(&s.name, s.quota, peak)
        })
        .collect();
    let sum = |f: fn(&Proposal) -> u64| quotas.iter().map(f).sum::<u64>() + HEADROOM;
    partitions.push(Proposal {
        what: "services".to_string(),
        now: p.services,
        // The quotas' blocks fill P4 whatever they hold: their peaks are what counts.
        peak: quotas.iter().map(|q| q.peak).sum(),
        board: sum(|q| q.board),
        host: sum(|q| q.host),
    });
    partitions.push(propose("guests", p.guests, peak_of("P5")));
    partitions.push(Proposal {
        what: "reserve".to_string(),
        now: p.reserve,
        peak: peak_of("P6"),
        board: p.reserve,
        host: p.reserve,
    });
    Ok(Plan {
        partitions,
        quotas,
        ram: original.deployment.ram,
        finished: report.all_guests_finished(),
    })
}

impl Plan {
    /// Total of a column.
    fn total(&self, column: fn(&Proposal) -> u64) -> u64 {
        self.partitions.iter().map(column).sum()
    }

    /// The table and the TOML to paste, for `board` or the host.
    pub fn render(&self, board: bool) -> String {
        let column = if board {
            |p: &Proposal| p.board
        } else {
            |p: &Proposal| p.host
        };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<16} {:>10} {:>12} {:>10}",
            "",
            "manifest",
            "host peak",
            if board { "board" } else { "host" }
        );
        for p in &self.partitions {
            let _ = writeln!(
                out,
                "{:<16} {:>10} {:>12} {:>10}",
                p.what,
                p.now,
                p.peak,
                column(p)
            );
        }
        for q in &self.quotas {
            let _ = writeln!(
                out,
                "  {:<14} {:>10} {:>12} {:>10}",
                q.what,
                q.now,
                q.peak,
                column(q)
            );
        }
        let total = self.total(column);
        let _ = writeln!(
            out,
            "{:<16} {:>10} {:>12} {:>10}",
            "total",
            self.total(|p| p.now),
            "",
            total
        );
        if board {
            let verdict = if total <= self.ram {
                format!(
                    "fits deployment.ram ({} B), {} B to spare",
                    self.ram,
                    self.ram - total
                )
            } else {
                format!(
                    "does NOT fit deployment.ram ({} B): {} B over — fewer or smaller components",
                    self.ram,
                    total - self.ram
                )
            };
            let _ = writeln!(out, "{verdict}");
        }
        if !self.finished {
            let _ = writeln!(
                out,
                "note: not every guest finished in the measuring run; the peaks may be short"
            );
        }
        let _ = writeln!(out, "\n[partitions]");
        for p in &self.partitions {
            let _ = writeln!(out, "{:<10} = {}", p.what, column(p));
        }
        for q in &self.quotas {
            let _ = writeln!(
                out,
                "# [[service]] name = \"{}\": quota = {}",
                q.what,
                column(q)
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proposal_rounds_up_and_keeps_headroom() {
        let p = propose("runtime", 65_536, 58_268);
        assert_eq!(p.board, 57 * 1024 + 1024);
        assert_eq!(
            p.host,
            round_up(58_268u64.div_ceil(HOST_SCALE as u64)) + 1024
        );
        assert!(p.board >= p.peak && p.host * HOST_SCALE as u64 >= p.peak);
        assert_eq!(propose("x", 0, 0).board, 1024);
    }
}
