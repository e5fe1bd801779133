//! The virtual SoC: where guest and service modules execute.
//!
//! The vSoC takes untrusted WebAssembly bytes, checks them ([`loader`]),
//! instantiates them on the wasmi interpreter with their builtins linked in
//! ([`builtins`]), and runs each instance in *turns* of at most
//! [`VsocConfig::yield_interval`] fuel units ([`instance`]). Every instance is a
//! kernel task ([`task`]): out of fuel it yields, so a guest in an infinite loop
//! cannot starve anyone, and a builtin that has to wait (a channel, a sleep, an
//! ISR flag) suspends the wasmi call, awaits the kernel future and resumes the
//! guest with the result — guest code stays plain synchronous code.
//!
//! Each instance is admitted only if its pool (guests: P5; each service: its
//! P4 quota) holds its memory, value stack and store ([`budget`]); a trap or a
//! memory exhaustion stops that instance only and is reported as a
//! [`VsocEvent`] ([`stop`]). Everything a module hands the host (pointers,
//! lengths, handles) is an allegation until it has been checked against that
//! module's own memory ([`guest_memory`]) or the vSoC's handle table.
//!
//! Depends on: `fireball-abi` (import names), `fireball-kernel` (tasks,
//! channels, handles, placements), `fireball-router` (each instance's endpoint),
//! `fireball-subsystems` (HAL traits), `wasmi`. `no_std` + `alloc`.
//!
//! # Modules
//!
//! - [`loader`] — two-pass module check, typed [`LoadError`]s, module metadata.
//! - [`instance`] — one store and its resumable call; [`Turn`] / [`Slice`].
//! - [`task`] — instances as kernel tasks.
//! - [`builtins`] — console, GPIO, time, yield, breakpoints, channels, ISR flags, vOffloader,
//!   router; the host context they work on.
//! - `pending` — the operations a blocking builtin waits for ([`builtins::Pending`]).
//! - `soc` — the simulated SoC the instances share: devices, ISR lines, timers.
//! - `registry` — the vSoC's bookkeeping: memory budget, serials, monitors, events,
//!   channels, router endpoints.
//! - `route_bridge` — each instance's router endpoint behind the router builtins.
//! - [`monitor`] — per-instance run state, statistics and breakpoints, seen from outside.
//! - [`budget`] — admission control and memory accounting.
//! - [`offload`] — the MMIO device window and the native matmul.
//! - [`platform`] — clock, GPIO bank and ISR flags the platform supplies.
//! - [`stop`] — why an instance stopped, and the events that say so.
//! - `watchdog` — a service's watchdog: how long it may hold a request or run without
//!   coming back to `route_next`.
//! - [`dump`] — the coroutine dump joined with instance statistics.
//! - `bench` (feature `bench`) — workloads for the host and firmware benchmarks.
//!
//! # Module arrows
//!
//! Each line is a module and the modules it names with `use crate::…`; every arrow points
//! down this list, so there is no cycle. [`Vsoc`], here in `lib.rs`, is the top: it uses
//! them all and nothing below names it (only `bench`, which drives a whole vSoC).
//!
//! - `config`, `guest_memory`, `platform`, `budget`, `pending`, `breakpoints` → nothing
//!   (leaves)
//! - `offload` → `guest_memory`
//! - `stop` → `budget`, `guest_memory`, `offload`
//! - `watchdog` → `stop`
//! - `monitor` → `breakpoints`, `pending`, `stop`
//! - `probes` (feature `debug`) → `breakpoints`
//! - `soc` → `offload`, `platform`
//! - `route_bridge` → `pending`
//! - `registry` → `budget`, `monitor`, `route_bridge`, `stop`, `watchdog`
//! - `builtins` → `budget`, `guest_memory`, `monitor`, `offload`, `pending`, `registry`,
//!   `route_bridge`, `soc`
//! - `loader` → `builtins`, `config`
//! - `instance` → `budget`, `builtins`, `config`, `guest_memory`, `loader`, `monitor`,
//!   `pending`, `registry`, `soc`, `stop`
//! - `task` → `builtins`, `instance`, `monitor`, `registry`, `soc`, `stop`, `watchdog`
//! - `dump` → `registry`
//! - `debug` (feature `debug`) → `monitor`, `probes`, `registry`
//! - `lib.rs` ([`Vsoc`]) → all of the above; `bench` → `lib.rs`
#![no_std]
#![deny(missing_docs)]
// Cold code compiled for size in the firmware (`--cfg fireball_size_hints`, which only the
// cross build passes, with a toolchain that has the attribute).
#![cfg_attr(fireball_size_hints, feature(optimize_attribute))]
// One `unsafe` block: compiling a `Prevalidated` module without validating it again.
#![deny(unsafe_code)]

