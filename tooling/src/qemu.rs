//! Running a firmware image under QEMU `mps2-an505` (CI's Cortex-M33), for `cargo xtask`, the
//! tests and `fireball run --board qemu`: UART0 captured (and, for a tool, shown as it comes),
//! semihosting's stdout decoded when the image writes defmt frames.

use std::{
    io::Read,
    path::Path,
    process::{Command, Stdio},
    sync::atomic::{AtomicUsize, Ordering},
    time::{Duration, Instant},
};

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
    run_qemu_with(elf, timeout, icount, &mut |_| {})
}

/// [`run_qemu`], handing `uart` what UART0 sends as it comes (a tool shows a run's progress
/// so), every byte once.
pub fn run_qemu_with(
    elf: &Path,
    timeout: Duration,
    icount: bool,
    uart: &mut dyn FnMut(&[u8]),
) -> std::io::Result<QemuRun> {
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
    let mut shown = 0;
    let mut show = |uart: &mut dyn FnMut(&[u8])| {
        if let Ok(bytes) = std::fs::read(&serial_path)
            && bytes.len() > shown
        {
            uart(&bytes[shown..]);
            shown = bytes.len();
        }
    };
    let status = loop {
        show(uart);
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
    show(uart);
    let stdout = reader.join().unwrap_or_default();
    let serial = std::fs::read(&serial_path).unwrap_or_default();
    let _ = std::fs::remove_file(&serial_path);
    Ok(QemuRun {
        status: status.code(),
        stdout: crate::defmt_stream::text(elf, &stdout),
        serial: String::from_utf8_lossy(&serial).into_owned(),
        timed_out,
    })
}
