//! Finding (and, as root, installing) what cross-compilation needs.
//!
//! Two paths, picked by what the machine has:
//!
//! - **rustup**: both targets installed (`rustup target add
//!   wasm32-unknown-unknown thumbv8m.main-none-eabihf`) — plain `cargo build
//!   --target …` with rustup's bundled `rust-lld`.
//! - **Debian build-std**: Debian's `rustc-web` (a newer rustc with its std
//!   sources in `rust-web-src`) builds `core` and `alloc` for the target
//!   with `-Zbuild-std`, linked by LLVM 22's `wasm-ld` / `ld.lld`. Used where
//!   rustup cannot download targets. Installed with apt when running as root.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use crate::{run, sh};

/// The WebAssembly target guests and services are built for.
pub const WASM: &str = "wasm32-unknown-unknown";
/// The Cortex-M33 target (hard-float ABI).
pub const ARM: &str = "thumbv8m.main-none-eabihf";

const DEBIAN_PACKAGES: &[&str] = &[
    "rustc-web",
    "cargo-web",
    "rust-web-src",
    "lld-22",
    "qemu-system-arm",
];
const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
const DEBIAN_CARGO: &str = "/usr/bin/cargo";
const DEBIAN_STD_SRC: &str = "/usr/lib/rustlib/src/rust/library/core";
/// The wasm linker (Rust modules on the Debian path, and C modules).
pub const WASM_LD: &str = "/usr/lib/llvm-22/bin/wasm-ld";
/// The C compiler for C guests (`examples/*/build.sh`).
pub const CLANG: &str = "clang-19";
const ARM_LD: &str = "/usr/lib/llvm-22/bin/ld.lld";
/// newlib for arm-none-eabi: the C headers and `libc_nano.a` the `bench` image's peer,
/// wasm3, is compiled and linked against (`peers/wasm3/build.rs`).
const NEWLIB_PACKAGE: &str = "libnewlib-arm-none-eabi";
const NEWLIB_HEADER: &str = "/usr/lib/arm-none-eabi/include/string.h";

/// How to cross-compile on this machine.
#[derive(Debug, Clone)]
pub enum Cross {
    /// rustup has both targets.
    Rustup,
    /// Debian's rustc with `-Zbuild-std`.
    DebianBuildStd,
}

/// What builds WebAssembly modules and nothing else (a user's project: `fireball build`, a
/// project's snapshot test): the same paths without the Cortex-M33 linker, QEMU, clang or
/// newlib.
const DEBIAN_WASM_PACKAGES: &[&str] = &["rustc-web", "cargo-web", "rust-web-src", "lld-22"];

/// The LLDB `cargo xtask debugger` drives (Debian's package of LLVM 22).
pub const LLDB: &str = "lldb-22";

impl Cross {
    /// Find a working path, installing Debian packages when allowed and needed.
    pub fn setup(install: bool) -> Result<Self, String> {
        let cross = if rustup_has_targets() {
            Self::Rustup
        } else {
            if !debian_ready() {
                if !install {
                    return Err(missing_message());
                }
                apt_install(DEBIAN_PACKAGES)?;
                if !debian_ready() {
                    return Err(format!(
                        "installed {DEBIAN_PACKAGES:?} but the Debian toolchain is still incomplete\n{}",
                        missing_message()
                    ));
                }
            }
            Self::DebianBuildStd
        };
        if which("qemu-system-arm").is_none() {
            if !install {
                return Err("qemu-system-arm is missing: apt-get install qemu-system-arm".into());
            }
            apt_install(&["qemu-system-arm"])?;
        }
        if which(CLANG).is_none() || !Path::new(WASM_LD).exists() {
            if !install {
                return Err(format!(
                    "{CLANG} or {WASM_LD} is missing (C guests): apt-get install {CLANG} lld-22"
                ));
            }
            apt_install(&[CLANG, "lld-22"])?;
        }
        if !Path::new(NEWLIB_HEADER).exists() {
            if !install {
                return Err(format!(
                    "{NEWLIB_HEADER} is missing (wasm3 in the bench image): \
                     apt-get install {NEWLIB_PACKAGE}"
                ));
            }
            apt_install(&[NEWLIB_PACKAGE])?;
        }
        // The debugger's check drives a stock LLDB 22 (the first with the `wasm` plugin);
        // where apt cannot install it, `cargo xtask debugger` says so when it runs.
        if which(LLDB).is_none() && install {
            let _ = apt_install(&[LLDB]);
        }
        Ok(cross)
    }

    /// Find a path that builds WebAssembly modules (rustup's `wasm32-unknown-unknown`, or
    /// Debian's rustc-web with `wasm-ld`), installing the Debian packages when allowed and
    /// needed. What `fireball build` and a project's tests need: no Cortex-M33 toolchain, no
    /// QEMU.
    pub fn setup_wasm(install: bool) -> Result<Self, String> {
        if rustup_has(&[WASM]) {
            return Ok(Self::Rustup);
        }
        if !debian_wasm_ready() {
            if !install {
                return Err(missing_wasm_message());
            }
            apt_install(DEBIAN_WASM_PACKAGES)?;
            if !debian_wasm_ready() {
                return Err(format!(
                    "installed {DEBIAN_WASM_PACKAGES:?} but the Debian toolchain is still \
                     incomplete\n{}",
                    missing_wasm_message()
                ));
            }
        }
        Ok(Self::DebianBuildStd)
    }

