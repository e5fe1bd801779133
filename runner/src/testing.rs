//! A project's deployment from its own tests: what `fireball new` puts in a project's
//! `tests/deployment.rs`, and what `fireball new` runs once to record the first snapshot.
//!
//! ```ignore
//! let run = fireball::testing::run_project(Path::new("fireball.toml"))?;
//! assert!(run.all_guests_finished(), "{}", run.report);
//! insta::assert_snapshot!("traffic", run.traffic());
//! ```
//!
//! [`run_project`] builds the project's modules first (as `fireball build --release` does,
//! with the same toolchain), so `cargo test` needs nothing run before it.

use std::path::Path;

use fireball_subsystems::host::BufferConsole;
use fireball_tooling::{
    modules::{self, Build},
    toolchain::Cross,
};

use crate::deploy::{self, Output, RunOptions, RunReport};

/// How a deployment run from a test went.
#[derive(Debug)]
pub struct ProjectRun {
    /// The run's report (its `Display` is what `fireball run` prints at the end).
    pub report: RunReport,
    /// The components' console and log lines, as `fireball run` prints them.
    pub output: String,
}

impl ProjectRun {
    /// Whether every guest returned from its entry point.
    pub fn all_guests_finished(&self) -> bool {
        self.report.all_guests_finished()
    }

    /// The router's trace of the run: every registration, grant and binding, every request
    /// and notification with its body, every reply with its status and body, numbered in
    /// order. The simulator runs on virtual time, so it is the same on every run: what a
    /// snapshot test holds.
    pub fn traffic(&self) -> String {
        self.report.trace.clone()
    }
}

/// Build the modules of the project holding `manifest` (its cargo workspace), then
/// [`run_manifest`] with them.
pub fn run_project(manifest: &Path) -> Result<ProjectRun, String> {
    let dir = manifest
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let root = modules::workspace_root(dir)?;
    let cross = Cross::setup_wasm(false)?;
    let built = modules::build(&cross, &root, Build::Release)?;
    run_manifest(manifest, &built)
}

/// Boot `manifest` on the host simulator with the modules in `modules` and run it until its
/// guests have finished (or a minute of virtual time), its output kept.
pub fn run_manifest(manifest: &Path, modules: &Path) -> Result<ProjectRun, String> {
    let console = BufferConsole::new();
    let options = RunOptions {
        output: Output::Buffer(console.clone()),
        ..RunOptions::default()
    };
    let system = deploy::boot_file(manifest, modules, options)
        .map_err(|e| format!("{}: {e}", manifest.display()))?;
    let report = system.run();
    Ok(ProjectRun {
        report,
        output: console.contents(),
    })
}
