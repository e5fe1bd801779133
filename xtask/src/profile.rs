//! `cargo xtask profile <workload>`: where one benchmark workload's instructions go, by
//! function, on the Cortex-M33.
//!
//! The bench image is built twice with only that workload (`FIREBALL_BENCH_ONLY`) at two
//! iteration counts (`FIREBALL_BENCH_ITERS`), and each run under QEMU `-icount shift=0` with
//! `-d in_asm,exec,nochain`: the log gives every translated block's length and every block
//! executed, with the symbol it is in. Counting the instructions executed per symbol in both
//! runs and dividing their difference by the difference in operations cancels the set-up, as
//! the bench harness does: what is left is one operation's instructions, by function.
//!
//! `--callers PATTERN` adds who calls the functions whose symbol contains `PATTERN` (say
//! `memcpy`, or `GlobalAlloc`): per caller, calls and instructions per operation, the callee's
//! callees included. Calls and returns are told apart by the symbols alone: control moving to
//! a function already on the walk's stack is a return to it (a tail call returns where its
//! caller would have), anything else is a call; a function calling itself is not seen.

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

/// Build, run, count; print the top `top` functions of `workload`, and with `callers`, the
/// callers of the functions whose symbol contains it.
pub fn run(
    cross: &Cross,
    root: &Path,
    workload: &str,
    top: usize,
    callers: Option<&str>,
) -> Result<(), String> {
    let mut counts = Vec::new();
    let mut calls = Vec::new();
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
        let (by_symbol, by_caller) = count(&log, callers)?;
        counts.push(by_symbol);
        calls.push(by_caller);
    }
    let ops = f64::from(3 * (RUNS[1] - RUNS[0]));
    // One operation's share of what the longer run did more than the shorter.
    let per_op_of = |longer: u64, shorter: u64| (longer as f64 - shorter as f64) / ops;
    let mut per_op: Vec<(String, f64)> = counts[1]
        .iter()
        .map(|(name, n)| {
            let before = counts[0].get(name).copied().unwrap_or(0);
            (name.clone(), per_op_of(*n, before))
        })
        .filter(|(_, n)| n.abs() >= 0.5)
        .collect();
    per_op.sort_by(|a, b| b.1.total_cmp(&a.1));
    let total: f64 = per_op.iter().map(|(_, n)| n).sum();
    println!("{workload}: {total:.1} instructions per operation, by function");
    for (name, n) in per_op.iter().take(top) {
        println!("{n:>9.1}  {}", demangle(name));
    }
    if let Some(pattern) = callers {
        let mut per_op: Vec<(&(String, String), f64, f64)> = calls[1]
            .iter()
            .map(|(key, &(n, instructions))| {
                let (n0, i0) = calls[0].get(key).copied().unwrap_or((0, 0));
                (key, per_op_of(n, n0), per_op_of(instructions, i0))
            })
            .filter(|(_, n, instructions)| n.abs() >= 0.05 || instructions.abs() >= 0.5)
            .collect();
        per_op.sort_by(|a, b| b.2.total_cmp(&a.2));
        println!("calls into `{pattern}` per operation, by caller (instructions include callees)");
        for ((callee, caller), n, instructions) in per_op.iter().take(top) {
            println!(
                "{instructions:>9.1}  {n:>6.2} calls  {} <- {}",
                demangle(callee),
                demangle(caller)
            );
        }
    }
    Ok(())
}

/// Per (callee, caller): calls, and instructions executed inside those calls.
type Callers = HashMap<(String, String), (u64, u64)>;

/// The walk through a run's blocks that tells calls from returns by symbol.
#[derive(Default)]
struct Walk {
    /// The functions entered and not yet returned from, outermost first.
    stack: Vec<String>,
    /// Where in `stack` the outermost call into a function of the pattern is, and its key.
    inside: Option<(usize, (String, String))>,
}

/// Deeper than any real call chain: a walk that got lost (an exception return it took for a
/// call) starts again rather than growing.
const MAX_DEPTH: usize = 512;

