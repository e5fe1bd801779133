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
//! gives the same run, line for line, wherever it runs: on the host, or on a board. A board
//! that must keep to real time holds this clock to its own after each turn
//! ([`System::run_paced`]: it waits, never makes the virtual clock run faster).

use alloc::{
    boxed::Box,
    format,
    rc::Rc,
    string::{String, ToString},
    vec::Vec,
};
use core::future::Future;

use fireball_package::PublicKey;
use fireball_router::{
    CallError, Endpoint, Registration, Router, RouterAuthority, RouterConfig, TraceEvent, trace,
};
use fireball_subsystems::{
    hal::{Console, DeviceRegistry, gpio::Gpio},
    hal_service::{self, HalConfig, HalService},
    log_service::{self, EventLog, LogService},
    logger::Level,
};
use fireball_vsoc::{
    Instance, LoadedModule, Prevalidated, StopReason, Vsoc, VsocConfig, VsocEvent,
    kernel::{
        mem::{
            self, Exhaustion, ExhaustionPolicy, MemEvent, OwnerId, PartitionId, PartitionSwitch,
            PartitionedHeap, Placement,
        },
        sched::Executor,
    },
    monitor::Monitor,
    offload::{DeviceModel, MapError},
    platform::{IsrFlags, Platform},
};

use crate::board::SimBoard;
use crate::component::{Kind, State};
use crate::error::{BootError, describe};
use crate::lifecycle::{Decision, Restarts, duration};
use crate::memory::PartitionTable;
use crate::modules::{self, ModuleStore, RamStore, Source, Upload};
use crate::plan::{ComponentPlan, Lifecycle, Plan};
use crate::report::{ComponentRam, ComponentReport, RunReport};

/// The target clock the virtual time assumes: a fuel slice of `yield_interval` instructions
/// takes `yield_interval / TARGET_MHZ` microseconds.
pub const TARGET_MHZ: u64 = 100;

/// P2 bytes a module may take per byte of WASM once wasmi has compiled it, for the check
/// before loading one: measured on the board at 2.5–3.0 (mesh 74,053 B for 29,498; stats
/// 68,377 for 23,055; the aggregator 62,637 for 21,890; counter-client 45,024 for 16,072).
/// A module that takes more than this is still covered by the reserve for a few KiB.
const COMPILED_PER_MODULE_BYTE: usize = 3;

/// Bytes an instance takes beyond its linear memory when it is instantiated (wasmi's store
/// and instance, the first stacks), for the check before instantiating one: measured on the
/// board at 8.4–11.9 KB (the aggregator and counter 8.4, filter 11.9), rounded up. What its
/// stacks grow to later is held to its quota by the partition's policy. Since wasmi's store
/// arenas start at four items (docs/perf.md, "One more instance") a `counter` instance takes
/// 3.2 KB beyond its memory at boot and 7.5 KB at its quota's peak: the margin still holds
/// more than a small service needs, and has not been lowered.
const INSTANCE_OVERHEAD: usize = 12 * 1024;

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

    /// Runs `f`, work only a host does (keeping the whole trace for the report), where the
    /// sink likes: a host runner with a partitioned heap runs it beside the partitions, so
    /// that it is not charged to the deployment. Runs it in place by default.
    fn aside(&self, f: &mut dyn FnMut()) {
        f();
    }

    /// A partition's usage notice or a degraded subsystem's loss (only with
    /// [`RunOptions::heap`]; ignored by default: the host has no partitioned heap, and what
    /// both print must stay the same).
    fn memory(&self, text: &str) {
        let _ = text;
    }

    /// One [`System::turn`] has ended: the deployment's clock, tasks and router trace (given
    /// to [`trace`](Self::trace) just before) can be read (feature `observe`; ignored by
    /// default).
    #[cfg(feature = "observe")]
    fn turned(&self, system: &System) {
        let _ = system;
    }

    /// Component `name` was restarted: its new instance is made and registered, and has not
    /// run yet; nothing the restart allocated for itself is left (feature `observe`; ignored
    /// by default). The moment to read the heap after a restart: what the old instance left
    /// behind, if anything, is still there.
    #[cfg(feature = "observe")]
    fn restarted(&self, system: &System, name: &str) {
        let _ = (system, name);
    }
}

/// What the deployment's tasks and components have done so far ([`System::activity`],
/// feature `observe`).
#[cfg(feature = "observe")]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Activity {
    /// Every live task (the native subsystems, and the vSoC's runners that run the
    /// components' slices) with the times the scheduler has polled it.
    pub tasks: Vec<(&'static str, u32)>,
    /// Every component.
    pub components: Vec<ComponentActivity>,
}

/// What one component has done so far (feature `observe`).
#[cfg(feature = "observe")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComponentActivity {
    /// Its name.
    pub name: String,
    /// Guest or service.
    pub kind: Kind,
    /// Slices run (over every generation).
    pub slices: u64,
    /// Fuel burned (over every generation).
    pub fuel: u64,
    /// What it is doing now: `ready`, `blocked: wait for a request`, `finished`, …
    pub state: String,
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
    /// The board's partitioned heap (its `#[global_allocator]`, partitions laid out from
    /// [`Plan::partitions`]). With it, every allocation lands in its owner's partition: the
    /// engine and compiled modules in P2, the router, `hal` and `logger` in P3, each service
    /// in its P4 quota, guests in P5. An owner that runs out is stopped by its partition's
    /// policy (the reserve covers the allocation that failed, until it is), P1 or P2
    /// running out ends the run; and the report has each component's RAM
    /// ([`RunReport::ram`]). `None` on the host.
    pub heap: Option<&'static PartitionedHeap>,
    /// Bytes [`heap`](Self::heap) lays out per byte the plan asks for: 1 on a board; on a
    /// host whose pointers are wider than the board's, as many times wider (2 on x86_64), so
    /// a deployment sized for the board fits the host's larger allocations. It scales the
    /// service quotas carved from P4 (the runner scales the partitions); the partition table
    /// still states the plan's sizes.
    pub heap_scale: usize,
    /// A real board's devices for `hal` to serve instead of the simulated board's (the
    /// nRF5340-DK's GPIO, SAADC and RTC, `fireball-firmware`'s `nrf5340`), made in P3 at
    /// boot; `hal` serves the routes of the kinds of device it holds, no others. The
    /// deployment's clock stays the simulated board's (a board holds the clock to its own
    /// with [`System::run_paced`]); the vSoC's GPIO builtins drive [`gpio`](Self::gpio).
    /// `None` (the host, QEMU): the simulated board's registry. Called once per boot.
    pub devices: Option<Rc<dyn Fn() -> DeviceRegistry>>,
    /// The board's module store (the nRF5340-DK's flash, [`crate::FlashStore`]), made in P2
    /// at boot. A component it keeps a package for boots from that package (verified again
    /// against the plan's keys and held to the manifest) instead of the image's module: an
    /// installed module survives a reset. `None` (the host, QEMU): an empty [`RamStore`] of
    /// [`modules::RAM_STORE_BYTES`]. Called once per boot.
    pub store: Option<Rc<dyn Fn() -> Box<dyn ModuleStore>>>,
    /// A board's interrupt flags: a `static` its interrupt handlers raise (the nRF5340-DK's
    /// buttons), which the guests' `irq_subscribe` / `wait_irq` see. `None` (the host,
    /// QEMU's deployments): the vSoC's own flags ([`System::isr_flags`]), raised by whoever
    /// holds the system.
    pub isr: Option<&'static IsrFlags>,
    /// The bank the guests' GPIO builtins (`gpio_read`, `gpio_write`, `gpio_toggle`) drive: a
    /// real board's pins, normally a [`SharedGpio`](fireball_subsystems::hal::gpio::SharedGpio)
    /// handle to the bank its [`devices`](Self::devices) give `hal`, so a guest's write shows
    /// on `hal://gpio` and on the board. Made in P2 at boot. `None` (the host, QEMU): the
    /// simulated board's bank, which `hal` serves too.
    pub gpio: Option<Rc<dyn Fn() -> Box<dyn Gpio>>>,
}

