//! The hub: the registry of components, the route table, the policy, and the one place every
//! message passes through.
//!
//! [`Router`] is the privileged handle (held by the runner or board code that builds the
//! deployment): it registers components and adds policy rules. Each registration yields an
//! [`Endpoint`], the only capability to send as that component.

use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::fmt;

use fireball_kernel::csp::Channel;
use fireball_kernel::mem::{PartitionSwitch, Placement};

use crate::delivery::{Delivery, ReplySlot};
use crate::endpoint::Endpoint;
use crate::error::{CallError, RegisterError};
use crate::identity::Identity;
use crate::policy::{Caller, Grants, Methods, Rule};
use crate::record::Limits;
use crate::table::{InsertError, RouteTable};
use crate::trace::{self, TraceBuffer, TraceConfig, TraceEvent, Traced};
use crate::uri::{Pattern, Uri, UriError};

/// How a router is set up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RouterConfig {
    /// Applied to every request, reply, notification and publication.
    pub limits: Limits,
    /// What the trace keeps.
    pub trace: TraceConfig,
}

/// What a component registers.
#[derive(Clone, Copy, Debug)]
pub struct Registration<'a> {
    /// Its name: 1–32 bytes of `a-z0-9._-` (`hal.adc`, `svc.filter`).
    pub name: &'a str,
    /// The route patterns it serves (`hal://adc/{channel}`). May be empty: a pure client.
    pub routes: &'a [&'a str],
    /// Capacity of its inbox (at least 1). A sender finding it full gets
    /// [`CallError::QueueFull`].
    pub inbox: usize,
}

impl<'a> Registration<'a> {
    /// Default inbox capacity.
    pub const DEFAULT_INBOX: usize = 4;

    /// `name` serving `routes`, with an inbox of [`Self::DEFAULT_INBOX`].
    pub const fn new(name: &'a str, routes: &'a [&'a str]) -> Self {
        Self {
            name,
            routes,
            inbox: Self::DEFAULT_INBOX,
        }
    }

    /// With an inbox of `capacity`.
    #[must_use]
    pub const fn inbox(mut self, capacity: usize) -> Self {
        self.inbox = capacity;
        self
    }
}

pub(crate) struct Live {
    pub(crate) inbox: Rc<Channel<Delivery>>,
}

pub(crate) struct Component {
    pub(crate) name: Rc<str>,
    pub(crate) generation: u32,
    pub(crate) live: Option<Live>,
}

pub(crate) struct Subscriber {
    pub(crate) slot: u16,
    pub(crate) generation: u32,
    /// Only publications on this URI; `None`: all of the route's.
    pub(crate) uri: Option<Rc<str>>,
}

pub(crate) struct RouteEntry {
    pub(crate) pattern: Rc<str>,
    pub(crate) owner: u16,
    /// The owner's generation that registered the route.
    pub(crate) generation: u32,
    pub(crate) grants: Grants,
    pub(crate) subscribers: Vec<Subscriber>,
}

pub(crate) struct State {
    pub(crate) components: Vec<Component>,
    pub(crate) table: RouteTable<RouteEntry>,
    rules: Vec<Rule>,
}

impl State {
    pub(crate) fn identity(&self, slot: u16) -> Identity {
        let c = &self.components[usize::from(slot)];
        Identity {
            slot,
            generation: c.generation,
            name: c.name.clone(),
        }
    }

    /// Whether the route's current owner is live in the generation that registered it.
    pub(crate) fn serving(&self, entry: &RouteEntry) -> Option<&Live> {
        let c = &self.components[usize::from(entry.owner)];
        if c.generation == entry.generation {
            c.live.as_ref()
        } else {
            None
        }
    }

    fn compile_policy(&mut self) {
        for i in 0..self.table.len() {
            if let Some(entry) = self.table.get_mut(i) {
                entry.grants.clear();
            }
        }
        let rules = core::mem::take(&mut self.rules);
        for rule in &rules {
            self.apply(rule);
        }
        self.rules = rules;
    }

