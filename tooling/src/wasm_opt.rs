//! binaryen's `wasm-opt`, run over every release module after rustc and wasm-ld: the
//! WebAssembly-specific size passes LLVM does not have (locals coalesced, blocks merged,
//! duplicate functions folded, constants propagated across the whole module). `-Os`: the
//! modules of this repository come out 16 % smaller (docs/perf.md, "Module size and codec
//! cost"), and so do their compiled code in P2 and their LZ4 blocks in flash.
//!
//! binaryen ships `wasm-opt` compiled to WebAssembly in its npm package, which Node.js runs;
//! the first build installs the pinned version with npm into the user's cache
//! (`$XDG_CACHE_HOME/fireball`, else `~/.cache/fireball`). Without Node.js and npm a user's
//! modules are built unoptimized, and the build says so once; `cargo xtask`, whose budgets
//! assume optimized modules, refuses to go on ([`require`]). C modules are not touched.

use std::{
    env, fs,
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

use crate::run;

/// The binaryen release the module build runs (its npm package's version). 132 reads and
/// writes the 1-byte pages the modules are linked with (custom page sizes).
pub const BINARYEN: &str = "132.0.0";

/// The WebAssembly features the modules are built with (rustc's defaults for
/// `wasm32-unknown-unknown`, and 1-byte pages), which wasmi accepts: `wasm-opt` may use no
/// other.
const FEATURES: &[&str] = &[
    "--enable-bulk-memory-opt",
    "--enable-multivalue",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-reference-types",
    "--enable-sign-ext",
    "--enable-custom-page-sizes",
];

/// Inline a function into its only caller only when it is small (binaryen inlines any
/// such function by default): wasmi translates a function when it is first called, so a
/// rarely run function folded into a hot one is translated (RAM in P2, boot) for nothing.
const INLINING: &[&str] = &["--one-caller-inline-max-function-size", "20"];

/// `wasm-opt`'s path, installed on first use; `None` where Node.js or npm is missing
/// (said once, on stderr).
pub fn wasm_opt() -> Option<&'static Path> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| match find_or_install() {
            Ok(path) => Some(path),
            Err(why) => {
                eprintln!(
                    "{}: modules are not optimized with wasm-opt: {why}",
                    crate::tool_name()
                );
                None
            }
        })
        .as_deref()
}

fn find_or_install() -> Result<PathBuf, String> {
    if let Some(path) = env::var_os("FIREBALL_WASM_OPT") {
        return Ok(PathBuf::from(path));
    }
    let dir = cache_dir()?.join(format!("binaryen-{BINARYEN}"));
    let bin = dir.join("node_modules/binaryen/bin/wasm-opt");
    if bin.is_file() {
        return Ok(bin);
    }
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        return Err("Node.js (`node`) is not installed".into());
    }
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    eprintln!(
        "{}: installing binaryen {BINARYEN} (wasm-opt) with npm into {}",
        crate::tool_name(),
        dir.display()
    );
    run(Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
        .arg(&dir)
        .arg(format!("binaryen@{BINARYEN}")))?;
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!(
            "npm installed binaryen, but {} is missing",
            bin.display()
        ))
    }
}

fn cache_dir() -> Result<PathBuf, String> {
    if let Some(dir) = env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("fireball"));
    }
    env::var_os("HOME")
        .map(|home| PathBuf::from(home).join(".cache/fireball"))
        .ok_or_else(|| "neither XDG_CACHE_HOME nor HOME is set".into())
}

/// `module` (a linker's output) optimized for size into `out` (`wasm-opt -Os`), or copied
/// as it is where `wasm-opt` is unavailable. Skipped when `out` was made from these very
/// bytes by this very `wasm-opt` and these flags (recorded as `.wasm-opt/<name>.in` beside
/// `out`, written last, removed before `out` changes), so an unchanged module costs
/// nothing.
pub fn optimize(module: &Path, out: &Path) -> Result<(), String> {
    let bytes = fs::read(module).map_err(|e| format!("{}: {e}", module.display()))?;
    let (Some(dir), Some(name)) = (out.parent(), out.file_name()) else {
        return Err(format!("{}: not a file path", out.display()));
    };
    let inputs = dir.join(".wasm-opt");
    fs::create_dir_all(&inputs).map_err(|e| format!("{}: {e}", inputs.display()))?;
    let input = inputs.join(name).with_extension("wasm.in");
    let Some(wasm_opt) = wasm_opt() else {
        let _ = fs::remove_file(&input);
        return crate::copy_if_changed(module, out);
    };
    // What made `out`: the tool, its flags, then the bytes it was given.
    let mut record = format!(
        "{} {BINARYEN} -Os {} {}\n",
        wasm_opt.display(),
        FEATURES.join(" "),
        INLINING.join(" ")
    )
    .into_bytes();
    record.extend_from_slice(&bytes);
    if out.is_file() && fs::read(&input).ok().as_deref() == Some(record.as_slice()) {
        return Ok(());
    }
    let _ = fs::remove_file(&input);
    let staged = input.with_extension("opt");
    run(Command::new(wasm_opt)
        .arg("-Os")
        .args(INLINING)
        .args(FEATURES)
        .arg(module)
        .arg("-o")
        .arg(&staged))?;
    crate::copy_if_changed(&staged, out)?;
    let _ = fs::remove_file(&staged);
    fs::write(&input, &record).map_err(|e| format!("{}: {e}", input.display()))
}

/// For builds whose figures assume optimized modules (`cargo xtask`: the footprint and fuel
/// budgets): an error where `wasm-opt` is unavailable, rather than unoptimized modules.
pub fn require() -> Result<(), String> {
    wasm_opt().map(drop).ok_or_else(|| {
        "wasm-opt is required here: install Node.js and npm (apt-get install nodejs npm)".into()
    })
}
