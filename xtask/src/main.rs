//! `cargo xtask` — the single entry point for Fireball's tooling.
//!
//! ```text
//! cargo xtask setup      find or install the cross toolchains and QEMU
//! cargo xtask wasm       build every WASM module (guests, services), and debug builds with DWARF
//!                        (`-p NAME`: one module)
//! cargo xtask firmware   build the Cortex-M33 firmware (embeds the modules)
//! cargo xtask qemu       build and run the firmware under QEMU mps2-an505
//! cargo xtask bench      benchmark workloads: instructions on Cortex-M33 (QEMU -icount)
//! cargo xtask sizes      flash and RAM of the firmware image, by section
//! cargo xtask flash      flash a manifest's image to the nRF5340-DK with probe-rs
//! cargo xtask latency    interrupt to waiting guest, worst case on Cortex-M33 (QEMU -icount)
//! cargo xtask demo       the main job: the demo deployment on the host simulator
//! cargo xtask soak       the sensor hub for hours of virtual time with a misbehaving guest
//! cargo xtask test       every check CI runs: fmt, clippy, no_std builds, host and QEMU tests
//! cargo xtask new-project a user's projects outside the repository: fireball new, cargo
//!                        test, fireball build, fireball run (part of `test`)
//! cargo xtask keygen     a package-signing key pair
//! cargo xtask package    a component's module as a signed package
//! cargo xtask fuzz       the fuzz targets under libFuzzer (`--seconds N`, some TARGETs)
//! ```
#![forbid(unsafe_code)]

mod bench;
mod budget;
mod control_port;
mod debugger;
mod firmware;
mod footprint;
mod fuzz;
mod guides;
mod latency;
mod modules;
mod new_project;
mod nrf5340;
mod package;
mod profile;
mod soak;
mod toolchain;

use std::{
    path::{Path, PathBuf},
    process::{Command, ExitCode},
    time::{Duration, Instant},
};

use toolchain::{Cross, host_cargo};

const QEMU_TIMEOUT: Duration = Duration::from_secs(120);

pub(crate) use fireball_tooling::{describe, run, sh};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

fn host_cargo_cmd(root: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(host_cargo());
    cmd.current_dir(root).args(args);
    cmd
}

/// `cargo install --locked <krate>` unless `present` (the tool it provides answered): the
/// tools only some commands need (probe-rs for `flash`, cargo-fuzz for `fuzz`).
fn install_unless(present: bool, krate: &str) -> Result<(), String> {
    if !present {
        eprintln!("xtask: {krate} is missing; installing it (cargo install {krate})");
        run(Command::new(host_cargo()).args(["install", krate, "--locked"]))?;
    }
    Ok(())
}

fn qemu(root: &Path, icount: bool) -> Result<ExitCode, String> {
    let cross = Cross::setup(true)?;
    let elf = firmware::build(&cross, root)?;
    run_elf(&elf, icount)
}

/// Build the `deploy` image for `manifest` and run it under QEMU.
fn deploy(root: &Path, manifest: &Path) -> Result<ExitCode, String> {
    let cross = Cross::setup(true)?;
    let elf = firmware::build_deploy(&cross, root, manifest)?;
    run_elf(&elf, true)
}