impl RunOptions {
    /// A minute of virtual time, bodies in the trace, output to `sink`.
    pub fn new(sink: Rc<dyn Sink>) -> Self {
        Self {
            max_time_us: 60_000_000,
            sink,
            trace_bodies: true,
            keep_trace: true,
            heap: None,
            heap_scale: 1,
            devices: None,
            store: None,
            isr: None,
            gpio: None,
        }
    }
}

#[cfg(feature = "debug")]
pub mod debug;
#[cfg(feature = "install")]
mod install;
// Without `install`: the same interface, nothing ever installed.
#[cfg(not(feature = "install"))]
#[path = "system/no_install.rs"]
mod install;
mod manage;

pub use manage::{CONTROL, Installed};

/// What a board does after each turn of [`System::run_paced`]: wait for its real clock.
pub type Pace<'a> = dyn FnMut(&mut System, Turn) + 'a;

/// What one [`System::turn`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Turn {
    /// A task ran a slice (or interrupts woke one).
    Polled,
    /// Nothing was ready: the clock moved on to the next sleeper, restart or call deadline.
    Waited,
    /// Nothing was ready and nothing will wake by itself (only a request from outside can
    /// start work: the control port, a test's probe).
    Idle,
}

/// One loaded component.
struct Loaded {
    name: String,
    kind: Kind,
    placement: Placement,
    monitor: Rc<Monitor>,
    quota: Option<u64>,
    state: State,
    ram: ComponentRam,
    /// Its compiled module, kept to restart it from (never compiled again); only for a
    /// component with a restart policy (a module's description costs ~0.7 KiB of P1 each).
    module: Option<Box<LoadedModule>>,
    /// The routes a service serves (registered again on a restart).
    routes: Vec<String>,
    /// Its restart policy at work.
    restarts: Restarts,
    /// Slices and fuel of its earlier instances (before its restarts).
    earlier: (u64, u64),
    /// Where its running module came from.
    source: Source,
    /// Its module in the image (borrowed from flash): what an update rolls back to when the
    /// module kept to restart from is not there.
    image: Prevalidated,
    /// What the manifest lets it reach (a package may ask for no more).
    #[cfg(feature = "install")]
    reach: Vec<(String, fireball_router::Methods)>,
}

impl Loaded {
    /// A new instance's monitor in place of the last one, whose slices and fuel join the
    /// earlier instances' (the report counts them all, once).
    fn replace_monitor(&mut self, monitor: Rc<Monitor>) {
        let stats = self.monitor.stats();
        self.earlier.0 += stats.slices;
        self.earlier.1 += stats.fuel_consumed;
        self.monitor = monitor;
    }
}

/// The component name lifecycle messages are logged under.
const LIFECYCLE: &str = "lifecycle";

/// What callers with open calls to `name` are answered when it stops: `Restarted` while it
/// will be restarted, `DeadPeer` once it gave up.
fn set_stop_answer(authority: &RouterAuthority, name: &str, answer: CallError) {
    authority.set_stop_answer(name, answer);
}

/// `f` with `placement` current, when allocations are placed.
fn within<R>(heap: Option<&PartitionedHeap>, placement: Placement, f: impl FnOnce() -> R) -> R {
    mem::within(heap.map(|h| h as &dyn PartitionSwitch), placement, f)
}

/// Bytes allocated now in `placement`'s heap (a service's quota, or the partition).
fn in_use(heap: Option<&PartitionedHeap>, placement: Placement) -> usize {
    heap.map_or(0, |heap| heap.allocated(placement))
}

/// Drain the heap's events: usage notices go to the sink, exhaustions come back.
fn exhaustions(heap: Option<&PartitionedHeap>, sink: &dyn Sink) -> Vec<Exhaustion> {
    let mut out = Vec::new();
    let Some(heap) = heap else { return out };
    while let Some(event) = heap.pop_event() {
        match event {
            MemEvent::Exhausted(e) => out.push(e),
            MemEvent::Usage {
                placement,
                level,
                percent,
                ..
            } => sink.memory(&format!("{placement} at {percent} % ({level:?})")),
        }
    }
    out
}

/// The routes the native subsystems serve.
pub fn system_routes() -> Vec<&'static str> {
    let mut routes = hal_service::ROUTES.to_vec();
    routes.push(log_service::ROUTE);
    routes.extend(modules::ROUTES);
    #[cfg(feature = "debug")]
    routes.push(debug::ROUTE);
    routes
}