    /// A `cargo <subcommand>` that builds for `target` on this path.
    pub fn cargo(&self, subcommand: &str, target: &str) -> Command {
        match self {
            Self::Rustup => {
                let mut cmd = Command::new(host_cargo());
                cmd.args([subcommand, "--target", target]);
                cmd
            }
            Self::DebianBuildStd => {
                let mut cmd = Command::new(DEBIAN_CARGO);
                let linker = if target == WASM { WASM_LD } else { ARM_LD };
                cmd.env("RUSTC", DEBIAN_RUSTC)
                    .env("RUSTC_BOOTSTRAP", "1")
                    .env_remove("RUSTUP_TOOLCHAIN")
                    .env_remove("RUSTC_WRAPPER")
                    .args([subcommand, "--target", target, "-Zbuild-std=core,alloc"])
                    .arg("--config")
                    .arg(format!("target.{target}.linker=\"{linker}\""));
                if target == ARM {
                    // Panics abort on the spot (a `udf`, which the firmware's HardFault
                    // handler reports and turns into a failing exit): no panic messages,
                    // locations or formatting in the image (docs/perf.md, "Making the image
                    // small"). Applies to `core` and `alloc` too, which build-std rebuilds.
                    cmd.arg("--config").arg(format!(
                        "target.{target}.rustflags=[\"-Zunstable-options\", \"-Cpanic=immediate-abort\", \"--cfg\", \"fireball_size_hints\"]"
                    ));
                }
                cmd
            }
        }
    }
}

impl std::fmt::Display for Cross {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Rustup => write!(f, "rustup targets {WASM} and {ARM}"),
            Self::DebianBuildStd => write!(f, "Debian rustc-web with -Zbuild-std (core, alloc)"),
        }
    }
}

/// The cargo that runs this tool (rustup's, as `$CARGO`), for host builds.
pub fn host_cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn rustup_has_targets() -> bool {
    rustup_has(&[WASM, ARM])
}

fn rustup_has(targets: &[&str]) -> bool {
    let Ok(out) = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
    else {
        return false;
    };
    let installed = String::from_utf8_lossy(&out.stdout);
    targets
        .iter()
        .all(|t| installed.lines().any(|l| l.trim() == *t))
}

fn debian_ready() -> bool {
    debian_has(&[DEBIAN_RUSTC, DEBIAN_CARGO, DEBIAN_STD_SRC, WASM_LD, ARM_LD])
}

fn debian_wasm_ready() -> bool {
    debian_has(&[DEBIAN_RUSTC, DEBIAN_CARGO, DEBIAN_STD_SRC, WASM_LD])
}

fn debian_has(files: &[&str]) -> bool {
    let files_present = files.iter().all(|p| Path::new(p).exists());
    // Debian's plain `rustc` package (1.63 on bookworm) is too old for edition 2024.
    files_present
        && Command::new(DEBIAN_RUSTC)
            .arg("--version")
            .output()
            .ok()
            .and_then(|o| {
                let v = String::from_utf8_lossy(&o.stdout).into_owned();
                let minor = v
                    .split_whitespace()
                    .nth(1)?
                    .split('.')
                    .nth(1)?
                    .parse::<u32>()
                    .ok()?;
                Some(minor >= 85)
            })
            .unwrap_or(false)
}

fn missing_message() -> String {
    format!(
        "no cross-compilation path for {WASM} and {ARM}.\n\
         Either: rustup target add {WASM} {ARM}\n\
         or, on Debian 12 as root: apt-get install {}\n\
         (`cargo xtask setup` does the latter by itself when run as root)",
        DEBIAN_PACKAGES.join(" ")
    )
}

fn missing_wasm_message() -> String {
    format!(
        "no way to build {WASM} modules here.\n\
         Either: rustup target add {WASM}\n\
         or, on Debian 12 as root: apt-get install {}\n\
         (`fireball build` does the latter by itself when run as root)",
        DEBIAN_WASM_PACKAGES.join(" ")
    )
}

fn is_root() -> bool {
    sh("id", &["-u"]).is_ok_and(|uid| uid.trim() == "0")
}

pub fn apt_install(packages: &[&str]) -> Result<(), String> {
    if !is_root() {
        return Err(format!(
            "need Debian packages {packages:?} and not running as root\n{}",
            missing_message()
        ));
    }
    eprintln!("{}: installing {}", crate::tool_name(), packages.join(" "));
    let mut update = Command::new("apt-get");
    update.args(["update", "-qq"]);
    run(&mut update)?;
    let mut install = Command::new("apt-get");
    install
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(packages);
    run(&mut install)
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}