fn run_elf(elf: &Path, icount: bool) -> Result<ExitCode, String> {
    let run = fireball_tests::run_qemu(elf, QEMU_TIMEOUT, icount)
        .map_err(|e| format!("cannot run qemu-system-arm: {e}"))?;
    print!("{}", run.stdout);
    if !run.serial.is_empty() {
        println!("--- UART0 (QEMU -serial) ---");
        print!("{}", run.serial);
    }
    if run.timed_out {
        return Err(format!("firmware did not exit within {QEMU_TIMEOUT:?}"));
    }
    Ok(match run.status {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}

/// The deployment CI builds as a firmware image and compares with the host run: the whole
/// demo, its six components on the board.
const DEPLOY_TEST_MANIFEST: &str = DEMO_MANIFEST;

/// The fault matrix's board subset (`fault_matrix_board` runs its image under QEMU).
const FAULTS_MANIFEST: &str = "tests/faults/board.toml";

/// The demo deployment's manifest.
const DEMO_MANIFEST: &str = "examples/sensor-hub/fireball.toml";

/// A deploy image's flash by section and component, its RAM and boot measured under QEMU,
/// and, for the manifest CI holds to them, the budgets.
fn deploy_sizes(root: &Path, elf: &Path, manifest: &Path) -> Result<(), String> {
    print!("{}", firmware::sizes(elf)?);
    let figures = budget::measure(elf, &modules::out_dir(root))?;
    println!("\nmeasured (flash from the ELF; RAM and boot on the board under QEMU -icount)");
    print!("{}", figures.table());
    let canonical = manifest.canonicalize().ok();
    let mut held = false;
    for (file, budgeted) in budget::files(root)? {
        if budgeted.canonicalize().ok() == canonical {
            println!("\nbudgets ({})", file.display());
            print!("{}", budget::check(&figures, &file)?);
            held = true;
        }
    }
    if !held {
        println!(
            "\nno budget: no file in firmware/budgets/ names {}",
            manifest.display()
        );
    }
    Ok(())
}

fn demo(root: &Path) -> Result<(), String> {
    let cross = Cross::setup(true)?;
    let modules = modules::build_all(&cross, root)?;
    let trace = root.join("target/fireball/sensor-hub.trace");
    run(
        host_cargo_cmd(root, &["run", "--quiet", "-p", "fireball", "--", "run"])
            .arg(root.join(DEMO_MANIFEST))
            .arg("--modules")
            .arg(&modules)
            .arg("--trace")
            .arg(&trace),
    )
}

fn test(root: &Path) -> Result<(), String> {
    let started = Instant::now();
    run(&mut host_cargo_cmd(
        root,
        &["fmt", "--all", "--", "--check"],
    ))?;
    run(&mut host_cargo_cmd(
        root,
        &[
            "clippy",
            "--workspace",
            "--exclude",
            "fireball-firmware",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    ))?;
    let cross = Cross::setup(true)?;
    eprintln!("xtask: cross-compiling with {cross}");
    firmware::check_no_std(&cross, root)?;
    // The modules every later step reads, release and debug builds, made before the host lane
    // starts: nothing rewrites them after (each build writes only what changed).
    let built = modules::build_all(&cross, root)?;
    eprintln!("xtask: module sizes ({})", modules::BUDGET);
    eprint!("{}", modules::check_sizes(root, &built)?);
    modules::build(&cross, root, modules::Build::Debug)?;
    // Two lanes from here: the firmware images (each an LTO link on one core) in this
    // process, the host's tests, the new projects and the guides in a child process on the
    // other core; its output is printed when it ends. Their builds are mostly cargo's other
    // profiles and target directory (`target/user-projects`), so they seldom wait for each
    // other's lock: only the new project's QEMU image is built here, in the `firmware`
    // profile, and cargo serializes it with this lane's images.
    let mut host_lane = Lane::start(root, "host", &["ci-host"])?;
    let hello_elf = firmware::build(&cross, root)?;
    eprint!("{}", firmware::sizes(&hello_elf)?);
    // The benchmark workloads run as part of CI so they cannot rot; each hot path is held
    // to its ceiling and the docs' table to this run.
    let bench_elf = firmware::build_bench(&cross, root)?;
    let bench_run = bench::run_m33(&bench_elf)?;
    eprint!("{}", bench_run.table());
    bench::check(root, &bench_run)?;
    host_lane.check()?;
    // A deployment built from a manifest, run on the target and compared with the host.
    // The footprint budgets of each budgeted deployment: flash by component, RAM and stack
    // measured on the board, boot. Each image is kept under its budget file's name; the one
    // of the deployment the tests run on the board is theirs.
    let tested = root.join(DEPLOY_TEST_MANIFEST).canonicalize().ok();
    let mut deploy_elf = None;
    for (file, manifest) in budget::files(root)? {
        let elf = firmware::build_deploy(&cross, root, &manifest)?;
        let kept = elf.with_file_name(format!(
            "deploy-{}.elf",
            file.file_stem().unwrap_or_default().to_string_lossy()
        ));
        std::fs::copy(&elf, &kept).map_err(|e| format!("{}: {e}", kept.display()))?;
        let figures = budget::measure(&kept, &modules::out_dir(root))?;
        eprintln!("xtask: budgets of {}", manifest.display());
        eprint!("{}", budget::check(&figures, &file)?);
        if manifest.canonicalize().ok() == tested {
            deploy_elf = Some(kept);
        }
    }
    host_lane.check()?;
    // The nRF5340-DK's image of each deployment it has budgets for: built for the chip's
    // memory map (checked with llvm-readelf), its flash and static RAM held to
    // `firmware/budgets/nrf5340dk/`. Nothing runs: there is no probe in CI.
    for (file, manifest) in nrf5340::budget_files(root)? {
        let elf =
            firmware::build_deploy_on(&cross, root, &manifest, firmware::Board::Nrf5340Dk, false)?;
        eprint!("{}", nrf5340::check_memory_map(&elf)?);
        eprintln!("xtask: nRF5340-DK budgets of {}", manifest.display());
        eprint!("{}", budget::check(&nrf5340::figures(&elf)?, &file)?);
        // And with a control port (SMP on UARTE1): built and laid out, so it cannot rot.
        let elf =
            firmware::build_deploy_on(&cross, root, &manifest, firmware::Board::Nrf5340Dk, true)?;
        eprint!("{}", nrf5340::check_memory_map(&elf)?);
    }
    // The DK's image with a debugger port (GDB remote on UARTE1), for a deployment whose
    // debug build fits the chip's 512 KiB: built and laid out, so it cannot rot.
    let dk_debugger_elf = firmware::build_deploy_gdb_on(
        &cross,
        root,
        &root.join(nrf5340::DEBUG_MANIFEST),
        firmware::Board::Nrf5340Dk,
        &[nrf5340::DEBUG_COMPONENT.into()],
    )?;
    eprint!("{}", nrf5340::check_memory_map(&dk_debugger_elf)?);
    host_lane.check()?;
    let deploy_elf = match deploy_elf {
        Some(elf) => elf,
        None => firmware::build_deploy(&cross, root, &root.join(DEPLOY_TEST_MANIFEST))?,
    };
    // The fault matrix's board subset: the sensor hub's services beside faulty guests
    // (`fault_matrix_board` runs it and compares it with the host).
    let faults_elf = {
        let elf = firmware::build_deploy(&cross, root, &root.join(FAULTS_MANIFEST))?;
        let kept = elf.with_file_name("deploy-faults.elf");
        std::fs::copy(&elf, &kept).map_err(|e| format!("{}: {e}", kept.display()))?;
        kept
    };
    // The interrupt-to-guest image (`cargo xtask latency`); `firmware_latency` runs it.
    let latency_elf =
        firmware::build_from_manifest(&cross, root, &root.join(latency::MANIFEST), "latency")?;
    let with_artifacts = |cmd: &mut Command| {
        cmd.env("FIREBALL_MODULES_DIR", modules::out_dir(root))
            .env("FIREBALL_LATENCY_ELF", &latency_elf)
            .env("FIREBALL_FIRMWARE_ELF", &hello_elf)
            .env("FIREBALL_DEPLOY_ELF", &deploy_elf)
            .env("FIREBALL_DEPLOY_MANIFEST", root.join(DEPLOY_TEST_MANIFEST))
            .env("FIREBALL_FAULTS_ELF", &faults_elf)
            .env("FIREBALL_FAULTS_MANIFEST", root.join(FAULTS_MANIFEST));
    };
    // The host tests that run the images above (the host lane ran every other one).
    let mut tests = if nextest_present() {
        nextest(root, BOARD_TESTS)
    } else {
        host_cargo_cmd(
            root,
            &[
                "test",
                "--workspace",
                "--exclude",
                "fireball-firmware",
                "--lib",
                "--bins",
                "--tests",
            ],
        )
    };
    with_artifacts(&mut tests);
    run(&mut tests)?;
    // A stock SMP client (PyPI's smpclient) updates a module over the control port: the
    // host's, then the board's (UART1 under QEMU; its image is built last, after the keys).
    control_port::run_check(root)?;
    control_port::run_board_check(&cross, root)?;
    // A stock lldb-22 debugs the sensor hub's aggregator over GDB remote (`fireball run --gdb`).
    debugger::run_check(root)?;
    debugger::run_board_check(&cross, root)?;
    host_lane.finish()?;
    eprintln!("xtask: all checks passed in {:.0?}", started.elapsed());
    Ok(())
}

/// The host tests that run a firmware image under QEMU (they read the images' paths from
/// `FIREBALL_*_ELF`): the firmware lane runs them once its images are built, the host lane
/// every other test.
const BOARD_TESTS: &str = "package(fireball-tests) & (binary(partition_table) | \
    (binary(integration) & test(/^(fault_matrix_board|firmware_deploy|firmware_latency)::/)) | \
    (binary(integration) & test(/^hello::hello_prints_on_the_uart/)))";

/// `cargo nextest run` over the workspace's host crates, every test the filterset `filter`
/// selects, to the end even when some fail.
fn nextest(root: &Path, filter: &str) -> Command {
    host_cargo_cmd(
        root,
        &[
            "nextest",
            "run",
            "--workspace",
            "--exclude",
            "fireball-firmware",
            "--no-fail-fast",
            "-E",
            filter,
        ],
    )
}

/// Whether cargo-nextest is installed (it is on the base image); plain `cargo test` is the
/// fallback, which cannot leave the board tests out: the firmware lane then runs every test.
fn nextest_present() -> bool {
    Command::new(host_cargo())
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The host lane of `cargo xtask test` (`xtask ci-host`, started by `test` once the modules
/// are built): the doc tests, every host test but [`BOARD_TESTS`], a user's own projects and
/// the guides.
fn ci_host(root: &Path) -> Result<(), String> {
    let started = Instant::now();
    let modules_dir = |cmd: &mut Command| {
        cmd.env("FIREBALL_MODULES_DIR", modules::out_dir(root));
    };
    let mut doc = host_cargo_cmd(
        root,
        &[
            "test",
            "--doc",
            "--workspace",
            "--exclude",
            "fireball-firmware",
        ],
    );
    modules_dir(&mut doc);
    run(&mut doc)?;
    // nextest (on the base image) runs each test in its own process and ends with one
    // summary line.
    if nextest_present() {
        let mut tests = nextest(root, &format!("not ({BOARD_TESTS})"));
        modules_dir(&mut tests);
        run(&mut tests)?;
    }
    // A user's own projects, outside the repository: `fireball new`, `cargo test`,
    // `fireball build`, `fireball run`.
    new_project::run_check(root)?;
    // The user guides, followed as written in a scratch project.
    guides::run_check(root)?;
    eprintln!("xtask: the host lane passed in {:.0?}", started.elapsed());
    Ok(())
}

/// A lane of `cargo xtask test` run by a child `xtask`, its output kept in a log file and
/// printed when it ends (so that the two lanes' lines do not interleave). Dropped without
/// [`Lane::finish`] (the other lane failed), the child is stopped.
struct Lane {
    name: &'static str,
    child: Option<std::process::Child>,
    log: PathBuf,
    started: Instant,
}

impl Lane {
    fn start(root: &Path, name: &'static str, args: &[&str]) -> Result<Self, String> {
        let dir = root.join("target/fireball");
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let log = dir.join(format!("ci-{name}.log"));
        let file = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = file
            .try_clone()
            .map_err(|e| format!("{}: {e}", log.display()))?;
        let exe = std::env::current_exe().map_err(|e| format!("xtask's own path: {e}"))?;
        let child = Command::new(exe)
            .args(args)
            .current_dir(root)
            .stdin(std::process::Stdio::null())
            .stdout(file)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start the {name} lane: {e}"))?;
        eprintln!(
            "xtask: the {name} lane runs beside this one (its output: {})",
            log.display()
        );
        Ok(Self {
            name,
            child: Some(child),
            log,
            started: Instant::now(),
        })
    }

    /// Fail now, with its output, if the lane has already failed (so that a broken host
    /// test does not wait for every firmware image to be built); `Ok` while it runs or once
    /// it has passed.
    fn check(&mut self) -> Result<(), String> {
        let failed = match self.child.as_mut().map(std::process::Child::try_wait) {
            Some(Ok(Some(status))) => !status.success(),
            _ => false,
        };
        if failed && let Some(lane) = self.take() {
            return lane.finish();
        }
        Ok(())
    }

    /// This lane, its child moved out of `self` (whose drop then does nothing).
    fn take(&mut self) -> Option<Self> {
        let child = self.child.take()?;
        Some(Self {
            name: self.name,
            child: Some(child),
            log: self.log.clone(),
            started: self.started,
        })
    }

    /// Wait for the lane, print its output, and fail if it failed.
    fn finish(mut self) -> Result<(), String> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        eprintln!("xtask: waiting for the {} lane", self.name);
        let status = child
            .wait()
            .map_err(|e| format!("the {} lane: {e}", self.name))?;
        let output = std::fs::read_to_string(&self.log).unwrap_or_default();
        eprintln!(
            "xtask: ---- the {} lane's output ({:.0?}) ----",
            self.name,
            self.started.elapsed()
        );
        eprint!("{output}");
        eprintln!("xtask: ---- end of the {} lane's output ----", self.name);
        if status.success() {
            Ok(())
        } else {
            Err(format!(
                "the {} lane failed ({status}); its output is above and in {}",
                self.name,
                self.log.display()
            ))
        }
    }
}

/// Every process below `pid` (Linux: from `/proc/*/stat`), deepest first.
fn descendants(pid: u32) -> Vec<u32> {
    let mut parent_of = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(child) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        // `pid (comm) state ppid …`: the name may hold spaces and parentheses.
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            parent_of.push((child, ppid));
        }
    }
    let mut found = vec![pid];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            parent_of
                .iter()
                .filter(|(_, p)| *p == parent)
                .map(|(c, _)| *c),
        );
        i += 1;
    }
    found.remove(0);
    found.reverse();
    found
}

