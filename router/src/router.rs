//! The router's two public handles, made together by [`Router::new`]:
//!
//! - [`Router`]: registration (each yields an [`Endpoint`], the only capability to send as
//!   that component) and read-only views (routes, the installed policy, the trace). It can
//!   be cloned and handed to whoever registers components — a vSoC, a test probe — because
//!   it cannot widen anyone's reach.
//! - [`RouterAuthority`]: the power to change what the router enforces — install a policy,
//!   add a rule, restart a component, say what a stopped component's callers get — and to
//!   run its clock: [`RouterAuthority::expire`] fails the calls past their deadline. One per
//!   router, not `Clone`, made only by
//!   [`Router::new`]: Tock's capability model, held by the deployment's boot code.
//!
//! Messages do not pass through here but through [`endpoint`](crate::Endpoint).

use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use fireball_kernel::csp::Channel;
use fireball_kernel::mem::{PartitionSwitch, Placement};

use crate::delivery::Core;
use crate::endpoint::Endpoint;
use crate::error::{CallError, RegisterError};
use crate::identity::Identity;
use crate::policy::{Grants, Methods, Policy, Rule};
use crate::record::Limits;
use crate::registry::{Component, Live, RouteEntry};
use crate::reply::{ReplySlot, Watch, stored};
use crate::table::InsertError;
use crate::trace::{self, TraceConfig, TraceEvent, Traced};
use crate::uri::{Pattern, UriError};

/// How a router is set up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RouterConfig {
    /// Applied to every request, reply, notification and publication.
    pub limits: Limits,
    /// What the trace keeps.
    pub trace: TraceConfig,
    /// The deadline of every call, in microseconds, where no policy rule sets one
    /// ([`PolicyBuilder::allow_with_timeout`](crate::PolicyBuilder::allow_with_timeout));
    /// `None`: calls wait as long as it takes. Enforced by [`RouterAuthority::expire`].
    pub call_timeout_us: Option<u64>,
}

/// What [`RouterAuthority::expire`] did, and when to call it again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Expiry {
    /// Calls failed with [`CallError::Timeout`] now.
    pub timed_out: usize,
    /// The earliest deadline of a call still open, in the clock `expire` was given; `None`:
    /// no open call has one.
    pub next_deadline_us: Option<u64>,
}

/// What a component registers.
#[derive(Clone, Copy, Debug)]
pub struct Registration<'a> {
    /// Its name: 1–32 bytes of `a-z0-9._-` (`hal.adc`, `svc.filter`).
    pub name: &'a str,
    /// The route patterns it serves (`hal://adc/{channel}`). May be empty: a pure client.
    pub routes: &'a [&'a str],
    /// Capacity of its inbox (at least 1). A sender finding it full gets
    /// [`CallError::QueueFull`](crate::CallError::QueueFull).
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

/// The router: registers components and shows what it holds. See the
/// [crate documentation](crate).
///
/// Cloning gives another handle to the same router, with the same powers: registering and
/// looking. None of them changes the policy — that takes the [`RouterAuthority`], which
/// [`Router::new`] hands out once, beside the first handle:
///
/// ```compile_fail
/// use fireball_router::{Methods, Router, RouterConfig};
///
/// let (router, _authority) = Router::new(RouterConfig::default());
/// // A component given a router handle cannot widen its own reach:
/// router.allow("app", "hal://adc/{channel}", Methods::ALL);
/// ```
#[derive(Clone)]
pub struct Router {
    core: Rc<Core>,
}

/// The power to change what a router enforces: its policy (and the components' lifecycle).
///
/// Made once, by [`Router::new`], and held by the deployment's boot code; not `Clone`, and
/// there is no other way to make one:
///
/// ```compile_fail
/// use fireball_router::{Router, RouterConfig};
///
/// let (_router, authority) = Router::new(RouterConfig::default());
/// let copy = authority.clone();
/// ```
///
/// Dropping it freezes the policy for the router's lifetime.
pub struct RouterAuthority {
    router: Router,
}

fn valid_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