extern crate alloc;

#[cfg(feature = "bench")]
pub mod bench;
mod breakpoints;
pub mod budget;
pub mod builtins;
pub mod config;
#[cfg(feature = "debug")]
pub mod debug;
pub mod dump;
pub mod guest_memory;
pub mod instance;
pub mod loader;
pub mod monitor;
pub mod offload;
mod pending;
pub mod platform;
#[cfg(feature = "debug")]
mod probes;
mod registry;
mod route_bridge;
mod soc;
pub mod stop;
pub mod task;
mod watchdog;

/// The kernel the vSoC runs on (executor, channels, placements), re-exported so
/// platforms and tests use the very same types.
pub use fireball_kernel as kernel;

pub use config::VsocConfig;
pub use instance::{Instance, InstanceError, InstanceStats, Slice, Turn};
#[cfg(feature = "validate")]
pub use loader::compress;
pub use loader::{Digest, LoadError, LoadedModule, ModuleBytes, ModuleInfo, Prevalidated};
pub use stop::{Overrun, StopReason, Trap, TrapKind, VsocEvent};
pub use task::{ExecutorFull, InstanceTask};

use alloc::{boxed::Box, rc::Rc};
use core::cell::Cell;

use fireball_kernel::{
    csp::ChannelObserver,
    mem::{ExhaustionPolicy, OwnerId, PartitionId, PartitionSwitch, Placement},
    sched::Executor,
    value::Handle,
};
use fireball_router::Router;
use fireball_subsystems::hal::Console;

use budget::{MemoryBudget, Pool};
use builtins::{HostContext, LinkError, ServeError};
use instance::Site;
use offload::{DeviceModel, MapError};
use platform::{IsrFlags, Platform};
use registry::Registry;
use soc::Soc;

/// The vSoC's channel table is full (`kernel::config::MAX_HANDLES`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelTableFull;

/// One vSoC: an engine configured for resumable, fuel-metered execution, the simulated
/// SoC its instances share, and the registry it keeps of them.
///
/// Modules compiled by one `Vsoc` can only be instantiated by it.
pub struct Vsoc {
    engine: wasmi::Engine,
    /// Every builtin, linked once and shared by all instances (it lives with the engine, in
    /// P2): instantiating no longer builds a linker in the instance's own heap.
    /// (`Err` would mean two builtins under one name: every instantiation then says so.)
    linker: Result<wasmi::Linker<HostContext>, LinkError>,
    config: VsocConfig,
    /// Devices, ISR lines and timers.
    soc: Rc<Soc>,
    /// Memory budget, monitors, events, channels, router endpoints.
    registry: Rc<Registry>,
    next_guest: Cell<u16>,
    partitions: Option<&'static dyn PartitionSwitch>,
}

impl Vsoc {
    /// A vSoC on a simulated platform ([`Platform::simulated`], time frozen at 0).
    pub fn new(config: VsocConfig) -> Self {
        Self::with_platform(
            config,
            Platform::simulated(fireball_subsystems::sim::SimClock::new()),
        )
    }

