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
    "fireball-package",
    "fireball-smp",
    "fireball-nrf5340",
];

/// Build the modules, then the `hello` firmware embedding them. Returns the ELF path.
pub fn build(cross: &Cross, root: &Path) -> Result<PathBuf, String> {
    build_image(
        cross,
        root,
        "hello",
        &["--features", "hello"],
        "firmware.elf",
    )
}

/// The boards a `deploy` image is built for (`--board NAME`): `fireball`'s, so the tool and
/// xtask build the same image for a board.
pub use fireball::image::Board;

/// Where a board's flash and RAM are.
pub trait Regions {
    /// Where the board's flash is.
    fn flash(self) -> std::ops::Range<u64>;
    /// Where the board's RAM is (QEMU: as much as the `gdb` image may take).
    fn ram(self) -> std::ops::Range<u64>;
}

impl Regions for Board {
    fn flash(self) -> std::ops::Range<u64> {
        match self {
            Self::Qemu => FLASH,
            Self::Nrf5340Dk => NRF5340_FLASH,
        }
    }

    fn ram(self) -> std::ops::Range<u64> {
        match self {
            Self::Qemu => RAM,
            Self::Nrf5340Dk => NRF5340_RAM,
        }
    }
}

/// Build the `deploy` firmware for `manifest`: its modules embedded (in flash), the plan
/// generated from the manifest, run by `fireball-deploy` as on the host. Returns the ELF.
/// Its log lines are defmt frames on semihosting (feature `defmt`), which
/// `fireball_tests::run_qemu` decodes.
pub fn build_deploy(cross: &Cross, root: &Path, manifest: &Path) -> Result<PathBuf, String> {
    build_deploy_on(cross, root, manifest, Board::Qemu, false)
}

/// The `deploy` image for `manifest` on `board`: for QEMU [`build_deploy`]'s; for the
/// nRF5340-DK the same plan, built with the firmware feature `nrf5340dk` (the chip's memory
/// map, UARTE0 console, RTC0 clock, the DK's LEDs and buttons, the NVMC module store; its log
/// lines as defmt over RTT) and kept as `target/fireball/deploy-nrf5340dk.elf`; with
/// `control`, also feature `control-port` (SMP on UARTE1), kept as
/// `deploy-nrf5340dk-control.elf`. (QEMU's image with a control port is
/// [`build_deploy_control`]'s.)
pub fn build_deploy_on(
    cross: &Cross,
    root: &Path,
    manifest: &Path,
    board: Board,
    control: bool,
) -> Result<PathBuf, String> {
    let image = board.deploy_image(control);
    build_from_manifest_with(
        cross,
        root,
        manifest,
        image.bin,
        image.features,
        image.out_name,
        &[],
    )
}

/// Build image `bin` (`latency`) for `manifest`, as [`build_deploy`] does, its log lines as
/// text.
pub fn build_from_manifest(
    cross: &Cross,
    root: &Path,
    manifest: &Path,
    bin: &str,
) -> Result<PathBuf, String> {
    build_from_manifest_with(
        cross,
        root,
        manifest,
        bin,
        "deploy",
        &format!("{bin}.elf"),
        &[],
    )
}

/// The `deploy` image for `manifest` with a control port: SMP on UART1 beside the
/// deployment, until a client asks for a reset (`firmware/src/control.rs`). Kept as
/// `target/fireball/deploy-control.elf`.
pub fn build_deploy_control(
    cross: &Cross,
    root: &Path,
    manifest: &Path,
) -> Result<PathBuf, String> {
    build_deploy_on(cross, root, manifest, Board::Qemu, true)
}

