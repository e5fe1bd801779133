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
//! The command line is clap's: `fireball --help`, `fireball <command> --help` and
//! `fireball --version`. Exit status: 0 when the run did what was asked (every guest
//! finished; with `--control`, the run lasted `--for` without the board halting), 1 when it
//! did not (a guest trapped or was stopped, the deployment did not boot, a file could not be
//! read or written), 2 for a wrong command line.
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

use std::{cell::RefCell, rc::Rc};

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use std::net::{TcpListener, UdpSocket};

use fireball::{
    Outcome, control,
    deploy::{self, Output, RunOptions},
    gdb, project, run_guests,
    timeline::Timeline,
};
use fireball_kernel::mem::HostHeap;
use fireball_vsoc::{Vsoc, VsocConfig, loader};

/// The system allocator until a deployment boots, then its partitions.
#[global_allocator]
static HEAP: HostHeap = HostHeap::new();

/// What `fireball` exits with (also in `--help`).
const EXIT_CODES: &str = "Exit status:
  0  the run did what was asked: every guest finished (with --control: the run lasted
     --for without the board halting); inspect described the module
  1  it did not: a guest trapped or was stopped, the deployment did not boot, a file could
     not be read or written
  2  the command line was wrong (clap's usage errors)";

/// The host runner: boot a deployment on the host simulator, run bare guests, or inspect a
/// module.
#[derive(Parser)]
#[command(name = "fireball", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Boot a deployment (a manifest) on the host simulator until every guest has finished,
    /// or run bare guest modules side by side until all stop
    #[command(after_help = EXIT_CODES)]
    Run(RunArgs),
    /// Print what a module declares and needs: imports, exports, memory, routes
    #[command(after_help = EXIT_CODES)]
    Inspect {
        /// The module (`.wasm`)
        module: PathBuf,
    },
    /// Build a deployment's firmware image for a board (`qemu`: mps2-an505; `nrf5340dk`:
    /// the nRF5340-DK's application core) and print where it is and its size
    #[command(after_help = EXIT_CODES)]
    Deploy {
        /// The manifest
        manifest: PathBuf,
        /// The board: qemu or nrf5340dk
        #[arg(long, value_name = "BOARD")]
        board: String,
        /// Where its modules are [default: those of the manifest's cargo project, built]
        #[arg(long, value_name = "DIR")]
        modules: Option<PathBuf>,
    },
    /// Propose partition sizes and service quotas for a manifest, measured by running it
    /// once on the host with generous sizes, before any firmware build: enough for a board
    /// (and whether they fit deployment.ram) and for the host
    #[command(after_help = EXIT_CODES)]
    Plan {
        /// The manifest
        manifest: PathBuf,
        /// Where its modules are [default: as for `fireball run`]
        #[arg(long, value_name = "DIR")]
        modules: Option<PathBuf>,
    },
    /// Make a new project: a standalone cargo workspace with a service (its messages crate
    /// and a guest that calls it) or a guest, its tests, a fireball.toml and a README
    #[command(after_help = EXIT_CODES)]
    New(NewArgs),
    /// Build the WASM modules of the current project (the cargo workspace you are in) into
    /// target/fireball/modules, and their debug builds into target/fireball/modules-debug
    #[command(after_help = EXIT_CODES)]
    Build {
        /// Only the modules boards load: no debug builds
        #[arg(long)]
        release: bool,
        /// The project [default: the current directory]
        #[arg(long, value_name = "DIR")]
        path: Option<PathBuf>,
        /// Build only this module (its package name; repeatable)
        #[arg(short, long = "package", value_name = "NAME")]
        packages: Vec<String>,
    },
}

/// What `fireball new` makes.
#[derive(Clone, Copy, ValueEnum)]
enum NewKind {
    /// A service built with services-sdk, its messages crate and a guest that calls it
    Service,
    /// A guest app built with guests-sdk
    Guest,
}

/// `fireball new`'s arguments.
#[derive(Args)]
struct NewArgs {
    /// What to make
    kind: NewKind,
    /// The project's name: its directory, crate, component and routes (a-z, 0-9, -)
    name: String,
    /// Where to make it [default: the current directory]
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// The Fireball checkout to take the SDK from, by path [default: the one this tool
    /// was built from]
    #[arg(long, value_name = "DIR", conflicts_with = "sdk_git")]
    sdk_path: Option<PathBuf>,
    /// Take the SDK from this git repository instead
    #[arg(long, value_name = "URL")]
    sdk_git: Option<String>,
    /// The commit, tag or branch of --sdk-git
    #[arg(long, value_name = "REV", requires = "sdk_git")]
    sdk_rev: Option<String>,
    /// Do not build the project and record its traffic snapshot now (`cargo test` then
    /// fails until one is accepted)
    #[arg(long)]
    no_snapshot: bool,
}

