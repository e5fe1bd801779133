//! `cargo xtask control-port`: a client nobody here wrote — `smpclient` from PyPI, pinned in
//! `smp/tests/requirements.txt` — installs a new `stats` into the running sensor hub over the
//! host's control port (`fireball run --control udp:…`), while the aggregator calls it, and
//! two forged packages are refused (`tests/control_port.py` says what it checks).
//!
//! `cargo xtask control-port --board` does the same on the board: the sensor hub's `deploy`
//! image built with a control port (SMP on UART1, `firmware/src/control.rs`) after the keys
//! are made (the image embeds the public one), run under QEMU mps2-an505 `-icount shift=0`
//! with UART1 on a pty, smpclient's `SMPSerialTransport` on the other end; the script prints
//! the update's downtime in instructions from the image's stamped trace (docs/perf.md).
//!
//! Makes what the script needs in `target/fireball/control-port`: two key pairs, the
//! sensor hub's manifest trusting the first (its aggregator restarted whenever it finishes,
//! so it calls `stats` through the whole run) and `stats` packaged with each key. The
//! Python packages go in a venv, `target/fireball/venv-smp`, made once.

use std::{fs, path::Path, process::Command};

use crate::{firmware, host_cargo_cmd, modules, package, run, toolchain::Cross};

/// The deployment the control port serves: the sensor hub.
const MANIFEST: &str = "examples/sensor-hub/fireball.toml";

/// The venv's Python, with smpclient installed.
fn python(root: &Path) -> Result<std::path::PathBuf, String> {
    let venv = root.join("target/fireball/venv-smp");
    let python = venv.join("bin/python");
    let requirements = root.join("smp/tests/requirements.txt");
    let stamp = venv.join("requirements.txt");
    let wanted = fs::read(&requirements).map_err(|e| format!("{}: {e}", requirements.display()))?;
    if fs::read(&stamp).ok().as_deref() == Some(&wanted[..]) && python.exists() {
        return Ok(python);
    }
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status();
    if !made.is_ok_and(|s| s.success()) {
        crate::toolchain::apt_install(&["python3-venv"])?;
        run(Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(&venv))?;
    }
    run(Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "-r"])
        .arg(&requirements))?;
    fs::write(&stamp, wanted).map_err(|e| format!("{}: {e}", stamp.display()))?;
    Ok(python)
}

/// On the board, the partitions the sensor hub's manifest lays out for the nRF5340 leave
/// P2 ~9 KB free in one piece once its six modules run: the module manager refuses to
/// compile a new `stats` there ("its compiled code needs ~44,592 B of P2"). The board check
/// gives P2 the arena's 32 KiB the manifest leaves unused (480 KiB arena, 445 KiB laid
/// out), 4 KiB of P3 (peak 19.6 KB of 28 KiB) and 8 KiB of P5 (peak 65.5 KB of 80 KiB).
const BOARD_PARTITIONS: [(&str, u32); 3] = [
    ("runtime", 212_992 + 32_768 + 4_096 + 8_192),
    ("subsystems", 28_672 - 4_096),
    ("guests", 81_920 - 8_192),
];

/// The sensor hub, trusting `keys/fireball-signing.pub`, its aggregator restarted whenever
/// it finishes; on the `board`, its partitions as [`BOARD_PARTITIONS`] says.
fn manifest(root: &Path, board: bool) -> Result<String, String> {
    let path = root.join(MANIFEST);
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let deployment = "name = \"sensor-hub\"\n";
    let aggregator = "name = \"aggregator\"\nmodule = \"aggregator\"\n";
    if !text.contains(deployment) || !text.contains(aggregator) {
        return Err(format!(
            "{}: not the sensor hub this check knows",
            path.display()
        ));
    }
    let mut text = text;
    if board {
        for (partition, bytes) in BOARD_PARTITIONS {
            let start = text
                .find(&format!("\n{partition} = "))
                .ok_or_else(|| format!("{}: no partitions.{partition}", path.display()))?
                + 1;
            let end = text[start..].find('\n').map_or(text.len(), |e| start + e);
            text.replace_range(start..end, &format!("{partition} = {bytes}"));
        }
    }
    Ok(text
        .replacen(
            deployment,
            &format!("{deployment}keys = [\"keys/fireball-signing.pub\"]\n"),
            1,
        )
        .replacen(
            aggregator,
            &format!(
                "{aggregator}restart = \"always\"\nmax_restarts = 100\n\
                 restart_window_ms = 1000\nrestart_backoff_ms = 1\n"
            ),
            1,
        ))
}

/// Keys, the manifest and the packages in `dir` (made afresh).
fn prepare(root: &Path, dir: &Path, board: bool) -> Result<(), String> {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    package::keygen(&dir.join("keys"))?;
    package::keygen(&dir.join("other-keys"))?;
    let manifest_path = dir.join("fireball.toml");
    fs::write(&manifest_path, manifest(root, board)?)
        .map_err(|e| format!("{}: {e}", manifest_path.display()))?;
    let modules = modules::out_dir(root);
    let stats = modules.join("stats.wasm");
    for (key, out) in [
        ("keys", "stats-1.1.0.fbpk"),
        ("other-keys", "stats-other.fbpk"),
    ] {
        let key = dir.join(key).join("fireball-signing.key");
        let out = dir.join(out);
        let args = [
            "stats",
            "--manifest",
            &manifest_path.to_string_lossy(),
            "--module",
            &stats.to_string_lossy(),
            "--key",
            &key.to_string_lossy(),
            "--version",
            "1.1.0",
            "-o",
            &out.to_string_lossy(),
        ]
        .map(String::from);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        package::run(&args)?;
    }
    Ok(())
}

/// Run the check on the host (the modules must be built: `cargo xtask wasm`).
pub fn run_check(root: &Path) -> Result<(), String> {
    let dir = root.join("target/fireball/control-port");
    prepare(root, &dir, false)?;
    let modules = modules::out_dir(root);
    run(&mut host_cargo_cmd(
        root,
        &["build", "-p", "fireball", "--bin", "fireball"],
    ))?;
    let python = python(root)?;
    run(Command::new(python)
        .current_dir(root)
        .arg(root.join("tests/control_port.py"))
        .arg("--fireball")
        .arg(root.join("target/debug/fireball"))
        .arg("--dir")
        .arg(&dir)
        .arg("--modules")
        .arg(&modules))
}

/// Run the check on the board under QEMU: the image is built after the keys it embeds.
pub fn run_board_check(cross: &Cross, root: &Path) -> Result<(), String> {
    let dir = root.join("target/fireball/control-port-board");
    modules::build_all(cross, root)?;
    prepare(root, &dir, true)?;
    let elf = firmware::build_deploy_control(cross, root, &dir.join("fireball.toml"))?;
    let python = python(root)?;
    run(Command::new(python)
        .current_dir(root)
        .arg(root.join("tests/control_port.py"))
        .arg("--qemu")
        .arg(&elf)
        .arg("--dir")
        .arg(&dir))
}