/// The `deploy` image for `manifest` with a debugger port: GDB remote on UART2 beside the
/// deployment (`firmware/src/gdb.rs`), the components `debug` names run from their debug
/// builds, instrumented (LLDB reads their DWARF from the host's files, whose paths the
/// instrumented modules carry). Linked against the manifest's `deployment.ram`, which on
/// QEMU's mps2-an505 may exceed the nRF5340's 512 KB (`firmware/build.rs`). Kept as
/// `target/fireball/deploy-gdb.elf`.
pub fn build_deploy_gdb(
    cross: &Cross,
    root: &Path,
    manifest: &Path,
    debug: &[String],
) -> Result<PathBuf, String> {
    build_deploy_gdb_on(cross, root, manifest, Board::Qemu, debug)
}

/// [`build_deploy_gdb`] for `board`: on the nRF5340-DK the debugger port is UARTE1 and the
/// image has the chip's 512 KiB (`target/fireball/deploy-nrf5340dk-gdb.elf`).
pub fn build_deploy_gdb_on(
    cross: &Cross,
    root: &Path,
    manifest: &Path,
    board: Board,
    debug: &[String],
) -> Result<PathBuf, String> {
    modules::build(cross, root, modules::Build::Debug)?;
    let image = board.debugger_image();
    build_from_manifest_with(
        cross,
        root,
        manifest,
        image.bin,
        image.features,
        image.out_name,
        debug,
    )
}

/// Build image `bin` for `manifest` with the firmware's `features`, the components `debug`
/// names from their instrumented debug builds, copied to `target/fireball/<out_name>`: this
/// repository's modules built first, then [`fireball::image::build`] (shared with the
/// `fireball` tool's `--board`).
fn build_from_manifest_with(
    cross: &Cross,
    root: &Path,
    manifest: &Path,
    bin: &str,
    features: &str,
    out_name: &str,
    debug: &[String],
) -> Result<PathBuf, String> {
    let modules = modules::build_all(cross, root)?;
    let image = fireball::image::Image {
        bin,
        features,
        out_name,
        debug,
    };
    let place = fireball::image::Place {
        sdk: root.to_path_buf(),
        target_dir: root.join("target"),
        out_dir: root.join("target/fireball"),
        modules,
        debug_modules: modules::debug_out_dir(root),
    };
    fireball::image::build(cross, &place, manifest, &image)
}

/// Build the `bench` firmware (benchmark workloads). Returns the ELF path.
pub fn build_bench(cross: &Cross, root: &Path) -> Result<PathBuf, String> {
    build_image(cross, root, "bench", &["--features", "bench"], "bench.elf")
}

/// The bench image with only `workload`, `iters` iterations per measurement (for
/// `cargo xtask profile`).
pub fn build_bench_only(
    cross: &Cross,
    root: &Path,
    workload: &str,
    iters: u32,
) -> Result<PathBuf, String> {
    let iters = iters.to_string();
    build_image_with(
        cross,
        root,
        "bench",
        &["--features", "bench"],
        "bench-profile.elf",
        &[
            ("FIREBALL_BENCH_ONLY", workload),
            ("FIREBALL_BENCH_ITERS", &iters),
        ],
    )
}

fn build_image(
    cross: &Cross,
    root: &Path,
    bin: &str,
    extra: &[&str],
    out_name: &str,
) -> Result<PathBuf, String> {
    build_image_with(cross, root, bin, extra, out_name, &[])
}