    /// A vSoC driving `platform`'s devices.
    pub fn with_platform(mut config: VsocConfig, platform: Platform) -> Self {
        // Below wasmi's initial stack the engine could not even be configured.
        config.max_value_stack = config.max_value_stack.max(config::MIN_VALUE_STACK);
        let mut wasm = wasmi::Config::default();
        wasm.consume_fuel(true)
            // Functions are translated on their first call (boot no longer translates whole
            // modules, and uncalled functions stay as bytes). wasmi charges a lazy translation
            // to the caller's fuel and, when that fuel runs short at a call, fails the whole
            // resumable call with a non-resumable out-of-fuel error (wasmi 2.0's executor
            // gives up the caller's frame: PR 2032). Translation is therefore charged no fuel
            // at all — it can never run out — and costs what eager translation cost, outside
            // the guest's budget (docs/vsoc.md, "Lazy translation").
            .compilation_mode(wasmi::CompilationMode::LazyTranslation)
            .fuel_cost(wasmi::CustomFuelCosts {
                // wasmi's default for `memory.copy`/`fill`/`grow` and friends, unchanged.
                bytes_copied_per_fuel: 64,
                fuel_per_bytes_translated: 0,
                fuel_per_bytes_validated: 0,
            })
            // Nothing reads a module's custom sections (names, producers, debug info), and
            // wasmi would otherwise copy each into the compiled module in P2.
            .ignore_custom_sections(true)
            .set_max_recursion_depth(config.max_call_depth)
            // The default value stack cap (1 MiB) is far beyond an MCU's RAM.
            .set_max_stack_height(config.max_value_stack)
            // No stack cache: a stack allocated in one instance's partition must
            // not be handed to another instance (or outlive the first).
            .set_max_cached_stacks(0);
        // The proposals a module may use are the validator's settings: without it (an image
        // whose modules were validated when it was built) wasmi has none to set.
        #[cfg(feature = "validate")]
        wasm.wasm_custom_page_sizes(true);
        let budget = MemoryBudget::new(config.guest_pool_bytes);
        let engine = wasmi::Engine::new(&wasm);
        let mut linker = wasmi::Linker::new(&engine);
        let linker = builtins::link(&mut linker).map(|()| linker);
        Self {
            linker,
            engine,
            soc: Rc::new(Soc::new(platform)),
            registry: Rc::new(Registry::new(budget)),
            config,
            next_guest: Cell::new(1),
            partitions: None,
        }
    }

    /// Place the vSoC's allocations in the kernel's partitions: compiled
    /// modules in P2 (the WASM runtime), each instance's store, memory and
    /// stacks in its own placement (a guest's P5, a service's P4 quota).
    ///
    /// `switch` is normally the platform's `#[global_allocator]`
    /// (`fireball_kernel::mem::PartitionedHeap`); give the executor the same
    /// switch (`Executor::set_partition_switch`) so that what an instance
    /// allocates while it runs lands in its placement too. Without a switch
    /// everything comes from whatever heap is current, and only the vSoC's
    /// memory budget (admission and growth checks) applies.
    pub fn place_allocations(&mut self, switch: &'static dyn PartitionSwitch) {
        self.partitions = Some(switch);
    }

    /// Run `f` with `placement` current (when allocations are placed).
    fn in_placement<R>(&self, placement: Placement, f: impl FnOnce() -> R) -> R {
        fireball_kernel::mem::within(self.partitions, placement, f)
    }

    /// The debug port over this vSoC's instrumented instances, for the `debugger`
    /// subsystem (feature `debug`).
    #[cfg(feature = "debug")]
    pub fn debug_port(&self) -> debug::DebugPort {
        debug::DebugPort::new(self.registry.clone())
    }

    /// The configuration this vSoC runs with.
    pub fn config(&self) -> &VsocConfig {
        &self.config
    }

    /// Check and compile an untrusted module (feature `validate`).
    #[cfg(feature = "validate")]
    pub fn load(&self, name: &str, bytes: &[u8]) -> Result<LoadedModule, LoadError> {
        let runtime = Placement::new(PartitionId::Runtime, OwnerId(0));
        self.in_placement(runtime, || {
            loader::load(&self.engine, &self.config, name, bytes)
        })
    }

