//! The `logger` subsystem on the router (`log://`) and the event log behind it.
//!
//! [`EventLog`] wraps a [`Logger`] (256-event ring, message queue, level filter)
//! with a clock, behind `&self` so every source can feed it without blocking:
//!
//! - the **scheduler**: `EventLog` is a kernel [`TaskObserver`]
//!   (`Executor::set_observer`) — spawn, resume, complete, cancel;
//! - **memory**: [`EventLog::memory`] turns the kernel's `MemEvent`s
//!   (allocation failures, usage thresholds) into events;
//! - the **router**: [`EventLog::absorb_router_trace`] drains the router's trace
//!   and keeps denials (as text naming caller, target, method and URI) and dead peers;
//! - **channels**: `EventLog` is a kernel [`ChannelObserver`] (`Channel::observe`, or
//!   `Vsoc::observe_channels` for every guest channel) — send, receive, close, at debug
//!   level (a busy channel would otherwise flood the ring), closes at info;
//! - anyone else: [`EventLog::record`] (the vSoC's traps and stops).
//!
//! [`LogService`] is the `log://` component: a `write` request or notification
//! carrying a [`LogLine`] becomes [`Logger::message`], attributed to the caller's
//! stamped identity (a component cannot log as another). Its task drains the
//! log to a [`Console`] (stdout on the host, the UART on a board) whenever its
//! inbox is empty. Nothing here blocks: a full inbox is the sender's
//! `QueueFull`, a full message queue or ring is counted and reported by the drain.

use alloc::{boxed::Box, rc::Rc};
use core::cell::{Cell, RefCell};
use core::fmt::{self, Write as _};

use fireball_kernel::{
    csp::ChannelObserver,
    mem::{MemEvent, Placement, UsageLevel},
    sched::{TaskId, TaskObserver},
};
use fireball_router::{
    CallError, Delivery, Endpoint, Method, Record, RegisterError, Registration, Router, TraceEvent,
    from_record, trace::Traced,
};

pub use fireball_record::system::log::{LogLevel, LogLine};

use crate::hal::{Clock, Console};
use crate::logger::{DEFAULT_EVENTS, Event, EventKind, Level, Logger, MESSAGE_BYTES};

/// The route the logger serves.
pub const ROUTE: &str = "log://";

/// Failure code for a `log://` request that is not a [`LogLine`].
pub const BAD_LINE: u16 = 400;
/// Failure code for a method other than `write`.
pub const NOT_WRITE: u16 = 405;

impl From<LogLevel> for Level {
    fn from(level: LogLevel) -> Self {
        match level {
            LogLevel::Error => Level::Error,
            LogLevel::Warn => Level::Warn,
            LogLevel::Info => Level::Info,
            LogLevel::Debug => Level::Debug,
        }
    }
}

/// A [`Logger`] and its clock, fed through `&self` by every event source.
pub struct EventLog<const N: usize = DEFAULT_EVENTS> {
    logger: RefCell<Logger<N>>,
    clock: Box<dyn Clock>,
    /// Events lost because the logger was borrowed (an event raised while draining).
    contended: Cell<u64>,
}

impl<const N: usize> EventLog<N> {
    /// A log keeping events at `max_level` or more severe, stamped by `clock`.
    pub fn new(max_level: Level, clock: Box<dyn Clock>) -> Self {
        Self {
            logger: RefCell::new(Logger::new(max_level)),
            clock,
            contended: Cell::new(0),
        }
    }

    fn now_ms(&self) -> u32 {
        // Wraps after 49 days, as the event format says.
        (self.clock.now_us() / 1000) as u32
    }

    /// Record an event of `kind` about `arg` (never blocks).
    pub fn record(&self, level: Level, kind: EventKind, arg: u16) {
        let event = Event::new(self.now_ms(), level, kind, arg);
        match self.logger.try_borrow_mut() {
            Ok(mut logger) => logger.event(event),
            Err(_) => self.contended.set(self.contended.get() + 1),
        }
    }

    /// Record `component`'s text message (never blocks; a full queue drops and counts).
    pub fn message(&self, level: Level, component: &str, text: &str) {
        let at = self.now_ms();
        match self.logger.try_borrow_mut() {
            Ok(mut logger) => logger.message(at, level, component, text),
            Err(_) => self.contended.set(self.contended.get() + 1),
        }
    }

    /// Record a kernel memory event: an allocation failure (error) or a usage
    /// level crossing (warning when critical, info otherwise). The subject is
    /// the partition number.
    pub fn memory(&self, event: &MemEvent) {
        match *event {
            MemEvent::Exhausted(exhaustion) => self.record(
                Level::Error,
                EventKind::AllocFailed,
                exhaustion.placement.partition as u16,
            ),
            MemEvent::Usage {
                placement, level, ..
            } => {
                let (level, kind) = match level {
                    UsageLevel::Critical => (Level::Warn, EventKind::MemoryCritical),
                    UsageLevel::Elevated | UsageLevel::Normal => {
                        (Level::Info, EventKind::MemoryWarning)
                    }
                };
                self.record(level, kind, placement.partition as u16);
            }
        }
    }

    /// Drain `router`'s trace and record its denials and dead or restarted peers (see
    /// [`EventLog::absorb_traced`]). The trace is consumed: a deployment that also keeps
    /// the trace drains it itself and hands the events to [`EventLog::absorb_traced`].
    /// Returns how many events were recorded.
    pub fn absorb_router_trace(&self, router: &Router) -> usize {
        let (_, traced) = router.drain_trace();
        self.absorb_traced(&traced)
    }