/// A booted deployment.
pub struct System {
    name: String,
    board: SimBoard,
    router: Router,
    /// The power to change the router's policy: kept here, never handed to a component.
    authority: RouterAuthority,
    vsoc: Vsoc,
    executor: Executor,
    log: Rc<EventLog>,
    components: Vec<Loaded>,
    options: RunOptions,
    trace: String,
    traced: u64,
    requests: u64,
    denied: u64,
    polls: u64,
    slice_us: u64,
    timed_out: bool,
    halted: Option<String>,
    fixed_ram: Option<usize>,
    /// The partitions' sizes, P1 to P6, as laid out (for the partition table).
    partitions: [usize; 6],
    /// Exhaustions seen while booting another component, applied when the run starts.
    pending: Vec<Exhaustion>,
    /// The earliest call deadline the router has (see [`System::expire_calls`]).
    call_deadline: Option<u64>,
    /// The keys packages installed at runtime must be signed with.
    keys: Vec<PublicKey>,
    /// Where installed packages are kept.
    store: Box<dyn ModuleStore>,
    /// `sys://modules`: the module manager's endpoint.
    manager: Option<Endpoint>,
    /// `sys://debugger`: the debugger subsystem's endpoint, once a debugger port is open.
    #[cfg(feature = "debug")]
    debugger: Option<Endpoint>,
    /// The package being uploaded through `sys://modules`, if one is.
    upload: Option<Upload>,
    /// The install or update in progress, if one is.
    update: Option<install::Update>,
    /// Installs the control port started, finished (it polls them with
    /// [`System::take_installed`]).
    installed: Vec<Installed>,
}

/// A deployment part-way through [`System::boot`]: what each step has built so far.
struct Booting<'p> {
    plan: &'p Plan,
    options: RunOptions,
    heap: Option<&'static PartitionedHeap>,
    board: SimBoard,
    vsoc: Vsoc,
    router: Router,
    /// The power to set the router's policy ([`Booting::install_policy`]); kept by the system.
    authority: RouterAuthority,
    log: Rc<EventLog>,
    executor: Executor,
    components: Vec<Loaded>,
    /// Exhaustions seen while booting another component, applied when the run starts.
    pending: Vec<Exhaustion>,
    /// Modules compiled so far, by their pinned SHA-256 digest: one more component of a
    /// module costs only its instance.
    compiled: Vec<(&'p fireball_vsoc::Digest, LoadedModule)>,
    next_service: u16,
    /// `sys://modules`, registered with the subsystems.
    manager: Option<Endpoint>,
    /// Where installed packages are kept: what the components boot from, when it holds one.
    store: Box<dyn ModuleStore>,
}

/// Where the native subsystems (router, `hal`, `logger`) allocate.
const SUBSYSTEMS: Placement = Placement::new(PartitionId::Subsystems, OwnerId(0));
/// Where the engine and compiled modules allocate.
const RUNTIME: Placement = Placement::new(PartitionId::Runtime, OwnerId(0));

/// Allow `component` what its manifest entry says it may reach (one route at a time).
fn allow_reach(authority: &RouterAuthority, component: &ComponentPlan) -> Result<(), BootError> {
    for (route, methods) in &component.reach {
        // A reach entry with a `timeout_ms` of its own gives its calls that deadline.
        let timeout = component
            .call_timeouts
            .iter()
            .find(|(timed, _)| timed == route)
            .map(|&(_, us)| us);
        match timeout {
            Some(us) => authority.allow_with_timeout(&component.name, route, *methods, us),
            None => authority.allow(&component.name, route, *methods),
        }
        .map_err(|error| BootError::Policy {
            component: component.name.as_str().into(),
            route: route.as_str().into(),
            error,
        })?;
    }
    Ok(())
}

impl<'p> Booting<'p> {
    /// Step 1: the simulated board, the vSoC on it, the router, the event log and the
    /// kernel's executor, each allocating in its own partition.
    // A frame of its own: boot's stack peak is its deepest step, not their sum.
    #[inline(never)]
    fn start_kernel(
        plan: &'p Plan,
        mut options: RunOptions,
    ) -> Result<(Self, DeviceRegistry), BootError> {
        let heap = options.heap;
        if let Some(heap) = heap {
            heap.lend_from_reserve(true);
        }
        let (board, devices) = within(heap, SUBSYSTEMS, SimBoard::new);
        let devices = match options.devices.take() {
            Some(real) => within(heap, SUBSYSTEMS, || real()),
            None => devices,
        };
        let gpio = match options.gpio.take() {
            Some(real) => within(heap, RUNTIME, || real()),
            None => Box::new(board.gpio.clone()) as Box<dyn Gpio>,
        };
        let platform = Platform {
            gpio,
            clock: Box::new(board.clock.clone()),
            isr: options.isr,
        };
        let config = VsocConfig {
            yield_interval: plan.yield_interval,
            guest_pool_bytes: plan.guest_pool,
            max_value_stack: plan.value_stack,
            ..VsocConfig::default()
        };
        let mut vsoc = within(heap, RUNTIME, || Vsoc::with_platform(config, platform));
        if let Some(heap) = heap {
            vsoc.place_allocations(heap);
        }
        let (router, authority) = within(heap, SUBSYSTEMS, || {
            Router::new(RouterConfig {
                trace: fireball_router::TraceConfig {
                    capacity: 4096,
                    bodies: options.trace_bodies,
                },
                call_timeout_us: plan.call_timeout_us,
                ..RouterConfig::default()
            })
        });
        vsoc.attach_router(router.clone());
        if let Some(heap) = heap {
            router.place_allocations(heap, SUBSYSTEMS);
        }
        let log = within(heap, SUBSYSTEMS, || {
            Rc::new(EventLog::new(Level::Info, Box::new(board.clock.clone())))
        });
        vsoc.observe_channels(log.clone());
        let store = within(heap, RUNTIME, || match options.store.take() {
            Some(board) => board(),
            None => Box::new(RamStore::new(modules::RAM_STORE_BYTES)) as Box<dyn ModuleStore>,
        });
        let mut executor = Executor::new().map_err(BootError::Kernel)?;
        executor.set_observer(log.clone());
        if let Some(heap) = heap {
            executor.set_partition_switch(heap);
        }
        let booting = Self {
            plan,
            options,
            heap,
            board,
            vsoc,
            router,
            authority,
            log,
            executor,
            components: Vec::with_capacity(plan.components.len()),
            pending: Vec::new(),
            compiled: Vec::new(),
            next_service: 1,
            manager: None,
            store,
        };
        Ok((booting, devices))
    }

