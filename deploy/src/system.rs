//! Booting and running a deployment: the part of `fireball run` that does not need `std`.
//!
//! [`System::boot`] builds the simulated board ([`SimBoard`]), the router with the plan's
//! policies, the native `hal` and `logger`, and loads every service (in its P4 quota,
//! registered for its routes) and guest (in P5) as kernel tasks. [`System::run`] then
//! schedules them on virtual time until every guest has stopped (or a time limit), and
//! returns a [`RunReport`].
//!
//! # Time
//!
//! Nothing reads a wall clock. Every scheduler poll advances the virtual clock by the time
//! one fuel slice takes on the target (`yield_interval` instructions at [`TARGET_MHZ`]);
//! when nothing is ready, the clock jumps to the next sleeper's deadline. So the same plan
//! gives the same run, line for line, wherever it runs: on the host, or on a board.

use alloc::{
    boxed::Box,
    format,
    rc::Rc,
    string::{String, ToString},
    vec::Vec,
};
use core::{fmt, future::Future};

use fireball_router::{Router, RouterConfig, TraceEvent, trace};
use fireball_subsystems::{
    hal::Console,
    hal_service::{self, HalConfig, HalService},
    log_service::{self, EventLog, LogService},
    logger::Level,
};
use fireball_vsoc::{
    InstanceTask, StopReason, Vsoc, VsocConfig, VsocEvent,
    kernel::{mem::Placement, sched::Executor},
    platform::{IsrFlags, Platform},
};

use crate::board::{SimBoard, Ticks};
use crate::plan::Plan;
use crate::report::{ComponentReport, RunReport};

/// The target clock the virtual time assumes: a fuel slice of `yield_interval` instructions
/// takes `yield_interval / TARGET_MHZ` microseconds.
pub const TARGET_MHZ: u64 = 100;

/// Inbox of each service's router endpoint.
const SERVICE_INBOX: usize = 8;
/// Inbox of the logger (lines wait here between drains).
const LOGGER_INBOX: usize = 32;

/// Where a deployment's output goes: component consoles, the runner's own lines, the status
/// line. The host prints or buffers; a board writes to its UART.
pub trait Sink {
    /// A console for component (or the logger) `label`; it should label every line.
    fn console(&self, label: &str) -> Box<dyn Console>;
    /// One line of the runner's own (`[fireball] filter stopped: …`).
    fn line(&self, text: &str);
    /// Router trace lines as they happen (ignored by default; with
    /// [`RunOptions::keep_trace`] off, this is the only place the trace goes).
    fn trace(&self, lines: &str) {
        let _ = lines;
    }

    /// The status line, once per simulated second (ignored by default).
    fn status(&self, text: &str) {
        let _ = text;
    }

    /// Component `name` was loaded, instantiated and spawned (a board reports its heap
    /// here; ignored by default).
    fn booted(&self, name: &str) {
        let _ = name;
    }
}

/// How a run is bounded and shown.
#[derive(Clone)]
pub struct RunOptions {
    /// Stop after this much virtual time even if guests still run (µs).
    pub max_time_us: u64,
    /// Where output goes.
    pub sink: Rc<dyn Sink>,
    /// Render message bodies in the router trace.
    pub trace_bodies: bool,
    /// Keep the whole trace for the report ([`RunReport::trace`]); off on a board, where it
    /// would not fit in RAM: the [`Sink`] gets it line by line either way.
    pub keep_trace: bool,
}

impl RunOptions {
    /// A minute of virtual time, bodies in the trace, output to `sink`.
    pub fn new(sink: Rc<dyn Sink>) -> Self {
        Self {
            max_time_us: 60_000_000,
            sink,
            trace_bodies: true,
            keep_trace: true,
        }
    }
}

/// Why a deployment did not boot: which component, and what went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootError {
    /// The component (or `kernel`, `hal`, `logger`).
    pub name: String,
    /// What went wrong.
    pub reason: String,
}

impl fmt::Display for BootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.name, self.reason)
    }
}

impl core::error::Error for BootError {}

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
    requests: u64,
    denied: u64,
    polls: u64,
    slice_us: u64,
    timed_out: bool,
}

