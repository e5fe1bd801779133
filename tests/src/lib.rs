//! Helpers for Fireball's integration tests: where the built artifacts are,
//! and running firmware under QEMU.
//!
//! The artifacts are built by `cargo xtask` (WASM modules need the wasm32
//! target, firmware the thumbv8m one), which passes their locations in
//! `FIREBALL_MODULES_DIR` and `FIREBALL_FIRMWARE_ELF`. Run the tests with
//! `cargo xtask test`; a test run without them fails and says so.

pub mod bench;
pub mod defmt_stream;
pub mod placed;
pub mod wat;

use std::{
    io::Read,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::atomic::{AtomicUsize, Ordering},
    time::{Duration, Instant},
};

fn artifact(var: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(path) => PathBuf::from(path),
        None => panic!("{var} is not set: run the tests through `cargo xtask test`"),
    }
}

/// Where `cargo xtask wasm` put the modules.
pub fn modules_dir() -> PathBuf {
    artifact("FIREBALL_MODULES_DIR")
}

/// The repository's root (manifests and examples are found from here).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The bytes of the WASM module `name`, as `cargo xtask wasm` built it.
pub fn module(name: &str) -> Vec<u8> {
    let path = artifact("FIREBALL_MODULES_DIR").join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The `deploy` firmware image `cargo xtask test` built, and the manifest it came from.
pub fn deploy_elf() -> (PathBuf, PathBuf) {
    (
        artifact("FIREBALL_DEPLOY_ELF"),
        artifact("FIREBALL_DEPLOY_MANIFEST"),
    )
}

/// The `latency` image `cargo xtask test` built for `examples/latency/fireball.toml`.
pub fn latency_elf() -> PathBuf {
    artifact("FIREBALL_LATENCY_ELF")
}

/// The firmware image `cargo xtask firmware` built.
pub fn firmware_elf() -> PathBuf {
    artifact("FIREBALL_FIRMWARE_ELF")
}

/// What a QEMU run printed and how it ended.
#[derive(Debug)]
pub struct QemuRun {
    /// The firmware's exit status (semihosting exit), `None` if killed.
    pub status: Option<i32>,
    /// Everything it printed through semihosting (QEMU's stdout): its log lines, decoded
    /// when the image writes them as defmt frames ([`defmt_stream`]).
    pub stdout: String,
    /// Everything it sent on UART0 (QEMU's `-serial`, captured to a file).
    pub serial: String,
    /// Whether it was killed for running past the timeout.
    pub timed_out: bool,
}

/// Run `elf` on QEMU `mps2-an505` for at most `timeout`.
///
/// `icount` runs QEMU with `-icount shift=0`: one instruction per virtual
/// nanosecond, so instruction counts read from the board's clocks are exact
/// and repeatable.
pub fn run_qemu(elf: &Path, timeout: Duration, icount: bool) -> std::io::Result<QemuRun> {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let serial_path = std::env::temp_dir().join(format!(
        "fireball-serial-{}-{}.txt",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ));
    let mut cmd = Command::new("qemu-system-arm");
    cmd.args(["-M", "mps2-an505", "-nographic", "-monitor", "none"])
        .arg("-serial")
        .arg(format!("file:{}", serial_path.display()))
        .args(["-semihosting-config", "enable=on,target=native"])
        .arg("-kernel")
        .arg(elf)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if icount {
        cmd.args(["-icount", "shift=0"]);
    }
    let mut child = cmd.spawn()?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if start.elapsed() > timeout {
            timed_out = true;
            child.kill()?;
            break child.wait()?;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = reader.join().unwrap_or_default();
    let serial = std::fs::read(&serial_path).unwrap_or_default();
    let _ = std::fs::remove_file(&serial_path);
    Ok(QemuRun {
        status: status.code(),
        stdout: defmt_stream::text(elf, &stdout),
        serial: String::from_utf8_lossy(&serial).into_owned(),
        timed_out,
    })
}
