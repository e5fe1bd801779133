//! `fireball run <manifest>` on the host: the manifest becomes a [`Plan`], output goes to
//! stdout or a buffer; booting and running are `fireball-deploy`'s, shared with the firmware.
//!
//! ```no_run
//! use fireball::deploy::{self, RunOptions};
//! let system = deploy::boot_file(
//!     "examples/sensor-hub/fireball.toml".as_ref(),
//!     "target/fireball/modules".as_ref(),
//!     RunOptions::default(),
//! )?;
//! let report = system.run();
//! println!("{report}");
//! # Ok::<(), deploy::BootError>(())
//! ```

use std::{
    cell::RefCell,
    fmt,
    path::{Path, PathBuf},
    rc::Rc,
};

use crate::timeline::{Recorder, Timeline};

use fireball_kernel::mem::{HostHeap, LayoutError};
use fireball_manifest::{
    Component, Manifest, ManifestError, Method as ManifestMethod, ModuleDirs,
    Restart as ManifestRestart,
};
use fireball_package::PublicKey;
use fireball_router::Methods;
use fireball_subsystems::{
    hal::{Console, Labelled},
    host::BufferConsole,
};
use fireball_vsoc::{LoadError, Vsoc, VsocConfig};

pub use fireball_deploy::{
    ComponentPlan, ComponentReport, Kind, Lifecycle, Plan, Restart, RunReport, SimBoard, Sink,
    State, System, TARGET_MHZ, system_routes,
};

/// Bytes the host lays out per byte a manifest's partition or quota asks for: its pointers'
/// width over the board's (Cortex-M33, 4 bytes), 2 on x86_64. A deployment sized for the board
/// then fits the host's larger allocations (wasmi's metadata, `String`s, `Vec`s and boxes are
/// built of pointers); the partition table states the manifest's sizes and the host's bytes,
/// which are never fewer than the board's (`docs/memory-partitions.md`).
pub const HOST_SCALE: usize = size_of::<usize>().div_ceil(4);

/// Where consoles, logs and the status line go.
#[derive(Clone, Debug)]
pub enum Output {
    /// The process's stdout (the status line on stderr).
    Stdout,
    /// A buffer (tests); no status line.
    Buffer(BufferConsole),
}

impl Output {
    fn console(&self, label: &str) -> Box<dyn Console> {
        match self {
            Self::Stdout => Box::new(fireball_subsystems::host::StdoutConsole::labelled(label)),
            Self::Buffer(buffer) => Box::new(Labelled::new(label, buffer.clone())),
        }
    }

    fn line(&self, text: &str) {
        match self {
            Self::Stdout => println!("{text}"),
            Self::Buffer(buffer) => buffer.clone().write(format!("{text}\n").as_bytes()),
        }
    }
}

impl Sink for Output {
    fn console(&self, label: &str) -> Box<dyn Console> {
        Output::console(self, label)
    }

    fn line(&self, text: &str) {
        Output::line(self, text);
    }
}

/// [`Output::Stdout`] with the status line on stderr.
struct WithStatus(Output);

impl Sink for WithStatus {
    fn console(&self, label: &str) -> Box<dyn Console> {
        self.0.console(label)
    }

    fn line(&self, text: &str) {
        self.0.line(text);
    }

    fn status(&self, text: &str) {
        eprintln!("{text}");
    }
}

/// How a run is bounded and shown.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Stop after this much virtual time even if guests still run (µs).
    pub max_time_us: u64,
    /// Where output goes.
    pub output: Output,
    /// Print a status line every simulated second (stderr; only with [`Output::Stdout`]).
    pub status_line: bool,
    /// Render message bodies in the router trace.
    pub trace_bodies: bool,
    /// The process's global allocator, to run the deployment on the partitioned heap a
    /// board runs it on: laid out from the manifest's `[partitions]` when it boots, every
    /// allocation of the run lands in its owner's partition, and the report ends with the
    /// partition table (`fireball run` installs one; `None`: the system allocator, as in
    /// tests that share a process).
    pub heap: Option<&'static HostHeap>,
    /// Components run from their instrumented debug builds.
    pub debug: DebugBuilds,
    /// Record the run into this timeline (`fireball run --timeline`).
    pub timeline: Option<Rc<RefCell<Timeline>>>,
    /// Stream the router trace to this file as it happens (`fireball run --trace`) instead
    /// of keeping it in memory for the report ([`RunReport::trace`] is then empty).
    pub trace_to: Option<PathBuf>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            max_time_us: 60_000_000,
            output: Output::Stdout,
            status_line: false,
            trace_bodies: true,
            heap: None,
            debug: DebugBuilds::default(),
            timeline: None,
            trace_to: None,
        }
    }
}

