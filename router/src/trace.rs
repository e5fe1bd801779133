//! The router's trace: every registration, binding, request, reply, timeout, notification,
//! publication, denial and failure, as structured events with a deterministic text form.
//!
//! The trace is a public API: snapshot a deployment's router traffic in a test by running it
//! and asserting on [`Router::render_trace`](crate::Router::render_trace), e.g. with insta:
//!
//! ```
//! use fireball_router::{Method, Methods, Record, Registration, Router, RouterConfig};
//!
//! let (router, authority) = Router::new(RouterConfig::default());
//! let _adc = router
//!     .register(Registration::new("hal.adc", &["hal://adc/{channel}"]))
//!     .unwrap();
//! let app = router.register(Registration::new("app", &[])).unwrap();
//! authority.allow("app", "hal://adc/{channel}", Methods::READ).unwrap();
//! let adc_3 = app.bind("hal://adc/3").unwrap();
//! app.notify(&adc_3, Method::Write, Record::new()).unwrap_err(); // write is not granted
//! assert_eq!(
//!     router.render_trace(),
//!     "\
//! 0001 register   hal.adc#1 routes=[hal://adc/{channel}] inbox=4
//! 0002 register   app#1 routes=[] inbox=4
//! 0003 allow      app -> hal://adc/{channel} read
//! 0004 bind       app#1 hal://adc/3 -> hal://adc/{channel} @ hal.adc#1
//! 0005 denied     app#1 -> hal.adc#1 write hal://adc/3 (hal://adc/{channel})
//! "
//! );
//! ```
//!
//! # Text form
//!
//! One line per event: a 4-digit sequence number (wider past 9999), the event kind padded
//! to 10 columns, then the event's fields. Components appear as `name#generation`, requests
//! as `#id` (the correlation id, shared by a request and its reply), bodies (when
//! [`TraceConfig::bodies`] is on) in [`Record`](crate::Record)'s `{key: value}` form and sizes
//! as encoded bytes. Raw URIs that failed to parse are quoted. An event a component repeats
//! the same way right after (a refusal, a binding) is one line ending `(+N more)`. When
//! events were not kept — the buffer overflowed, or a component made more than
//! [`REPEATABLE_PER_DRAIN`] refusals or bindings of different kinds between two drains —
//! the rendering starts with `…  N events lost`. Nothing in it depends on time,
//! addresses or hashing, so the same deployment and inputs always render the same text.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write};

use crate::error::CallError;
use crate::identity::Identity;
use crate::policy::{Caller, Method, Methods};

/// How much the router keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceConfig {
    /// Events buffered before the oldest are dropped (and counted); 0 turns tracing off.
    pub capacity: usize,
    /// Render message bodies into request, reply, notify and publish events (costs a
    /// formatting pass and an allocation per message: for tests and debugging).
    pub bodies: bool,
}

impl Default for TraceConfig {
    /// 64 events, no bodies.
    fn default() -> Self {
        Self {
            capacity: 64,
            bodies: false,
        }
    }
}

/// Which operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Resolving a URI.
    Bind,
    /// A request.
    Call,
    /// A one-way notification.
    Notify,
    /// A subscription.
    Subscribe,
    /// A publication (to one subscriber).
    Publish,
}

impl Op {
    /// Lowercase name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Op::Bind => "bind",
            Op::Call => "call",
            Op::Notify => "notify",
            Op::Subscribe => "subscribe",
            Op::Publish => "publish",
        }
    }
}

