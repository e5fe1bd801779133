//! The WASM modules of this repository: [`fireball_tooling::modules`] (shared with the
//! `fireball` tool, which builds a user's own project the same way) and the C modules only
//! this repository has.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

pub use fireball_tooling::modules::*;

use crate::{
    run,
    toolchain::{CLANG, Cross, WASM_LD},
};

/// Build every module (Rust and C) the way images carry them; returns the directory holding
/// the `.wasm` files.
pub fn build_all(cross: &Cross, root: &Path) -> Result<PathBuf, String> {
    // The footprint and fuel budgets hold optimized modules.
    fireball_tooling::wasm_opt::require()?;
    let out = build(cross, root, Build::Release)?;
    build_c_modules(root, &out)?;
    Ok(out)
}

/// The module size budget, relative to the workspace root.
pub const BUDGET: &str = "firmware/budgets/modules/wasm.toml";

/// Hold the modules in `out` to [`BUDGET`]: each module its `[module]` table names, and
/// those together (`modules.listed`). The table of figures and ceilings, or what is over.
pub fn check_sizes(root: &Path, out: &Path) -> Result<String, String> {
    let file = root.join(BUDGET);
    let text = fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let Some(toml::Value::Table(listed)) = table.get("module") else {
        return Err(format!("{}: no [module] table", file.display()));
    };
    let mut figures = Vec::new();
    let mut total = 0;
    for name in listed.keys() {
        let path = out.join(format!("{name}.wasm"));
        let bytes = fs::metadata(&path)
            .map_err(|e| format!("{}: {e} (a module the budget lists)", path.display()))?
            .len();
        total += bytes;
        figures.push((format!("module.{name}"), bytes));
    }
    figures.push(("modules.listed".into(), total));
    crate::budget::check(&crate::budget::Figures::from_vec(figures), &file)
}

/// C modules: a directory under `examples/` or `services/` with a `build.sh` that takes the
/// output path (it builds with clang and wasm-ld, and runs the module's host tests).
fn build_c_modules(root: &Path, out: &Path) -> Result<(), String> {
    for parent in ["examples", "services"] {
        let Ok(entries) = fs::read_dir(root.join(parent)) else {
            continue;
        };
        let mut dirs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        dirs.sort();
        for dir in dirs.iter().filter(|d| d.join("build.sh").is_file()) {
            let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
            let Some(name) = name else { continue };
            // Built aside and copied only when it changed: a module another process is
            // reading (`cargo xtask test`'s host lane) is never rewritten in place.
            let staged = out.join(".c").join(format!("{name}.wasm"));
            run(Command::new("sh")
                .arg(dir.join("build.sh"))
                .arg(&staged)
                .env("CLANG", CLANG)
                .env("WASM_LD", WASM_LD))?;
            fireball_tooling::copy_if_changed(&staged, &out.join(format!("{name}.wasm")))?;
        }
    }
    Ok(())
}
