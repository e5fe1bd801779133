//! `fireball run <manifest>`: a whole deployment on the host simulator.
//!
//! [`System::boot`] validates the manifest, builds the simulated board
//! ([`SimBoard`]), the router with the manifest's policies, the native `hal`
//! and `logger` components, and loads every service (in its P4 quota,
//! registered for its routes) and guest (in P5) as kernel tasks.
//! [`System::run`] then schedules them on virtual time until every guest has
//! stopped (or a time limit), and returns a [`RunReport`]: how each component
//! ended, the partition table, the coroutine dump, the router's traffic.
//!
//! # Time
//!
//! Nothing reads the wall clock. Every scheduler poll advances the virtual
//! clock by the time one fuel slice takes on the target
//! (`yield_interval` instructions at [`TARGET_MHZ`]); when nothing is ready,
//! the clock jumps to the next sleeper's deadline. So the same manifest and
//! modules give the same run, line for line, on every machine.

use std::{
    fmt::{self, Write as _},
    path::Path,
};

use fireball_manifest::{Component, Manifest, ManifestError, Method as ManifestMethod, ModuleDirs};
use fireball_router::{Methods, Router, RouterConfig, trace};
use fireball_subsystems::{
    hal::Console,
    hal_service::{self, HalConfig, HalService},
    host::BufferConsole,
    log_service::{self, EventLog, LogService},
    logger::Level,
};
use fireball_vsoc::{
    InstanceTask, StopReason, Vsoc, VsocConfig, VsocEvent,
    kernel::{mem::Placement, sched::Executor},
    platform::{IsrFlags, Platform},
};

use crate::board::{NodeLog, SimBoard, Ticks};

/// The target clock the virtual time assumes: a fuel slice of `yield_interval` instructions
/// takes `yield_interval / TARGET_MHZ` microseconds.
pub const TARGET_MHZ: u64 = 100;

/// Inbox of each service's router endpoint.
const SERVICE_INBOX: usize = 8;
/// Inbox of the logger (lines wait here between drains).
const LOGGER_INBOX: usize = 32;

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
            Self::Buffer(buffer) => Box::new(Labelled {
                prefix: format!("[{label}] "),
                at_line_start: true,
                inner: buffer.clone(),
            }),
        }
    }

    fn line(&self, text: &str) {
        match self {
            Self::Stdout => println!("{text}"),
            Self::Buffer(buffer) => buffer.clone().write(format!("{text}\n").as_bytes()),
        }
    }
}

/// A console that prefixes every line with a label, into a shared buffer.
struct Labelled {
    prefix: String,
    at_line_start: bool,
    inner: BufferConsole,
}

impl Console for Labelled {
    fn write(&mut self, bytes: &[u8]) {
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            if self.at_line_start {
                self.inner.write(self.prefix.as_bytes());
            }
            self.inner.write(line);
            self.at_line_start = line.ends_with(b"\n");
        }
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
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            max_time_us: 60_000_000,
            output: Output::Stdout,
            status_line: false,
            trace_bodies: true,
        }
    }
}

/// Why a deployment did not boot.
#[derive(Debug)]
pub enum BootError {
    /// The manifest is wrong (every problem found).
    Manifest(Vec<ManifestError>),
    /// A component could not be set up.
    Component {
        /// Its name.
        name: String,
        /// What went wrong.
        reason: String,
    },
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
            Self::Component { name, reason } => write!(f, "`{name}`: {reason}"),
        }
    }
}

impl std::error::Error for BootError {}

/// A service or a guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A service plugin (P4).
    Service,
    /// A guest app (P5).
    Guest,
}

/// How a component ended (or where it is at the end of the run).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Still running or waiting (services serve until the run ends).
    Running(String),
    /// Its entry point returned.
    Finished,
    /// Stopped by a trap or memory exhaustion; the others went on.
    Stopped(String),
}

/// One loaded component.
struct Loaded {
    name: String,
    kind: Kind,
    placement: Placement,
    task: InstanceTask,
    quota: Option<u64>,
    state: State,
}

/// The routes the native subsystems serve.
pub fn system_routes() -> Vec<&'static str> {
    let mut routes = hal_service::ROUTES.to_vec();
    routes.push(log_service::ROUTE);
    routes
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