    /// Step 2: the native `hal` (over the board's `devices`) and `logger`, registered with
    /// the router and spawned, in P3.
    // A frame of its own: boot's stack peak is its deepest step, not their sum.
    #[inline(never)]
    fn register_subsystems(&mut self, devices: DeviceRegistry) -> Result<(), BootError> {
        let (router, executor, log, sink) = (
            &self.router,
            &mut self.executor,
            self.log.clone(),
            &self.options.sink,
        );
        within(self.heap, SUBSYSTEMS, || {
            let subsystem = |subsystem, error| BootError::Subsystem {
                subsystem,
                error: Box::new(error),
            };
            let full = |task: &str| BootError::TasksFull { task: task.into() };
            let hal = HalService::register(router, devices, HalConfig::default())
                .map_err(|e| subsystem("hal", e))?;
            executor
                .spawn_in("hal", SUBSYSTEMS, hal.run())
                .map_err(|_| full("hal"))?;
            let logger = LogService::register(router, "logger", LOGGER_INBOX, log)
                .map_err(|e| subsystem("logger", e))?;
            executor
                .spawn_in("logger", SUBSYSTEMS, logger.run(sink.console("log")))
                .map_err(|_| full("logger"))?;
            // The module manager is served by the deployment loop itself (it changes the
            // components), not by a task: its endpoint is polled at each turn.
            let manager = router
                .register(Registration::new(modules::MANAGER, &modules::ROUTES).inbox(4))
                .map_err(|e| subsystem("modules", e))?;
            Ok(manager)
        })
        .map(|manager| self.manager = Some(manager))
    }

    /// Step 3: the manifest's policies: what each component may reach (router tables, P3).
    // A frame of its own: boot's stack peak is its deepest step, not their sum.
    #[inline(never)]
    fn install_policy(&self) -> Result<(), BootError> {
        within(self.heap, SUBSYSTEMS, || {
            self.plan.components.iter().try_for_each(|component| {
                allow_reach(&self.authority, component)?;
                if component.lifecycle.restart != crate::plan::Restart::Never {
                    set_stop_answer(&self.authority, &component.name, CallError::Restarted);
                }
                Ok(())
            })
        })
    }

    /// Heap in use now across P1–P6 (before any module: the fixed part).
    fn fixed_ram(&self) -> Option<usize> {
        self.heap.map(|heap| {
            PartitionId::ALL
                .iter()
                .map(|&p| heap.allocated(Placement::new(p, OwnerId(0))))
                .sum()
        })
    }

    /// Step 4: every component, in plan order: placed, compiled, instantiated, spawned.
    fn load_components(&mut self) -> Result<(), BootError> {
        let plan = self.plan;
        plan.components
            .iter()
            .try_for_each(|component| self.load(component))
    }

    /// Where `component` lives: a new P4 quota for a service, the next P5 slot for a guest.
    // A frame of its own: boot's stack peak is its deepest step, not their sum.
    #[inline(never)]
    fn place(&mut self, component: &ComponentPlan) -> Result<Placement, BootError> {
        match component.kind {
            Kind::Service => {
                let id = self.next_service;
                self.next_service += 1;
                if let Some(heap) = self.heap {
                    heap.add_service_quota(OwnerId(id), component.quota * self.options.heap_scale)
                        .map_err(|error| BootError::Quota {
                            component: component.name.as_str().into(),
                            requested: component.quota,
                            error,
                        })?;
                }
                self.vsoc.set_service_quota(id, component.quota);
                Ok(Placement::service(id))
            }
            Kind::Guest => Ok(self.vsoc.next_guest_placement()),
        }
    }

    /// `component`'s module, compiled in P2 unless a component of the same module was; and
    /// the bytes that added to P2. A module kept compressed is inflated into `placement`,
    /// the component's own heap (empty until it is instantiated), when that has room, so
    /// the passing buffer leaves no hole between P2's compiled modules; otherwise into P2.
    // A frame of its own: boot's stack peak is its deepest step, not their sum.
    #[inline(never)]
    fn compile(
        &mut self,
        component: &'p ComponentPlan,
        placement: Placement,
    ) -> Result<(LoadedModule, usize), BootError> {
        let name = component.name.as_str();
        let before = in_use(self.heap, RUNTIME);
        let cached = self
            .compiled
            .iter()
            .position(|(digest, _)| *digest == component.module.digest());
        let index = match cached {
            Some(index) => index,
            None => {
                if let Some(heap) = self.heap {
                    // wasmi cannot fail a translation cleanly when P2 runs out (its code
                    // buffers are infallible): refuse a module P2 cannot be expected to hold.
                    let available = heap.largest_free(RUNTIME);
                    let needs = component.module.len() * COMPILED_PER_MODULE_BYTE;
                    if available < needs {
                        return Err(BootError::Room {
                            component: name.into(),
                            placement: RUNTIME,
                            needs,
                            available,
                        });
                    }
                }
                let scratch = match self.heap {
                    Some(heap) if heap.largest_free(placement) < component.module.len() => RUNTIME,
                    _ => placement,
                };
                let module = self
                    .vsoc
                    .load_prevalidated_in(name, &component.module, scratch)
                    .map_err(|error| BootError::Load {
                        component: name.into(),
                        error: Box::new(error),
                    })?;
                self.compiled.push((component.module.digest(), module));
                self.compiled.len() - 1
            }
        };
        let module = self.compiled[index].1.named(name);
        let module_ram = in_use(self.heap, RUNTIME).saturating_sub(before);
        if let Some(Err(fatal)) = self.heap.map(PartitionedHeap::check) {
            return Err(BootError::OutOfMemory {
                component: name.into(),
                exhaustion: Box::new(fatal.0),
            });
        }
        Ok((module, module_ram))
    }

    /// `component`'s package from the module store, if the store keeps one that passes:
    /// verified against the plan's keys, for this component, held to the manifest (routes,
    /// reach), compiled in P2 (with the room boot asks of any module). A package that does
    /// not pass is left in the store and the component boots from the image (a line says
    /// why): a kept package can make a boot run older code, never stop it.
    // A frame of its own: boot's stack peak is its deepest step, not their sum.
    #[inline(never)]
    fn restore(&mut self, component: &ComponentPlan) -> Option<(LoadedModule, usize, Source)> {
        let name = component.name.as_str();
        let bytes = self.store.get(name)?;
        let before = in_use(self.heap, RUNTIME);
        let restored = manage::installable(&self.plan.keys).and_then(|()| {
            install::restore_package(&self.vsoc, self.heap, &self.plan.keys, component, bytes)
        });
        let text = match &restored {
            Ok((_, source)) => format!(
                "[fireball] {name} runs {} from the module store",
                manage::version_of(source)
            ),
            Err(error) => format!(
                "[fireball] {name}: the module store's package is refused ({error}); \
                 running the image's module"
            ),
        };
        self.options.sink.line(&text);
        let (module, source) = restored.ok()?;
        let module_ram = in_use(self.heap, RUNTIME).saturating_sub(before);
        Some((module, module_ram, source))
    }

