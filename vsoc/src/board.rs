//! The state one vSoC's instances share: devices, channels, ISR subscriptions,
//! timers, the memory budget and the monitors of running instances.
//!
//! Everything here is single-threaded (`RefCell`/`Cell`), like the kernel. ISRs
//! touch only [`IsrFlags`]; the rest is driven from tasks and the firmware loop.

use alloc::{boxed::Box, collections::VecDeque, rc::Rc, vec::Vec};
use core::{
    cell::{Cell, RefCell},
    future::poll_fn,
    task::{Poll, Waker},
};

use fireball_abi::status;
use fireball_kernel::{
    csp::{Channel, ChannelObserver, TryRecvError, TrySendError},
    sched::TaskId,
    value::{Handle, HandleTable},
};
use fireball_subsystems::hal::gpio::Gpio;

use crate::{
    budget::MemoryBudget,
    builtins::{Completion, Pending, RouteBridge},
    monitor::Monitor,
    offload::MmioBus,
    platform::{Clock, IsrFlags, Platform},
    stop::VsocEvent,
};

/// A channel guests reach by handle.
pub(crate) type GuestChannel = Rc<Channel<i64>>;

/// Waiters kept without reallocating (one per task at most; see `kernel::config::MAX_TASKS`).
const WAITERS: usize = fireball_kernel::config::MAX_TASKS;

pub(crate) struct Board {
    pub(crate) gpio: RefCell<Box<dyn Gpio>>,
    pub(crate) clock: Box<dyn Clock>,
    pub(crate) mmio: RefCell<MmioBus>,
    pub(crate) budget: Rc<RefCell<MemoryBudget>>,
    isr_static: Option<&'static IsrFlags>,
    isr_own: IsrFlags,
    /// Instance serial owning each ISR flag (0: free).
    irq_owners: RefCell<[u16; 32]>,
    irq_waiters: RefCell<Vec<(u32, Waker)>>,
    /// The ISR flags instances are blocked on in `wait_irq` (woken or not): while one of
    /// them is raised, running instances end their slices early ([`Board::irq_due`]).
    irq_watched: Cell<u32>,
    timers: RefCell<Vec<(u64, Waker)>>,
    channels: RefCell<HandleTable<GuestChannel>>,
    /// Told of every guest channel's traffic (the logger), if set.
    pub(crate) channel_observer: Cell<Option<&'static dyn ChannelObserver>>,
    pub(crate) monitors: RefCell<Vec<(TaskId, Rc<Monitor>)>>,
    pub(crate) events: RefCell<VecDeque<VsocEvent>>,
    /// Router endpoints of the instances (empty until a router is attached).
    pub(crate) routes: RouteBridge,
    next_serial: Cell<u16>,
}

/// Events reserved in the queue before the platform must drain it.
const EVENTS: usize = 16;

impl Board {
    /// Drop a stopped instance's monitor from the dump (it was allocated in
    /// the instance's partition, which must come back whole).
    pub(crate) fn forget(&self, monitor: &Rc<Monitor>) {
        self.monitors
            .borrow_mut()
            .retain(|(_, m)| !Rc::ptr_eq(m, monitor));
    }

    pub(crate) fn new(platform: Platform, budget: MemoryBudget) -> Self {
        Self {
            gpio: RefCell::new(platform.gpio),
            clock: platform.clock,
            mmio: RefCell::new(MmioBus::default()),
            budget: Rc::new(RefCell::new(budget)),
            isr_static: platform.isr,
            isr_own: IsrFlags::new(),
            irq_owners: RefCell::new([0; 32]),
            irq_waiters: RefCell::new(Vec::with_capacity(WAITERS)),
            irq_watched: Cell::new(0),
            timers: RefCell::new(Vec::with_capacity(WAITERS)),
            channels: RefCell::new(HandleTable::from_config()),
            channel_observer: Cell::new(None),
            // Reserved up front (in the partition the vSoC is built in): the
            // first push happens while an instance's partition is current,
            // and must not leave board state charged to that instance.
            monitors: RefCell::new(Vec::with_capacity(fireball_kernel::config::MAX_TASKS)),
            events: RefCell::new(VecDeque::with_capacity(EVENTS)),
            routes: RouteBridge::default(),
            next_serial: Cell::new(1),
        }
    }

