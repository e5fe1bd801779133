//! The Cortex-M33 firmware: build, run under QEMU, and account for its size.

use std::{
    fs,
    path::{Path, PathBuf},
};

use crate::{
    modules, run, sh,
    toolchain::{ARM, Cross},
};

/// The crates below the host runner that must stay `no_std` + `alloc`.
pub const NO_STD_CRATES: &[&str] = &[
    "fireball-kernel",
    "fireball-record",
    "fireball-router",
    "fireball-vsoc",
    "fireball-subsystems",
    "fireball-deploy",
];

/// Build the modules, then the `hello` firmware embedding them. Returns the ELF path.
pub fn build(cross: &Cross, root: &Path) -> Result<PathBuf, String> {
    build_image(cross, root, "hello", &[], "firmware.elf")
}

/// Build the `bench` firmware (benchmark workloads). Returns the ELF path.
pub fn build_bench(cross: &Cross, root: &Path) -> Result<PathBuf, String> {
    build_image(cross, root, "bench", &["--features", "bench"], "bench.elf")
}

fn build_image(
    cross: &Cross,
    root: &Path,
    bin: &str,
    extra: &[&str],
    out_name: &str,
) -> Result<PathBuf, String> {
    let modules = modules::build_all(cross, root)?;
    let mut cmd = cross.cargo("build", ARM);
    cmd.current_dir(root)
        .env("FIREBALL_MODULES_DIR", &modules)
        .args([
            "-p",
            "fireball-firmware",
            "--bin",
            bin,
            "--profile",
            "firmware",
        ])
        .args(extra);
    run(&mut cmd)?;
    let built = root.join("target").join(ARM).join("firmware").join(bin);
    let elf = root.join("target/fireball").join(out_name);
    fs::copy(&built, &elf).map_err(|e| format!("{}: {e}", built.display()))?;
    Ok(elf)
}

/// Build the `no_std` crates for the Cortex-M33 target on their own, so a
/// `std` dependency sneaking into any of them fails here.
pub fn check_no_std(cross: &Cross, root: &Path) -> Result<(), String> {
    let mut cmd = cross.cargo("build", ARM);
    cmd.current_dir(root).args(["--profile", "firmware"]);
    for krate in NO_STD_CRATES {
        cmd.args(["-p", krate]);
    }
    run(&mut cmd)
}

/// One section of the image.
struct Section {
    name: String,
    size: u64,
    addr: u64,
}

const FLASH: std::ops::Range<u64> = 0x1000_0000..0x1010_0000;
const RAM: std::ops::Range<u64> = 0x3800_0000..0x3808_0000;

/// Flash and RAM of `elf` by section (binutils `size -A`).
pub fn sizes(elf: &Path) -> Result<String, String> {
    let table = sh("size", &["-A", "-d", &elf.to_string_lossy()])?;
    let sections: Vec<Section> = table
        .lines()
        .filter_map(|line| {
            let mut cols = line.split_whitespace();
            let name = cols.next()?;
            let size = cols.next()?.parse().ok()?;
            let addr = cols.next()?.parse().ok()?;
            name.starts_with('.').then(|| Section {
                name: name.into(),
                size,
                addr,
            })
        })
        .filter(|s| s.size > 0 && (FLASH.contains(&s.addr) || RAM.contains(&s.addr)))
        .collect();
    let mut out = format!(
        "{:<16} {:>10} {:>12}  region\n",
        "section", "bytes", "address"
    );
    let (mut flash, mut ram) = (0, 0);
    for s in &sections {
        let region = if FLASH.contains(&s.addr) {
            flash += s.size;
            "flash"
        } else {
            ram += s.size;
            // .data is also stored in flash, to be copied at boot.
            if s.name == ".data" {
                flash += s.size;
                "ram (+flash)"
            } else {
                "ram"
            }
        };
        out += &format!("{:<16} {:>10} {:>#12x}  {region}\n", s.name, s.size, s.addr);
    }
    out += &format!(
        "flash total: {flash} bytes ({:.1} KiB of 1024 KiB)\n\
         ram total:   {ram} bytes ({:.1} KiB of 512 KiB, heap included)\n\n",
        flash as f64 / 1024.0,
        ram as f64 / 1024.0
    );
    let modules = elf
        .parent()
        .map(|dir| dir.join("modules"))
        .unwrap_or_default();
    out += &crate::footprint::by_component(elf, &modules, flash)?;
    Ok(out)
}