    /// One component: placed, compiled, instantiated in its heap, then spawned (or, if its
    /// heap could not hold the instance, recorded as stopped).
    // A frame of its own: boot's stack peak is its deepest step, not their sum.
    #[inline(never)]
    fn load(&mut self, component: &'p ComponentPlan) -> Result<(), BootError> {
        let name = component.name.as_str();
        let heap = self.heap;
        let placement = self.place(component)?;
        let (module, module_ram, source) = match self.restore(component) {
            Some(restored) => restored,
            None => {
                let (module, module_ram) = self.compile(component, placement)?;
                (module, module_ram, Source::Image)
            }
        };
        if let Some(heap) = heap {
            // Nor can wasmi fail an instantiation cleanly (the reserve lends only a few
            // KiB): refuse one its heap cannot be expected to hold.
            let memory = module.info().memory.map_or(0, |m| m.initial_bytes as usize);
            let needs = memory + INSTANCE_OVERHEAD;
            let available = heap.largest_free(placement);
            if available < needs {
                return Err(BootError::Room {
                    component: name.into(),
                    placement,
                    needs,
                    available,
                });
            }
        }
        let console = self.options.sink.console(name);
        let before = in_use(heap, placement);
        let instance = self
            .vsoc
            .instantiate_in(&module, console, placement)
            .map_err(|error| {
                // Name the heap that refused, when one did.
                let short = exhaustions(heap, &*self.options.sink);
                BootError::Instantiate {
                    component: name.into(),
                    error: Box::new(error),
                    exhausted: short
                        .into_iter()
                        .find(|e| e.placement == placement)
                        .map(Box::new),
                }
            })?;
        let ram = ComponentRam {
            name: name.into(),
            placement: placement.to_string(),
            module: module_ram,
            instance: in_use(heap, placement).saturating_sub(before),
            peak: None,
        };
        let quota = (component.kind == Kind::Service).then_some(component.quota as u64);
        // An instance its heap could not hold (the reserve covered it) never starts; what
        // ran out elsewhere meanwhile is dealt with when the run starts.
        let mut short = None;
        for e in exhaustions(heap, &*self.options.sink) {
            if e.placement == placement || e.policy == ExhaustionPolicy::Fatal {
                short.get_or_insert(e);
            } else {
                self.pending.push(e);
            }
        }
        let (monitor, state) = match short {
            Some(e) if e.policy == ExhaustionPolicy::Fatal => {
                return Err(BootError::OutOfMemory {
                    component: name.into(),
                    exhaustion: Box::new(e),
                });
            }
            Some(e) => {
                let why = format!("out of memory at boot: {}", describe(&e));
                self.options
                    .sink
                    .line(&format!("[fireball] {name} stopped: {why}"));
                let monitor = instance.monitor();
                within(heap, placement, || drop(instance));
                (monitor, State::Stopped(why))
            }
            None => (
                self.spawn(component, instance)?,
                State::Running(String::new()),
            ),
        };
        self.components.push(Loaded {
            name: name.into(),
            kind: component.kind,
            placement,
            monitor,
            quota,
            state,
            ram,
            // A package's module is kept whatever the policy: an update rolls back to it.
            module: (component.lifecycle.restart != crate::plan::Restart::Never
                || source != Source::Image)
                .then(|| Box::new(module)),
            routes: component.routes.clone(),
            restarts: Restarts::new(component.lifecycle),
            earlier: (0, 0),
            source,
            image: component.module.clone(),
            #[cfg(feature = "install")]
            reach: component.reach.clone(),
        });
        Ok(())
    }

    /// Step 5 for one component: a service registered for its routes, then the instance
    /// spawned as a kernel task.
    // A frame of its own: boot's stack peak is its deepest step, not their sum.
    #[inline(never)]
    fn spawn(
        &mut self,
        component: &ComponentPlan,
        instance: Instance,
    ) -> Result<Rc<Monitor>, BootError> {
        let name = component.name.as_str();
        if component.kind == Kind::Service {
            let routes: Vec<&str> = component.routes.iter().map(String::as_str).collect();
            self.vsoc
                .register_service(&instance, &routes, SERVICE_INBOX)
                .map_err(|error| BootError::Routes {
                    component: name.into(),
                    error: Box::new(error),
                })?;
        }
        if let Some(limit_us) = component.lifecycle.watchdog_us {
            self.vsoc.set_watchdog(&instance, limit_us);
        }
        let task = self
            .vsoc
            .spawn(&mut self.executor, instance)
            .map_err(|_| BootError::TasksFull { task: name.into() })?;
        self.options.sink.booted(name);
        Ok(task.monitor)
    }

    /// The booted deployment.
    // A frame of its own: boot's stack peak is its deepest step, not their sum.
    #[inline(never)]
    fn into_system(mut self, fixed_ram: Option<usize>) -> System {
        self.board.announce_remotes();
        System {
            name: self.plan.name.clone(),
            board: self.board,
            router: self.router,
            authority: self.authority,
            vsoc: self.vsoc,
            executor: self.executor,
            log: self.log,
            components: self.components,
            options: self.options,
            trace: String::new(),
            traced: 0,
            requests: 0,
            denied: 0,
            polls: 0,
            slice_us: (self.plan.yield_interval / TARGET_MHZ).max(1),
            timed_out: false,
            halted: None,
            fixed_ram,
            partitions: self.plan.partitions,
            pending: self.pending,
            call_deadline: None,
            keys: self.plan.keys.clone(),
            store: self.store,
            manager: self.manager,
            #[cfg(feature = "debug")]
            debugger: None,
            upload: None,
            update: None,
            installed: Vec::new(),
        }
    }
}

impl System {
    /// Boot `plan`: the simulated board, the router with the plan's policies, `hal` and
    /// `logger`, every service (in its P4 quota, registered for its routes) and guest (in
    /// P5) as kernel tasks. Nothing runs yet.
    pub fn boot(plan: &Plan, options: RunOptions) -> Result<Self, BootError> {
        let (mut booting, devices) = Booting::start_kernel(plan, options)?;
        booting.register_subsystems(devices)?;
        booting.install_policy()?;
        let fixed_ram = booting.fixed_ram();
        booting.load_components()?;
        Ok(booting.into_system(fixed_ram))
    }