/// A booted deployment.
pub struct System {
    name: String,
    board: SimBoard,
    router: Router,
    vsoc: Vsoc,
    executor: Executor,
    log: &'static EventLog,
    components: Vec<Loaded>,
    options: RunOptions,
    trace: String,
    traced: u64,
    polls: u64,
    slice_us: u64,
    timed_out: bool,
}

impl System {
    /// Validate `manifest` (modules looked up in `dirs`) and boot it: nothing runs yet.
    pub fn boot(
        manifest: &Manifest,
        dirs: &ModuleDirs,
        options: RunOptions,
    ) -> Result<Self, BootError> {
        manifest
            .validate(&system_routes(), Some(dirs))
            .map_err(BootError::Manifest)?;
        let (mut board, devices) = SimBoard::new();
        let isr: &'static IsrFlags = Box::leak(Box::new(IsrFlags::new()));
        let platform = Platform {
            gpio: Box::new(board.gpio.clone()),
            clock: Box::new(Ticks(board.clock.clone())),
            isr: Some(isr),
        };
        let yield_interval = manifest.deployment.yield_interval;
        let config = VsocConfig {
            yield_interval,
            guest_pool_bytes: usize::try_from(manifest.partitions.guests).unwrap_or(usize::MAX),
            max_value_stack: usize::try_from(manifest.deployment.value_stack).unwrap_or(usize::MAX),
            ..VsocConfig::default()
        };
        let vsoc = Vsoc::with_platform(config, platform);
        let router = Router::new(RouterConfig {
            trace: fireball_router::TraceConfig {
                capacity: 4096,
                bodies: options.trace_bodies,
            },
            ..RouterConfig::default()
        });
        vsoc.attach_router(router.clone());

        let log: &'static EventLog = Box::leak(Box::new(EventLog::new(
            Level::Info,
            Box::new(board.clock.clone()),
        )));
        vsoc.observe_channels(log);
        let mut executor = Executor::new().map_err(|e| BootError::Component {
            name: "kernel".into(),
            reason: format!("{e:?}"),
        })?;
        executor.set_observer(log);

        let native = |name: &str, reason: String| BootError::Component {
            name: name.into(),
            reason,
        };
        let hal = HalService::register(&router, devices, HalConfig::default())
            .map_err(|e| native("hal", e.to_string()))?;
        executor
            .spawn("hal", hal.run())
            .map_err(|e| native("hal", format!("{e:?}")))?;
        let logger = LogService::register(&router, "logger", LOGGER_INBOX, log)
            .map_err(|e| native("logger", e.to_string()))?;
        executor
            .spawn("logger", logger.run(options.output.console("log")))
            .map_err(|e| native("logger", format!("{e:?}")))?;

        for component in manifest.components() {
            for reach in component.reach() {
                router
                    .allow(component.name(), &reach.route, methods(&reach.methods))
                    .map_err(|e| native(component.name(), e.to_string()))?;
            }
        }

        let mut components = Vec::new();
        let mut next_service = 1u16;
        for component in manifest.components() {
            let name = component.name();
            let fail = |reason: String| BootError::Component {
                name: name.into(),
                reason,
            };
            let path =
                Manifest::module_path(component.module(), &dirs.manifest_dir, &dirs.modules_dir);
            let bytes = std::fs::read(&path)
                .map_err(|e| fail(format!("cannot read {}: {e}", path.display())))?;
            let module = vsoc.load(name, &bytes).map_err(|e| fail(e.to_string()))?;
            let console = options.output.console(name);
            let (loaded, kind, quota) = match component {
                Component::Service(service) => {
                    let id = next_service;
                    next_service += 1;
                    let quota = usize::try_from(service.quota).unwrap_or(usize::MAX);
                    vsoc.set_service_quota(id, quota);
                    let placement = Placement::service(id);
                    let instance = vsoc
                        .instantiate_in(&module, console, placement)
                        .map_err(|e| fail(e.to_string()))?;
                    let routes: Vec<&str> = service.routes.iter().map(String::as_str).collect();
                    vsoc.register_service(&instance, &routes, SERVICE_INBOX)
                        .map_err(|e| fail(e.to_string()))?;
                    (instance, Kind::Service, Some(service.quota))
                }
                Component::Guest(_) => {
                    let instance = vsoc
                        .instantiate(&module, console)
                        .map_err(|e| fail(e.to_string()))?;
                    (instance, Kind::Guest, None)
                }
            };
            let placement = loaded.placement();
            let task = vsoc
                .spawn(&mut executor, loaded)
                .map_err(|_| fail("the executor is full".into()))?;
            components.push(Loaded {
                name: name.into(),
                kind,
                placement,
                task,
                quota,
                state: State::Running(String::new()),
            });
        }
        board.announce_remotes();
        Ok(Self {
            name: manifest.deployment.name.clone(),
            board,
            router,
            vsoc,
            executor,
            log,
            components,
            options,
            trace: String::new(),
            traced: 0,
            polls: 0,
            slice_us: (yield_interval / TARGET_MHZ).max(1),
            timed_out: false,
        })
    }

    /// Boot the manifest at `path`, with modules from `modules_dir`.
    pub fn boot_file(
        path: &Path,
        modules_dir: &Path,
        options: RunOptions,
    ) -> Result<Self, BootError> {
        let manifest = Manifest::load(path).map_err(|e| BootError::Manifest(vec![e]))?;
        let dirs = ModuleDirs {
            manifest_dir: path.parent().unwrap_or(Path::new(".")).to_path_buf(),
            modules_dir: modules_dir.to_path_buf(),
        };
        Self::boot(&manifest, &dirs, options)
    }

    /// The deployment's router (to register a native probe in a test, say).
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Run a native task beside the deployment's components (a test's probe; it is not a
    /// guest: the run does not wait for it).
    pub fn spawn_native(
        &mut self,
        name: &'static str,
        task: impl core::future::Future<Output = ()> + 'static,
    ) -> Result<(), BootError> {
        self.executor
            .spawn(name, task)
            .map(drop)
            .map_err(|_| BootError::Component {
                name: name.into(),
                reason: "the executor is full".into(),
            })
    }

    fn now_us(&self) -> u64 {
        use fireball_subsystems::hal::Clock as _;
        self.board.clock.now_us()
    }

    fn guests_running(&self) -> usize {
        self.components
            .iter()
            .filter(|c| c.kind == Kind::Guest && matches!(c.state, State::Running(_)))
            .count()
    }

    /// Take the router's trace into the run's record (and the logger's denials).
    fn collect_trace(&mut self) {
        let (lost, events) = self.router.drain_trace();
        if events.is_empty() && lost == 0 {
            return;
        }
        self.log.absorb_traced(&self.router, &events);
        self.traced += events.len() as u64;
        self.trace.push_str(&trace::render(lost, &events));
    }

    fn collect_events(&mut self) {
        while let Some(event) = self.vsoc.pop_event() {
            let (placement, state) = match event {
                VsocEvent::Finished { placement, .. } => (placement, State::Finished),
                VsocEvent::Stopped { placement, reason } => {
                    let why = match &reason {
                        StopReason::Trapped(trap) => trap.to_string(),
                        other => other.to_string(),
                    };
                    (placement, State::Stopped(why))
                }
            };
            if let Some(c) = self
                .components
                .iter_mut()
                .find(|c| c.placement == placement && matches!(c.state, State::Running(_)))
            {
                let line = match &state {
                    State::Finished => format!("[fireball] {} finished", c.name),
                    State::Stopped(why) => format!("[fireball] {} stopped: {why}", c.name),
                    State::Running(_) => String::new(),
                };
                self.options.output.line(&line);
                c.state = state;
            }
        }
    }

    fn status(&self) -> String {
        let guests = self
            .components
            .iter()
            .filter(|c| c.kind == Kind::Guest)
            .count();
        let services_up = self
            .components
            .iter()
            .filter(|c| c.kind == Kind::Service && matches!(c.state, State::Running(_)))
            .count();
        let t = self.now_us();
        format!(
            "t={}.{:03} s  polls={}  guests running {}/{}  services up {}  router events {}",
            t / 1_000_000,
            (t / 1000) % 1000,
            self.polls,
            self.guests_running(),
            guests,
            services_up,
            self.traced,
        )
    }

    /// Run until every guest has stopped (or `max_time_us` of virtual time passed), then
    /// report.
    pub fn run(mut self) -> RunReport {
        let timed_out = self.run_guests();
        self.finish_with(timed_out)
    }

    /// Run until every guest has stopped (or `max_time_us` of virtual time passed); whether
    /// the time limit ended it. The services keep waiting for requests: a test may then
    /// [`spawn_native`](Self::spawn_native) a probe, [`settle`](Self::settle) and
    /// [`finish`](Self::finish).
    pub fn run_guests(&mut self) -> bool {
        let mut next_status = 1_000_000;
        let mut timed_out = false;
        while self.guests_running() > 0 {
            if self.now_us() >= self.options.max_time_us {
                timed_out = true;
                break;
            }
            if self.executor.run_for(1) == 1 {
                self.polls += 1;
                self.board.clock.advance(self.slice_us);
            } else if self.vsoc.tick() == 0 {
                match self.vsoc.next_deadline() {
                    Some(deadline) => {
                        let now = self.now_us();
                        self.board
                            .clock
                            .advance(deadline.saturating_sub(now).max(1));
                    }
                    // Nothing ready, nobody sleeping: every guest waits on something only
                    // another guest could give. Report it rather than spin.
                    None => break,
                }
            }
            self.collect();
            if self.options.status_line
                && matches!(self.options.output, Output::Stdout)
                && self.now_us() >= next_status
            {
                eprintln!("{}", self.status());
                next_status += 1_000_000;
            }
        }
        self.timed_out = timed_out;
        // Let the logger drain what the last guests said.
        self.settle();
        timed_out
    }

    /// Run whatever is ready (services answering, the logger draining, a probe) until
    /// nothing is, without moving time (at most 10 000 polls: a guest left spinning by the
    /// time limit is always ready).
    pub fn settle(&mut self) {
        self.polls += self.vsoc.run_for(&mut self.executor, 10_000) as u64;
        self.collect();
    }

    fn collect(&mut self) {
        self.collect_trace();
        self.collect_events();
        self.board.listen();
    }

    /// The report of the run so far.
    pub fn finish(self) -> RunReport {
        let timed_out = self.timed_out;
        self.finish_with(timed_out)
    }

    fn finish_with(mut self, timed_out: bool) -> RunReport {
        for c in &mut self.components {
            if let State::Running(note) = &mut c.state {
                *note = c.task.monitor.state().to_string();
            }
        }
        let components = self
            .components
            .iter()
            .map(|c| ComponentReport {
                name: c.name.clone(),
                kind: c.kind,
                placement: c.placement.to_string(),
                state: c.state.clone(),
                slices: c.task.monitor.stats().slices,
                fuel: c.task.monitor.stats().fuel_consumed,
                memory: c.task.monitor.stats().memory_bytes,
                quota: c.quota,
                pool: self.vsoc.pool(c.placement).map(|p| (p.used, p.peak)),
            })
            .collect();
        let guest_pool = self
            .vsoc
            .pool(Placement::guest(1))
            .map(|p| (p.capacity, p.used, p.peak));
        let dump = self.vsoc.dump(&self.executor).to_string();
        let (events, overwritten) = self
            .log
            .inspect(|l| (l.events().pushed(), l.events().overwritten()));
        RunReport {
            deployment: self.name,
            time_us: {
                use fireball_subsystems::hal::Clock as _;
                self.board.clock.now_us()
            },
            polls: self.polls,
            timed_out,
            components,
            guest_pool,
            dump,
            trace: self.trace,
            radio: self.board.heard.clone(),
            uart: self.board.uart.transmitted(),
            log_events: (events, overwritten),
            gpio_changes: self.board.gpio.history().len(),
        }
    }
}

