//! The nRF5340-DK: `cargo xtask deploy|sizes|flash <manifest> --board nrf5340dk`, and the CI
//! check of its image (memory map and budgets).
//!
//! No probe is attached on our machines: `deploy` builds the image and says how to flash it,
//! `flash` runs `probe-rs` (installed when missing, only then) and fails plainly without a
//! probe. Flash and static RAM come from the ELF alone; nothing runs.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use crate::{
    budget,
    firmware::{self, Board, NRF5340_FLASH, NRF5340_RAM, NRF5340_STORE},
    run, sh,
    toolchain::Cross,
};

/// The chip, as probe-rs names it.
pub const CHIP: &str = "nRF5340_xxAA";
/// The nRF5340-DK's budgets (flash and static RAM from the ELF), one file per manifest.
pub const BUDGETS: &str = "firmware/budgets/nrf5340dk";
/// The deployment CI builds the DK's debugger image for, and the component it debugs: its
/// debug build fits the chip's 512 KiB (the sensor hub's aggregator does not).
pub const DEBUG_MANIFEST: &str = "examples/hello/fireball.toml";
/// See [`DEBUG_MANIFEST`].
pub const DEBUG_COMPONENT: &str = "hello";

/// What the DK's image serves on UARTE1 beside the deployment (`--control`, `--debug NAME`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Uarte1 {
    /// Nothing: the image CI budgets.
    Nothing,
    /// The control port (SMP, serial framing).
    Control,
    /// The debugger port (GDB remote with LLDB's WebAssembly extensions), these components
    /// run from their instrumented debug builds.
    Debugger(Vec<String>),
}

impl Uarte1 {
    /// The options after `--board nrf5340dk`: none, `--control`, or `--debug NAME` (again for
    /// each component to debug).
    pub fn parse(args: &[&str]) -> Result<Self, String> {
        match args {
            [] => Ok(Self::Nothing),
            ["--control"] => Ok(Self::Control),
            _ => {
                let mut debug = Vec::new();
                let mut rest = args.iter();
                while let Some(&arg) = rest.next() {
                    match (arg, rest.next()) {
                        ("--debug", Some(name)) => debug.push((*name).to_string()),
                        ("--debug", None) => return Err("--debug wants a component's name".into()),
                        _ => {
                            return Err(format!(
                                "{}: after --board nrf5340dk, either --control or --debug NAME...",
                                args.join(" ")
                            ));
                        }
                    }
                }
                Ok(Self::Debugger(debug))
            }
        }
    }

    fn build(&self, cross: &Cross, root: &Path, manifest: &Path) -> Result<PathBuf, String> {
        match self {
            Self::Debugger(debug) => {
                firmware::build_deploy_gdb_on(cross, root, manifest, Board::Nrf5340Dk, debug)
            }
            other => firmware::build_deploy_on(
                cross,
                root,
                manifest,
                Board::Nrf5340Dk,
                *other == Self::Control,
            ),
        }
    }

    fn flag(&self) -> String {
        match self {
            Self::Nothing => String::new(),
            Self::Control => " --control".into(),
            Self::Debugger(debug) => debug.iter().map(|d| format!(" --debug {d}")).collect(),
        }
    }
}