    /// The deployment's router (to register a native probe in a test, say).
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// The deployment's power over the router's policy (to grant a test's probe its reach,
    /// say). A [`Router`] handle cannot change the policy; this can.
    pub fn router_authority(&self) -> &RouterAuthority {
        &self.authority
    }

    /// The interrupt flags the guests subscribe to (`irq_subscribe`, `wait_irq`): a board's
    /// interrupt handlers raise them (nothing does in a plain run).
    pub fn isr_flags(&self) -> &IsrFlags {
        self.vsoc.isr_flags()
    }

    /// Map a device model into the guests' MMIO window (`mmio_read32` / `mmio_write32`):
    /// a board's own device, or a test's probe.
    pub fn map_device(
        &self,
        base: u32,
        len: u32,
        device: Box<dyn DeviceModel>,
    ) -> Result<(), MapError> {
        self.vsoc.map_device(base, len, device)
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
            .map_err(|_| BootError::TasksFull { task: name.into() })
    }

    fn now_us(&self) -> u64 {
        use fireball_subsystems::hal::Clock as _;
        self.board.clock.now_us()
    }

    /// Guests running, or waiting for their restart.
    fn guests_running(&self) -> usize {
        self.components
            .iter()
            .filter(|c| {
                c.kind == Kind::Guest
                    && (matches!(c.state, State::Running(_)) || c.restarts.due_us.is_some())
            })
            .count()
    }

    /// Take the router's trace into the run's record (and the logger's denials).
    // Its own frame, not the deployment loop's (every component's poll runs on top of that).
    #[inline(never)]
    fn collect_trace(&mut self) {
        let (lost, events) = self.router.drain_trace();
        if events.is_empty() && lost == 0 {
            return;
        }
        self.log.absorb_traced(&events);
        self.traced += events.len() as u64;
        for event in &events {
            match event.event {
                TraceEvent::Request { .. } => self.requests += 1,
                TraceEvent::Denied { .. } => self.denied += 1 + u64::from(event.repeats),
                _ => {}
            }
        }
        let text = trace::render(lost, &events);
        self.options.sink.trace(&text);
        if self.options.keep_trace {
            let trace = &mut self.trace;
            self.options.sink.aside(&mut || trace.push_str(&text));
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
            if let Some(index) = self
                .components
                .iter()
                .position(|c| c.placement == placement && matches!(c.state, State::Running(_)))
            {
                let c = &mut self.components[index];
                let line = match &state {
                    State::Finished => format!("[fireball] {} finished", c.name),
                    State::Stopped(why) => format!("[fireball] {} stopped: {why}", c.name),
                    State::Running(_) | State::Removed => String::new(),
                };
                self.options.sink.line(&line);
                let failed = state != State::Finished;
                c.state = state;
                if !self.stopped_while_updating(index) {
                    self.after_stop(index, failed);
                }
            }
        }
    }

    /// Component `index` stopped (`failed` unless its entry point returned): apply its
    /// restart policy ([`crate::lifecycle`]).
    fn after_stop(&mut self, index: usize, failed: bool) {
        let now = self.now_us();
        let c = &mut self.components[index];
        if !c.restarts.restarts() {
            return;
        }
        let why = match &c.state {
            State::Stopped(why) => why.clone(),
            _ => "its entry point returned".into(),
        };
        let policy = c.restarts.policy;
        match c.restarts.on_stop(now, failed) {
            Decision::Stay => {}
            Decision::Restart { nth, after_us, .. } => {
                let text = format!(
                    "{} stopped ({why}): restart {nth} of {} in {} due in {}",
                    c.name,
                    policy.max_restarts,
                    duration(policy.window_us),
                    duration(after_us)
                );
                self.log.message(Level::Warn, LIFECYCLE, &text);
            }
            Decision::GiveUp { failures } => self.give_up(index, failures, &why),
        }
    }

    /// Component `index` stays down: `failures` stops within its window (or a restart that
    /// could not be made, `why`).
    fn give_up(&mut self, index: usize, failures: u32, why: &str) {
        let c = &mut self.components[index];
        let policy = c.restarts.policy;
        c.restarts.due_us = None;
        let text = format!(
            "{} gave up: {failures} failures in {} (last: {why})",
            c.name,
            duration(policy.window_us)
        );
        self.options.sink.line(&format!("[fireball] {text}"));
        self.log.message(Level::Error, LIFECYCLE, &text);
        c.state = State::Stopped(format!("{why}; gave up after {failures} failures"));
        set_stop_answer(&self.authority, &c.name, CallError::DeadPeer);
    }

    /// Restart every component whose back-off is over.
    fn restart_due(&mut self) {
        let now = self.now_us();
        for index in 0..self.components.len() {
            let due = self.components[index].restarts.due_us;
            if due.is_some_and(|due| due <= now) {
                self.components[index].restarts.due_us = None;
                self.restart(index);
            }
        }
    }

    /// A new instance of `module` for component `index`, in its emptied heap, registered
    /// for its routes (the router gives it a new generation), watched and spawned; or why
    /// not (nothing is left behind).
    // Cold (restarts, updates): its own frame, not the deployment loop's.
    #[inline(never)]
    fn start_instance(
        &mut self,
        index: usize,
        module: &LoadedModule,
    ) -> Result<Rc<Monitor>, String> {
        let heap = self.options.heap;
        let c = &self.components[index];
        let (placement, kind) = (c.placement, c.kind);
        // The old instance was dropped with its task: nothing may still be charged to its
        // quota. (The heap may still hold a little there that is not the instance's: see
        // docs/lifecycle.md, "What an update leaves behind".)
        if kind == Kind::Service {
            let left = self.vsoc.pool(placement).map_or(0, |p| p.used);
            if left != 0 {
                return Err(format!("its {placement} quota still holds {left} B"));
            }
        }
        let console = self.options.sink.console(&c.name);
        let instance = self
            .vsoc
            .instantiate_in(module, console, placement)
            .map_err(|error| {
                let _ = exhaustions(heap, &*self.options.sink);
                format!("{error}")
            })?;
        if kind == Kind::Service {
            let routes: Vec<&str> = c.routes.iter().map(String::as_str).collect();
            if let Err(error) = self
                .vsoc
                .register_service(&instance, &routes, SERVICE_INBOX)
            {
                drop(routes);
                within(heap, placement, || drop(instance));
                return Err(format!("{error}"));
            }
        }
        if let Some(limit_us) = c.restarts.policy.watchdog_us {
            self.vsoc.set_watchdog(&instance, limit_us);
        }
        match self.vsoc.spawn(&mut self.executor, instance) {
            Ok(task) => Ok(task.monitor),
            Err(full) => {
                within(heap, placement, || drop(full));
                Err("the executor is full".into())
            }
        }
    }