/// `fireball run`'s arguments. The options apply to a manifest only.
#[derive(Args)]
struct RunArgs {
    /// A deployment manifest (`fireball.toml`), or one or more guest modules (`.wasm`)
    #[arg(required = true, value_name = "MANIFEST.toml | MODULE.wasm")]
    inputs: Vec<PathBuf>,
    /// Write the router's trace to FILE
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Stop after SECONDS of virtual time even if guests still run (default 60)
    #[arg(long = "for", value_name = "SECONDS")]
    seconds: Option<u64>,
    /// Run the deployment's firmware image on a board instead of the host simulator:
    /// `qemu` (mps2-an505, Cortex-M33) builds the image and runs it under QEMU, its UART
    /// shown as it comes
    #[arg(long, value_name = "BOARD")]
    board: Option<String>,
    /// Write the run as a timeline: FILE.json in Chrome's trace-event format (Perfetto,
    /// chrome://tracing), FILE.html as a self-contained page drawing it in SVG
    #[arg(long, value_name = "FILE")]
    timeline: Option<PathBuf>,
    /// Where the manifest's modules are [default: $FIREBALL_MODULES_DIR, else
    /// target/fireball/modules of the cargo project the manifest is in, where `fireball
    /// build` puts them, else of the current directory]
    #[arg(long, value_name = "DIR")]
    modules: Option<PathBuf>,
    /// No status line per simulated second
    #[arg(long)]
    quiet: bool,
    /// Serve MCUmgr's SMP (install, list, remove modules) over UDP, in real time until
    /// --for runs out
    #[arg(long, value_name = "udp:127.0.0.1:PORT", conflicts_with = "gdb")]
    control: Option<String>,
    /// Serve the GDB remote protocol to LLDB on this TCP address (docs/debugger.md)
    #[arg(long, value_name = "127.0.0.1:PORT", requires = "debug")]
    gdb: Option<String>,
    /// A component to debug, run from its instrumented debug build (repeatable; needs --gdb)
    #[arg(long, value_name = "NAME", requires = "gdb")]
    debug: Vec<String>,
    /// Where the debug builds are [default: target/fireball/modules-debug]
    #[arg(long, value_name = "DIR")]
    debug_modules: Option<PathBuf>,
}

impl RunArgs {
    /// Whether any option that only a manifest takes was given.
    fn has_deployment_options(&self) -> bool {
        self.trace.is_some()
            || self.board.is_some()
            || self.timeline.is_some()
            || self.seconds.is_some()
            || self.modules.is_some()
            || self.quiet
            || self.control.is_some()
            || self.gdb.is_some()
            || !self.debug.is_empty()
            || self.debug_modules.is_some()
    }
}

