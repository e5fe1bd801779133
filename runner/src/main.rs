//! `fireball` — the host runner.
//!
//! ```text
//! fireball run <manifest.toml> [--trace FILE] [--for SECONDS] [--modules DIR] [--quiet]
//!              [--control udp:127.0.0.1:PORT]
//!              [--gdb 127.0.0.1:PORT] [--debug NAME]... [--debug-modules DIR]
//!                                 boot a deployment on the host simulator; with a control
//!                                 port, serve MCUmgr's SMP (install, list, remove modules)
//!                                 in real time until --for runs out; with --gdb, serve
//!                                 the GDB remote protocol to LLDB for the components
//!                                 named by --debug, run from their instrumented debug
//!                                 builds (docs/debugger.md)
//! fireball run <module.wasm>...   run bare guests side by side until all stop
//! fireball inspect <module.wasm>  what a module declares and needs
//! ```
//!
//! Module names in a manifest are looked up in `--modules`, else `$FIREBALL_MODULES_DIR`,
//! else `target/fireball/modules` (where `cargo xtask wasm` puts them).
//!
//! The process's allocator is the kernel's partitioned heap ([`HostHeap`]): a deployment runs
//! in the partitions its manifest lays out, as on a board, and its report ends with the same
//! partition table the board prints (`docs/memory-partitions.md`).
#![forbid(unsafe_code)]

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use std::net::{TcpListener, UdpSocket};

use fireball::{
    Outcome, control,
    deploy::{self, Output, RunOptions},
    gdb, run_guests,
};
use fireball_kernel::mem::HostHeap;
use fireball_vsoc::{Vsoc, VsocConfig, loader};

/// The system allocator until a deployment boots, then its partitions.
#[global_allocator]
static HEAP: HostHeap = HostHeap::new();

const USAGE: &str = "usage:
  fireball run <manifest.toml> [--trace FILE] [--for SECONDS] [--modules DIR] [--quiet]
                               [--control udp:127.0.0.1:PORT]
                               [--gdb 127.0.0.1:PORT] [--debug NAME]... [--debug-modules DIR]
  fireball run <module.wasm>...
  fireball inspect <module.wasm>";

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

struct DeployArgs {
    manifest: PathBuf,
    trace: Option<PathBuf>,
    seconds: Option<u64>,
    modules: Option<PathBuf>,
    quiet: bool,
    control: Option<String>,
    gdb: Option<String>,
    debug: Vec<String>,
    debug_modules: Option<PathBuf>,
}

fn parse_deploy(args: &[String]) -> Option<DeployArgs> {
    let (manifest, rest) = args.split_first()?;
    let mut parsed = DeployArgs {
        manifest: manifest.into(),
        trace: None,
        seconds: None,
        modules: None,
        quiet: false,
        control: None,
        gdb: None,
        debug: Vec::new(),
        debug_modules: None,
    };
    let mut rest = rest.iter();
    while let Some(flag) = rest.next() {
        match flag.as_str() {
            "--trace" => parsed.trace = Some(rest.next()?.into()),
            "--for" => parsed.seconds = Some(rest.next()?.parse().ok()?),
            "--modules" => parsed.modules = Some(rest.next()?.into()),
            "--quiet" => parsed.quiet = true,
            "--control" => parsed.control = Some(rest.next()?.clone()),
            "--gdb" => parsed.gdb = Some(rest.next()?.clone()),
            "--debug" => parsed.debug.push(rest.next()?.clone()),
            "--debug-modules" => parsed.debug_modules = Some(rest.next()?.into()),
            _ => return None,
        }
    }
    Some(parsed)
}