    /// Adds one rule's grants (grants only grow, so a new rule needs no full recompile).
    fn apply(&mut self, rule: &Rule) {
        // A pattern grants the whole route; a concrete URI of a route (`hal://adc/0`) only
        // that URI.
        let (index, uri) = match self.table.find_shape(&rule.route) {
            Some(index) => (index, None),
            None => {
                let Ok(parsed) = Uri::parse(&rule.route) else {
                    return;
                };
                match self.table.lookup(&parsed) {
                    Some(m) => (m.index(), Some(rule.route.clone())),
                    None => return,
                }
            }
        };
        let slot = match &rule.caller {
            Caller::Any => None,
            Caller::Named(name) => match self.components.iter().position(|c| c.name == *name) {
                Some(slot) => Some(slot as u16),
                None => return,
            },
        };
        if let Some(entry) = self.table.get_mut(index) {
            match (slot, uri) {
                (slot, Some(uri)) => entry.grants.grant_uri(slot, uri, rule.methods),
                (Some(slot), None) => entry.grants.grant(slot, rule.methods),
                (None, None) => entry.grants.grant_anyone(rule.methods),
            }
        }
    }
}

pub(crate) struct Core {
    pub(crate) limits: Limits,
    pub(crate) state: RefCell<State>,
    /// The trace's configuration, fixed at creation: read without borrowing the buffer.
    tracing: bool,
    bodies: bool,
    trace: RefCell<TraceBuffer>,
    next_id: Cell<u32>,
    home: Cell<Option<(&'static dyn PartitionSwitch, Placement)>>,
}

impl Core {
    /// Run `f` with the router's own placement current (see [`Router::place_allocations`]):
    /// what the router keeps — its tables, its trace — is the router's memory, whichever
    /// component's call made it grow.
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

    /// Tears down a component whose endpoint is being dropped.
    pub(crate) fn unregister(&self, identity: &Identity, replies: &ReplySlot) {
        self.at_home(|| self.unregister_at_home(identity, replies));
    }

    fn unregister_at_home(&self, identity: &Identity, replies: &ReplySlot) {
        let live = {
            let mut state = self.state.borrow_mut();
            let c = &mut state.components[usize::from(identity.slot)];
            if c.generation == identity.generation {
                c.live.take()
            } else {
                None
            }
        };
        replies.awaiting.set(None);
        if let Some(live) = live {
            live.inbox.close();
            // Outside every borrow: each queued request answers its caller as it drops.
            while let Ok(delivery) = live.inbox.try_recv() {
                delivery.abandon(CallError::DeadPeer);
            }
        }
        self.trace(|| TraceEvent::Unregistered {
            component: identity.clone(),
        });
    }
}

/// The router: the privileged handle that builds a deployment. See the
/// [crate documentation](crate).
///
/// Cloning gives another handle to the same router.
#[derive(Clone)]
pub struct Router {
    core: Rc<Core>,
}

fn valid_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

impl Router {
    /// An empty router.
    pub fn new(config: RouterConfig) -> Self {
        Self {
            core: Rc::new(Core {
                limits: config.limits,
                state: RefCell::new(State {
                    components: Vec::new(),
                    table: RouteTable::new(),
                    rules: Vec::new(),
                }),
                tracing: config.trace.capacity > 0,
                bodies: config.trace.capacity > 0 && config.trace.bodies,
                trace: RefCell::new(TraceBuffer::new(config.trace)),
                next_id: Cell::new(1),
                home: Cell::new(None),
            }),
        }
    }

    /// Keep the router's own memory in `home` (normally P3, the subsystems' partition) on a
    /// board with a partitioned heap: its tables and its trace grow while components call
    /// it, and without this they would grow in the caller's partition — a service's quota,
    /// which must hold only the service.
    pub fn place_allocations(&self, switch: &'static dyn PartitionSwitch, home: Placement) {
        self.core.home.set(Some((switch, home)));
    }

