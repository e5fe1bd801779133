//! `cargo xtask debugger`: a stock `lldb-22` debugs the aggregator of a running sensor hub
//! (`examples/sensor-hub/debug.toml`) over the GDB remote protocol — `fireball run --gdb` on
//! the host — and this check asserts on LLDB's own output (`tests/debugger/session.lldb`
//! says what the session does; `docs/debugger.md` shows it):
//!
//! - a breakpoint on the function `to_sample` stops in it (its argument `value` is read)
//!   and `thread step-out` returns to `lib.rs:71`;
//! - a breakpoint on `aggregator/src/lib.rs:89` stops there (`breakpoint 2.1`, file and
//!   line), with a backtrace naming the user's functions (`aggregator::run`, `fb_main`);
//! - a local (`means`) and a global (`aggregator::WINDOWS_SENT`: 1, the line's statement
//!   starts after its `fetch_add`) are read;
//! - while the aggregator is stopped, `monitor ps` twice a second apart: `filter`, `mesh`
//!   and `stats` made more builtin calls (they serve the dashboard), the aggregator none;
//! - `next` reaches line 90 and `sent_windows` reads 1;
//! - an interrupt (Ctrl-C) stops the running aggregator (`signal SIGINT`);
//! - the breakpoint is deleted, the aggregator finishes (`done: 2 windows sent`) and the
//!   process exits with status 0.
//!
//! `cargo xtask debugger --board` runs the same session and the same checks against the
//! board: the `deploy` image with a debugger port (`firmware/src/gdb.rs`, GDB remote on
//! UART2) under QEMU mps2-an505, UART2 on a TCP socket LLDB connects to ([`board`]). QEMU
//! runs without `-icount`: the session is interactive (LLDB waits a second between its two
//! `monitor ps`), so the board's SysTick — and the deployment's clock, held to it — follows
//! the host's wall clock, as the host runner's does; `-icount` would make the board's time
//! whatever QEMU's speed makes it, and the session is not deterministic anyway. The run
//! ends when every guest has finished, through semihosting (QEMU exits with the image's
//! verdict).

use std::{
    fs,
    io::{BufRead, BufReader, Read, Write},
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, ExitCode, Stdio},
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

use crate::{
    firmware, host_cargo_cmd, run,
    toolchain::{Cross, LLDB},
};

/// The deployment the session debugs.
pub const MANIFEST: &str = "examples/sensor-hub/debug.toml";

/// `lldb-22`, installed with apt when missing.
fn lldb() -> Result<(), String> {
    let found = Command::new(LLDB)
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return Ok(());
    }
    crate::toolchain::apt_install(&[LLDB])
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

/// Wait until `child`'s stderr prints a line containing `marker` (its other lines are
/// echoed); the lines after it keep being echoed in the background.
pub fn wait_for(child: &mut Child, marker: &'static str, limit: Duration) -> Result<(), String> {
    let stderr = child.stderr.take().ok_or("no stderr to watch")?;
    watch(stderr, marker, limit, None).map(drop)
}