fn build_image_with(
    cross: &Cross,
    root: &Path,
    bin: &str,
    extra: &[&str],
    out_name: &str,
    envs: &[(&str, &str)],
) -> Result<PathBuf, String> {
    let modules = modules::build_all(cross, root)?;
    let mut cmd = cross.cargo("build", ARM);
    cmd.envs(envs.iter().copied());
    if bin == "bench" {
        // The signed packages its `package/*` workloads verify.
        cmd.env(
            "FIREBALL_BENCH_PACKAGES",
            crate::bench::packages(root, &modules)?,
        );
    }
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
/// The RAM an image may link against: 512 KiB, or, the `gdb` image, up to QEMU mps2-an505's
/// 4 MiB of SSRAM there (`firmware/build.rs`).
const RAM: std::ops::Range<u64> = 0x3800_0000..0x3840_0000;
/// The nRF5340 application core's flash for the image (the first 768 KiB of its 1 MiB; the
/// last 256 KiB are the module store, [`NRF5340_STORE`]) and RAM (512 KiB):
/// `firmware/memory-nrf5340.x`.
pub const NRF5340_FLASH: std::ops::Range<u64> = 0x0000_0000..0x000C_0000;
/// The nRF5340-DK's module store: flash the image does not link into, written at runtime.
pub const NRF5340_STORE: std::ops::Range<u64> = 0x000C_0000..0x0010_0000;
/// See [`NRF5340_FLASH`].
pub const NRF5340_RAM: std::ops::Range<u64> = 0x2000_0000..0x2008_0000;

/// Flash and static RAM bytes of `elf` (RAM counts the heap arena; `.data` counts in both).
pub fn totals(elf: &Path) -> Result<(u64, u64), String> {
    totals_on(elf, Board::Qemu)
}

/// [`totals`] of an image for `board`.
pub fn totals_on(elf: &Path, board: Board) -> Result<(u64, u64), String> {
    let (mut flash, mut ram) = (0, 0);
    for s in sections(elf, board)? {
        if board.flash().contains(&s.addr) {
            flash += s.size;
        } else {
            ram += s.size;
            if s.name == ".data" {
                flash += s.size;
            }
        }
    }
    Ok((flash, ram))
}

/// Sections of an ELF that are not loaded on the board.
const NOT_LOADED: &[&str] = &[
    ".debug",
    ".comment",
    ".ARM.attributes",
    ".symtab",
    ".strtab",
    ".shstrtab",
    // defmt's interned strings: read by the host's decoder, never loaded (`INFO`).
    ".defmt",
];

fn sections(elf: &Path, board: Board) -> Result<Vec<Section>, String> {
    let (flash, ram) = (board.flash(), board.ram());
    let table = sh("size", &["-A", "-d", &elf.to_string_lossy()])?;
    Ok(table
        .lines()
        .filter_map(|line| {
            let mut cols = line.split_whitespace();
            let name = cols.next()?;
            let size = cols.next()?.parse().ok()?;
            let addr = cols.next()?.parse().ok()?;
            // Sections not loaded (debug info, symbols) sit at address 0, which is the
            // nRF5340's flash: leave them out by name.
            let loaded = !NOT_LOADED.iter().any(|prefix| name.starts_with(prefix));
            (name.starts_with('.') && loaded).then(|| Section {
                name: name.into(),
                size,
                addr,
            })
        })
        .filter(|s| s.size > 0 && (flash.contains(&s.addr) || ram.contains(&s.addr)))
        .collect())
}

/// Flash and RAM of `elf` by section (binutils `size -A`).
pub fn sizes(elf: &Path) -> Result<String, String> {
    sizes_on(elf, Board::Qemu)
}

/// [`sizes`] of an image for `board`.
pub fn sizes_on(elf: &Path, board: Board) -> Result<String, String> {
    let sections = sections(elf, board)?;
    let mut out = format!(
        "{:<16} {:>10} {:>12}  region\n",
        "section", "bytes", "address"
    );
    let (mut flash, mut ram) = (0, 0);
    for s in &sections {
        let region = if board.flash().contains(&s.addr) {
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
    let region = board.flash();
    out += &format!(
        "flash total: {flash} bytes ({:.1} KiB of {} KiB)\n\
         ram total:   {ram} bytes ({:.1} KiB of 512 KiB, heap included)\n\n",
        flash as f64 / 1024.0,
        (region.end - region.start) / 1024,
        ram as f64 / 1024.0
    );
    let modules = elf
        .parent()
        .map(|dir| dir.join("modules"))
        .unwrap_or_default();
    out += &crate::footprint::by_component(elf, &modules, flash)?;
    Ok(out)
}