fn run_deployment(args: DeployArgs) -> ExitCode {
    let modules = args
        .modules
        .or_else(|| std::env::var_os("FIREBALL_MODULES_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("target/fireball/modules"));
    let mut options = RunOptions {
        output: Output::Stdout,
        status_line: !args.quiet,
        heap: Some(&HEAP),
        ..RunOptions::default()
    };
    // The console's buffers are the host's, not the deployment's (a board's UART has none):
    // made now, before the partitions are laid out.
    drop((std::io::stdout().lock(), std::io::stderr().lock()));
    if let Some(seconds) = args.seconds {
        options.max_time_us = seconds.saturating_mul(1_000_000);
    }
    options.debug = deploy::DebugBuilds {
        dir: args
            .debug_modules
            .unwrap_or_else(|| PathBuf::from("target/fireball/modules-debug")),
        components: args.debug.clone(),
    };
    if args.gdb.is_some() == args.debug.is_empty() {
        eprintln!("fireball: --gdb and --debug go together: --debug NAME says what to debug");
        return ExitCode::from(2);
    }
    if args.gdb.is_some() && args.control.is_some() {
        eprintln!("fireball: --gdb and --control cannot be served in one run yet");
        return ExitCode::from(2);
    }
    let until_us = options.max_time_us;
    let system = match deploy::boot_file(&args.manifest, &modules, options) {
        Ok(system) => system,
        Err(e) => {
            eprint!("fireball: {}: {e}", args.manifest.display());
            if !e.to_string().ends_with('\n') {
                eprintln!();
            }
            return ExitCode::from(1);
        }
    };
    let served_control = args.control.is_some();
    let report = match (args.control, args.gdb) {
        (None, Some(gdb)) => {
            let served = gdb::parse_address(&gdb).and_then(|address| {
                let listener =
                    TcpListener::bind(address).map_err(|e| format!("--gdb {gdb}: {e}"))?;
                eprintln!(
                    "fireball: debugger: GDB remote on {address} — lldb-22, then \
                     `process connect --plugin wasm connect://{address}`"
                );
                gdb::serve(system, &listener, until_us).map_err(|e| format!("--gdb {gdb}: {e}"))
            });
            match served {
                Ok(report) => report,
                Err(e) => {
                    eprintln!("fireball: {e}");
                    return ExitCode::from(1);
                }
            }
        }
        (None, None) => system.run(),
        (Some(control), _) => {
            let served = control::parse_address(&control).and_then(|address| {
                let socket =
                    UdpSocket::bind(address).map_err(|e| format!("--control {control}: {e}"))?;
                eprintln!("fireball: control port: SMP over UDP on {address}");
                control::serve(system, &socket, until_us)
                    .map_err(|e| format!("--control {control}: {e}"))
            });
            match served {
                Ok(report) => report,
                Err(e) => {
                    eprintln!("fireball: {e}");
                    return ExitCode::from(1);
                }
            }
        }
    };
    println!("\n{report}");
    if HEAP.overflows() > 0 {
        eprintln!(
            "fireball: {} allocation(s) did not fit their partition (a board would have \
             failed them)",
            HEAP.overflows()
        );
    }
    if let Some(path) = args.trace {
        if let Err(e) = std::fs::write(&path, &report.trace) {
            eprintln!(
                "fireball: cannot write the trace to {}: {e}",
                path.display()
            );
            return ExitCode::from(1);
        }
        eprintln!("fireball: router trace written to {}", path.display());
    }
    // With a control port the run lasts `--for`: it succeeded if the board did not halt.
    let served = served_control && report.halted.is_none();
    if report.all_guests_finished() || served {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn module_name(path: &Path) -> String {
    path.file_stem()
        .map_or_else(|| "module".into(), |s| s.to_string_lossy().into_owned())
}

fn read(path: &Path) -> Result<Vec<u8>, ExitCode> {
    std::fs::read(path).map_err(|e| {
        eprintln!("fireball: cannot read {}: {e}", path.display());
        ExitCode::from(1)
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.split_first() {
        Some((cmd, rest)) if cmd == "run" && rest.first().is_some_and(|p| p.ends_with(".toml")) => {
            match parse_deploy(rest) {
                Some(parsed) => run_deployment(parsed),
                None => usage(),
            }
        }
        Some((cmd, paths)) if cmd == "run" && !paths.is_empty() => {
            let mut modules = Vec::new();
            for path in paths.iter().map(Path::new) {
                match read(path) {
                    Ok(bytes) => modules.push((module_name(path), bytes)),
                    Err(code) => return code,
                }
            }
            let vsoc = Vsoc::new(VsocConfig::default());
            let report = run_guests(&vsoc, &modules);
            eprint!("{report}");
            if report
                .outcomes
                .iter()
                .all(|o| matches!(o.1, Outcome::Finished))
            {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Some((cmd, [path])) if cmd == "inspect" => {
            let path = Path::new(path);
            let bytes = match read(path) {
                Ok(bytes) => bytes,
                Err(code) => return code,
            };
            match loader::inspect(&VsocConfig::default(), &module_name(path), &bytes) {
                Ok(info) => {
                    print!("{}", loader::describe(&info));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("fireball: {}: {e}", path.display());
                    ExitCode::from(1)
                }
            }
        }
        _ => usage(),
    }
}
