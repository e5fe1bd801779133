//! `fireball plan <manifest>`: partition sizes and service quotas proposed from measured
//! figures, for the host and for a board, before any firmware build.
//!
//! The deployment runs once on the host's partitioned heap with every partition and quota
//! made generous (so a manifest whose sizes are too small still runs), until its guests
//! finish; the peaks it reaches are the measurement. The host's allocations are as large as
//! the board's or larger, never smaller (docs/memory-partitions.md), so:
//!
//! - each size is the host's peak rounded up to a KiB, plus a KiB of headroom. The host's
//!   allocations are never smaller than the board's (docs/memory-partitions.md), so this is
//!   enough on a board, which often needs 15–30 % less (`cargo xtask sizes` measures the
//!   board image under QEMU once it is built); and the host, which lays out [`HOST_SCALE`](crate::deploy::HOST_SCALE)
//!   times the manifest's sizes, runs it too. (Halving the host's peaks for a host-only
//!   manifest is not safe: a module's load is checked against a worst case, not its peak.)
//!
//! A quota, and the guests' partition (P5), are never proposed below what admission charges
//! their instances before they start (linear memory, value-stack cap and store; counted in
//! the manifest's bytes on the host as on a board). P4 is the quotas' sum and a KiB for their
//! blocks' headers; P6 (the reserve) keeps the manifest's size. The board's column is checked
//! against `deployment.ram`.

use std::{fmt::Write as _, path::Path};

use fireball_kernel::mem::HostHeap;
use fireball_manifest::{Manifest, ModuleDirs};

use fireball_vsoc::budget::STORE_OVERHEAD_BYTES;

use crate::deploy::{self, Output, RunOptions};

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
    /// Proposed: enough for a board, and for the host.
    pub board: u64,
}

/// The measured proposal for a manifest (not to be confused with `fireball_deploy::Plan`,
/// what a deployment boots from).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sizing {
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
    admitted(what, now, peak, 0)
}

/// [`propose`], and never below `admission`: what the vSoC charges a quota or the guests'
/// pool before its instances start (their linear memory, value-stack caps and stores),
/// counted in the manifest's bytes on the host too.
fn admitted(what: &str, now: u64, peak: u64, admission: u64) -> Proposal {
    Proposal {
        what: what.to_string(),
        now,
        peak,
        board: (round_up(peak) + HEADROOM).max(round_up(admission)),
    }
}

/// Measure `manifest` (its modules in `modules`) on `heap` and propose its sizes. `heap` is
/// laid out by this call: a process measures one manifest.
pub fn measure(manifest: &Path, modules: &Path, heap: &'static HostHeap) -> Result<Sizing, String> {
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
    // What admission charges an instance beside its linear memory: its store and its value
    // stack's cap.
    let fixed = (STORE_OVERHEAD_BYTES as u64) + original.deployment.value_stack;
    let admission = |name: &str| {
        report
            .components
            .iter()
            .find(|c| c.name == name)
            .map_or(0, |c| fixed + c.memory as u64)
    };
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
            admitted(&s.name, s.quota, peak, admission(&s.name))
        })
        .collect();
    let guests: u64 = original.guests.iter().map(|g| admission(&g.name)).sum();
    let sum = |f: fn(&Proposal) -> u64| quotas.iter().map(f).sum::<u64>() + HEADROOM;
    partitions.push(Proposal {
        what: "services".to_string(),
        now: p.services,
        // The quotas' blocks fill P4 whatever they hold: their peaks are what counts.
        peak: quotas.iter().map(|q| q.peak).sum(),
        board: sum(|q| q.board),
    });
    partitions.push(admitted("guests", p.guests, peak_of("P5"), guests));
    partitions.push(Proposal {
        what: "reserve".to_string(),
        now: p.reserve,
        peak: peak_of("P6"),
        board: p.reserve,
    });
    Ok(Sizing {
        partitions,
        quotas,
        ram: original.deployment.ram,
        finished: report.all_guests_finished(),
    })
}

impl Sizing {
    /// Total of a column.
    fn total(&self, column: fn(&Proposal) -> u64) -> u64 {
        self.partitions.iter().map(column).sum()
    }

    /// The table, whether it fits `deployment.ram`, and the TOML to paste.
    pub fn render(&self) -> String {
        let mut out = String::from(
            "proposed from the host's peaks (never below a board's): enough for a board, and \
             for the host, which lays out twice these sizes\n\n",
        );
        let _ = writeln!(
            out,
            "{:<16} {:>10} {:>12} {:>10}",
            "", "manifest", "host peak", "proposed"
        );
        for p in &self.partitions {
            let _ = writeln!(
                out,
                "{:<16} {:>10} {:>12} {:>10}",
                p.what, p.now, p.peak, p.board
            );
        }
        for q in &self.quotas {
            let _ = writeln!(
                out,
                "  {:<14} {:>10} {:>12} {:>10}",
                q.what, q.now, q.peak, q.board
            );
        }
        let total = self.total(|p| p.board);
        let _ = writeln!(
            out,
            "{:<16} {:>10} {:>12} {:>10}",
            "total",
            self.total(|p| p.now),
            "",
            total
        );
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
        if !self.finished {
            let _ = writeln!(
                out,
                "note: not every guest finished in the measuring run; the peaks may be short"
            );
        }
        let _ = writeln!(
            out,
            "\nto paste into the manifest (the quotas go in each [[service]]):\n\n[partitions]"
        );
        for p in &self.partitions {
            let _ = writeln!(out, "{:<10} = {}", p.what, p.board);
        }
        for q in &self.quotas {
            let _ = writeln!(
                out,
                "# [[service]] name = \"{}\": quota = {}",
                q.what, q.board
            );
        }
        out
    }

    /// Whether the proposal fits `deployment.ram`.
    pub fn fits(&self) -> bool {
        self.total(|p| p.board) <= self.ram
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proposal_rounds_up_and_keeps_headroom() {
        let p = propose("runtime", 65_536, 58_268);
        assert_eq!(p.board, 57 * 1024 + 1024);
        assert!(p.board >= p.peak);
        // Never below what admission charges before the instances start.
        assert_eq!(admitted("x", 0, 1000, 20_000).board, 20_480);
        assert_eq!(propose("x", 0, 0).board, 1024);
    }
}