    /// Start component `index` again: a new instance of its compiled module in its emptied
    /// heap, its routes registered again (the router gives it a new generation), spawned.
    fn restart(&mut self, index: usize) {
        let now = self.now_us();
        let c = &mut self.components[index];
        let name = c.name.clone();
        let failures = c.restarts.policy.max_restarts;
        // Only a component with a restart policy is restarted, and it keeps its module.
        let Some(module) = c.module.take() else {
            return self.give_up(index, failures, "no module kept to restart from");
        };
        let started = self.start_instance(index, &module);
        self.components[index].module = Some(module);
        let monitor = match started {
            Ok(monitor) => monitor,
            Err(why) => return self.give_up(index, failures, &format!("restart failed: {why}")),
        };
        let c = &mut self.components[index];
        c.replace_monitor(monitor);
        c.state = State::Running(String::new());
        c.restarts.total += 1;
        let policy: Lifecycle = c.restarts.policy;
        let (nth, after_us) = c.restarts.last.unwrap_or((c.restarts.total, 0));
        let text = format!(
            "{name} restarted (restart {nth} of {} in {}, after {})",
            policy.max_restarts,
            duration(policy.window_us),
            duration(after_us)
        );
        self.options.sink.line(&format!("[fireball] {text}"));
        self.log.message(Level::Warn, LIFECYCLE, &text);
        let answer = if c.restarts.would_restart(now) {
            CallError::Restarted
        } else {
            CallError::DeadPeer
        };
        set_stop_answer(&self.authority, &name, answer);
        // Last, once the lines above are freed: what the observer reads is the new instance
        // and nothing of the restart's own.
        drop((text, name));
        #[cfg(feature = "observe")]
        self.options
            .sink
            .restarted(self, &self.components[index].name);
    }

    /// Time out the router's calls whose deadline passed; the earliest deadline left.
    fn expire_calls(&mut self) -> Option<u64> {
        let expiry = self.authority.expire(self.now_us());
        self.call_deadline = expiry.next_deadline_us;
        self.call_deadline
    }

    /// Where a run with nothing ready moves the clock: the earliest of the sleepers'
    /// deadlines, the pending restarts and the router's call deadlines.
    fn next_wake(&self) -> Option<u64> {
        let restarts = self
            .components
            .iter()
            .filter_map(|c| c.restarts.due_us)
            .min();
        [self.vsoc.next_deadline(), restarts, self.call_deadline]
            .into_iter()
            .flatten()
            .min()
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
        self.run_guests_with(None)
    }

    /// [`System::run`] on a board whose deployment clock is held to a real one: after each
    /// turn, `pace` gets the system and what the turn did, and may wait for real time to
    /// catch up with [`System::now`] (moving the clock on with [`System::advance_clock`]
    /// when the turn was [`Turn::Idle`]). An idle turn does not end the run here: an
    /// interrupt may still wake a guest, so the run lasts until every guest has stopped or
    /// `max_time_us` of the paced clock has passed.
    pub fn run_paced(mut self, pace: &mut Pace<'_>) -> RunReport {
        let timed_out = self.run_guests_with(Some(pace));
        self.finish_with(timed_out)
    }

