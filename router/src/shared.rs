//! The router's core, one `Rc` shared by the handles, every endpoint and every request in
//! flight: the registry, the [`Limits`] every message is checked against, the default call
//! deadline, the trace it is recorded in, the request ids, and the memory the router keeps
//! its own state in.
//!
//! Generic over what the registry's inboxes carry (`M`, the `Delivery` in practice), so it
//! sits below the messages: a request's reply path holds the core without this module
//! knowing what a request is. One allocation and one pointer, as the hot path wants.

use core::cell::{Cell, RefCell};

use fireball_kernel::mem::{PartitionSwitch, Placement};

use crate::record::Limits;
use crate::registry::State;
use crate::trace::{TraceBuffer, TraceConfig, TraceEvent};

pub(crate) struct Core<M> {
    pub(crate) limits: Limits,
    /// The deadline of calls no rule sets one for, in microseconds (`u64::MAX`: none).
    pub(crate) call_timeout_us: u64,
    pub(crate) state: RefCell<State<M>>,
    /// The trace's configuration, fixed at creation: read without borrowing the buffer.
    tracing: bool,
    bodies: bool,
    pub(crate) trace: RefCell<TraceBuffer>,
    next_id: Cell<u32>,
    home: Cell<Option<(&'static dyn PartitionSwitch, Placement)>>,
}

impl<M> Core<M> {
    pub(crate) fn new(limits: Limits, call_timeout_us: u64, trace: TraceConfig) -> Self {
        Self {
            limits,
            call_timeout_us,
            state: RefCell::new(State::new()),
            tracing: trace.capacity > 0,
            bodies: trace.capacity > 0 && trace.bodies,
            trace: RefCell::new(TraceBuffer::new(trace)),
            next_id: Cell::new(1),
            home: Cell::new(None),
        }
    }

    /// Keep the router's own memory in `home` from now on (see
    /// [`Router::place_allocations`](crate::Router::place_allocations)).
    pub(crate) fn place_at(&self, switch: &'static dyn PartitionSwitch, home: Placement) {
        self.home.set(Some((switch, home)));
    }

    /// Run `f` with the router's own placement current (see
    /// [`Router::place_allocations`](crate::Router::place_allocations)): what the router
    /// keeps — its tables, its trace — is the router's memory, whichever component's call
    /// made it grow.
    #[inline]
    pub(crate) fn at_home<R>(&self, f: impl FnOnce() -> R) -> R {
        match self.home.get() {
            None => f(),
            Some((switch, home)) => fireball_kernel::mem::within(Some(switch), home, f),
        }
    }

    /// Records the event `make` builds, if tracing is on. `make` must not touch the trace.
    #[inline]
    pub(crate) fn trace(&self, make: impl FnOnce() -> TraceEvent) {
        if self.tracing {
            let mut trace = self.trace.borrow_mut();
            self.at_home(|| trace.record(make()));
        }
    }

    #[inline]
    pub(crate) fn tracing(&self) -> bool {
        self.tracing
    }

    #[inline]
    pub(crate) fn trace_bodies(&self) -> bool {
        self.tracing && self.bodies
    }

    pub(crate) fn next_id(&self) -> u32 {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1).max(1));
        id
    }
}