/// Wait until `stream` prints a line containing `marker`, echoing its lines (and copying
/// them to `copy`), then keep echoing in the background; the echoing thread, which ends
/// with the stream.
fn watch(
    stream: impl Read + Send + 'static,
    marker: &'static str,
    limit: Duration,
    mut copy: Option<fs::File>,
) -> Result<thread::JoinHandle<()>, String> {
    let (tx, rx) = mpsc::channel();
    let echo = thread::spawn(move || {
        let mut seen = false;
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            eprintln!("  | {line}");
            if let Some(file) = copy.as_mut() {
                let _ = writeln!(file, "{line}");
            }
            if !seen && line.contains(marker) {
                seen = true;
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(limit)
        .map_err(|_| format!("no `{marker}` within {limit:?}"))?;
    Ok(echo)
}

/// Run the session script against `connect://127.0.0.1:port`; LLDB's output.
pub fn session(root: &Path, port: u16, out_dir: &Path) -> Result<String, String> {
    lldb()?;
    let script = root.join("tests/debugger/session.lldb");
    let text = fs::read_to_string(&script).map_err(|e| format!("{}: {e}", script.display()))?;
    // Each line an `-o` command (`-s` would stop at the first `continue`: LLDB sources a
    // file with stop-on-continue).
    let mut lldb = Command::new(LLDB);
    lldb.args(["--no-lldbinit", "--batch", "-o"]).arg(format!(
        "process connect --plugin wasm connect://127.0.0.1:{port}"
    ));
    for line in text.lines().map(str::trim) {
        if !line.is_empty() && !line.starts_with('#') {
            lldb.arg("-o").arg(line);
        }
    }
    eprintln!(
        "xtask: $ {LLDB} --batch -o 'process connect …' -o … ({})",
        script.display()
    );
    // Source paths in the DWARF are this checkout's.
    let output = lldb
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot start {LLDB}: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    fs::write(out_dir.join("lldb.out"), &text).map_err(|e| e.to_string())?;
    Ok(text)
}

/// The builtin calls of `component` in one `monitor ps` table.
fn calls(table: &str, component: &str) -> Option<u64> {
    table.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        (words.next()? == component).then_some(())?;
        words.nth(2)?.parse().ok()
    })
}

/// Every expectation on LLDB's output; all failures at once.
pub fn check(lldb: &str) -> Result<(), String> {
    let mut failures = Vec::new();
    let mut expect = |ok: bool, what: &str| {
        if !ok {
            failures.push(what.to_string());
        }
    };
    expect(
        lldb.contains("stop reason = signal SIGINT"),
        "an interrupt stops the aggregator (`stop reason = signal SIGINT`)",
    );
    let function = lldb
        .split("stop reason = breakpoint 1.1")
        .nth(1)
        .unwrap_or("");
    expect(
        function
            .lines()
            .take(2)
            .any(|l| l.contains("to_sample(value=")),
        "the function breakpoint stops in `to_sample`",
    );
    expect(
        lldb.contains("(float) value = "),
        "the argument `value` is read",
    );
    let out = lldb.split("(lldb) thread step-out").nth(1).unwrap_or("");
    expect(
        out.contains("stop reason = step out")
            && out.lines().take(4).any(|l| l.contains("lib.rs:71")),
        "`thread step-out` returns to lib.rs:71",
    );
    let hit = lldb
        .split("stop reason = breakpoint 2.1")
        .nth(1)
        .unwrap_or("");
    expect(
        hit.lines().next().is_some() && hit.lines().take(3).any(|l| l.contains("lib.rs:89")),
        "the breakpoint stops at aggregator/src/lib.rs:89",
    );
    let bt = lldb.split("(lldb) bt").nth(1).unwrap_or("");
    let bt = bt.split("(lldb)").next().unwrap_or("");
    expect(
        bt.contains("aggregator::run at lib.rs:89") && bt.contains("fb_main at lib.rs:"),
        "the backtrace names aggregator::run (lib.rs:89) and fb_main",
    );
    expect(
        lldb.contains("(int[4]) means = ([0] = "),
        "the local `means` is read",
    );
    expect(
        lldb.contains("aggregator::WINDOWS_SENT = {") && lldb.contains("value = (__0 = 1)"),
        "the global `aggregator::WINDOWS_SENT` reads 1",
    );
    let tables: Vec<&str> = lldb
        .split("(lldb) process plugin packet monitor ps")
        .skip(1)
        .collect();
    if tables.len() == 2 {
        for service in ["filter", "mesh", "stats"] {
            let (before, after) = (calls(tables[0], service), calls(tables[1], service));
            expect(
                matches!((before, after), (Some(b), Some(a)) if a > b),
                &format!(
                    "`{service}` keeps serving while the aggregator is stopped ({before:?} -> {after:?} calls)"
                ),
            );
        }
        expect(
            calls(tables[0], "aggregator") == calls(tables[1], "aggregator")
                && tables[1].contains("stopped for the debugger"),
            "the aggregator makes no call while stopped",
        );
    } else {
        expect(false, "two `monitor ps` tables");
    }
    let step = lldb.split("(lldb) next").nth(1).unwrap_or("");
    expect(
        step.contains("stop reason = step over")
            && step.lines().take(4).any(|l| l.contains("lib.rs:90")),
        "`next` steps to lib.rs:90",
    );
    expect(
        lldb.contains("(unsigned int) sent_windows = 1"),
        "`sent_windows` reads 1 after the step",
    );
    expect(
        lldb.matches("1 breakpoints deleted").count() == 2,
        "both breakpoints are deleted",
    );
    expect(
        lldb.contains("exited with status = 0"),
        "the aggregator finishes and the process exits with status 0",
    );
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the debugging session did not go as expected:\n  - {}",
            failures.join("\n  - ")
        ))
    }
}

/// Wait for `child` at most `limit`; kill it past that.
pub fn finish(child: &mut Child, limit: Duration) -> Result<std::process::ExitStatus, String> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Ok(status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("still running after {limit:?}: stopped"));
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// The session on the host: `fireball run examples/sensor-hub/debug.toml --gdb … --debug
/// aggregator` (the modules and their debug builds must be built: `cargo xtask wasm`).
pub fn run_check(root: &Path) -> Result<(), String> {
    run(&mut host_cargo_cmd(
        root,
        &["build", "-p", "fireball", "--bin", "fireball"],
    ))?;
    let dir: PathBuf = root.join("target/fireball/debugger");
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let port = free_port()?;
    let stdout = fs::File::create(dir.join("fireball.out")).map_err(|e| e.to_string())?;
    let mut runner = Command::new(root.join("target/debug/fireball"))
        .current_dir(root)
        .args(["run", MANIFEST, "--quiet", "--debug", "aggregator", "--gdb"])
        .arg(format!("127.0.0.1:{port}"))
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start fireball: {e}"))?;
    let session = wait_for(
        &mut runner,
        "waits at its first line",
        Duration::from_secs(60),
    )
    .and_then(|()| session(root, port, &dir));
    let status = finish(&mut runner, Duration::from_secs(120));
    let lldb = session?;
    let status = status?;
    let output = fs::read_to_string(dir.join("fireball.out")).unwrap_or_default();
    check(&lldb)
        .map_err(|e| format!("{e}\n(LLDB's output: {})", dir.join("lldb.out").display()))?;
    if !output.contains("aggregator: done: 2 windows sent") || !status.success() {
        return Err(format!(
            "the deployment did not finish normally ({status}; {})",
            dir.join("fireball.out").display()
        ));
    }
    eprintln!("xtask: debugger: LLDB debugged the aggregator on the host; everything else ran on");
    Ok(())
}