    fn run_guests_with(&mut self, mut pace: Option<&mut Pace<'_>>) -> bool {
        let mut next_status = 1_000_000;
        let mut timed_out = false;
        while self.guests_running() > 0 && self.halted.is_none() {
            if self.now_us() >= self.options.max_time_us {
                timed_out = true;
                break;
            }
            let turn = self.turn();
            match pace.as_mut() {
                Some(pace) => pace(self, turn),
                // Nothing ready, nobody sleeping, no restart or call deadline pending:
                // every guest waits on something only another guest could give. Report it
                // rather than spin.
                None if turn == Turn::Idle => break,
                None => {}
            }
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

    /// One turn of the deployment loop: restarts that are due, the module manager, call
    /// deadlines, then one task polled — or, with none ready, the clock moved on to the
    /// next sleeper, restart or deadline. A board's loop, a test stepping a run, and the
    /// host runner serving its control port are made of these.
    pub fn turn(&mut self) -> Turn {
        self.restart_due();
        self.manage();
        #[cfg(feature = "debug")]
        self.serve_debugger();
        self.expire_calls();
        let turn = if self.executor.run_for(1) == 1 {
            self.polls += 1;
            self.board.clock.advance(self.slice_us);
            Turn::Polled
        } else if self.vsoc.tick() > 0 {
            Turn::Polled
        } else {
            match self.next_wake() {
                Some(deadline) => {
                    let now = self.now_us();
                    // A sleeper far off (`sleep_ticks(i64::MAX)`) does not carry the clock
                    // past the run's end: the run ends at `max_time_us`, the sleeper asleep.
                    let end = self.options.max_time_us;
                    let deadline = if now < end {
                        deadline.min(end)
                    } else {
                        deadline
                    };
                    self.board
                        .clock
                        .advance(deadline.saturating_sub(now).max(1));
                    Turn::Waited
                }
                None => Turn::Idle,
            }
        };
        self.collect();
        #[cfg(feature = "observe")]
        self.options.sink.turned(self);
        turn
    }

    /// Every live task with its polls, every component with its slices, fuel and state
    /// (feature `observe`: an observer's view between turns).
    #[cfg(feature = "observe")]
    pub fn activity(&self) -> Activity {
        Activity {
            tasks: self.executor.tasks().map(|t| (t.name, t.polls)).collect(),
            components: self
                .components
                .iter()
                .map(|c| ComponentActivity {
                    name: c.name.clone(),
                    kind: c.kind,
                    slices: c.earlier.0 + c.monitor.stats().slices,
                    fuel: c.earlier.1 + c.monitor.stats().fuel_consumed,
                    state: c.monitor.state().to_string(),
                })
                .collect(),
        }
    }

    /// Run turns until the clock reads `until_us` (or nothing is left to do, or the run
    /// halted): a test's way to let a deployment run for a while.
    pub fn run_until(&mut self, until_us: u64) {
        while self.now_us() < until_us && self.halted.is_none() {
            if self.turn() == Turn::Idle {
                break;
            }
        }
    }

    /// The debug port over the deployment's instrumented instances, for the `debugger`
    /// subsystem's stub (feature `debug`). The first call opens the debugger subsystem:
    /// `sys://debugger` is registered then (a run without a debugger port has no such
    /// route, so its trace is the same on every build).
    #[cfg(feature = "debug")]
    pub fn debug_port(&mut self) -> fireball_vsoc::debug::DebugPort {
        if self.debugger.is_none() {
            let router = &self.router;
            self.debugger = within(self.options.heap, SUBSYSTEMS, || {
                router
                    .register(Registration::new(debug::NAME, &[debug::ROUTE]).inbox(4))
                    .ok()
            });
        }
        self.vsoc.debug_port()
    }

    /// Guests still running or waiting for their restart (a guest stopped by a debugger is
    /// running).
    pub fn guests_left(&self) -> usize {
        self.guests_running()
    }

    /// The router's trace so far (empty unless [`RunOptions::keep_trace`]).
    pub fn trace(&self) -> &str {
        &self.trace
    }

    /// The deployment's clock, µs since boot.
    pub fn now(&self) -> u64 {
        self.now_us()
    }

    /// The board's partitioned heap, if the deployment runs on one.
    pub fn heap(&self) -> Option<&'static PartitionedHeap> {
        self.options.heap
    }

    /// Run `f` with its allocations in P2, where the module manager keeps uploads and the
    /// RAM store its packages: for a control port's buffers (what it receives is a package
    /// on its way to the module manager).
    pub fn in_module_partition<R>(
        heap: Option<&'static PartitionedHeap>,
        f: impl FnOnce() -> R,
    ) -> R {
        within(heap, RUNTIME, f)
    }

    /// Move the clock on to `to_us` (if it reads less): for a loop with nothing to do that
    /// waits in real time for a request from outside (the host's control port).
    pub fn advance_clock(&mut self, to_us: u64) {
        let now = self.now_us();
        if to_us > now {
            self.board.clock.advance(to_us - now);
        }
    }

    /// Whether a partition the board cannot lose ran out (the run is over; a board resets).
    pub fn halted(&self) -> Option<&str> {
        self.halted.as_deref()
    }

    /// Run whatever is ready (services answering, the logger draining, a probe) until
    /// nothing is, without moving time (at most 10 000 polls: a guest left spinning by the
    /// time limit is always ready).
    pub fn settle(&mut self) {
        self.manage();
        self.polls += self.vsoc.run_for(&mut self.executor, 10_000) as u64;
        self.collect();
        self.manage();
    }

    fn collect(&mut self) {
        self.collect_memory();
        self.collect_trace();
        self.collect_events();
        self.board.listen();
    }

    /// Apply each partition's policy to what ran out since the last turn: stop the service
    /// or guest (freeing its memory repays the reserve), note a degraded subsystem, or halt
    /// on P1/P2/P6 (a board resets).
    fn collect_memory(&mut self) {
        let mut all = core::mem::take(&mut self.pending);
        all.extend(exhaustions(self.options.heap, &*self.options.sink));
        for e in all {
            let why = describe(&e);
            self.options.sink.memory(&format!("{}: {why}", e.placement));
            match e.policy {
                ExhaustionPolicy::TerminateService(_) | ExhaustionPolicy::UnloadGuest(_) => {
                    let heap = self.options.heap;
                    within(heap, e.placement, || {
                        self.vsoc.apply_policy(&mut self.executor, e.policy)
                    });
                    if let Some(index) = self.components.iter().position(|c| {
                        c.placement == e.placement && matches!(c.state, State::Running(_))
                    }) {
                        let c = &mut self.components[index];
                        self.options
                            .sink
                            .line(&format!("[fireball] {} stopped: {why}", c.name));
                        c.state = State::Stopped(why);
                        self.after_stop(index, true);
                    }
                }
                ExhaustionPolicy::Degrade => self.options.sink.memory(&why),
                ExhaustionPolicy::Fatal => {
                    self.options
                        .sink
                        .line(&format!("[fireball] {why}: the board must reset"));
                    self.halted.get_or_insert(why);
                }
            }
        }
    }

    /// The report of the run so far.
    pub fn finish(self) -> RunReport {
        let timed_out = self.timed_out;
        self.finish_with(timed_out)
    }

    fn finish_with(mut self, timed_out: bool) -> RunReport {
        for c in &mut self.components {
            if let State::Running(note) = &mut c.state {
                *note = c.monitor.state().to_string();
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
                slices: c.earlier.0 + c.monitor.stats().slices,
                fuel: c.earlier.1 + c.monitor.stats().fuel_consumed,
                restarts: c.restarts.total,
                memory: c.monitor.stats().memory_bytes,
                quota: c.quota,
                pool: self.vsoc.pool(c.placement).map(|p| (p.used, p.peak)),
            })
            .collect();
        let guest_pool = self
            .vsoc
            .pool(Placement::guest(1))
            .map(|p| (p.capacity, p.used, p.peak));
        let heap = self.options.heap;
        let ram = self
            .components
            .iter()
            .map(|c| ComponentRam {
                peak: heap
                    .filter(|_| c.kind == Kind::Service)
                    .and_then(|h| h.service_stats(c.placement.owner))
                    .map(|s| s.peak),
                // What its calls translated into P2 (lazy translation) is its module's too.
                module: c.ram.module + c.monitor.stats().translated,
                ..c.ram.clone()
            })
            .filter(|_| heap.is_some())
            .collect();
        let dump = self.vsoc.dump(&self.executor).to_string();
        let (events, overwritten) = self
            .log
            .inspect(|l| (l.events().pushed(), l.events().overwritten()));
        let quotas: Vec<(&str, OwnerId, usize)> = self
            .components
            .iter()
            .filter_map(|c| Some((c.name.as_str(), c.placement.owner, c.quota? as usize)))
            .collect();
        let partitions = heap.map(|heap| {
            PartitionTable::measure(heap, self.partitions, &quotas, self.options.heap_scale)
        });
        drop(quotas);
        RunReport {
            deployment: self.name,
            time_us: {
                use fireball_subsystems::hal::Clock as _;
                self.board.clock.now_us()
            },
            polls: self.polls,
            timed_out,
            halted: self.halted,
            components,
            ram,
            fixed_ram: self.fixed_ram,
            partitions,
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
