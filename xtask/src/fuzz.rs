//! `cargo xtask fuzz [--seconds N] [TARGET...]`: the fuzzing campaign (issue 20).
//!
//! Builds `fuzz/libfuzzer` with cargo-fuzz (installed from crates.io when missing; the
//! stable toolchain takes its unstable flags under `RUSTC_BOOTSTRAP=1`, and `--sanitizer
//! none` because ASan needs a nightly standard library: the targets are safe Rust, where
//! a bug shows as a panic, which libFuzzer catches without a sanitizer), then runs each
//! target (or only those named) for N seconds from its corpus in `target/fuzz/corpus/NAME` and
//! its checked-in seeds in `fuzz/seeds/NAME`. Every input has [`TIMEOUT_S`] seconds: a
//! slower one is a hang and fails the run like a crash, its input kept in
//! `target/fuzz/artifacts/NAME/`. Prints executions, coverage (libFuzzer's `cov` edges and
//! `ft` features) and corpus size per target: the table of `docs/reliability.md`.
//!
//! `--minimize` replaces each target's seeds with libFuzzer's minimized merge of them and its
//! corpus, its smallest inputs within [`SEED_BUDGET`] (what is checked in after a campaign).
//!
//! Not part of `cargo xtask test` (CI replays the targets over their seeds instead:
//! `fuzz/tests/replay.rs`).

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

use crate::{host_cargo_cmd, run};

/// Seconds per target unless `--seconds` says.
const DEFAULT_SECONDS: u64 = 60;
/// Seconds an input may take before libFuzzer calls it a hang.
const TIMEOUT_S: u64 = 10;
/// Bytes of seeds checked in per target: the replay in CI stays short and the repository
/// small (the whole corpus stays in `target/fuzz/corpus`).
const SEED_BUDGET: u64 = 32 * 1024;
/// Where the libFuzzer crate is, from the root.
const FUZZ_DIR: &str = "fuzz/libfuzzer";

/// One target's run, from libFuzzer's final lines.
#[derive(Default)]
struct Figures {
    executions: u64,
    cov: u64,
    ft: u64,
    corpus: u64,
    seconds: u64,
}

/// `cargo xtask fuzz ARGS…`: a campaign, or with `--minimize` the seeds from its corpus.
pub fn run_command(root: &Path, args: &[&str]) -> Result<(), String> {
    let (minimize, args) = match args {
        ["--minimize", rest @ ..] => (true, rest),
        rest => (false, rest),
    };
    let (seconds, only) = parse(args)?;
    ensure_cargo_fuzz()?;
    let all = targets(root)?;
    if let Some(unknown) = only.iter().find(|t| !all.iter().any(|a| a == *t)) {
        return Err(format!("no fuzz target {unknown}; there are {all:?}"));
    }
    let targets: Vec<String> = match only.as_slice() {
        [] => all,
        some => some.iter().map(|t| t.to_string()).collect(),
    };
    let mut build = cargo_fuzz(root);
    build.args([
        "build",
        "--fuzz-dir",
        FUZZ_DIR,
        "--sanitizer",
        "none",
        "--target-dir",
    ]);
    // The workspace's target directory, not one inside fuzz/libfuzzer.
    build.arg(target_dir(root));
    if let [one] = targets.as_slice() {
        build.arg(one);
    }
    run(&mut build)?;

    let bin = target_dir(root).join(host_triple()?).join("release");
    if minimize {
        for name in &targets {
            self::minimize(root, &bin.join(name), name)?;
        }
        return Ok(());
    }
    let mut rows = Vec::new();
    let mut failed = Vec::new();
    for name in &targets {
        eprintln!("xtask: fuzzing {name} for {seconds} s");
        let (figures, ok) = fuzz_one(root, &bin.join(name), name, seconds)?;
        if !ok {
            failed.push(name.clone());
        }
        rows.push((name.clone(), figures, ok));
    }
    println!("| target | executions | cov | ft | corpus | seconds | result |");
    println!("|---|---:|---:|---:|---:|---:|---|");
    for (name, f, ok) in &rows {
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} |",
            f.executions,
            f.cov,
            f.ft,
            f.corpus,
            f.seconds,
            if *ok { "0 crashes, 0 hangs" } else { "FAILED" }
        );
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "crash or hang in {failed:?}: the inputs are in target/fuzz/artifacts/"
        ))
    }
}

fn parse<'a>(args: &[&'a str]) -> Result<(u64, Vec<&'a str>), String> {
    let usage = || "usage: cargo xtask fuzz [--minimize | --seconds N] [TARGET...]".to_string();
    match args {
        ["--seconds", n, rest @ ..] => {
            let n = n.parse().map_err(|_| usage())?;
            Ok((n, rest.to_vec()))
        }
        rest if rest.iter().all(|a| !a.starts_with('-')) => Ok((DEFAULT_SECONDS, rest.to_vec())),
        _ => Err(usage()),
    }
}