/// QEMU mps2-an505 running `elf`, a `deploy` image with a debugger port: UART0 (the
/// deployment's console) and semihosting on stdout, UART1 unconnected, UART2 a TCP server on
/// 127.0.0.1:`port` for LLDB (`wait=off`: the image boots without waiting for it; its
/// debugged components wait at their first line). No `-icount`: the board's time is the
/// host's.
pub fn board(elf: &Path, port: u16) -> Command {
    let mut cmd = Command::new("qemu-system-arm");
    cmd.args(["-M", "mps2-an505", "-nographic", "-monitor", "none"])
        .args(["-semihosting-config", "enable=on,target=native"])
        .args(["-serial", "stdio", "-serial", "null", "-serial"])
        .arg(format!("tcp:127.0.0.1:{port},server=on,wait=off"))
        .arg("-kernel")
        .arg(elf);
    cmd
}

/// `cargo xtask deploy <manifest> --gdb PORT --debug NAME...`: `args` after the manifest.
/// The image with a debugger port, the named components from their debug builds, under
/// QEMU with UART2 on 127.0.0.1:PORT, until every guest has finished.
pub fn deploy(root: &Path, manifest: &Path, args: &[&str]) -> Result<ExitCode, String> {
    let mut port = None;
    let mut debug = Vec::new();
    let mut rest = args.iter();
    while let Some(&arg) = rest.next() {
        let value = rest.next().ok_or_else(|| format!("{arg} wants a value"))?;
        match arg {
            "--gdb" => {
                port = Some(
                    value
                        .parse::<u16>()
                        .map_err(|e| format!("--gdb {value}: {e} (a TCP port)"))?,
                );
            }
            "--debug" => debug.push((*value).to_string()),
            _ => return Err(format!("deploy: unknown option {arg}")),
        }
    }
    let (Some(port), false) = (port, debug.is_empty()) else {
        return Err("deploy: --gdb PORT and --debug NAME go together".into());
    };
    let cross = Cross::setup(true)?;
    let elf = firmware::build_deploy_gdb(&cross, root, manifest, &debug)?;
    eprintln!(
        "xtask: {} under QEMU; debugger port (UART2) on 127.0.0.1:{port}: \
         {LLDB}, then `process connect --plugin wasm connect://127.0.0.1:{port}`",
        elf.display()
    );
    let mut qemu = board(&elf, port);
    run(&mut qemu).map(|()| ExitCode::SUCCESS)
}

/// The session on the board: the sensor hub's `deploy` image with a debugger port, the
/// aggregator from its debug build, under QEMU (`--board`; builds what it needs).
pub fn run_board_check(cross: &Cross, root: &Path) -> Result<(), String> {
    let elf =
        firmware::build_deploy_gdb(cross, root, &root.join(MANIFEST), &["aggregator".into()])?;
    let dir = root.join("target/fireball/debugger-board");
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let port = free_port()?;
    let out = dir.join("qemu.out");
    let copy = fs::File::create(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut qemu = board(&elf, port);
    eprintln!("xtask: $ {}", crate::describe(&qemu));
    let mut qemu = qemu
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start qemu-system-arm: {e}"))?;
    let stdout = qemu.stdout.take().ok_or("no stdout to watch")?;
    let echo = watch(
        stdout,
        "waits at its first line",
        Duration::from_secs(120),
        Some(copy),
    );
    let session = echo
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|_| session(root, port, &dir));
    let status = finish(&mut qemu, Duration::from_secs(180));
    if let Ok(echo) = echo {
        let _ = echo.join();
    }
    let lldb = session?;
    let status = status?;
    let output = fs::read_to_string(&out).unwrap_or_default();
    check(&lldb)
        .map_err(|e| format!("{e}\n(LLDB's output: {})", dir.join("lldb.out").display()))?;
    if !output.contains("aggregator: done: 2 windows sent") || !status.success() {
        return Err(format!(
            "the deployment did not finish normally on the board ({status}; {})",
            out.display()
        ));
    }
    eprintln!(
        "xtask: debugger --board: LLDB debugged the aggregator on the board (QEMU, UART2); \
         everything else ran on"
    );
    Ok(())
}