    /// The limits every message is checked against.
    pub fn limits(&self) -> Limits {
        self.core.limits
    }

    /// Registers a component; returns its endpoint, the only way to act as it.
    ///
    /// A name registered before (whose endpoint has been dropped) comes back with the next
    /// generation: bindings made against the old one get [`CallError::Restarted`]. Either
    /// every route is registered or none is.
    pub fn register(&self, registration: Registration<'_>) -> Result<Endpoint, RegisterError> {
        self.core.at_home(|| self.register_at_home(registration))
    }

    fn register_at_home(&self, registration: Registration<'_>) -> Result<Endpoint, RegisterError> {
        let Registration {
            name,
            routes,
            inbox,
        } = registration;
        if !valid_name(name) {
            return Err(RegisterError::BadName);
        }
        if inbox == 0 {
            return Err(RegisterError::ZeroInbox);
        }
        let mut state = self.core.state.borrow_mut();
        let existing = state.components.iter().position(|c| &*c.name == name);
        if let Some(slot) = existing
            && state.components[slot].live.is_some()
        {
            return Err(RegisterError::NameTaken);
        }
        let slot = match existing {
            Some(slot) => slot,
            None if state.components.len() < usize::from(u16::MAX) => state.components.len(),
            None => return Err(RegisterError::Full),
        };
        // Check every route before changing anything.
        let mut reuse: Vec<Option<usize>> = Vec::with_capacity(routes.len());
        for (index, route) in routes.iter().enumerate() {
            let parsed = Pattern::parse(route).map_err(|e| RegisterError::BadRoute {
                index,
                error: InsertError::Uri(e),
            })?;
            let earlier = routes[..index]
                .iter()
                .any(|r| Pattern::parse(r).is_ok_and(|p| same_shape(&p, &parsed)));
            if earlier {
                return Err(RegisterError::RouteTaken { index });
            }
            match state.table.find_shape(route) {
                None => reuse.push(None),
                Some(at) => {
                    let entry = state.table.get(at).expect("found above");
                    let served = state.serving(entry).is_some();
                    let same_text = state.table.pattern(at) == Some(*route);
                    if served || !same_text {
                        return Err(RegisterError::RouteTaken { index });
                    }
                    reuse.push(Some(at));
                }
            }
        }
        if state.table.len() + reuse.iter().filter(|r| r.is_none()).count() > usize::from(u16::MAX)
        {
            return Err(RegisterError::Full);
        }
        let generation = match existing {
            Some(slot) => state.components[slot].generation + 1,
            None => 1,
        };
        let name: Rc<str> = match existing {
            Some(slot) => state.components[slot].name.clone(),
            None => name.into(),
        };
        let component = Component {
            name: name.clone(),
            generation,
            live: Some(Live {
                inbox: Rc::new(Channel::new(inbox)),
            }),
        };
        let inbox_channel = component.live.as_ref().map(|l| l.inbox.clone());
        if slot == state.components.len() {
            state.components.push(component);
        } else {
            state.components[slot] = component;
        }
        let slot = slot as u16;
        let mut patterns = Vec::with_capacity(routes.len());
        for (route, reuse) in routes.iter().zip(reuse) {
            let pattern: Rc<str> = (*route).into();
            match reuse {
                Some(at) => {
                    let entry = state.table.get_mut(at).expect("found above");
                    entry.owner = slot;
                    entry.generation = generation;
                    // Subscriptions are to the route and survive its server's restart
                    // (subscribers that stopped are pruned at the next publication).
                }
                None => {
                    let entry = RouteEntry {
                        pattern: pattern.clone(),
                        owner: slot,
                        generation,
                        grants: Grants::new(),
                        subscribers: Vec::new(),
                    };
                    state
                        .table
                        .insert(route, entry)
                        .expect("checked: valid and free");
                }
            }
            patterns.push(pattern);
        }
        state.compile_policy();
        drop(state);
        let identity = Identity {
            slot,
            generation,
            name,
        };
        self.core.trace(|| TraceEvent::Registered {
            component: identity.clone(),
            routes: patterns,
            inbox,
        });
        Ok(Endpoint::new(
            self.core.clone(),
            identity,
            inbox_channel.expect("just made"),
            Rc::new(ReplySlot::new()),
        ))
    }

