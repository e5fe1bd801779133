//! What one vSoC keeps on record about its instances: the memory budget they are admitted
//! against, their serials, their monitors, the events they ended with, the channels they
//! reach by handle and their router endpoints.
//!
//! This is the bookkeeping side only: the devices, interrupt lines and timers the
//! instances share are the simulated SoC ([`crate::soc`]). Single-threaded
//! (`RefCell`/`Cell`), like the kernel.

use alloc::{collections::VecDeque, rc::Rc, string::String, vec::Vec};
use core::cell::{Cell, RefCell};

use fireball_abi::Method;
use fireball_kernel::{
    csp::{Channel, ChannelObserver},
    sched::TaskId,
    value::{Handle, HandleTable},
};

use crate::{
    budget::MemoryBudget, monitor::Monitor, route_bridge::RouteBridge, stop::VsocEvent,
    watchdog::Watchdog,
};

/// A channel guests reach by handle.
pub(crate) type GuestChannel = Rc<Channel<i64>>;

/// Events reserved in the queue before the platform must drain it.
const EVENTS: usize = 16;

/// The instances of one vSoC on record, and what they share besides the SoC.
pub(crate) struct Registry {
    /// Admission and growth are checked against this (instances' limiters share it).
    pub(crate) budget: Rc<RefCell<MemoryBudget>>,
    channels: RefCell<HandleTable<GuestChannel>>,
    /// Told of every guest channel's traffic (the logger), if set.
    pub(crate) channel_observer: RefCell<Option<Rc<dyn ChannelObserver>>>,
    pub(crate) monitors: RefCell<Vec<(TaskId, Rc<Monitor>)>>,
    pub(crate) events: RefCell<VecDeque<VsocEvent>>,
    /// Router endpoints of the instances (empty until a router is attached).
    pub(crate) routes: RouteBridge,
    /// The watchdogs of the services that have one ([`crate::watchdog`]); `watched` says
    /// whether there is any, so that a turn without one costs a flag test.
    watchdogs: RefCell<Vec<Watchdog>>,
    pub(crate) watched: Cell<bool>,
    next_serial: Cell<u16>,
    /// The routes instances declared with `route_serve` (serial, method, pattern), kept
    /// only once [`Vsoc::record_served_routes`](crate::Vsoc::record_served_routes) asked
    /// (`fireball inspect`); `None` in a deployment, whose routes are its manifest's.
    pub(crate) served: RefCell<Option<Vec<(u16, Method, String)>>>,
}

impl Registry {
    pub(crate) fn new(budget: MemoryBudget) -> Self {
        Self {
            budget: Rc::new(RefCell::new(budget)),
            channels: RefCell::new(HandleTable::from_config()),
            channel_observer: RefCell::new(None),
            // Reserved up front (in the partition the vSoC is built in): the
            // first push happens while an instance's partition is current,
            // and must not leave the registry charged to that instance.
            monitors: RefCell::new(Vec::with_capacity(fireball_kernel::config::MAX_TASKS)),
            events: RefCell::new(VecDeque::with_capacity(EVENTS)),
            routes: RouteBridge::default(),
            watchdogs: RefCell::new(Vec::new()),
            watched: Cell::new(false),
            next_serial: Cell::new(1),
            served: RefCell::new(None),
        }
    }

    /// A fresh instance serial (never 0).
    pub(crate) fn next_serial(&self) -> u16 {
        let serial = self.next_serial.get();
        self.next_serial.set(serial.checked_add(1).unwrap_or(1));
        serial
    }

    /// Drop a stopped instance's monitor from the dump (it was allocated in
    /// the instance's partition, which must come back whole).
    pub(crate) fn forget(&self, monitor: &Rc<Monitor>) {
        self.monitors
            .borrow_mut()
            .retain(|(_, m)| !Rc::ptr_eq(m, monitor));
    }

    /// Watch instance `serial` with a watchdog of `limit_us`.
    pub(crate) fn arm_watchdog(&self, serial: u16, limit_us: u64) {
        let mut dogs = self.watchdogs.borrow_mut();
        dogs.retain(|d| d.serial != serial);
        dogs.push(Watchdog::new(serial, limit_us));
        self.watched.set(true);
    }

    /// Forget instance `serial`'s watchdog (it stopped).
    pub(crate) fn disarm_watchdog(&self, serial: u16) {
        if self.watched.get() {
            let mut dogs = self.watchdogs.borrow_mut();
            dogs.retain(|d| d.serial != serial);
            self.watched.set(!dogs.is_empty());
        }
    }

    /// Run `f` on instance `serial`'s watchdog, if it has one.
    pub(crate) fn watchdog<R>(&self, serial: u16, f: impl FnOnce(&mut Watchdog) -> R) -> Option<R> {
        let mut dogs = self.watchdogs.borrow_mut();
        dogs.iter_mut().find(|d| d.serial == serial).map(f)
    }

    /// Create a channel; its handle is what guests pass to `chan_send` / `chan_recv`.
    pub(crate) fn open_channel(&self, capacity: usize) -> Option<Handle> {
        let channel = Rc::new(Channel::new(capacity));
        let handle = self.channels.borrow_mut().insert(channel.clone()).ok()?;
        if let Some(observer) = self.channel_observer.borrow().clone() {
            // The event subject is the handle's slot: what a dump or a guest's trace shows.
            channel.observe(handle.index(), observer);
        }
        Some(handle)
    }

    pub(crate) fn close_channel(&self, handle: Handle) -> bool {
        match self.channels.borrow_mut().take(handle) {
            Ok(channel) => {
                channel.close();
                true
            }
            Err(_) => false,
        }
    }

    /// The channel a guest names by `raw` handle, if it is open.
    pub(crate) fn channel(&self, raw: u32) -> Option<GuestChannel> {
        self.channels
            .borrow()
            .get(Handle::from_raw(raw))
            .ok()
            .cloned()
    }
}