/// Build the image for `manifest` (with a control or debugger port on UARTE1 as `uarte1`
/// says); say where it is and how to flash it.
pub fn deploy(root: &Path, manifest: &Path, uarte1: &Uarte1) -> Result<(), String> {
    let cross = Cross::setup(true)?;
    let elf = uarte1.build(&cross, root, manifest)?;
    check_memory_map(&elf)?;
    println!(
        "nRF5340-DK image: {}\n\
         It does not run here (no probe). To flash it and watch its console:\n  \
         cargo xtask flash {} --board nrf5340dk{}    # probe-rs download + reset\n  \
         probe-rs run --chip {CHIP} {}           # or flash and stay attached\n\
         The console is UARTE0 at 115200 8N1 on the DK's VCOM (its J-Link's USB serial \
         port), e.g. `picocom -b 115200 /dev/ttyACM0` (docs/boards.md).{}",
        elf.display(),
        manifest.display(),
        uarte1.flag(),
        elf.display(),
        match uarte1 {
            Uarte1::Nothing => "",
            Uarte1::Control =>
                "\nThe control port (SMP, serial framing) is UARTE1 at 115200 8N1, TX P1.01 / RX \
                 P1.00: the DK's second VCOM (unverified), e.g. `smpmgr --port /dev/ttyACM1`.",
            Uarte1::Debugger(_) =>
                "\nThe debugger port (GDB remote, LLDB's WebAssembly extensions) is UARTE1 at \
                 115200 8N1, TX P1.01 / RX P1.00: the DK's second VCOM (unverified), e.g. \
                 `lldb-22 -o 'process connect --plugin wasm serial:///dev/ttyACM1?baud=115200'` \
                 (docs/debugger.md). The debugged components wait at their first line.",
        }
    );
    Ok(())
}

/// The image's flash and static RAM against the chip, by section and component, and against
/// its budgets when `firmware/budgets/nrf5340dk/` holds the manifest to some.
pub fn sizes(root: &Path, manifest: &Path, uarte1: &Uarte1) -> Result<(), String> {
    let cross = Cross::setup(true)?;
    let elf = uarte1.build(&cross, root, manifest)?;
    let control = *uarte1 != Uarte1::Nothing;
    print!("{}", firmware::sizes_on(&elf, Board::Nrf5340Dk)?);
    print!("{}", check_memory_map(&elf)?);
    let canonical = manifest.canonicalize().ok();
    let mut held = false;
    // The budgets hold the image without a control port (what CI builds).
    for (file, budgeted) in budget_files(root)?.into_iter().filter(|_| !control) {
        if budgeted.canonicalize().ok() == canonical {
            println!("\nbudgets ({})", file.display());
            print!("{}", budget::check(&figures(&elf)?, &file)?);
            held = true;
        }
    }
    if control {
        println!("\nno budget: the budgets hold the image without a control or debugger port");
    } else if !held {
        println!(
            "\nno budget: no file in firmware/budgets/nrf5340dk/ names {}",
            manifest.display()
        );
    }
    Ok(())
}

/// Flash the image (with a control or debugger port as `uarte1` says) with probe-rs,
/// installing it first if it is missing.
pub fn flash(root: &Path, manifest: &Path, uarte1: &Uarte1) -> Result<(), String> {
    let cross = Cross::setup(true)?;
    let elf = uarte1.build(&cross, root, manifest)?;
    check_memory_map(&elf)?;
    let found = Command::new("probe-rs").arg("--version").output().is_ok();
    crate::install_unless(found, "probe-rs-tools")?;
    let probes = sh("probe-rs", &["list"]).unwrap_or_default();
    if !probes
        .lines()
        .any(|line| line.trim_start().starts_with('['))
    {
        return Err(format!(
            "no debug probe found (`probe-rs list` lists none). Connect the nRF5340-DK's USB \
             (J-Link OB) and try again; the image is built: {}",
            elf.display()
        ));
    }
    run(Command::new("probe-rs")
        .args(["download", "--chip", CHIP])
        .arg(&elf))?;
    run(Command::new("probe-rs").args(["reset", "--chip", CHIP]))?;
    println!(
        "flashed {}: its console is on the DK's VCOM at 115200",
        elf.display()
    );
    Ok(())
}

/// Every nRF5340-DK budget file with the manifest it names (as [`budget::files`]).
pub fn budget_files(root: &Path) -> Result<Vec<(PathBuf, PathBuf)>, String> {
    budget::files_in(root, BUDGETS)
}

/// What the nRF5340-DK budgets hold: `flash.image` and `ram.static` (heap arena, stack and
/// statics: everything linked into RAM), both from the ELF.
pub fn figures(elf: &Path) -> Result<budget::Figures, String> {
    let (flash, ram) = firmware::totals_on(elf, Board::Nrf5340Dk)?;
    Ok(budget::Figures::from_pairs([
        ("flash.image", flash),
        ("ram.static", ram),
    ]))
}