    pub(crate) fn isr(&self) -> &IsrFlags {
        self.isr_static.unwrap_or(&self.isr_own)
    }

    /// A fresh instance serial (never 0).
    pub(crate) fn next_serial(&self) -> u16 {
        let serial = self.next_serial.get();
        self.next_serial.set(serial.checked_add(1).unwrap_or(1));
        serial
    }

    /// Create a channel; its handle is what guests pass to `chan_send` / `chan_recv`.
    pub(crate) fn open_channel(&self, capacity: usize) -> Option<Handle> {
        let channel = Rc::new(Channel::new(capacity));
        let handle = self.channels.borrow_mut().insert(channel.clone()).ok()?;
        if let Some(observer) = self.channel_observer.get() {
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

    fn channel(&self, raw: u32) -> Option<GuestChannel> {
        self.channels
            .borrow()
            .get(Handle::from_raw(raw))
            .ok()
            .cloned()
    }

    /// Claim the ISR flags in `mask` for instance `serial`; all or nothing.
    pub(crate) fn subscribe(&self, serial: u16, mask: u32) -> i32 {
        // Flag 31 is reserved: `wait_irq` returns raised flags as a non-negative i32.
        if mask == 0 || mask & (1 << 31) != 0 {
            return status::IRQ_TAKEN;
        }
        let mut owners = self.irq_owners.borrow_mut();
        let taken =
            (0..32).any(|bit| mask & (1 << bit) != 0 && owners[bit] != 0 && owners[bit] != serial);
        if taken {
            return status::IRQ_TAKEN;
        }
        for (bit, owner) in owners.iter_mut().enumerate() {
            if mask & (1 << bit) != 0 {
                *owner = serial;
            }
        }
        status::OK
    }

    /// Whether every flag in `mask` belongs to `serial`.
    pub(crate) fn owns_irqs(&self, serial: u16, mask: u32) -> bool {
        let owners = self.irq_owners.borrow();
        mask != 0 && (0..32).all(|bit| mask & (1 << bit) == 0 || owners[bit] == serial)
    }

    /// Release every ISR flag and the router endpoint `serial` holds (its instance stopped).
    pub(crate) fn unsubscribe_all(&self, serial: u16) {
        self.routes.release(serial);
        for (bit, owner) in self.irq_owners.borrow_mut().iter_mut().enumerate() {
            if *owner == serial {
                *owner = 0;
                // A waiter cancelled while blocked no longer holds anyone's slices short.
                self.irq_watched.set(self.irq_watched.get() & !(1 << bit));
            }
        }
    }

    /// Whether an instance is blocked on an ISR flag: slices are then run in steps, with a
    /// look at the flags between steps.
    pub(crate) fn irq_watched(&self) -> bool {
        self.irq_watched.get() != 0
    }

    /// Whether a flag an instance is blocked on is raised: the running instance should end
    /// its slice, and instances about to start one should let the waiter go first.
    pub(crate) fn irq_due(&self) -> bool {
        let watched = self.irq_watched.get();
        watched != 0 && self.isr().pending() & watched != 0
    }

    /// The earliest tick a sleeping instance waits for.
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.timers.borrow().iter().map(|(until, _)| *until).min()
    }

    /// The context-switch check: wake instances whose ISR flags were raised or
    /// whose sleep is over. Returns how many waiters were woken.
    pub(crate) fn wake_due(&self) -> usize {
        let mut woken = 0;
        let raised = self.isr().pending();
        if raised != 0 {
            self.irq_waiters.borrow_mut().retain(|(mask, waker)| {
                let due = mask & raised != 0;
                if due {
                    waker.wake_by_ref();
                    woken += 1;
                }
                !due
            });
        }
        let now = self.clock.now_ticks();
        self.timers.borrow_mut().retain(|(deadline, waker)| {
            let due = *deadline <= now;
            if due {
                waker.wake_by_ref();
                woken += 1;
            }
            !due
        });
        woken
    }

    /// Complete `op` now if it can be, without waiting.
    pub(crate) fn try_complete(&self, op: &Pending) -> Option<Completion> {
        match *op {
            Pending::Sleep { until } => {
                (self.clock.now_ticks() >= until).then_some(Completion::Unit)
            }
            Pending::WaitIrq { mask } => match self.isr().take(mask) {
                0 => None,
                raised => Some(Completion::Status(raised as i32)),
            },
            Pending::Send { handle, value } => match self.channel(handle) {
                None => Some(Completion::Status(status::BAD_HANDLE)),
                Some(chan) => match chan.try_send(value) {
                    Ok(()) => Some(Completion::Status(status::OK)),
                    Err(TrySendError::Closed(_)) => Some(Completion::Status(status::CLOSED)),
                    Err(TrySendError::Full(_)) => None,
                },
            },
            Pending::Recv { handle, .. } => match self.channel(handle) {
                None => Some(Completion::Status(status::BAD_HANDLE)),
                Some(chan) => match chan.try_recv() {
                    Ok(value) => Some(Completion::Received(value)),
                    Err(TryRecvError::Closed) => Some(Completion::Status(status::CLOSED)),
                    Err(TryRecvError::Empty) => None,
                },
            },
            Pending::Yield | Pending::Breakpoint(_) => Some(Completion::Unit),
            // A router reply needs the handler's task to run: only the executor gets it.
            Pending::RouteCall { .. } | Pending::RouteNext { .. } => None,
        }
    }

    /// Wait until `op` completes: the kernel future behind a blocking builtin.
    pub(crate) async fn complete(self: Rc<Self>, op: Pending) -> Completion {
        match op {
            Pending::Send { handle, value } => match self.channel(handle) {
                None => Completion::Status(status::BAD_HANDLE),
                Some(chan) => match chan.send(value).await {
                    Ok(()) => Completion::Status(status::OK),
                    Err(_) => Completion::Status(status::CLOSED),
                },
            },
            Pending::Recv { handle, .. } => match self.channel(handle) {
                None => Completion::Status(status::BAD_HANDLE),
                Some(chan) => match chan.recv().await {
                    Some(value) => Completion::Received(value),
                    None => Completion::Status(status::CLOSED),
                },
            },
            Pending::Sleep { until } => {
                poll_fn(|cx| {
                    if self.clock.now_ticks() >= until {
                        return Poll::Ready(Completion::Unit);
                    }
                    self.timers.borrow_mut().push((until, cx.waker().clone()));
                    Poll::Pending
                })
                .await
            }
            Pending::WaitIrq { mask } => {
                // The flags are this instance's alone (`subscribe`), so its bits are too.
                self.irq_watched.set(self.irq_watched.get() | mask);
                let done = poll_fn(|cx| match self.isr().take(mask) {
                    0 => {
                        self.irq_waiters
                            .borrow_mut()
                            .push((mask, cx.waker().clone()));
                        Poll::Pending
                    }
                    raised => Poll::Ready(Completion::Status(raised as i32)),
                })
                .await;
                self.irq_watched.set(self.irq_watched.get() & !mask);
                done
            }
            Pending::Yield | Pending::Breakpoint(_) => Completion::Unit,
            Pending::RouteCall { serial } => self.routes.complete(serial).await,
            Pending::RouteNext { serial } => self.routes.await_next(serial).await,
        }
    }
}
