//! `cargo xtask profile <workload>`: where one benchmark workload's instructions go, by
//! function, on the Cortex-M33.
//!
//! The bench image is built twice with only that workload (`FIREBALL_BENCH_ONLY`) at two
//! iteration counts (`FIREBALL_BENCH_ITERS`), and each run under QEMU `-icount shift=0` with
//! `-d in_asm,exec,nochain`: the log gives every translated block's length and every block
//! executed, with the symbol it is in. Counting the instructions executed per symbol in both
//! runs and dividing their difference by the difference in operations cancels the set-up, as
//! the bench harness does: what is left is one operation's instructions, by function.

use std::{
    collections::HashMap,
    fs::File,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use crate::{firmware, toolchain::Cross};

/// Iterations of the two runs (the harness runs `N` then `2N`: `3N` operations each).
const RUNS: [u32; 2] = [10, 20];

/// Build, run, count; print the top `top` functions of `workload`.
pub fn run(cross: &Cross, root: &Path, workload: &str, top: usize) -> Result<(), String> {
    let mut counts = Vec::new();
    for iters in RUNS {
        let elf = firmware::build_bench_only(cross, root, workload, iters)?;
        let log = root.join(format!("target/fireball/profile-{iters}.log"));
        let status = Command::new("qemu-system-arm")
            .args(["-M", "mps2-an505", "-nographic", "-monitor", "none"])
            .args(["-serial", "null", "-icount", "shift=0"])
            .args(["-semihosting-config", "enable=on,target=native"])
            .arg("-kernel")
            .arg(&elf)
            .args(["-d", "in_asm,exec,nochain", "-D"])
            .arg(&log)
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run qemu-system-arm: {e}"))?;
        if !status.success() {
            return Err(format!(
                "the bench image for {workload} failed ({status}); is the name right? \
                 (`cargo xtask bench` lists them)"
            ));
        }
        counts.push(count(&log)?);
    }
    let ops = f64::from(3 * (RUNS[1] - RUNS[0]));
    let mut per_op: Vec<(String, f64)> = counts[1]
        .iter()
        .map(|(name, n)| {
            let before = counts[0].get(name).copied().unwrap_or(0);
            (name.clone(), (*n as f64 - before as f64) / ops)
        })
        .filter(|(_, n)| n.abs() >= 0.5)
        .collect();
    per_op.sort_by(|a, b| b.1.total_cmp(&a.1));
    let total: f64 = per_op.iter().map(|(_, n)| n).sum();
    println!("{workload}: {total:.1} instructions per operation, by function");
    for (name, n) in per_op.iter().take(top) {
        println!("{n:>9.1}  {}", demangle(name));
    }
    Ok(())
}

/// Instructions executed per symbol in one QEMU log.
fn count(log: &PathBuf) -> Result<HashMap<String, u64>, String> {
    let file = File::open(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut block_len: HashMap<u64, u64> = HashMap::new();
    let mut counts: HashMap<String, u64> = HashMap::new();
    // The block being read from an `IN:` listing: its start and instructions so far. A
    // block translated again (after a flush) replaces its earlier listing.
    let mut block: Option<(u64, u64)> = None;
    for line in BufReader::new(file).lines() {
        let line = line.map_err(|e| format!("{}: {e}", log.display()))?;
        if line.starts_with("IN:") {
            block = None;
        } else if let Some(addr) = line
            .strip_prefix("0x")
            .and_then(|rest| rest.split(':').next())
            .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        {
            let (start, len) = block.get_or_insert((addr, 0));
            *len += 1;
            block_len.insert(*start, *len);
        } else if let Some(rest) = line.strip_prefix("Trace ") {
            block = None;
            // `Trace 0: 0x7f… [flags/pc/…/…] symbol`
            let Some((fields, symbol)) = rest.split_once('[').and_then(|(_, r)| r.split_once(']'))
            else {
                continue;
            };
            let pc = fields
                .split('/')
                .nth(1)
                .and_then(|hex| u64::from_str_radix(hex, 16).ok());
            if let Some(len) = pc.and_then(|pc| block_len.get(&pc)) {
                *counts.entry(symbol.trim().to_string()).or_default() += len;
            }
        }
    }
    Ok(counts)
}

/// A symbol as written in the source (hashes dropped).
fn demangle(symbol: &str) -> String {
    format!("{:#}", rustc_demangle::demangle(symbol))
}

#[cfg(test)]
mod tests {
    use super::demangle;

    #[test]
    fn v0_symbols_read_as_paths() {
        assert_eq!(
            demangle("_RNvMs4_NtCs89Q1BDAqDax_15fireball_router8endpointNtB5_8Endpoint4send"),
            "<fireball_router::endpoint::Endpoint>::send"
        );
        assert_eq!(demangle("memcpy"), "memcpy");
    }
}