    /// Record the denials and dead peers among `traced` (events already drained from a
    /// router's trace). A denial is a warning from `router` naming who asked, whom, for
    /// what and where, as the trace does (`request denied: app#1 -> hal#1 write
    /// hal://gpio/3`); a dead or restarted peer is a [`EventKind::DeadPeer`] event.
    /// Returns how many were recorded.
    pub fn absorb_traced(&self, traced: &[Traced]) -> usize {
        let mut recorded = 0;
        for t in traced {
            match &t.event {
                TraceEvent::Denied {
                    caller,
                    target,
                    method,
                    uri,
                    ..
                } => {
                    let mut text = Cut::default();
                    let _ = write!(text, "request denied: {caller} -> {target} {method} {uri}");
                    if t.repeats > 0 {
                        let _ = write!(text, " (+{} more)", t.repeats);
                    }
                    self.message(Level::Warn, "router", &text.0);
                    recorded += 1;
                }
                TraceEvent::Failed {
                    error: CallError::DeadPeer | CallError::Restarted,
                    ..
                } => {
                    self.record(Level::Warn, EventKind::DeadPeer, u16::MAX);
                    recorded += 1;
                }
                _ => {}
            }
        }
        recorded
    }

    /// Write everything waiting to `console` (see [`Logger::drain`]); returns the lines.
    pub fn drain(&self, console: &mut dyn Console) -> usize {
        match self.logger.try_borrow_mut() {
            Ok(mut logger) => logger.drain(console),
            Err(_) => 0,
        }
    }

    /// Look at the logger (counters, the ring).
    pub fn inspect<R>(&self, f: impl FnOnce(&Logger<N>) -> R) -> R {
        f(&self.logger.borrow())
    }

    /// Events lost because the logger was busy when they were raised.
    pub fn contended(&self) -> u64 {
        self.contended.get()
    }
}

/// Text formatted on the stack, cut at [`MESSAGE_BYTES`] (on a character boundary) instead
/// of failing: the logger would cut it there anyway.
#[derive(Default)]
struct Cut(heapless::String<MESSAGE_BYTES>);

impl fmt::Write for Cut {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            if self.0.push(c).is_err() {
                break;
            }
        }
        Ok(())
    }
}

fn slot(id: TaskId) -> u16 {
    id.slot()
}

impl<const N: usize> TaskObserver for EventLog<N> {
    fn spawned(&self, id: TaskId, name: &str, placement: Placement) {
        match self.logger.try_borrow_mut() {
            Ok(mut logger) => logger.label_task(slot(id), name, placement),
            Err(_) => self.contended.set(self.contended.get() + 1),
        }
        self.record(Level::Info, EventKind::TaskSpawned, slot(id));
    }
    fn resumed(&self, id: TaskId) {
        self.record(Level::Debug, EventKind::TaskResumed, slot(id));
    }
    fn completed(&self, id: TaskId) {
        self.record(Level::Info, EventKind::TaskCompleted, slot(id));
    }
    fn cancelled(&self, id: TaskId) {
        self.record(Level::Warn, EventKind::TaskCancelled, slot(id));
    }
}

impl<const N: usize> ChannelObserver for EventLog<N> {
    fn sent(&self, id: u16) {
        self.record(Level::Debug, EventKind::ChannelSend, id);
    }
    fn received(&self, id: u16) {
        self.record(Level::Debug, EventKind::ChannelRecv, id);
    }
    fn closed(&self, id: u16) {
        self.record(Level::Info, EventKind::ChannelClosed, id);
    }
}

/// The `log://` component. The log is `'static` because the executor's observer
/// hook needs it so: create it once at start-up (`Box::leak` on the host).
pub struct LogService<const N: usize = DEFAULT_EVENTS> {
    endpoint: Endpoint,
    log: Rc<EventLog<N>>,
}

impl<const N: usize> LogService<N> {
    /// Register `name` serving [`ROUTE`] with an inbox of `inbox` lines.
    pub fn register(
        router: &Router,
        name: &str,
        inbox: usize,
        log: Rc<EventLog<N>>,
    ) -> Result<Self, RegisterError> {
        let endpoint = router.register(Registration::new(name, &[ROUTE]).inbox(inbox))?;
        Ok(Self { endpoint, log })
    }

    /// Serve `log://` until the inbox closes, draining to `console` whenever the
    /// inbox is empty.
    pub async fn run(self, mut console: Box<dyn Console>) {
        while let Some(delivery) = self.endpoint.recv().await {
            self.accept(delivery);
            self.serve_ready();
            self.log.drain(&mut *console);
        }
    }

    /// Take every line waiting now, without waiting or draining; returns how many.
    pub fn serve_ready(&self) -> usize {
        let mut served = 0;
        while let Ok(delivery) = self.endpoint.try_recv() {
            self.accept(delivery);
            served += 1;
        }
        served
    }

    fn accept(&self, delivery: Delivery) {
        match delivery {
            Delivery::Request(request) => {
                let outcome = self.write(request.method(), request.caller().name(), request.body());
                // A caller that gave up is not the logger's problem.
                let _ = match outcome {
                    Ok(()) => request.reply(Record::new()),
                    Err(code) => request.fail(code),
                };
            }
            Delivery::Notification(note) => {
                let _ = self.write(note.envelope().method(), note.caller().name(), note.body());
            }
            Delivery::Publication(_) => {}
        }
    }

    fn write(&self, method: Method, caller: &str, body: &Record) -> Result<(), u16> {
        if method != Method::Write {
            return Err(NOT_WRITE);
        }
        let line: LogLine = from_record(body).map_err(|_| BAD_LINE)?;
        self.log.message(line.level.into(), caller, &line.text);
        Ok(())
    }
}
