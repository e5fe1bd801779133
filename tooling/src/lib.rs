//! Building Fireball modules on the host, for `cargo xtask` (this repository) and the
//! `fireball` tool (a user's own project) alike: one implementation, so a module is built
//! the same way wherever it is written.
//!
//! - [`toolchain`]: the cross-compilation path for `wasm32-unknown-unknown` and
//!   `thumbv8m.main-none-eabihf` (rustup's targets, or Debian's rustc with `-Zbuild-std`),
//!   found or, as root, installed.
//! - [`qemu`]: a firmware image run under QEMU `mps2-an505`; [`defmt_stream`] decodes its
//!   defmt log frames.
//! - [`modules`]: a workspace's modules (`[package.metadata.fireball]`) and their build with
//!   1-byte pages and the declared memory.
//!
//! Every command it runs is echoed first (`<tool>: $ …`, the tool named by
//! [`set_tool_name`]), and cargo's own progress goes to the terminal: a build that takes a
//! while shows what it is doing.
#![forbid(unsafe_code)]

pub mod defmt_stream;
pub mod modules;
pub mod qemu;
pub mod toolchain;
pub mod wasm_opt;

use std::{fs, path::Path, process::Command, sync::OnceLock};

static TOOL: OnceLock<&'static str> = OnceLock::new();

/// Name the tool in what this crate prints (`xtask`, `fireball`); `fireball` if never set.
pub fn set_tool_name(name: &'static str) {
    let _ = TOOL.set(name);
}

/// The name [`set_tool_name`] gave.
pub fn tool_name() -> &'static str {
    TOOL.get().copied().unwrap_or("fireball")
}

/// Run `cmd`, echoing it; a non-zero exit is an error naming the command.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    eprintln!("{}: $ {}", tool_name(), describe(cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {}: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(cmd)))
    }
}

/// Run a program and return its stdout.
pub fn sh(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{program} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `cmd` as a shell line.
pub fn describe(cmd: &Command) -> String {
    let mut text = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Copy `from` to `to` unless `to` already has the same bytes, so that an
/// unchanged module keeps its mtime and does not force a firmware relink.
pub fn copy_if_changed(from: &Path, to: &Path) -> Result<(), String> {
    let bytes = fs::read(from).map_err(|e| format!("{}: {e}", from.display()))?;
    if fs::read(to).ok().as_deref() != Some(bytes.as_slice()) {
        fs::write(to, &bytes).map_err(|e| format!("{}: {e}", to.display()))?;
    }
    Ok(())
}
