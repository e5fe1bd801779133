//! Building WASM modules (guests and services) with small linear memories.
//!
//! A workspace package is a module when its `Cargo.toml` has
//! `[package.metadata.fireball]` with `kind`, `memory` and `stack` (bytes).
//! The memory size is declared there, next to the code, and becomes the
//! module's fixed linear memory through custom page sizes (1-byte pages):
//! a module costs the bytes it declares, not a 64 KiB page.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use serde_json::Value;

pub use crate::copy_if_changed;
use crate::{
    run,
    toolchain::{Cross, WASM, host_cargo},
};

/// One module as its manifest declares it.
#[derive(Debug, Clone)]
pub struct ModuleSpec {
    /// The cargo package name.
    pub package: String,
    /// The library target's name (the `.wasm` file stem cargo produces).
    pub lib_name: String,
    /// `guest` or `service`.
    pub kind: String,
    /// Bytes of linear memory (fixed: initial = maximum).
    pub memory: u64,
    /// Bytes of shadow stack inside that memory.
    pub stack: u64,
}

/// `cargo metadata` of the workspace at `root` (its own packages only).
fn metadata(root: &Path) -> Result<Value, String> {
    let out = Command::new(host_cargo())
        .current_dir(root)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata output: {e}"))
}

/// Where cargo puts the workspace's build artifacts (`target/`, or `$CARGO_TARGET_DIR`).
fn target_dir(meta: &Value) -> Result<PathBuf, String> {
    meta["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| "cargo metadata output: no target_directory".to_string())
}

/// The root of the cargo workspace `dir` is in.
pub fn workspace_root(dir: &Path) -> Result<PathBuf, String> {
    metadata(dir)?["workspace_root"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| "cargo metadata output: no workspace_root".to_string())
}

/// Every module in the workspace at `root`, sorted by package name.
pub fn discover(root: &Path) -> Result<Vec<ModuleSpec>, String> {
    specs(&metadata(root)?)
}

fn specs(meta: &Value) -> Result<Vec<ModuleSpec>, String> {
    let mut specs = Vec::new();
    for package in meta["packages"].as_array().into_iter().flatten() {
        let decl = &package["metadata"]["fireball"];
        if decl.is_null() {
            continue;
        }
        let name = package["name"].as_str().unwrap_or_default().to_string();
        let field = |key: &str| {
            decl[key].as_u64().ok_or_else(|| {
                format!("{name}: [package.metadata.fireball] needs `{key}` in bytes")
            })
        };
        let kind = decl["kind"].as_str().unwrap_or_default().to_string();
        if kind != "guest" && kind != "service" {
            return Err(format!("{name}: `kind` must be \"guest\" or \"service\""));
        }
        let lib_name = package["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| {
                t["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "cdylib"))
            })
            .and_then(|t| t["name"].as_str())
            .ok_or_else(|| format!("{name}: a module needs crate-type \"cdylib\""))?
            .replace('-', "_");
        let (memory, stack) = (field("memory")?, field("stack")?);
        if stack >= memory {
            return Err(format!(
                "{name}: stack ({stack}) must be smaller than memory ({memory})"
            ));
        }
        specs.push(ModuleSpec {
            package: name,
            lib_name,
            kind,
            memory,
            stack,
        });
    }
    specs.sort_by(|a, b| a.package.cmp(&b.package));
    Ok(specs)
}

/// Where built modules are collected: `target/fireball/modules/<package>.wasm`.
pub fn out_dir(root: &Path) -> PathBuf {
    root.join("target/fireball/modules")
}

/// Where debug builds are collected: `target/fireball/modules-debug/<package>.wasm`.
pub fn debug_out_dir(root: &Path) -> PathBuf {
    root.join("target/fireball/modules-debug")
}

/// How a module is built: small for images, or with DWARF for the debugger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Build {
    /// Cargo profile `wasm`, stripped: what images carry.
    Release,
    /// Cargo profile `wasm-debug`: DWARF line tables and locals, for `fireball-instrument`
    /// and LLDB. Rust modules only; C modules are release-only.
    Debug,
}

impl Build {
    fn profile(self) -> &'static str {
        match self {
            Self::Release => "wasm",
            Self::Debug => "wasm-debug",
        }
    }

    fn out_dir(self, root: &Path) -> PathBuf {
        match self {
            Self::Release => out_dir(root),
            Self::Debug => debug_out_dir(root),
        }
    }
}

/// Build every module the `build` way; returns the directory holding the `.wasm` files.
pub fn build(cross: &Cross, root: &Path, build: Build) -> Result<PathBuf, String> {
    build_packages(cross, root, build, &[])
}

/// Build the modules named in `only` (package names; every module when empty) the `build`
/// way; returns the directory holding the `.wasm` files. A name that is not a module of the
/// workspace is an error that lists the ones there are.
pub fn build_packages(
    cross: &Cross,
    root: &Path,
    build: Build,
    only: &[String],
) -> Result<PathBuf, String> {
    let out = build.out_dir(root);
    fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let meta = metadata(root)?;
    let target = target_dir(&meta)?;
    let specs = specs(&meta)?;
    if specs.is_empty() {
        return Err(format!(
            "{}: no module here (a module is a package with [package.metadata.fireball])",
            root.display()
        ));
    }
    if let Some(missing) = only
        .iter()
        .find(|name| !specs.iter().any(|s| &s.package == *name))
    {
        let known: Vec<&str> = specs.iter().map(|s| s.package.as_str()).collect();
        return Err(format!(
            "`{missing}` is not a module here; the modules are: {}",
            known.join(", ")
        ));
    }
    for spec in specs
        .into_iter()
        .filter(|s| only.is_empty() || only.contains(&s.package))
    {
        let mut cmd = cross.cargo("rustc", WASM);
        cmd.current_dir(root)
            .args(["-p", &spec.package, "--lib", "--crate-type", "cdylib"])
            .args(["--profile", build.profile(), "--"])
            .args(["-C", "link-arg=--page-size=1"])
            .arg("-C")
            .arg(format!("link-arg=-zstack-size={}", spec.stack))
            .arg("-C")
            .arg(format!("link-arg=--initial-memory={}", spec.memory))
            .arg("-C")
            .arg(format!("link-arg=--max-memory={}", spec.memory));
        run(&mut cmd)?;
        let built = target
            .join(WASM)
            .join(build.profile())
            .join(format!("{}.wasm", spec.lib_name));
        let dest = out.join(format!("{}.wasm", spec.package));
        match build {
            // What images carry: through wasm-opt (`crate::wasm_opt`).
            Build::Release => crate::wasm_opt::optimize(&built, &dest)?,
            // DWARF describes the code as rustc made it.
            Build::Debug => copy_if_changed(&built, &dest)?,
        }
        let size = fs::metadata(&dest).map(|m| m.len()).unwrap_or(0);
        let what = if build == Build::Debug {
            " (debug)"
        } else {
            ""
        };
        eprintln!(
            "{}: {} {}{what} — {size} bytes, {} bytes of memory ({} stack)",
            crate::tool_name(),
            spec.kind,
            spec.package,
            spec.memory,
            spec.stack
        );
    }
    Ok(out)
}