/// One thing the router did or refused.
#[derive(Clone, Debug, PartialEq)]
pub enum TraceEvent {
    /// A component registered (or re-registered: a new generation).
    Registered {
        /// The component, as `name#generation`.
        component: Identity,
        /// The route patterns it serves.
        routes: Vec<Rc<str>>,
        /// Its inbox's capacity, in deliveries.
        inbox: usize,
    },
    /// A component's endpoint was dropped; its routes are dead until it registers again.
    Unregistered {
        /// The component, as `name#generation`.
        component: Identity,
    },
    /// A rule was added.
    Allowed {
        /// Who the rule is for.
        caller: Caller,
        /// The route pattern the rule covers.
        route: Rc<str>,
        /// The methods the rule grants.
        methods: Methods,
        /// The deadline of the rule's calls, if it sets one (microseconds).
        timeout_us: Option<u64>,
    },
    /// A URI was resolved.
    Bound {
        /// Who asked, stamped by the router from its registration.
        caller: Identity,
        /// The URI as the caller gave it.
        uri: Rc<str>,
        /// The route pattern it resolved to.
        pattern: Rc<str>,
        /// The component serving the route.
        target: Identity,
    },
    /// A request was delivered to the handler's inbox.
    Request {
        /// The request's correlation id.
        id: u32,
        /// Who asked, stamped by the router from its registration.
        caller: Identity,
        /// The component serving the route.
        target: Identity,
        /// The method asked for.
        method: Method,
        /// The URI as the caller gave it.
        uri: Rc<str>,
        /// The body's encoded size, in bytes.
        bytes: u32,
        /// The body's text form, when the trace keeps bodies.
        body: Option<Box<str>>,
    },
    /// A reply reached the waiting caller (or an error was returned in its place).
    Reply {
        /// The request's correlation id.
        id: u32,
        /// The reply's encoded size, or the error the caller got instead.
        outcome: Result<u32, CallError>,
        /// The body's text form, when the trace keeps bodies.
        body: Option<Box<str>>,
    },
    /// A call's deadline passed: its caller was answered [`CallError::Timeout`] (a later
    /// reply is discarded).
    TimedOut {
        /// The request's correlation id.
        id: u32,
        /// The caller, no longer waiting.
        caller: Identity,
        /// The call's timeout, in microseconds.
        timeout_us: u64,
    },
    /// A reply (or a dropped request's error) found its caller no longer waiting.
    Discarded {
        /// The request's correlation id.
        id: u32,
    },
    /// A one-way notification was delivered.
    Notified {
        /// Who asked, stamped by the router from its registration.
        caller: Identity,
        /// The component serving the route.
        target: Identity,
        /// The method asked for.
        method: Method,
        /// The URI as the caller gave it.
        uri: Rc<str>,
        /// The body's encoded size, in bytes.
        bytes: u32,
        /// The body's text form, when the trace keeps bodies.
        body: Option<Box<str>>,
    },
    /// A component subscribed to a route's publications.
    Subscribed {
        /// The subscribing component.
        subscriber: Identity,
        /// The URI as the caller gave it.
        uri: Rc<str>,
        /// The component serving the route.
        target: Identity,
    },
    /// A publication went out.
    Published {
        /// The publishing component.
        publisher: Identity,
        /// The URI as the caller gave it.
        uri: Rc<str>,
        /// Subscribers whose inbox took it.
        delivered: u16,
        /// Subscribers whose inbox was full.
        refused: u16,
        /// The body's text form, when the trace keeps bodies.
        body: Option<Box<str>>,
    },
    /// A subscriber's inbox was full: it did not get this publication.
    Missed {
        /// The subscribing component.
        subscriber: Identity,
        /// The publishing component.
        publisher: Identity,
        /// The URI as the caller gave it.
        uri: Rc<str>,
    },
    /// The policy refused: the handler never saw it.
    Denied {
        /// Who asked, stamped by the router from its registration.
        caller: Identity,
        /// The component serving the route.
        target: Identity,
        /// The method asked for.
        method: Method,
        /// The URI as the caller gave it.
        uri: Rc<str>,
        /// The route pattern whose grants refused it.
        pattern: Rc<str>,
    },
    /// An operation failed for another reason.
    Failed {
        /// Who asked, stamped by the router from its registration.
        caller: Identity,
        /// What the caller tried.
        op: Op,
        /// The URI as given (quoted when it did not parse).
        uri: Rc<str>,
        /// Why it failed.
        error: CallError,
    },
}