/// cargo-fuzz, installed with `cargo install` when missing (as `flash` installs probe-rs).
fn ensure_cargo_fuzz() -> Result<(), String> {
    let found = Command::new(crate::toolchain::host_cargo())
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|out| out.status.success());
    crate::install_unless(found, "cargo-fuzz")
}

/// `cargo fuzz` with the unstable flags it passes rustc allowed on a stable toolchain.
fn cargo_fuzz(root: &Path) -> Command {
    let mut cmd = host_cargo_cmd(root, &["fuzz"]);
    cmd.env("RUSTC_BOOTSTRAP", "1");
    cmd
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// cargo-fuzz builds for the host triple explicitly, so its binaries sit under it.
fn host_triple() -> Result<String, String> {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .map_err(|e| format!("cannot run rustc -vV: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .ok_or_else(|| "rustc -vV names no host".into())
}

/// The targets, by their files in fuzz/libfuzzer/fuzz_targets.
fn targets(root: &Path) -> Result<Vec<String>, String> {
    let dir = root.join(FUZZ_DIR).join("fuzz_targets");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "rs").then(|| path.file_stem()?.to_str().map(str::to_string))?
        })
        .collect();
    names.sort();
    Ok(names)
}

/// Run one target for `seconds`; its figures and whether it ended without a crash or hang.
fn fuzz_one(root: &Path, bin: &Path, name: &str, seconds: u64) -> Result<(Figures, bool), String> {
    let corpus = target_dir(root).join("fuzz/corpus").join(name);
    let artifacts = target_dir(root).join("fuzz/artifacts").join(name);
    for dir in [&corpus, &artifacts] {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let started = Instant::now();
    let out = Command::new(bin)
        .arg(&corpus)
        .arg(root.join("fuzz/seeds").join(name))
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-timeout={TIMEOUT_S}"))
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg("-print_final_stats=1")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    let log = String::from_utf8_lossy(&out.stderr);
    let mut figures = Figures {
        seconds: started.elapsed().as_secs(),
        ..Figures::default()
    };
    for line in log.lines() {
        if let Some(n) = line.strip_prefix("stat::number_of_executed_units:") {
            figures.executions = n.trim().parse().unwrap_or(0);
        }
        // Status lines: `#N  NEW|pulse|DONE  cov: C ft: F corp: K/…`; the last one holds.
        let field = |key: &str| {
            let mut words = line.split_whitespace();
            words.find(|w| *w == key)?;
            words.next()?.split('/').next()?.parse().ok()
        };
        if let (Some(cov), Some(ft)) = (field("cov:"), field("ft:")) {
            figures.cov = cov;
            figures.ft = ft;
            figures.corpus = field("corp:").unwrap_or(figures.corpus);
        }
    }
    let ok = out.status.success();
    if !ok {
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        for line in tail.iter().rev() {
            eprintln!("{line}");
        }
    }
    Ok((figures, ok))
}

/// Replace `fuzz/seeds/NAME` with libFuzzer's minimized merge of it and the campaign's corpus
/// (`-merge=1`: the smallest inputs that keep every feature either reached).
fn minimize(root: &Path, bin: &Path, name: &str) -> Result<(), String> {
    let seeds = root.join("fuzz/seeds").join(name);
    let merged = target_dir(root).join("fuzz/minimized").join(name);
    let _ = std::fs::remove_dir_all(&merged);
    std::fs::create_dir_all(&merged).map_err(|e| format!("{}: {e}", merged.display()))?;
    let out = Command::new(bin)
        .arg("-merge=1")
        .arg(format!("-timeout={TIMEOUT_S}"))
        .arg(&merged)
        .arg(&seeds)
        .arg(target_dir(root).join("fuzz/corpus").join(name))
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "merging {name} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    // The merge takes inputs smallest first, each for the features it adds: keeping the
    // smallest within the budget drops the large inputs that added the fewest.
    let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(&merged)
        .map_err(|e| format!("{}: {e}", merged.display()))?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            Some((entry.metadata().ok()?.len(), entry.path()))
        })
        .collect();
    files.sort();
    let (mut kept, mut bytes) = (0, 0);
    for (len, path) in &files {
        if bytes + len > SEED_BUDGET {
            std::fs::remove_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
        } else {
            kept += 1;
            bytes += len;
        }
    }
    std::fs::remove_dir_all(&seeds).map_err(|e| format!("{}: {e}", seeds.display()))?;
    std::fs::rename(&merged, &seeds).map_err(|e| format!("{}: {e}", seeds.display()))?;
    println!(
        "{name}: {kept} of {} minimized inputs ({bytes} B) in {}",
        files.len(),
        seeds.display()
    );
    Ok(())
}