    /// Check an untrusted module as [`Vsoc::load`] does (the section pass against this
    /// vSoC's limits, then wasmi's validator) without compiling it, and pin its SHA-256
    /// digest: a [`Prevalidated`] module that any vSoC loads without validating it again
    /// (feature `validate`). This is how an image's modules are checked when it is built.
    #[cfg(feature = "validate")]
    pub fn prevalidate(
        &self,
        name: &str,
        bytes: impl Into<ModuleBytes>,
    ) -> Result<Prevalidated, LoadError> {
        loader::prevalidate(&self.engine, &self.config, name, bytes.into())
    }

    /// Compile a module validated before ([`Prevalidated`]): the section pass against
    /// this vSoC's limits still runs, wasmi's validator does not (with feature
    /// `check-digest`, the bytes are first checked against their pinned digest).
    pub fn load_prevalidated(
        &self,
        name: &str,
        module: &Prevalidated,
    ) -> Result<LoadedModule, LoadError> {
        let runtime = Placement::new(PartitionId::Runtime, OwnerId(0));
        self.load_prevalidated_in(name, module, runtime)
    }

    /// [`load_prevalidated`](Self::load_prevalidated), a module kept compressed
    /// ([`ModuleBytes::Lz4`]) inflated into `scratch` rather than P2 while it compiles: the
    /// component's own heap (its P4 quota, P5), empty until it is instantiated, so the
    /// buffer leaves no hole in P2 between the compiled modules. The compiled module is in
    /// P2 either way.
    pub fn load_prevalidated_in(
        &self,
        name: &str,
        module: &Prevalidated,
        scratch: Placement,
    ) -> Result<LoadedModule, LoadError> {
        let bytes = self.in_placement(scratch, || module.bytes().module())?;
        let runtime = Placement::new(PartitionId::Runtime, OwnerId(0));
        self.in_placement(runtime, || {
            loader::load_prevalidated(&self.engine, &self.config, name, module, &bytes)
        })
    }

    /// Compile the module of a signed package installed at runtime (feature `packages`).
    ///
    /// A [`VerifiedPackage`](fireball_package::VerifiedPackage) is signed by one of the
    /// board's keys and its module matches the signed digest; `cargo xtask package`
    /// validates a module (as [`Vsoc::prevalidate`] does) before it signs it, so the
    /// signature also stands for "validated at build time" and a board without the
    /// validator compiles it as a [`Prevalidated`] module. With feature `validate` (the
    /// host) the module is validated again: a package signed in error is refused there.
    #[cfg(feature = "packages")]
    pub fn load_package(
        &self,
        package: &fireball_package::VerifiedPackage<'_>,
    ) -> Result<LoadedModule, LoadError> {
        #[cfg(feature = "validate")]
        return self.load(package.name(), package.module());
        #[cfg(not(feature = "validate"))]
        {
            let module = Prevalidated::from_package(package);
            self.load_prevalidated(package.name(), &module)
        }
    }

    /// Keep, from now on, the routes instances declare with `route_serve` (what a service
    /// built with the SDK does for each of its routes before its first `route_next`), for
    /// [`Instance::served_routes`]. `fireball inspect` does, to list a module's routes; a
    /// deployment does not (its routes are its manifest's, and nothing is kept).
    pub fn record_served_routes(&self) {
        self.registry
            .served
            .borrow_mut()
            .get_or_insert_with(alloc::vec::Vec::new);
    }

    /// Instantiate a loaded module as a new guest (P5) whose console output goes
    /// to `console`.
    pub fn instantiate(
        &self,
        module: &LoadedModule,
        console: Box<dyn Console>,
    ) -> Result<Instance, InstanceError> {
        let placement = self.next_guest_placement();
        self.instantiate_in(module, console, placement)
    }