/// Require the image laid out for the chip: the vector table at 0x0000_0000 (where the core
/// boots) and every RAM section in 0x2000_0000..+512 KiB, read with `llvm-readelf -S`.
/// Returns the lines it checked.
pub fn check_memory_map(elf: &Path) -> Result<String, String> {
    let readelf = ["llvm-readelf-22", "llvm-readelf-19", "llvm-readelf"]
        .into_iter()
        .find(|tool| Command::new(tool).arg("--version").output().is_ok())
        .ok_or("llvm-readelf is missing: apt-get install llvm-22")?;
    let table = sh(readelf, &["-S", "-W", &elf.to_string_lossy()])?;
    let mut out = String::from("\nmemory map (llvm-readelf -S)\n");
    let mut vectors = None;
    let mut ram = Vec::new();
    for line in table.lines() {
        // `  [ 1] .vector_table  PROGBITS  00000000 000114 000154 00   A  0   0  4`
        let Some(rest) = line.split_once(']').map(|(_, rest)| rest) else {
            continue;
        };
        let cols: Vec<&str> = rest.split_whitespace().collect();
        let [name, _kind, addr, _off, size, ..] = cols.as_slice() else {
            continue;
        };
        let (Ok(addr), Ok(size)) = (u64::from_str_radix(addr, 16), u64::from_str_radix(size, 16))
        else {
            continue;
        };
        if *name == ".vector_table" {
            vectors = Some(addr);
            out += &format!("  {name:<16} {addr:#010x} {size:>8} B\n");
        }
        if [".data", ".bss", ".uninit"].contains(name) {
            ram.push((name.to_string(), addr, size));
            out += &format!("  {name:<16} {addr:#010x} {size:>8} B\n");
        }
    }
    match vectors {
        Some(0) => {}
        Some(addr) => {
            return Err(format!(
                "{}: the vector table is at {addr:#010x}, not 0x00000000 where the nRF5340 boots",
                elf.display()
            ));
        }
        None => return Err(format!("{}: no .vector_table section", elf.display())),
    }
    if ram.is_empty() {
        return Err(format!("{}: no RAM sections", elf.display()));
    }
    for (name, addr, size) in &ram {
        if !NRF5340_RAM.contains(addr) || addr + size > NRF5340_RAM.end {
            return Err(format!(
                "{}: {name} at {addr:#010x} (+{size}) is outside the nRF5340's RAM \
                 ({:#010x}..{:#010x})",
                elf.display(),
                NRF5340_RAM.start,
                NRF5340_RAM.end
            ));
        }
    }
    out += &format!(
        "  vector table at {:#010x} (image flash {:#010x}..{:#010x}, module store \
         {:#010x}..{:#010x}); RAM sections in {:#010x}..{:#010x}: ok\n",
        0,
        NRF5340_FLASH.start,
        NRF5340_FLASH.end,
        NRF5340_STORE.start,
        NRF5340_STORE.end,
        NRF5340_RAM.start,
        NRF5340_RAM.end
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::Uarte1;

    #[test]
    fn uarte1_serves_nothing_a_control_port_or_a_debugger_port() {
        assert_eq!(Uarte1::parse(&[]), Ok(Uarte1::Nothing));
        assert_eq!(Uarte1::parse(&["--control"]), Ok(Uarte1::Control));
        assert_eq!(
            Uarte1::parse(&["--debug", "hello", "--debug", "mesh"]),
            Ok(Uarte1::Debugger(vec!["hello".into(), "mesh".into()]))
        );
        assert!(
            Uarte1::parse(&["--debug"])
                .unwrap_err()
                .contains("component's name")
        );
        let both = Uarte1::parse(&["--control", "--debug", "hello"]).unwrap_err();
        assert!(both.contains("either --control or --debug"), "{both}");
        assert!(Uarte1::parse(&["--gdb", "9000"]).is_err());
    }
}