/// One component at the end of a run.
#[derive(Clone, Debug)]
pub struct ComponentReport {
    /// Its name.
    pub name: String,
    /// Service or guest.
    pub kind: Kind,
    /// Where its memory was charged (`P4/1`, `P5/3`).
    pub placement: String,
    /// How it ended.
    pub state: State,
    /// Fuel slices it ran.
    pub slices: u64,
    /// Fuel (≈ WASM instructions) it consumed.
    pub fuel: u64,
    /// Its linear memory now, bytes.
    pub memory: usize,
    /// A service's P4 quota.
    pub quota: Option<u64>,
    /// A service's quota use now and at peak.
    pub pool: Option<(usize, usize)>,
}

/// What a run did.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// The deployment's name.
    pub deployment: String,
    /// Virtual time at the end (µs).
    pub time_us: u64,
    /// Scheduler polls made.
    pub polls: u64,
    /// Whether the time limit ended it (guests still running).
    pub timed_out: bool,
    /// Every component, services first.
    pub components: Vec<ComponentReport>,
    /// P5: capacity, used now, peak.
    pub guest_pool: Option<(usize, usize, usize)>,
    /// The coroutine dump at the end.
    pub dump: String,
    /// The router's trace, rendered.
    pub trace: String,
    /// What each remote mesh node heard.
    pub radio: Vec<NodeLog>,
    /// Bytes written to UART 0.
    pub uart: Vec<u8>,
    /// Logger events pushed and overwritten.
    pub log_events: (u64, u64),
    /// GPIO level changes recorded.
    pub gpio_changes: usize,
}