fn body(f: &mut fmt::Formatter<'_>, body: &Option<Box<str>>) -> fmt::Result {
    match body {
        Some(b) => write!(f, " {b}"),
        None => Ok(()),
    }
}

impl fmt::Display for TraceEvent {
    #[cfg_attr(fireball_size_hints, optimize(size))]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use TraceEvent as E;
        match self {
            E::Registered {
                component,
                routes,
                inbox,
            } => {
                write!(f, "register   {component} routes=[")?;
                for (i, r) in routes.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(r)?;
                }
                write!(f, "] inbox={inbox}")
            }
            E::Unregistered { component } => write!(f, "unregister {component}"),
            E::Allowed {
                caller,
                route,
                methods,
                timeout_us,
            } => {
                write!(f, "allow      {caller} -> {route} {methods}")?;
                match timeout_us {
                    Some(us) => write!(f, " timeout={us}us"),
                    None => Ok(()),
                }
            }
            E::Bound {
                caller,
                uri,
                pattern,
                target,
            } => write!(f, "bind       {caller} {uri} -> {pattern} @ {target}"),
            E::Request {
                id,
                caller,
                target,
                method,
                uri,
                bytes,
                body: b,
            } => {
                write!(
                    f,
                    "request    #{id} {caller} -> {target} {method} {uri} ({bytes} B)"
                )?;
                body(f, b)
            }
            E::Reply {
                id,
                outcome,
                body: b,
            } => match outcome {
                Ok(bytes) => {
                    write!(f, "reply      #{id} ok ({bytes} B)")?;
                    body(f, b)
                }
                Err(e) => write!(f, "reply      #{id} err {e}"),
            },
            E::TimedOut {
                id,
                caller,
                timeout_us,
            } => write!(f, "timeout    #{id} {caller} after {timeout_us}us"),
            E::Discarded { id } => write!(f, "discarded  #{id} (caller no longer waiting)"),
            E::Notified {
                caller,
                target,
                method,
                uri,
                bytes,
                body: b,
            } => {
                write!(
                    f,
                    "notify     {caller} -> {target} {method} {uri} ({bytes} B)"
                )?;
                body(f, b)
            }
            E::Subscribed {
                subscriber,
                uri,
                target,
            } => write!(f, "subscribe  {subscriber} {uri} @ {target}"),
            E::Published {
                publisher,
                uri,
                delivered,
                refused,
                body: b,
            } => {
                write!(
                    f,
                    "publish    {publisher} {uri} delivered={delivered} refused={refused}"
                )?;
                body(f, b)
            }
            E::Missed {
                subscriber,
                publisher,
                uri,
            } => write!(
                f,
                "missed     {subscriber} {uri} from {publisher} (queue full)"
            ),
            E::Denied {
                caller,
                target,
                method,
                uri,
                pattern,
            } => write!(
                f,
                "denied     {caller} -> {target} {method} {uri} ({pattern})"
            ),
            E::Failed {
                caller,
                op,
                uri,
                error,
            } => write!(f, "failed     {caller} {} {uri}: {error}", op.as_str()),
        }
    }
}

/// An event with its sequence number (1, 2, 3… per router).
#[derive(Clone, Debug, PartialEq)]
pub struct Traced {
    /// Position in the router's history.
    pub seq: u64,
    /// What happened.
    pub event: TraceEvent,
    /// How many more times it happened right after, the same way (a refusal repeated: see
    /// [`TraceEvent::coalesces`]).
    pub repeats: u32,
}

impl fmt::Display for Traced {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04} {}", self.seq, self.event)?;
        if self.repeats > 0 {
            write!(f, " (+{} more)", self.repeats)?;
        }
        Ok(())
    }
}