fn run_deployment(manifest: PathBuf, args: RunArgs) -> ExitCode {
    let modules = modules_dir(args.modules.clone(), &manifest);
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
    let timeline = match args.timeline.as_deref().map(timeline_format) {
        None => None,
        Some(Ok(format)) => {
            let timeline = Rc::new(RefCell::new(Timeline::new(&module_name(&manifest))));
            options.timeline = Some(timeline.clone());
            Some((timeline, format))
        }
        Some(Err(message)) => return usage_error(&message),
    };
    options.trace_to = args.trace.clone();
    options.debug = deploy::DebugBuilds {
        dir: args
            .debug_modules
            .unwrap_or_else(|| PathBuf::from("target/fireball/modules-debug")),
        components: args.debug.clone(),
    };
    let until_us = options.max_time_us;
    let system = match deploy::boot_file(&manifest, &modules, options) {
        Ok(system) => system,
        Err(e) => {
            eprint!("fireball: {}: {e}", manifest.display());
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
    if let Some(path) = &args.trace {
        eprintln!("fireball: router trace written to {}", path.display());
    }
    if let (Some((timeline, format)), Some(path)) = (timeline, &args.timeline) {
        let mut timeline = timeline.borrow_mut();
        timeline.set_name(&report.deployment);
        let text = match format {
            TimelineFormat::Json => timeline.to_json().to_string(),
            TimelineFormat::Html => timeline.to_html(),
        };
        if let Err(e) = std::fs::write(path, text) {
            eprintln!(
                "fireball: cannot write the timeline to {}: {e}",
                path.display()
            );
            return ExitCode::from(1);
        }
        eprintln!("fireball: timeline written to {}", path.display());
    }
    // With a control port the run lasts `--for`: it succeeded if the board did not halt.
    let served = served_control && report.halted.is_none();
    if report.all_guests_finished() || served {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `--modules`, else `$FIREBALL_MODULES_DIR`, else `target/fireball/modules` of the cargo
/// project the manifest is in (where `fireball build` puts them), else of the current
/// directory.
fn modules_dir(given: Option<PathBuf>, manifest: &Path) -> PathBuf {
    given
        .or_else(|| std::env::var_os("FIREBALL_MODULES_DIR").map(PathBuf::from))
        .or_else(|| {
            let dir = manifest.parent().filter(|d| !d.as_os_str().is_empty())?;
            let root = fireball_tooling::modules::workspace_root(dir).ok()?;
            Some(root.join("target/fireball/modules"))
        })
        .unwrap_or_else(|| PathBuf::from("target/fireball/modules"))
}

/// How `--timeline FILE` is written, by FILE's extension.
#[derive(Clone, Copy)]
enum TimelineFormat {
    /// Chrome's trace-event JSON.
    Json,
    /// A self-contained HTML page with the timeline in SVG.
    Html,
}

fn timeline_format(path: &Path) -> Result<TimelineFormat, String> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => Ok(TimelineFormat::Json),
        Some("html" | "htm") => Ok(TimelineFormat::Html),
        _ => Err(format!(
            "--timeline {}: the file name says the format: .json (trace events, for \
             Perfetto) or .html (a page drawing it)",
            path.display()
        )),
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

fn run_guest_modules(paths: &[PathBuf]) -> ExitCode {
    let mut modules = Vec::new();
    for path in paths {
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

fn inspect(path: &Path) -> ExitCode {
    let bytes = match read(path) {
        Ok(bytes) => bytes,
        Err(code) => return code,
    };
    let name = module_name(path);
    match loader::inspect(&VsocConfig::default(), &name, &bytes) {
        Ok(info) => {
            print!("{}", loader::describe(&info));
            if !info.is_service() {
                return ExitCode::SUCCESS;
            }
            // Exactly the routes its serve loop declares: it runs to its first `route_next`.
            match fireball::served_routes(&name, &bytes) {
                Ok(served) if served.routes.is_empty() => match served.stopped {
                    Some(why) => {
                        println!("  routes served: none declared before it stopped ({why})")
                    }
                    None => println!("  routes served: none declared (`route_serve`)"),
                },
                Ok(served) => {
                    let routes: Vec<String> = served
                        .routes
                        .iter()
                        .map(|(method, pattern)| format!("{method} {pattern}"))
                        .collect();
                    println!("  routes served: {}", routes.join(", "));
                }
                Err(e) => println!("  routes served: unknown, it did not start ({e})"),
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("fireball: {}: {e}", path.display());
            ExitCode::from(1)
        }
    }
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Run(mut args) => {
            let is_manifest = |p: &PathBuf| p.extension().is_some_and(|e| e == "toml");
            match args.inputs.as_slice() {
                [manifest] if is_manifest(manifest) => {
                    let manifest = args.inputs.remove(0);
                    match args.board.clone() {
                        Some(board) => run_on_board(&manifest, &board, args),
                        None => run_deployment(manifest, args),
                    }
                }
                inputs if inputs.iter().any(is_manifest) => usage_error(
                    "a deployment is one manifest: give `fireball run` one .toml, or only .wasm modules",
                ),
                _ if args.has_deployment_options() => usage_error(
                    "--board, --trace, --timeline, --for, --modules, --quiet, --control, --gdb and \
                     --debug apply to a manifest, not to bare modules",
                ),
                paths => run_guest_modules(paths),
            }
        }
        Command::Inspect { module } => inspect(&module),
        Command::New(args) => new_project(args),
        Command::Deploy {
            manifest,
            board,
            modules,
        } => {
            let board = match fireball::image::Board::from_name(&board) {
                Ok(board) => board,
                Err(e) => return usage_error(&e),
            };
            match project::build_image(&manifest, modules, board) {
                Ok(elf) => {
                    let size = std::fs::metadata(&elf).map_or(0, |m| m.len());
                    println!("{}", elf.display());
                    eprintln!(
                        "fireball: {} image for {board:?}: {size} bytes of ELF (cargo xtask \
                         sizes gives flash and RAM by section)",
                        manifest.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("fireball: deploy: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Plan { manifest, modules } => {
            let modules = modules_dir(modules, &manifest);
            drop((std::io::stdout().lock(), std::io::stderr().lock()));
            match fireball::sizing::measure(&manifest, &modules, &HEAP) {
                Ok(plan) => {
                    print!("{}", plan.render());
                    if !plan.fits() {
                        ExitCode::from(1)
                    } else {
                        ExitCode::SUCCESS
                    }
                }
                Err(e) => {
                    eprintln!("fireball: plan: {}: {e}", manifest.display());
                    ExitCode::from(1)
                }
            }
        }
        Command::Build {
            release,
            path,
            packages,
        } => {
            let dir = path.unwrap_or_else(|| PathBuf::from("."));
            match project::build(&dir, release, &packages) {
                Ok(dirs) => {
                    for dir in dirs {
                        eprintln!("fireball: modules in {}", dir.display());
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("fireball: build: {e}");
                    ExitCode::from(1)
                }
            }
        }
    }
}

fn new_project(args: NewArgs) -> ExitCode {
    let sdk = match (args.sdk_path, args.sdk_git) {
        (Some(path), _) => match std::path::absolute(&path) {
            Ok(path) if path.join("services-sdk/Cargo.toml").is_file() => project::Sdk::Path(path),
            _ => {
                eprintln!(
                    "fireball: --sdk-path {}: not a Fireball checkout (no services-sdk/Cargo.toml)",
                    path.display()
                );
                return ExitCode::from(1);
            }
        },
        (None, Some(url)) => project::Sdk::Git {
            url,
            rev: args.sdk_rev,
        },
        (None, None) => match project::Sdk::this_checkout() {
            Ok(sdk) => sdk,
            Err(e) => {
                eprintln!("fireball: {e}");
                return ExitCode::from(1);
            }
        },
    };
    let kind = match args.kind {
        NewKind::Service => project::Kind::Service,
        NewKind::Guest => project::Kind::Guest,
    };
    let parent = args.dir.unwrap_or_else(|| PathBuf::from("."));
    let dir = match project::create(kind, &args.name, &parent, &sdk) {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("fireball: new: {e}");
            return ExitCode::from(1);
        }
    };
    eprintln!("fireball: made {}", dir.display());
    if !args.no_snapshot {
        eprintln!("fireball: building it and running fireball.toml once for its traffic snapshot");
        if let Err(e) = project::record_snapshot(kind, &dir) {
            eprintln!(
                "fireball: new: the project is made, but its snapshot is not recorded: {e}\n\
                 (fix that, then `INSTA_UPDATE=always cargo test` records it)"
            );
            return ExitCode::from(1);
        }
    }
    eprintln!(
        "fireball: next: cd {} && cargo test && fireball build && fireball run fireball.toml",
        dir.display()
    );
    ExitCode::SUCCESS
}

/// `fireball run <manifest> --board BOARD`: the deployment's image on the board (QEMU here).
fn run_on_board(manifest: &Path, board: &str, args: RunArgs) -> ExitCode {
    let board = match fireball::image::Board::from_name(board) {
        Ok(fireball::image::Board::Qemu) => fireball::image::Board::Qemu,
        Ok(fireball::image::Board::Nrf5340Dk) => {
            return usage_error(
                "fireball runs images under QEMU only: for an nRF5340-DK, `fireball deploy \
                 --board nrf5340dk` builds the image, `cargo xtask flash` flashes it",
            );
        }
        Err(e) => return usage_error(&e),
    };
    if args.trace.is_some()
        || args.timeline.is_some()
        || args.control.is_some()
        || args.gdb.is_some()
        || !args.debug.is_empty()
    {
        return usage_error(
            "--trace, --timeline, --control, --gdb and --debug are the host simulator's; \
             with --board the image's UART shows the trace lines",
        );
    }
    let elf = match project::build_image(manifest, args.modules.clone(), board) {
        Ok(elf) => elf,
        Err(e) => {
            eprintln!("fireball: {}: {e}", manifest.display());
            return ExitCode::from(1);
        }
    };
    eprintln!("fireball: running {} under QEMU mps2-an505", elf.display());
    let timeout =
        std::time::Duration::from_secs(args.seconds.unwrap_or(60).saturating_mul(10).max(120));
    let mut stdout = std::io::stdout();
    let run = fireball_tooling::qemu::run_qemu_with(&elf, timeout, false, &mut |bytes| {
        use std::io::Write as _;
        let _ = stdout.write_all(bytes);
        let _ = stdout.flush();
    });
    match run {
        Ok(run) => {
            // The board's own lines (boot, memory, the verdict), decoded from its defmt frames.
            if !args.quiet {
                eprint!("{}", run.stdout);
            }
            if run.timed_out {
                eprintln!(
                    "fireball: the image ran past {} s and was stopped",
                    timeout.as_secs()
                );
                ExitCode::from(1)
            } else if run.status == Some(0) {
                ExitCode::SUCCESS
            } else {
                eprintln!("fireball: the board exited with {:?}", run.status);
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("fireball: cannot run qemu-system-arm: {e}");
            ExitCode::from(1)
        }
    }
}

/// A command line that parsed but does not make sense: clap's usage error (exit status 2).
fn usage_error(message: &str) -> ExitCode {
    let mut cli = Cli::command();
    cli.build();
    let mut run = match cli.find_subcommand_mut("run") {
        Some(run) => run.clone(),
        None => cli,
    };
    let _ = run
        .error(clap::error::ErrorKind::ArgumentConflict, message)
        .print();
    ExitCode::from(2)
}