impl Router {
    /// An empty router, with an empty policy (nobody may reach anything), and the one
    /// [`RouterAuthority`] over it. Boot code keeps the authority and hands out router
    /// handles.
    pub fn new(config: RouterConfig) -> (Router, RouterAuthority) {
        let router = Router {
            core: Rc::new(Core::new(
                config.limits,
                stored(config.call_timeout_us),
                config.trace,
            )),
        };
        let authority = RouterAuthority {
            router: router.clone(),
        };
        (router, authority)
    }

    /// Keep the router's own memory in `home` (normally P3, the subsystems' partition) on a
    /// board with a partitioned heap: its tables and its trace grow while components call
    /// it, and without this they would grow in the caller's partition — a service's quota,
    /// which must hold only the service.
    pub fn place_allocations(&self, switch: &'static dyn PartitionSwitch, home: Placement) {
        self.core.place_at(switch, home);
    }

    /// The limits every message is checked against.
    pub fn limits(&self) -> Limits {
        self.core.limits
    }

    /// Registers a component; returns its endpoint, the only way to act as it.
    ///
    /// A name registered before (whose endpoint has been dropped) comes back with the next
    /// generation: bindings made against the old one get [`CallError::Restarted`](crate::CallError::Restarted). Either
    /// every route is registered or none is.
    pub fn register(&self, registration: Registration<'_>) -> Result<Endpoint, RegisterError> {
        self.core.at_home(|| self.register_at_home(registration))
    }

    // Cold (boot, restarts, teardown): compiled for size in the firmware
    // (docs/perf.md, "Cold code in the hot crates").
    #[cfg_attr(fireball_size_hints, optimize(size))]
    #[inline(never)]
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
        let replies = Rc::new(ReplySlot::new());
        let component = Component {
            name: name.clone(),
            generation,
            withdrawn: false,
            live: Some(Live {
                inbox: Rc::new(Channel::new(inbox)),
                replies: replies.clone(),
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
            replies,
        ))
    }

    /// The policy being enforced (a frozen value: building a wider copy of it grants
    /// nothing; only the [`RouterAuthority`] installs one).
    pub fn policy(&self) -> Policy {
        self.core.state.borrow().policy()
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
            .field("rules", &state.rule_count())
            .finish()
    }
}

impl RouterAuthority {
    /// A handle on the router this authority governs.
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// Enforces `policy` from now on, in place of the installed one (each rule it adds is
    /// traced as `allow`). Rules may name components that have not registered yet.
    pub fn install(&self, policy: Policy) {
        let core = &self.router.core;
        core.at_home(|| {
            let added = self.router.core.state.borrow_mut().install(&policy);
            for rule in &policy.rules()[added..] {
                core.trace(|| TraceEvent::Allowed {
                    caller: rule.caller.clone(),
                    route: rule.route.clone(),
                    methods: rule.methods,
                    timeout_us: rule.timeout_us,
                });
            }
        });
    }

    /// Installs the current policy plus one rule: grants `caller` (a component name, or `*`
    /// for all) `methods` on the registered route `route` (a pattern; parameter names need
    /// not match the registration), or on one concrete URI of a route (`hal://adc/0` of
    /// `hal://adc/{channel}`: channel 0 only). See [`Rule::new`].
    pub fn allow(&self, caller: &str, route: &str, methods: Methods) -> Result<(), UriError> {
        self.router
            .core
            .at_home(|| self.add(Rule::new(caller, route, methods)?))
    }

    /// [`RouterAuthority::allow`], with the calls the rule grants timing out after
    /// `timeout_us` microseconds in place of the router's default
    /// ([`RouterConfig::call_timeout_us`]). Bindings made from now on take it; see
    /// [`policy`](crate::policy) for which rule's timeout a binding takes.
    pub fn allow_with_timeout(
        &self,
        caller: &str,
        route: &str,
        methods: Methods,
        timeout_us: u64,
    ) -> Result<(), UriError> {
        self.router
            .core
            .at_home(|| self.add(Rule::new(caller, route, methods)?.with_timeout_us(timeout_us)))
    }