/// The router trace, streamed to a file line by line (`--trace`): a long or flooding run
/// does not grow the host's memory.
struct TraceFile {
    inner: Rc<dyn Sink>,
    file: RefCell<Option<std::io::BufWriter<std::fs::File>>>,
    path: PathBuf,
}

impl Sink for TraceFile {
    fn console(&self, label: &str) -> Box<dyn Console> {
        self.inner.console(label)
    }

    fn line(&self, text: &str) {
        self.inner.line(text);
    }

    fn trace(&self, lines: &str) {
        use std::io::Write as _;
        let mut file = self.file.borrow_mut();
        if let Some(writer) = file.as_mut()
            && let Err(e) = writer.write_all(lines.as_bytes())
        {
            eprintln!(
                "fireball: {}: {e}; the trace stops here",
                self.path.display()
            );
            *file = None;
        }
        drop(file);
        self.inner.trace(lines);
    }

    fn status(&self, text: &str) {
        self.inner.status(text);
    }

    fn booted(&self, name: &str) {
        self.inner.booted(name);
    }

    fn memory(&self, text: &str) {
        self.inner.memory(text);
    }

    fn aside(&self, f: &mut dyn FnMut()) {
        self.inner.aside(f);
    }

    fn turned(&self, system: &System) {
        self.inner.turned(system);
    }

    fn restarted(&self, system: &System, name: &str) {
        self.inner.restarted(system, name);
    }
}

impl Drop for TraceFile {
    fn drop(&mut self) {
        use std::io::Write as _;
        if let Some(writer) = self.file.get_mut().as_mut() {
            let _ = writer.flush();
        }
    }
}

/// A sink whose own work (printing, buffering, keeping the trace) is done beside the
/// partitions: the host's, not the deployment's (a board's UART allocates nothing).
struct Beside {
    sink: Rc<dyn Sink>,
    heap: &'static HostHeap,
}

/// A console that writes beside the partitions.
struct BesideConsole {
    console: Box<dyn Console>,
    heap: &'static HostHeap,
}

impl Console for BesideConsole {
    fn write(&mut self, bytes: &[u8]) {
        let console = &mut self.console;
        self.heap.beside(|| console.write(bytes));
    }

    fn dropped(&self) -> u64 {
        self.console.dropped()
    }
}

impl Sink for Beside {
    fn console(&self, label: &str) -> Box<dyn Console> {
        Box::new(BesideConsole {
            console: self.sink.console(label),
            heap: self.heap,
        })
    }

    fn line(&self, text: &str) {
        self.heap.beside(|| self.sink.line(text));
    }

    fn trace(&self, lines: &str) {
        self.heap.beside(|| self.sink.trace(lines));
    }

    fn status(&self, text: &str) {
        self.heap.beside(|| self.sink.status(text));
    }

    fn aside(&self, f: &mut dyn FnMut()) {
        self.heap.beside(f);
    }

    fn turned(&self, system: &System) {
        self.heap.beside(|| self.sink.turned(system));
    }

    fn restarted(&self, system: &System, name: &str) {
        self.heap.beside(|| self.sink.restarted(system, name));
    }
}

impl RunOptions {
    fn for_deploy(&self) -> Result<fireball_deploy::RunOptions, BootError> {
        let mut sink: Rc<dyn Sink> = match (&self.output, self.status_line) {
            (Output::Stdout, true) => Rc::new(WithStatus(self.output.clone())),
            _ => Rc::new(self.output.clone()),
        };
        if let Some(path) = &self.trace_to {
            let file = std::fs::File::create(path).map_err(|e| BootError::Output {
                path: path.clone(),
                error: e.to_string(),
            })?;
            sink = Rc::new(TraceFile {
                inner: sink,
                file: RefCell::new(Some(std::io::BufWriter::new(file))),
                path: path.clone(),
            });
        }
        if let Some(timeline) = &self.timeline {
            sink = Rc::new(Recorder {
                inner: sink,
                timeline: timeline.clone(),
            });
        }
        if let Some(heap) = self.heap {
            sink = Rc::new(Beside { sink, heap });
        }
        Ok(fireball_deploy::RunOptions {
            max_time_us: self.max_time_us,
            sink,
            trace_bodies: self.trace_bodies,
            keep_trace: self.trace_to.is_none(),
            heap: None,
            heap_scale: 1,
            devices: None,
            // Installed packages are kept in RAM: a run starts from the manifest's modules.
            store: None,
            // Nothing interrupts a host run: the vSoC's own flags (a test raises them).
            isr: None,
            // The simulated board's bank, which `hal` serves too.
            gpio: None,
        })
    }
}

