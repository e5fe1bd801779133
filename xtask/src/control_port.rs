//! `cargo xtask control-port`: a client nobody here wrote — `smpclient` from PyPI, pinned in
//! `smp/tests/requirements.txt` — installs a new `stats` into the running sensor hub over the
//! host's control port (`fireball run --control udp:…`), while the aggregator calls it, and
//! two forged packages are refused (`tests/control_port.py` says what it checks).
//!
//! Makes what the script needs in `target/fireball/control-port`: two key pairs, the
//! sensor hub's manifest trusting the first (its aggregator restarted whenever it finishes,
//! so it calls `stats` through the whole run) and `stats` packaged with each key. The
//! Python packages go in a venv, `target/fireball/venv-smp`, made once.

use std::{fs, path::Path, process::Command};

use crate::{host_cargo_cmd, modules, package, run};

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

/// The sensor hub, trusting `keys/fireball-signing.pub`, its aggregator restarted whenever
/// it finishes.
fn manifest(root: &Path) -> Result<String, String> {
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

/// Run the check (the modules must be built: `cargo xtask wasm`).
pub fn run_check(root: &Path) -> Result<(), String> {
    let dir = root.join("target/fireball/control-port");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    package::keygen(&dir.join("keys"))?;
    package::keygen(&dir.join("other-keys"))?;
    let manifest_path = dir.join("fireball.toml");
    fs::write(&manifest_path, manifest(root)?)
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