impl TraceEvent {
    /// Whether this coalescing event is `earlier` again: the same component, the same URI,
    /// the same outcome. (Compared field by field for the three kinds that coalesce: a
    /// derived comparison of every kind costs a board ~1.5 KB of flash on this path.)
    fn repeats(&self, earlier: &Self) -> bool {
        use TraceEvent as E;
        let same = |a: &Identity, b: &Identity| a.slot == b.slot && a.generation == b.generation;
        match (self, earlier) {
            (
                E::Denied {
                    caller,
                    target,
                    method,
                    uri,
                    pattern,
                },
                E::Denied {
                    caller: c,
                    target: t,
                    method: m,
                    uri: u,
                    pattern: p,
                },
            ) => same(caller, c) && same(target, t) && method == m && uri == u && pattern == p,
            (
                E::Failed {
                    caller,
                    op,
                    uri,
                    error,
                },
                E::Failed {
                    caller: c,
                    op: o,
                    uri: u,
                    error: e,
                },
            ) => same(caller, c) && op == o && uri == u && error == e,
            (
                E::Bound {
                    caller,
                    uri,
                    pattern,
                    target,
                },
                E::Bound {
                    caller: c,
                    uri: u,
                    pattern: p,
                    target: t,
                },
            ) => same(caller, c) && same(target, t) && uri == u && pattern == p,
            _ => false,
        }
    }

    /// Whether the same event right after this one is counted on it instead of recorded:
    /// what a component can repeat as fast as it runs without waiting — refusals (a flood
    /// of notifications into a full inbox, a loop of denied calls) and bindings (a loop of
    /// bind and unbind). One event with a count keeps the trace readable and the buffer,
    /// and the turn that drains it, small.
    pub fn coalesces(&self) -> bool {
        matches!(
            self,
            Self::Denied { .. } | Self::Failed { .. } | Self::Bound { .. }
        )
    }
}

/// Events that a component can repeat without waiting (see [`TraceEvent::coalesces`]) kept
/// between two drains. Identical ones coalesce; past this many different ones (a guest
/// alternating two refused calls as fast as it runs) the rest are counted as lost, so the
/// buffer (on a board, in the subsystems' partition) and the turn that drains it stay small
/// whatever a component does.
pub const REPEATABLE_PER_DRAIN: u32 = 32;

/// The bounded buffer the router records into.
#[derive(Debug)]
pub(crate) struct TraceBuffer {
    config: TraceConfig,
    events: VecDeque<Traced>,
    next_seq: u64,
    lost: u64,
    /// Repeatable events kept since the last drain.
    repeatable: u32,
}

impl TraceBuffer {
    pub(crate) fn new(config: TraceConfig) -> Self {
        Self {
            config,
            events: VecDeque::new(),
            next_seq: 1,
            lost: 0,
            repeatable: 0,
        }
    }

    #[inline]
    pub(crate) fn on(&self) -> bool {
        self.config.capacity > 0
    }

    pub(crate) fn record(&mut self, event: TraceEvent) {
        if !self.on() {
            return;
        }
        if event.coalesces()
            && let Some(last) = self.events.back_mut()
            && event.repeats(&last.event)
        {
            last.repeats = last.repeats.saturating_add(1);
            return;
        }
        if event.coalesces() {
            if self.repeatable >= REPEATABLE_PER_DRAIN {
                self.lost += 1;
                return;
            }
            self.repeatable += 1;
        }
        if self.events.len() == self.config.capacity {
            self.events.pop_front();
            self.lost += 1;
        }
        self.events.push_back(Traced {
            seq: self.next_seq,
            event,
            repeats: 0,
        });
        self.next_seq += 1;
    }

    pub(crate) fn drain(&mut self) -> (u64, Vec<Traced>) {
        let lost = core::mem::take(&mut self.lost);
        self.repeatable = 0;
        (lost, self.events.drain(..).collect())
    }
}

/// Renders drained events (what [`Router::render_trace`](crate::Router::render_trace) does).
pub fn render(lost: u64, events: &[Traced]) -> String {
    let mut out = String::new();
    if lost > 0 {
        let _ = writeln!(out, "…  {lost} events lost");
    }
    for e in events {
        let _ = writeln!(out, "{e}");
    }
    out
}