impl Drop for Lane {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(Some(status)) = child.try_wait() {
            eprintln!(
                "xtask: the {} lane had ended ({status}); what it printed is in {}",
                self.name,
                self.log.display()
            );
            return;
        }
        // Its cargo, nextest and QEMU first (the same process group as ours, so that a
        // Ctrl-C stops both lanes), then the child itself; what a dying parent started
        // meanwhile is found by the second look, and what ignored the first signal gets
        // the second.
        let root = child.id();
        for signal in ["-TERM", "-KILL"] {
            let pids = descendants(root);
            if !pids.is_empty() {
                let _ = Command::new("kill")
                    .arg(signal)
                    .args(pids.iter().map(u32::to_string))
                    .status();
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        let _ = child.kill();
        let _ = child.wait();
        eprintln!(
            "xtask: the {} lane was stopped; what it printed is in {}",
            self.name,
            self.log.display()
        );
    }
}

fn main() -> ExitCode {
    fireball_tooling::set_tool_name("xtask");
    let root = workspace_root();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["setup"] => Cross::setup(true).map(|cross| {
            println!("cross-compiling with {cross}; qemu-system-arm present");
        }),
        ["wasm"] => Cross::setup(true)
            .and_then(|cross| {
                let release = modules::build_all(&cross, &root)?;
                let debug = modules::build(&cross, &root, modules::Build::Debug)?;
                eprintln!("xtask: module sizes ({})", modules::BUDGET);
                eprint!("{}", modules::check_sizes(&root, &release)?);
                Ok((release, debug))
            })
            .map(|(release, debug)| {
                println!("modules in {}", release.display());
                println!("debug builds in {}", debug.display());
            }),
        ["wasm", "-p", package] => Cross::setup(true).and_then(|cross| {
            let only = [package.to_string()];
            let release = modules::build_packages(&cross, &root, modules::Build::Release, &only)?;
            modules::build_packages(&cross, &root, modules::Build::Debug, &only)?;
            println!("{package} in {}", release.display());
            Ok(())
        }),
        ["firmware"] => Cross::setup(true)
            .and_then(|cross| firmware::build(&cross, &root))
            .map(|elf| println!("firmware: {}", elf.display())),
        ["qemu"] => return qemu(&root, false).unwrap_or_else(fail),
        ["qemu", "--icount"] => return qemu(&root, true).unwrap_or_else(fail),
        ["deploy"] => return deploy(&root, &root.join(DEMO_MANIFEST)).unwrap_or_else(fail),
        ["deploy", manifest] => return deploy(&root, Path::new(manifest)).unwrap_or_else(fail),
        ["deploy", manifest, "--board", board, rest @ ..] => {
            on_board(&root, board, manifest, BoardCommand::Deploy, rest)
        }
        ["sizes", manifest, "--board", board, rest @ ..] => {
            on_board(&root, board, manifest, BoardCommand::Sizes, rest)
        }
        ["flash", manifest, "--board", board, rest @ ..] => {
            on_board(&root, board, manifest, BoardCommand::Flash, rest)
        }
        ["flash", manifest] => {
            nrf5340::flash(&root, Path::new(manifest), &nrf5340::Uarte1::Nothing)
        }
        ["deploy", manifest, rest @ ..] => {
            return debugger::deploy(&root, Path::new(manifest), rest).unwrap_or_else(fail);
        }
        ["sizes"] => Cross::setup(true)
            .and_then(|cross| firmware::build(&cross, &root))
            .and_then(|elf| firmware::sizes(&elf))
            .map(|table| print!("{table}")),
        ["sizes", manifest] => Cross::setup(true)
            .and_then(|cross| firmware::build_deploy(&cross, &root, Path::new(manifest)))
            .and_then(|elf| deploy_sizes(&root, &elf, Path::new(manifest))),
        ["bench"] => Cross::setup(true)
            .and_then(|cross| firmware::build_bench(&cross, &root))
            .and_then(|elf| bench::run_m33(&elf))
            .and_then(|run| {
                print!("{}", run.table());
                if std::env::var_os("FIREBALL_BENCH_ONLY").is_some()
                    || std::env::var_os("FIREBALL_BENCH_ITERS").is_some()
                {
                    eprintln!("xtask: a partial bench run (FIREBALL_BENCH_*): docs not updated");
                    Ok(())
                } else {
                    bench::update_docs(&root, &run)
                }
            }),
        ["profile", workload] => {
            Cross::setup(true).and_then(|cross| profile::run(&cross, &root, workload, 40, None))
        }
        ["profile", workload, "--callers", pattern] => Cross::setup(true)
            .and_then(|cross| profile::run(&cross, &root, workload, 40, Some(pattern))),
        ["latency"] => latency::run(&root),
        ["demo"] => demo(&root),
        ["soak", rest @ ..] => soak::run_soak(&root, rest),
        ["test"] => test(&root),
        ["ci-host"] => Cross::setup(true).and_then(|_| ci_host(&root)),
        ["keygen", dir] => package::keygen(Path::new(dir)),
        ["debugger"] => Cross::setup(true)
            .and_then(|cross| {
                modules::build_all(&cross, &root)?;
                modules::build(&cross, &root, modules::Build::Debug)
            })
            .and_then(|_| debugger::run_check(&root)),
        ["debugger", "--board"] => {
            Cross::setup(true).and_then(|cross| debugger::run_board_check(&cross, &root))
        }
        ["new-project"] => Cross::setup(true).and_then(|_| new_project::run_check(&root)),
        ["guides"] => Cross::setup(true).and_then(|_| guides::run_check(&root)),
        ["control-port"] => Cross::setup(true)
            .and_then(|cross| modules::build_all(&cross, &root))
            .and_then(|_| control_port::run_check(&root)),
        ["control-port", "--board"] => {
            Cross::setup(true).and_then(|cross| control_port::run_board_check(&cross, &root))
        }
        ["package", rest @ ..] => package::run(rest),
        ["fuzz", rest @ ..] => fuzz::run_command(&root, rest),
        _ => {
            eprintln!("{}", include_str!("usage.txt"));
            return ExitCode::from(2);
        }
    };
    result.map_or_else(fail, |()| ExitCode::SUCCESS)
}

