//! Helpers for Fireball's integration tests: where the built artifacts are,
//! and running firmware under QEMU.
//!
//! The artifacts are built by `cargo xtask` (WASM modules need the wasm32
//! target, firmware the thumbv8m one), which passes their locations in
//! `FIREBALL_MODULES_DIR` and `FIREBALL_FIRMWARE_ELF`. Run the tests with
//! `cargo xtask test`; a test run without them fails and says so.

pub mod bench;
pub mod board;
pub use fireball_tooling::{
    defmt_stream,
    qemu::{QemuRun, run_qemu},
};
pub mod placed;
pub mod soak;
pub mod trace;
pub mod wat;

use std::path::{Path, PathBuf};

fn artifact(var: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(path) => PathBuf::from(path),
        None => panic!("{var} is not set: run the tests through `cargo xtask test`"),
    }
}

/// Where `cargo xtask wasm` put the modules.
pub fn modules_dir() -> PathBuf {
    artifact("FIREBALL_MODULES_DIR")
}

/// The repository's root (manifests and examples are found from here).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The bytes of the WASM module `name`, as `cargo xtask wasm` built it.
pub fn module(name: &str) -> Vec<u8> {
    let path = artifact("FIREBALL_MODULES_DIR").join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The `deploy` firmware image `cargo xtask test` built, and the manifest it came from.
pub fn deploy_elf() -> (PathBuf, PathBuf) {
    (
        artifact("FIREBALL_DEPLOY_ELF"),
        artifact("FIREBALL_DEPLOY_MANIFEST"),
    )
}

/// The fault matrix's board image `cargo xtask test` built, and its manifest
/// (`tests/faults/board.toml`).
pub fn faults_elf() -> (PathBuf, PathBuf) {
    (
        artifact("FIREBALL_FAULTS_ELF"),
        artifact("FIREBALL_FAULTS_MANIFEST"),
    )
}

/// The `latency` image `cargo xtask test` built for `examples/latency/fireball.toml`.
pub fn latency_elf() -> PathBuf {
    artifact("FIREBALL_LATENCY_ELF")
}

/// The firmware image `cargo xtask firmware` built.
pub fn firmware_elf() -> PathBuf {
    artifact("FIREBALL_FIRMWARE_ELF")
}

/// A deployment laid down in a scratch directory: `manifest` (TOML) and `files` beside it
/// (modules, keys: each a file name and its bytes), and the [`Plan`](fireball_deploy::Plan)
/// the host runner makes of them. The directory goes when the `TempDir` is dropped.
pub fn scratch_plan(
    manifest: &str,
    files: &[(&str, Vec<u8>)],
) -> (fireball_deploy::Plan, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a scratch directory");
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).expect("a scratch file written");
    }
    let dirs = fireball_manifest::ModuleDirs {
        manifest_dir: dir.path().to_path_buf(),
        modules_dir: dir.path().to_path_buf(),
    };
    let manifest = fireball_manifest::Manifest::parse(manifest).expect("the manifest parses");
    let plan = fireball::deploy::plan(&manifest, &dirs).expect("the deployment plans");
    (plan, dir)
}