/// Why a deployment did not boot on the host: the manifest, a module file, or the boot
/// itself ([`fireball_deploy::BootError`], which says who is at fault there).
#[derive(Debug)]
pub enum BootError {
    /// The manifest is wrong (every problem found): fix the manifest.
    Manifest(Vec<ManifestError>),
    /// The manifest's partitions cannot be laid out on the host's heap: fix `[partitions]`.
    Layout(LayoutError),
    /// A component's module file cannot be read: build the modules (`cargo xtask wasm`) or
    /// point `--modules` at them.
    Read {
        /// The component.
        component: String,
        /// Where its module was looked for.
        path: PathBuf,
        /// What the file system said.
        error: std::io::Error,
    },
    /// A component's module is WebAssembly text (`.wat`) that does not assemble.
    Text {
        /// The component.
        component: String,
        /// Its file.
        path: PathBuf,
        /// What the assembler said (with the line and column).
        error: String,
    },
    /// A component's module is refused by the vSoC's checks (limits, wasmi's validator): the
    /// module is at fault.
    Module {
        /// The component.
        component: String,
        /// What the loader said.
        error: LoadError,
    },
    /// A component to debug has no usable debug build (`--debug`): build it with
    /// `cargo xtask wasm`, or fix the module.
    Instrument {
        /// The component.
        component: String,
        /// Its debug build.
        path: PathBuf,
        /// What is wrong.
        error: String,
    },
    /// A key file named in `deployment.keys` cannot be read or is not a key: make it with
    /// `cargo xtask keygen`, or fix the path.
    Key {
        /// Where it was looked for.
        path: PathBuf,
        /// What is wrong.
        error: String,
    },
    /// A file the run writes (`--trace`) cannot be created.
    Output {
        /// The file.
        path: PathBuf,
        /// What the file system said.
        error: String,
    },
    /// The deployment did not boot.
    Boot(fireball_deploy::BootError),
}

impl fmt::Display for BootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Manifest(errors) => {
                writeln!(f, "the manifest has {} problem(s):", errors.len())?;
                for e in errors {
                    writeln!(f, "  - {e}")?;
                }
                Ok(())
            }
            Self::Layout(e) => write!(f, "the heap: {e}"),
            Self::Read {
                component,
                path,
                error,
            } => write!(f, "`{component}`: cannot read {}: {error}", path.display()),
            Self::Text {
                component,
                path,
                error,
            } => write!(f, "`{component}`: {}: {error}", path.display()),
            Self::Module { component, error } => write!(f, "`{component}`: {error}"),
            Self::Key { path, error } => write!(f, "key {}: {error}", path.display()),
            Self::Instrument {
                component,
                path,
                error,
            } => write!(f, "{component}: debug build {}: {error}", path.display()),
            Self::Output { path, error } => write!(f, "cannot write {}: {error}", path.display()),
            Self::Boot(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for BootError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Layout(e) => Some(e),
            Self::Read { error, .. } => Some(error),
            Self::Boot(e) => Some(e),
            _ => None,
        }
    }
}

impl From<fireball_deploy::BootError> for BootError {
    fn from(e: fireball_deploy::BootError) -> Self {
        Self::Boot(e)
    }
}

/// A component's restart policy and watchdog, in the plan's µs.
fn lifecycle(component: Component<'_>) -> Lifecycle {
    let policy = component.lifecycle();
    let watchdog_us = component.watchdog_ms().map(|ms| ms * 1000);
    let restart = match policy.restart {
        ManifestRestart::Never => {
            return Lifecycle {
                watchdog_us,
                ..Lifecycle::NEVER
            };
        }
        ManifestRestart::OnFailure => Restart::OnFailure,
        ManifestRestart::Always => Restart::Always,
    };
    Lifecycle {
        restart,
        max_restarts: policy.max_restarts(),
        window_us: policy.window_ms() * 1000,
        backoff_us: policy.backoff_ms() * 1000,
        watchdog_us,
    }
}