impl Walk {
    /// Control is now in `symbol`, for a block of `len` instructions.
    fn step(&mut self, symbol: &str, len: u64, pattern: &str, callers: &mut Callers) {
        if self.stack.last().map(String::as_str) != Some(symbol) {
            match self.stack.iter().rposition(|s| s == symbol) {
                Some(at) => {
                    self.stack.truncate(at + 1);
                    if self.inside.as_ref().is_some_and(|(depth, _)| *depth > at) {
                        self.inside = None;
                    }
                }
                None => {
                    if self.stack.len() >= MAX_DEPTH {
                        self.stack.clear();
                        self.inside = None;
                    }
                    if self.inside.is_none() && symbol.contains(pattern) {
                        let caller = self.stack.last().cloned().unwrap_or_default();
                        let key = (symbol.to_string(), caller);
                        callers.entry(key.clone()).or_default().0 += 1;
                        self.inside = Some((self.stack.len(), key));
                    }
                    self.stack.push(symbol.to_string());
                }
            }
        }
        // The call's entry was made when it was entered: no key is built per block.
        if let Some((_, key)) = &self.inside
            && let Some((_, instructions)) = callers.get_mut(key)
        {
            *instructions += len;
        }
    }
}

/// Instructions executed per symbol in one QEMU log, and with `pattern`, the calls into the
/// functions whose symbol contains it, by caller.
fn count(log: &PathBuf, pattern: Option<&str>) -> Result<(HashMap<String, u64>, Callers), String> {
    let file = File::open(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut block_len: HashMap<u64, u64> = HashMap::new();
    let mut counts: HashMap<String, u64> = HashMap::new();
    let mut callers = Callers::new();
    let mut walk = Walk::default();
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
            if let Some(&len) = pc.and_then(|pc| block_len.get(&pc)) {
                let symbol = symbol.trim();
                *counts.entry(symbol.to_string()).or_default() += len;
                if let Some(pattern) = pattern {
                    walk.step(symbol, len, pattern, &mut callers);
                }
            }
        }
    }
    Ok((counts, callers))
}

/// A symbol as written in the source (hashes dropped).
fn demangle(symbol: &str) -> String {
    format!("{:#}", rustc_demangle::demangle(symbol))
}

#[cfg(test)]
mod tests {
    use super::{Callers, Walk, demangle};

    /// The calls into `pattern` a walk over `blocks` (symbol, instructions) finds.
    fn walk(blocks: &[(&str, u64)], pattern: &str) -> Callers {
        let mut walk = Walk::default();
        let mut callers = Callers::new();
        for &(symbol, len) in blocks {
            walk.step(symbol, len, pattern, &mut callers);
        }
        callers
    }

    #[test]
    fn calls_are_told_from_returns_and_attributed_to_their_caller() {
        // main → run → memcpy (3 + 2 blocks, returning through run), run → alloc → hole
        // (alloc's callee, then back in alloc: still one call) → run → main → memcpy.
        let blocks = [
            ("main", 5),
            ("run", 4),
            ("memcpy", 3),
            ("memcpy", 2),
            ("run", 1),
            ("alloc", 6),
            ("hole", 7),
            ("alloc", 1),
            ("run", 2),
            ("main", 1),
            ("memcpy", 4),
            ("main", 1),
        ];
        let callers = walk(&blocks, "memcpy");
        let at = |callee: &str, caller: &str| callers.get(&(callee.into(), caller.into())).copied();
        assert_eq!(at("memcpy", "run"), Some((1, 5)));
        assert_eq!(at("memcpy", "main"), Some((1, 4)));
        assert_eq!(callers.len(), 2);

        let blocks = [
            ("run", 1),
            ("alloc", 6),
            ("hole", 7),
            ("alloc", 1),
            ("run", 1),
        ];
        let callers = walk(&blocks, "alloc");
        assert_eq!(
            callers.get(&("alloc".into(), "run".into())),
            Some(&(1, 14)),
            "the callee's callee is inside the call, and returning from it is not a new call"
        );
    }

    #[test]
    fn v0_symbols_read_as_paths() {
        assert_eq!(
            demangle("_RNvMs4_NtCs89Q1BDAqDax_15fireball_router8endpointNtB5_8Endpoint4send"),
            "<fireball_router::endpoint::Endpoint>::send"
        );
        assert_eq!(demangle("memcpy"), "memcpy");
    }
}