    /// A new guest's placement (P5, the next owner id): for a caller that wants to know
    /// where a guest will live before [`instantiate_in`](Self::instantiate_in) puts it there.
    pub fn next_guest_placement(&self) -> Placement {
        let owner = self.next_guest.get();
        self.next_guest.set(owner.wrapping_add(1).max(1));
        Placement::guest(owner)
    }

    /// Instantiate a loaded module charged to `placement`: `Placement::guest(id)`
    /// or `Placement::service(id)` (the service needs a quota first).
    pub fn instantiate_in(
        &self,
        module: &LoadedModule,
        console: Box<dyn Console>,
        placement: Placement,
    ) -> Result<Instance, InstanceError> {
        self.in_placement(placement, || {
            let linker = self
                .linker
                .as_ref()
                .map_err(|e| InstanceError::Builtins(*e))?;
            let site = Site {
                engine: &self.engine,
                config: &self.config,
                soc: &self.soc,
                registry: &self.registry,
                partitions: self.partitions,
            };
            Instance::new(site, linker, module, console, placement)
        })
    }

    /// Run `instance` as a kernel task in its own placement.
    pub fn spawn(
        &self,
        executor: &mut Executor,
        instance: Instance,
    ) -> Result<InstanceTask, ExecutorFull> {
        task::spawn(&self.soc, &self.registry, executor, instance)
    }

    /// Give service `id` a P4 quota of `bytes` (mirror of the kernel's
    /// `PartitionedHeap::add_service_quota`).
    pub fn set_service_quota(&self, id: u16, bytes: usize) {
        self.registry
            .budget
            .borrow_mut()
            .set_service_quota(id, bytes);
    }

    /// The pool `placement` draws on, if it has one.
    pub fn pool(&self, placement: Placement) -> Option<Pool> {
        self.registry.budget.borrow().pool(placement)
    }

    /// Open a kernel channel of `capacity` (0: rendezvous) for guests; pass the
    /// handle's [`Handle::to_raw`] to them for `chan_send` / `chan_recv`.
    pub fn open_channel(&self, capacity: usize) -> Result<Handle, ChannelTableFull> {
        self.registry.open_channel(capacity).ok_or(ChannelTableFull)
    }

    /// Tell `observer` (normally the logger's `EventLog`) of every send, receive and close on
    /// the channels opened from now on; each is named by its handle's slot index.
    pub fn observe_channels(&self, observer: Rc<dyn ChannelObserver>) {
        *self.registry.channel_observer.borrow_mut() = Some(observer);
    }

    /// Close a channel and retire its handle; returns whether it was open.
    pub fn close_channel(&self, handle: Handle) -> bool {
        self.registry.close_channel(handle)
    }

    /// Map a device model into the vOffloader window at `base..base+len`.
    pub fn map_device(
        &self,
        base: u32,
        len: u32,
        device: Box<dyn DeviceModel>,
    ) -> Result<(), MapError> {
        self.soc.mmio.borrow_mut().map(base, len, device)
    }

    /// The ISR flags instances subscribe to (interrupt sources raise them).
    pub fn isr_flags(&self) -> &IsrFlags {
        self.soc.isr()
    }

    /// The context-switch check, for when no instance is running (e.g. the
    /// firmware loop after a WFI): wake instances whose ISR flags were raised
    /// or whose sleep is over. Returns how many were woken.
    pub fn tick(&self) -> usize {
        self.soc.wake_due()
    }

    /// The earliest clock tick an instance sleeps until, if any sleeps: where a simulator
    /// with nothing ready moves its virtual clock.
    pub fn next_deadline(&self) -> Option<u64> {
        self.soc.next_deadline()
    }

    /// Run `executor` until nothing is ready and no ISR flag or timer is due;
    /// returns the polls made. Never returns while an instance spins forever:
    /// use [`Vsoc::run_for`] to bound it.
    pub fn run_until_idle(&self, executor: &mut Executor) -> usize {
        let mut polls = 0;
        loop {
            polls += executor.run_until_idle();
            if self.tick() == 0 {
                return polls;
            }
        }
    }