    /// Restarts a component: drops `endpoint` (failing its queued requests with
    /// [`CallError::DeadPeer`]) and registers it again with the same routes and inbox, as
    /// the next generation.
    pub fn restart(&self, endpoint: Endpoint) -> Result<Endpoint, RegisterError> {
        let name: String = endpoint.identity().name().into();
        let inbox = endpoint.inbox().capacity();
        let routes: Vec<Rc<str>> = {
            let state = self.core.state.borrow();
            let slot = endpoint.identity().slot;
            state
                .table
                .iter()
                .filter(|(_, _, e)| {
                    e.owner == slot && e.generation == endpoint.identity().generation
                })
                .map(|(_, _, e)| e.pattern.clone())
                .collect()
        };
        drop(endpoint);
        let routes: Vec<&str> = routes.iter().map(|r| &**r).collect();
        self.register(Registration {
            name: &name,
            routes: &routes,
            inbox,
        })
    }

    /// Grants `caller` (a component name, or `*` for all) `methods` on the registered route
    /// `route` (a pattern; parameter names need not match the registration), or on one
    /// concrete URI of a route (`hal://adc/0` of `hal://adc/{channel}`: channel 0 only).
    /// Rules may be added before the components they name exist.
    pub fn allow(&self, caller: &str, route: &str, methods: Methods) -> Result<(), UriError> {
        self.core
            .at_home(|| self.allow_at_home(caller, route, methods))
    }

    fn allow_at_home(&self, caller: &str, route: &str, methods: Methods) -> Result<(), UriError> {
        Pattern::parse(route)?;
        let rule = Rule {
            caller: Caller::parse(caller),
            route: route.into(),
            methods,
        };
        let event = TraceEvent::Allowed {
            caller: rule.caller.clone(),
            route: rule.route.clone(),
            methods,
        };
        {
            let mut state = self.core.state.borrow_mut();
            state.apply(&rule);
            state.rules.push(rule);
        }
        self.core.trace(|| event);
        Ok(())
    }

    /// The rules added so far, in order.
    pub fn rules(&self) -> Vec<Rule> {
        self.core.state.borrow().rules.clone()
    }

    /// Every registered route pattern with the component serving it (`None`: nobody now).
    pub fn routes(&self) -> Vec<(String, Option<Identity>)> {
        let state = self.core.state.borrow();
        state
            .table
            .iter()
            .map(|(_, pattern, entry)| {
                let owner = state.serving(entry).map(|_| state.identity(entry.owner));
                (pattern.to_string(), owner)
            })
            .collect()
    }

    /// Takes every buffered trace event: `(events lost to overflow, events)`.
    pub fn drain_trace(&self) -> (u64, Vec<Traced>) {
        self.core.trace.borrow_mut().drain()
    }

    /// Takes every buffered trace event and renders them, one line each (see [`trace`] for
    /// the format). The text is deterministic: snapshot it.
    pub fn render_trace(&self) -> String {
        let (lost, events) = self.drain_trace();
        trace::render(lost, &events)
    }
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.core.state.borrow();
        f.debug_struct("Router")
            .field("components", &state.components.len())
            .field("routes", &state.table.len())
            .field("rules", &state.rules.len())
            .finish()
    }
}

fn same_shape(a: &Pattern<'_>, b: &Pattern<'_>) -> bool {
    use crate::uri::PatternSegment as S;
    a.scheme() == b.scheme()
        && a.segments().len() == b.segments().len()
        && a.segments()
            .iter()
            .zip(b.segments())
            .all(|pair| match pair {
                (S::Literal(x), S::Literal(y)) => x == y,
                (S::Param(_), S::Param(_)) => true,
                _ => false,
            })
}