impl System {
    /// Boot `plan`: the simulated board, the router with the plan's policies, `hal` and
    /// `logger`, every service (in its P4 quota, registered for its routes) and guest (in
    /// P5) as kernel tasks. Nothing runs yet.
    pub fn boot(plan: &Plan, options: RunOptions) -> Result<Self, BootError> {
        let (mut board, devices) = SimBoard::new();
        let isr: &'static IsrFlags = Box::leak(Box::new(IsrFlags::new()));
        let platform = Platform {
            gpio: Box::new(board.gpio.clone()),
            clock: Box::new(Ticks(board.clock.clone())),
            isr: Some(isr),
        };
        let config = VsocConfig {
            yield_interval: plan.yield_interval,
            guest_pool_bytes: plan.guest_pool,
            max_value_stack: plan.value_stack,
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
        let fail = |name: &str, reason: String| BootError {
            name: name.into(),
            reason,
        };
        let mut executor = Executor::new().map_err(|e| fail("kernel", format!("{e:?}")))?;
        executor.set_observer(log);

        let hal = HalService::register(&router, devices, HalConfig::default())
            .map_err(|e| fail("hal", e.to_string()))?;
        executor
            .spawn("hal", hal.run())
            .map_err(|e| fail("hal", format!("{e:?}")))?;
        let logger = LogService::register(&router, "logger", LOGGER_INBOX, log)
            .map_err(|e| fail("logger", e.to_string()))?;
        executor
            .spawn("logger", logger.run(options.sink.console("log")))
            .map_err(|e| fail("logger", format!("{e:?}")))?;

        for component in &plan.components {
            for (route, methods) in &component.reach {
                router
                    .allow(&component.name, route, *methods)
                    .map_err(|e| fail(&component.name, e.to_string()))?;
            }
        }

        let mut components = Vec::new();
        let mut next_service = 1u16;
        for component in &plan.components {
            let name = component.name.as_str();
            let module = vsoc
                .load_prevalidated(name, &component.module)
                .map_err(|e| fail(name, e.to_string()))?;
            let console = options.sink.console(name);
            let instance = match component.kind {
                Kind::Service => {
                    let id = next_service;
                    next_service += 1;
                    vsoc.set_service_quota(id, component.quota);
                    let instance = vsoc
                        .instantiate_in(&module, console, Placement::service(id))
                        .map_err(|e| fail(name, e.to_string()))?;
                    let routes: Vec<&str> = component.routes.iter().map(String::as_str).collect();
                    vsoc.register_service(&instance, &routes, SERVICE_INBOX)
                        .map_err(|e| fail(name, e.to_string()))?;
                    instance
                }
                Kind::Guest => vsoc
                    .instantiate(&module, console)
                    .map_err(|e| fail(name, e.to_string()))?,
            };
            let placement = instance.placement();
            let task = vsoc
                .spawn(&mut executor, instance)
                .map_err(|_| fail(name, "the executor is full".into()))?;
            options.sink.booted(name);
            components.push(Loaded {
                name: name.into(),
                kind: component.kind,
                placement,
                task,
                quota: (component.kind == Kind::Service).then_some(component.quota as u64),
                state: State::Running(String::new()),
            });
        }
        board.announce_remotes();
        Ok(Self {
            name: plan.name.clone(),
            board,
            router,
            vsoc,
            executor,
            log,
            components,
            options,
            trace: String::new(),
            traced: 0,
            requests: 0,
            denied: 0,
            polls: 0,
            slice_us: (plan.yield_interval / TARGET_MHZ).max(1),
            timed_out: false,
        })
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
        task: impl Future<Output = ()> + 'static,
    ) -> Result<(), BootError> {
        self.executor
            .spawn(name, task)
            .map(drop)
            .map_err(|_| BootError {
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
        for event in &events {
            match event.event {
                TraceEvent::Request { .. } => self.requests += 1,
                TraceEvent::Denied { .. } => self.denied += 1,
                _ => {}
            }
        }
        let text = trace::render(lost, &events);
        self.options.sink.trace(&text);
        if self.options.keep_trace {
            self.trace.push_str(&text);
        }
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
                self.options.sink.line(&line);
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
            if self.now_us() >= next_status {
                self.options.sink.status(&self.status());
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
            trace_events: self.traced,
            requests: self.requests,
            denied: self.denied,
            radio: self.board.heard.clone(),
            uart: self.board.uart.transmitted(),
            log_events: (events, overwritten),
            gpio_changes: self.board.gpio.history().len(),
        }
    }
}