    /// Like [`Vsoc::run_until_idle`], at most `max_polls` polls.
    pub fn run_for(&self, executor: &mut Executor, max_polls: usize) -> usize {
        let mut polls = 0;
        while polls < max_polls {
            let made = executor.run_for(max_polls - polls);
            polls += made;
            if made == 0 && self.tick() == 0 {
                break;
            }
        }
        polls
    }

    /// The oldest unread event (an instance finished or was stopped).
    pub fn pop_event(&self) -> Option<VsocEvent> {
        self.registry.events.borrow_mut().pop_front()
    }

    /// Apply a memory-exhaustion policy (from a [`StopReason::MemoryExhausted`] or
    /// a kernel `MemEvent::Exhausted`): unload the guest / terminate the service
    /// by cancelling every task it owns. Returns how many tasks were cancelled;
    /// other policies concern the firmware, not the vSoC, and cancel nothing.
    pub fn apply_policy(&self, executor: &mut Executor, policy: ExhaustionPolicy) -> usize {
        let placement = match policy {
            ExhaustionPolicy::UnloadGuest(OwnerId(id)) => Placement::guest(id),
            ExhaustionPolicy::TerminateService(OwnerId(id)) => Placement::service(id),
            ExhaustionPolicy::Fatal | ExhaustionPolicy::Degrade => return 0,
        };
        self.stop_in(executor, placement)
    }

    /// Stop every instance in `placement` now: its task cancelled (the instance is dropped,
    /// so its memory is freed and its router endpoint unregistered) and its monitor
    /// forgotten (it leaves the dump). No [`VsocEvent`] is raised: the caller stopped it.
    /// Returns how many tasks were cancelled.
    pub fn stop_in(&self, executor: &mut Executor, placement: Placement) -> usize {
        let cancelled = executor.cancel_owned_by(placement);
        self.registry
            .monitors
            .borrow_mut()
            .retain(|(_, m)| m.placement != placement);
        cancelled
    }

    /// Give this vSoC's instances the router: each instance is registered under
    /// its module name the first time it uses a `route_*` builtin (so the
    /// router's policies for that name apply), and unregistered when it stops.
    /// Without a router those builtins return `NO_ROUTER`.
    pub fn attach_router(&self, router: Router) {
        self.registry.routes.attach(router);
    }

    /// Make `instance` a service: register it with the router under its module name,
    /// serving `routes` (patterns such as `svc://filter/{ch}`) with an inbox of `inbox`
    /// deliveries. Call before spawning it; it takes requests with `route_next`.
    pub fn register_service(
        &self,
        instance: &Instance,
        routes: &[&str],
        inbox: usize,
    ) -> Result<(), ServeError> {
        self.registry
            .routes
            .register_service(instance.serial(), instance.name(), routes, inbox)
    }

    /// Give service `instance` a watchdog: it is stopped ([`StopReason::Watchdog`]) when it
    /// holds a request, or runs without coming back to `route_next`, for longer than
    /// `limit_us` of the platform clock. Checked at its context switches, never in a builtin;
    /// call before spawning it.
    pub fn set_watchdog(&self, instance: &Instance, limit_us: u64) {
        let runtime = Placement::new(PartitionId::Runtime, OwnerId(0));
        self.in_placement(runtime, || {
            self.registry.arm_watchdog(instance.serial(), limit_us)
        });
    }

    /// The router attached with [`Vsoc::attach_router`], if any.
    pub fn router(&self) -> Option<Router> {
        self.registry.routes.router()
    }

    /// The coroutine dump with each instance's statistics.
    pub fn dump<'a>(&'a self, executor: &'a Executor) -> dump::VsocDump<'a> {
        dump::VsocDump::new(executor, &self.registry)
    }
}

impl Default for Vsoc {
    fn default() -> Self {
        Self::new(VsocConfig::default())
    }
}
