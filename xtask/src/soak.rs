//! `cargo xtask soak [--hours H] [--seed S]`: the sensor hub for hours of virtual time with a
//! guest that misbehaves at seeded random intervals (`fireball_tests::soak`; the figures in
//! docs/reliability.md, "Soak"). It runs as its own process, the `soak` binary of the tests
//! crate built with the release profile: its resident set is then the soak's alone, and an
//! optimised interpreter makes hours of virtual time minutes of wall time.

use std::path::{Path, PathBuf};

use crate::{host_cargo_cmd, modules, run, toolchain::Cross};

/// Defaults: eight hours of virtual time, seed 20 (the number).
const HOURS: &str = "8";
const SEED: &str = "20";

pub(crate) fn run_soak(root: &Path, args: &[&str]) -> Result<(), String> {
    let (mut hours, mut seed) = (HOURS.to_string(), SEED.to_string());
    let mut rest = args.iter();
    while let Some(&flag) = rest.next() {
        let value = rest.next().ok_or_else(|| {
            format!("{flag} needs a value: cargo xtask soak [--hours H] [--seed S]")
        })?;
        match flag {
            "--hours" => {
                value
                    .parse::<f64>()
                    .ok()
                    .filter(|h| *h > 0.0)
                    .ok_or_else(|| format!("--hours {value}: a positive number of hours"))?;
                hours = value.to_string();
            }
            "--seed" => {
                value
                    .parse::<u32>()
                    .map_err(|_| format!("--seed {value}: a number below 2^32"))?;
                seed = value.to_string();
            }
            other => return Err(format!("soak: unknown option {other}")),
        }
    }
    // The sensor hub's modules: where the caller says they are, or built now.
    let modules = match std::env::var_os("FIREBALL_MODULES_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => modules::build_all(&Cross::setup(true)?, root)?,
    };
    run(host_cargo_cmd(
        root,
        &[
            "run",
            "--quiet",
            "--release",
            "-p",
            "fireball-tests",
            "--bin",
            "soak",
            "--",
            "--hours",
            &hours,
            "--seed",
            &seed,
        ],
    )
    .env("FIREBALL_MODULES_DIR", modules))
}