    fn add(&self, rule: Rule) -> Result<(), UriError> {
        let core = &self.router.core;
        let event = TraceEvent::Allowed {
            caller: rule.caller.clone(),
            route: rule.route.clone(),
            methods: rule.methods,
            timeout_us: rule.timeout_us,
        };
        core.state.borrow_mut().add(rule);
        core.trace(|| event);
        Ok(())
    }

    /// Sets what the callers of the component named `component_name` get when it stops
    /// (its endpoint is dropped: its instance trapped and was unloaded, or its task was
    /// cancelled) for the requests still queued for it and those it had taken and not
    /// answered: each is answered `answer`, once. [`CallError::DeadPeer`] by default; a
    /// deployment sets [`CallError::Restarted`] while the component's restart policy will
    /// restart it (its callers bind again and retry), and `DeadPeer` again when it gives up.
    /// Set it before the endpoint is dropped. The name need not be registered yet.
    pub fn set_stop_answer(&self, component_name: &str, answer: CallError) {
        let core = &self.router.core;
        core.at_home(|| {
            core.state
                .borrow_mut()
                .set_stop_answer(component_name, answer);
        });
    }

    /// Withdraws the component named `component_name` from the deployment (a module
    /// removed at runtime): from now on binding one of its routes fails with
    /// [`CallError::NoRoute`], as if it had never been registered, rather than
    /// [`CallError::DeadPeer`]. Its endpoint should be dropped first (its queued and held
    /// requests get its stop answer). Registering the name again serves its routes again.
    /// Returns whether the name was registered and is not running.
    pub fn withdraw(&self, component_name: &str) -> bool {
        let mut state = self.router.core.state.borrow_mut();
        match state
            .components
            .iter_mut()
            .find(|c| &*c.name == component_name && c.live.is_none())
        {
            Some(c) => {
                c.withdrawn = true;
                true
            }
            None => false,
        }
    }

    /// Fails every open call whose deadline has passed at `now_us` with
    /// [`CallError::Timeout`] (its caller is woken, once, and traced `timeout`; the
    /// handler's late reply is discarded), and says when the next deadline falls.
    ///
    /// The router has no clock: the deployment loop calls this at each turn with its own
    /// (any monotonic microsecond count), and again by [`Expiry::next_deadline_us`] at the
    /// latest. A call's wait starts when `expire` first sees it open, so a call fails
    /// between its timeout and its timeout plus two intervals between calls to `expire`
    /// after it was sent (the precision is how often the loop calls it). Costs one look at
    /// each registered component; calls themselves read no clock.
    pub fn expire(&self, now_us: u64) -> Expiry {
        let core = &self.router.core;
        let state = core.state.borrow();
        let mut expiry = Expiry::default();
        for (slot, component) in state.components.iter().enumerate() {
            let Some(live) = &component.live else {
                continue;
            };
            match live.replies.watch(now_us) {
                Watch::Idle => {}
                Watch::Until(at) => {
                    expiry.next_deadline_us =
                        Some(expiry.next_deadline_us.map_or(at, |n| n.min(at)));
                }
                Watch::Expired { id, timeout_us } => {
                    live.replies.time_out(id);
                    expiry.timed_out += 1;
                    core.trace(|| TraceEvent::TimedOut {
                        id,
                        caller: state.identity(slot as u16),
                        timeout_us,
                    });
                }
            }
        }
        expiry
    }

    /// Restarts a component: drops `endpoint` (failing its queued requests with its stop
    /// answer, [`CallError::DeadPeer`] unless [set](Self::set_stop_answer) otherwise) and
    /// registers it again with the same routes and inbox, as the next generation.
    pub fn restart(&self, endpoint: Endpoint) -> Result<Endpoint, RegisterError> {
        let name: String = endpoint.identity().name().into();
        let inbox = endpoint.inbox().capacity();
        let routes: Vec<Rc<str>> = {
            let state = self.router.core.state.borrow();
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
        self.router.register(Registration {
            name: &name,
            routes: &routes,
            inbox,
        })
    }
}

impl fmt::Debug for RouterAuthority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RouterAuthority")
            .field(&self.router)
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