impl RunReport {
    /// Whether every guest finished (none stopped, none still running).
    pub fn all_guests_finished(&self) -> bool {
        self.components
            .iter()
            .filter(|c| c.kind == Kind::Guest)
            .all(|c| c.state == State::Finished)
    }
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.time_us;
        writeln!(
            f,
            "== {}: {} at t={}.{:06} s (virtual), {} polls",
            self.deployment,
            if self.timed_out {
                "time limit reached"
            } else {
                "guests done"
            },
            t / 1_000_000,
            t % 1_000_000,
            self.polls
        )?;
        writeln!(f, "\ncomponents")?;
        writeln!(
            f,
            "  {:<14} {:<8} {:<6} {:>8} {:>10} {:>8}  state",
            "name", "kind", "where", "slices", "fuel", "memory"
        )?;
        for c in &self.components {
            let state = match &c.state {
                State::Running(note) => format!("running ({note})"),
                State::Finished => "finished".into(),
                State::Stopped(why) => format!("stopped: {why}"),
            };
            writeln!(
                f,
                "  {:<14} {:<8} {:<6} {:>8} {:>10} {:>8}  {state}",
                c.name,
                match c.kind {
                    Kind::Service => "service",
                    Kind::Guest => "guest",
                },
                c.placement,
                c.slices,
                c.fuel,
                c.memory
            )?;
        }
        writeln!(
            f,
            "\npartitions (bytes charged by the vSoC's admission budget)"
        )?;
        writeln!(
            f,
            "  {:<22} {:>10} {:>10} {:>10}",
            "pool", "capacity", "used", "peak"
        )?;
        if let Some((capacity, used, peak)) = self.guest_pool {
            writeln!(
                f,
                "  {:<22} {capacity:>10} {used:>10} {peak:>10}",
                "P5 guests"
            )?;
        }
        for c in self.components.iter().filter(|c| c.kind == Kind::Service) {
            if let (Some(quota), Some((used, peak))) = (c.quota, c.pool) {
                let label = format!("P4 {} ({})", c.name, c.placement);
                writeln!(f, "  {label:<22} {quota:>10} {used:>10} {peak:>10}")?;
            }
        }
        writeln!(f, "\ncoroutine dump")?;
        for line in self.dump.lines() {
            writeln!(f, "  {line}")?;
        }
        let requests = self
            .trace
            .lines()
            .filter(|l| l.get(5..15).is_some_and(|k| k.trim() == "request"))
            .count();
        let denied = self
            .trace
            .lines()
            .filter(|l| l.get(5..15).is_some_and(|k| k.trim() == "denied"))
            .count();
        writeln!(
            f,
            "\nrouter: {} trace events, {requests} requests, {denied} denied",
            self.trace.lines().count()
        )?;
        let mut radio = String::new();
        for (i, node) in self.radio.iter().enumerate() {
            let _ = write!(
                radio,
                "{}node {}: {} frames / {} B",
                if i == 0 { "" } else { ", " },
                i + 1,
                node.frames,
                node.bytes
            );
        }
        writeln!(f, "radio: {radio}")?;
        writeln!(
            f,
            "uart0: {} B written; logger: {} events ({} overwritten); gpio: {} changes",
            self.uart.len(),
            self.log_events.0,
            self.log_events.1,
            self.gpio_changes
        )
    }
}