fn methods(list: &[ManifestMethod]) -> Methods {
    list.iter().fold(Methods::NONE, |all, m| {
        all | match m {
            ManifestMethod::Read => Methods::READ,
            ManifestMethod::Write => Methods::WRITE,
            ManifestMethod::Call => Methods::CALL,
            ManifestMethod::Subscribe => Methods::SUBSCRIBE,
        }
    })
}

/// The vSoC `System::boot` makes for `manifest`'s plan: the same limits, the same engine.
fn vsoc_for(manifest: &Manifest) -> Vsoc {
    let bytes = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    Vsoc::new(VsocConfig {
        yield_interval: manifest.deployment.yield_interval,
        guest_pool_bytes: bytes(manifest.partitions.guests),
        max_value_stack: bytes(manifest.deployment.value_stack),
        ..VsocConfig::default()
    })
}

/// Check `module` for component `name` as a board running `manifest` would load it (the
/// vSoC's limits, then wasmi's validator): what `cargo xtask package` does before it signs,
/// so that a signature also stands for "validated at build time".
pub fn check_module(manifest: &Manifest, name: &str, module: Vec<u8>) -> Result<(), LoadError> {
    vsoc_for(manifest).prevalidate(name, module).map(drop)
}

/// Validate `manifest` (modules looked up in `dirs`) and read its modules into a [`Plan`]:
/// each module checked as the vSoC loads it (limits, then wasmi's validator) and pinned by
/// its SHA-256 digest ([`Vsoc::prevalidate`]), so booting the plan does not validate again.
/// `cargo xtask deploy` makes a firmware image's plan with this too.
pub fn plan(manifest: &Manifest, dirs: &ModuleDirs) -> Result<Plan, BootError> {
    plan_debug(manifest, dirs, &DebugBuilds::default())
}

/// Components run from their debug builds, instrumented for the debugger (`fireball run
/// --debug NAME`, `cargo xtask deploy --gdb`; `docs/debugger.md`).
#[derive(Clone, Debug, Default)]
pub struct DebugBuilds {
    /// Where the debug builds are (`cargo xtask wasm` puts them in
    /// `target/fireball/modules-debug`).
    pub dir: PathBuf,
    /// The components to debug, by name.
    pub components: Vec<String>,
}