/// What `--board` applies to.
#[derive(Clone, Copy)]
enum BoardCommand {
    Deploy,
    Sizes,
    Flash,
}

/// `deploy`, `sizes` or `flash` of `manifest` on the board named `board`; `options`: what
/// the image serves beside the deployment (on the nRF5340-DK's UARTE1: `--control`, a
/// control port, or `--debug NAME...`, a debugger port).
fn on_board(
    root: &Path,
    board: &str,
    manifest: &str,
    what: BoardCommand,
    options: &[&str],
) -> Result<(), String> {
    let manifest = Path::new(manifest);
    let board = firmware::Board::from_name(board)?;
    let uarte1 = nrf5340::Uarte1::parse(options)?;
    if uarte1 != nrf5340::Uarte1::Nothing && board == firmware::Board::Qemu {
        return Err(
            "--control and --debug are for --board nrf5340dk: under QEMU, `cargo xtask \
             control-port --board` builds and drives the image with a control port, and \
             `cargo xtask deploy <manifest> --gdb PORT --debug NAME` the one with a debugger port"
                .into(),
        );
    }
    match (board, what) {
        (firmware::Board::Nrf5340Dk, BoardCommand::Deploy) => {
            nrf5340::deploy(root, manifest, &uarte1)
        }
        (firmware::Board::Nrf5340Dk, BoardCommand::Sizes) => {
            nrf5340::sizes(root, manifest, &uarte1)
        }
        (firmware::Board::Nrf5340Dk, BoardCommand::Flash) => {
            nrf5340::flash(root, manifest, &uarte1)
        }
        (firmware::Board::Qemu, BoardCommand::Deploy) => match deploy(root, manifest)? {
            code if code == ExitCode::SUCCESS => Ok(()),
            _ => Err("the image failed under QEMU".into()),
        },
        (firmware::Board::Qemu, BoardCommand::Sizes) => Cross::setup(true)
            .and_then(|cross| firmware::build_deploy(&cross, root, manifest))
            .and_then(|elf| deploy_sizes(root, &elf, manifest)),
        (firmware::Board::Qemu, BoardCommand::Flash) => {
            Err("QEMU has nothing to flash: `cargo xtask deploy <manifest>` runs the image".into())
        }
    }
}

fn fail(message: String) -> ExitCode {
    eprintln!("xtask: error: {message}");
    ExitCode::FAILURE
}