/// The debug build at `path` for `component`, instrumented ([`fireball_instrument`]): it
/// must carry DWARF, and LLDB is told to load it from `path` (made absolute).
fn instrument(component: &str, path: &Path, module: &[u8]) -> Result<Vec<u8>, BootError> {
    let fail = |error: String| BootError::Instrument {
        component: component.into(),
        path: path.to_path_buf(),
        error,
    };
    if !fireball_instrument::has_debug_info(module) {
        return Err(fail(
            "no DWARF line table: not a debug build (`cargo xtask wasm` builds them)".into(),
        ));
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    fireball_instrument::instrument(module, &absolute.to_string_lossy())
        .map_err(|e| fail(e.to_string()))
}

/// [`plan`], with the components `debug` names run from their instrumented debug builds.
pub fn plan_debug(
    manifest: &Manifest,
    dirs: &ModuleDirs,
    debug: &DebugBuilds,
) -> Result<Plan, BootError> {
    manifest
        .validate(&system_routes(), Some(dirs))
        .map_err(BootError::Manifest)?;
    let bytes = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    let vsoc = vsoc_for(manifest);
    let mut components = Vec::new();
    for component in manifest.components() {
        let debugged = debug.components.iter().any(|c| c == component.name());
        let modules_dir = if debugged {
            &debug.dir
        } else {
            &dirs.modules_dir
        };
        let path = Manifest::module_path(component.module(), &dirs.manifest_dir, modules_dir);
        let mut module = std::fs::read(&path).map_err(|error| BootError::Read {
            component: component.name().into(),
            error,
            path: path.clone(),
        })?;
        // WebAssembly text (a test's or a hand-written module) is assembled here, so the host
        // and a board image run the same bytes.
        if path.extension().is_some_and(|e| e == "wat") {
            module = wat::parse_bytes(&module)
                .map_err(|e| BootError::Text {
                    component: component.name().into(),
                    path: path.clone(),
                    error: e.to_string(),
                })?
                .into_owned();
        }
        if debugged {
            module = instrument(component.name(), &path, &module)?;
        }
        // Shared, as a board's modules in flash are: a copy of the plan (the one booted
        // from the kernel's partition) and the system's copy for restarts hold the same
        // bytes, freed with the last of them.
        let module = vsoc
            .prevalidate(component.name(), module)
            .map_err(|error| BootError::Module {
                component: component.name().into(),
                error,
            })?;
        let (kind, quota, routes) = match component {
            Component::Service(s) => (Kind::Service, bytes(s.quota), s.routes.clone()),
            Component::Guest(_) => (Kind::Guest, 0, Vec::new()),
        };
        components.push(ComponentPlan {
            name: component.name().into(),
            kind,
            module,
            quota,
            routes,
            reach: component
                .reach()
                .iter()
                .map(|r| (r.route.clone(), methods(&r.methods)))
                .collect(),
            call_timeouts: component
                .reach()
                .iter()
                .filter_map(|r| Some((r.route.clone(), r.timeout_ms? * 1000)))
                .collect(),
            lifecycle: lifecycle(component),
        });
    }
    Ok(Plan {
        name: manifest.deployment.name.clone(),
        yield_interval: manifest.deployment.yield_interval,
        value_stack: bytes(manifest.deployment.value_stack),
        guest_pool: bytes(manifest.partitions.guests),
        partitions: {
            let p = &manifest.partitions;
            [
                p.kernel,
                p.runtime,
                p.subsystems,
                p.services,
                p.guests,
                p.reserve,
            ]
            .map(bytes)
        },
        components,
        call_timeout_us: manifest.deployment.call_timeout_ms.map(|ms| ms * 1000),
        keys: keys(manifest, &dirs.manifest_dir)?,
    })
}

/// The public keys `deployment.keys` names, read from their files (relative to the manifest).
pub fn keys(manifest: &Manifest, manifest_dir: &Path) -> Result<Vec<PublicKey>, BootError> {
    manifest
        .deployment
        .keys
        .iter()
        .map(|file| {
            let path = manifest_dir.join(file);
            let bytes = std::fs::read(&path).map_err(|e| BootError::Key {
                path: path.clone(),
                error: e.to_string(),
            })?;
            let key: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| BootError::Key {
                path: path.clone(),
                error: format!(
                    "{} bytes: a public key is 32 (`cargo xtask keygen` writes a `.pub` file)",
                    b.len()
                ),
            })?;
            Ok(PublicKey::from_bytes(key))
        })
        .collect()
}

/// Validate `manifest` and boot it: nothing runs yet.
pub fn boot(
    manifest: &Manifest,
    dirs: &ModuleDirs,
    options: RunOptions,
) -> Result<System, BootError> {
    let plan = plan_debug(manifest, dirs, &options.debug)?;
    let mut deploy = options.for_deploy()?;
    let Some(host) = options.heap else {
        return Ok(System::boot(&plan, deploy)?);
    };
    deploy.heap_scale = HOST_SCALE;
    let sizes = plan.partitions.map(|size| size * HOST_SCALE);
    let services = plan
        .components
        .iter()
        .filter(|c| c.kind == fireball_deploy::Kind::Service)
        .count();
    let slots = fireball_deploy::quota_slots(services);
    deploy.heap = Some(host.lay_out(sizes, slots).map_err(BootError::Layout)?);
    // As on a board, the plan the deployment boots from is the kernel's (P1): its names and
    // lists are copied there, its modules stay where they were read ("flash").
    let plan = plan.clone();
    Ok(System::boot(&plan, deploy)?)
}

/// Boot the manifest at `path`, with modules from `modules_dir`.
pub fn boot_file(
    path: &Path,
    modules_dir: &Path,
    options: RunOptions,
) -> Result<System, BootError> {
    let manifest = Manifest::load(path).map_err(|e| BootError::Manifest(vec![e]))?;
    let dirs = ModuleDirs {
        manifest_dir: path.parent().unwrap_or(Path::new(".")).to_path_buf(),
        modules_dir: modules_dir.to_path_buf(),
    };
    boot(&manifest, &dirs, options)
}
