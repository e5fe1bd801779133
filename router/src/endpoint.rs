//! The one place every message passes through: a component's [`Endpoint`] (the capability
//! to act as it), the [`Binding`]s it resolves URIs to, and the calls, notifications,
//! subscriptions and publications it makes — each one stamped with the sender's identity,
//! checked against the policy's compiled grants and the binding's generation
//! (`Endpoint::check`), checked against the limits, and dispatched by route index into the
//! receiver's inbox, or refused and traced.
//!
//! It reads the registry and the shared core and builds deliveries; nothing below imports
//! it back.

use alloc::rc::Rc;
use alloc::string::ToString;
use alloc::vec::Vec;
use core::fmt;

use fireball_kernel::csp::{Channel, RecvFuture, TryRecvError, TrySendError};

use crate::delivery::{
    Core, Delivery, Envelope, Notification, Params, Publication, Request, RouteId, Target,
};
use crate::error::CallError;
use crate::identity::Identity;
use crate::policy::Method;
use crate::record::Record;
use crate::registry::{Live, State, Subscriber};
use crate::reply::{ReplySlot, shown, stored};
use crate::trace::{Op, TraceEvent};
use crate::uri::Uri;

/// A URI resolved once: the route, its parameters and the generation of the component
/// serving it. Calls through a binding skip the lookup (they dispatch by route index); if the
/// component restarts, they fail with [`CallError::Restarted`] until the caller binds again.
///
/// A binding grants nothing by itself: every use is checked against the policy for the
/// endpoint using it.
///
/// It also fixes the deadline of the calls made through it: the timeout of the policy rule
/// that grants its URI to the endpoint that bound it, if that rule sets one, else the
/// router's default ([`RouterConfig::call_timeout_us`](crate::RouterConfig::call_timeout_us)),
/// as they were when it was bound.
#[derive(Clone, Debug)]
pub struct Binding {
    owner: u16,
    generation: u32,
    /// The calls' timeout in microseconds (`u64::MAX`: none).
    timeout_us: u64,
    /// Route, URI, parameters and the endpoint that bound it: the envelope of every message
    /// sent through the binding, made once.
    target: Rc<Target>,
}

impl Binding {
    /// The URI as bound.
    pub fn uri(&self) -> &str {
        &self.target.uri
    }

    /// The parameters the URI filled in.
    pub fn params(&self) -> &Params {
        &self.target.params
    }

    /// The route it dispatches by.
    pub fn route(&self) -> RouteId {
        self.target.route
    }

    /// The generation of the component that served the route when it was bound.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// The deadline of a call through it, in microseconds after the router first sees the
    /// call open (see [`RouterAuthority::expire`](crate::RouterAuthority::expire)); `None`:
    /// the call waits as long as it takes.
    pub fn timeout_us(&self) -> Option<u64> {
        shown(self.timeout_us)
    }

    /// Sets the deadline of the calls made through this binding from now on (`None`: no
    /// deadline). For one call only, see [`Endpoint::call_with_timeout`].
    pub fn set_timeout_us(&mut self, timeout_us: Option<u64>) {
        self.timeout_us = stored(timeout_us);
    }
}

/// A registered component's capability to use the router: minted once by
/// [`Router::register`](crate::Router::register), not `Clone`. Everything sent through it is
/// stamped with its [`Identity`]. Dropping it unregisters the component: its routes go dead,
/// and the requests still queued for it, and those it had taken and not answered, fail with
/// its stop answer ([`CallError::DeadPeer`] unless the deployment set another with
/// [`RouterAuthority::set_stop_answer`](crate::RouterAuthority::set_stop_answer)).
pub struct Endpoint {
    core: Rc<Core>,
    identity: Identity,
    inbox: Rc<Channel<Delivery>>,
    replies: Rc<ReplySlot>,
}

/// Clears the awaited id if the call future is dropped before its reply arrives (and
/// settles a dropped request's answer that arrived unread, for the trace). Forgotten when
/// the reply is read: by then nothing is awaited.
struct Waiting<'a> {
    endpoint: &'a Endpoint,
    id: u32,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let slot = &self.endpoint.replies;
        if slot.awaiting.get() == Some(self.id) {
            slot.awaiting.set(None);
        } else {
            self.endpoint.settle(self.id);
        }
    }
}

impl Endpoint {
    pub(crate) fn new(
        core: Rc<Core>,
        identity: Identity,
        inbox: Rc<Channel<Delivery>>,
        replies: Rc<ReplySlot>,
    ) -> Self {
        Self {
            core,
            identity,
            inbox,
            replies,
        }
    }

    /// Who this endpoint acts as.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Resolves `uri` to a [`Binding`]. Fails with [`CallError::BadUri`],
    /// [`CallError::NoRoute`] or [`CallError::DeadPeer`] (a route nobody serves now).
    /// Policy is not checked here but on every use.
    pub fn bind(&self, uri: &str) -> Result<Binding, CallError> {
        let parsed = match Uri::parse(uri) {
            Ok(parsed) => parsed,
            Err(e) => return Err(self.failed(Op::Bind, quoted(uri), CallError::BadUri(e))),
        };
        let state = self.core.state.borrow();
        let Some(m) = state.table.lookup(&parsed) else {
            drop(state);
            return Err(self.failed(Op::Bind, uri.into(), CallError::NoRoute));
        };
        let entry = m.value();
        if state.serving(entry).is_none() {
            let error = if state.components[usize::from(entry.owner)].withdrawn {
                CallError::NoRoute
            } else {
                CallError::DeadPeer
            };
            drop(state);
            return Err(self.failed(Op::Bind, uri.into(), error));
        }
        let timeout_us = entry
            .grants
            .timeout_for(self.identity.slot, uri)
            .map_or(self.core.call_timeout_us, |us| stored(Some(us)));
        let binding = Binding {
            owner: entry.owner,
            generation: entry.generation,
            timeout_us,
            target: Rc::new(Target {
                caller: self.identity.clone(),
                route: RouteId(m.index() as u16),
                server: (entry.owner, entry.generation),
                uri: uri.into(),
                params: Params::from_pairs(m.params()),
            }),
        };
        self.core.trace(|| TraceEvent::Bound {
            caller: self.identity.clone(),
            uri: binding.target.uri.clone(),
            pattern: entry.pattern.clone(),
            target: state.identity(entry.owner),
        });
        Ok(binding)
    }

    /// Whether a `method` request through `binding` would be let through now (policy, then
    /// liveness), without sending anything or tracing.
    pub fn may(&self, binding: &Binding, method: Method) -> Result<(), CallError> {
        let state = self.core.state.borrow();
        self.check(&state, binding, method).map(|_| ())
    }

    /// The hot-path check: dispatch by route index, policy first (a denied caller learns
    /// nothing about liveness), then the binding's generation.
    #[inline]
    fn check<'s>(
        &self,
        state: &'s State<Delivery>,
        binding: &Binding,
        method: Method,
    ) -> Result<&'s Live<Delivery>, CallError> {
        let entry = state
            .table
            .get(binding.target.route.index())
            .ok_or(CallError::NoRoute)?;
        if !entry
            .grants
            .allows_on(self.identity.slot, method, binding.uri())
        {
            return Err(CallError::Denied);
        }
        let owner = &state.components[usize::from(entry.owner)];
        if entry.owner != binding.owner || owner.live.is_none() {
            return Err(CallError::DeadPeer);
        }
        if owner.generation != binding.generation {
            return Err(CallError::Restarted);
        }
        if entry.generation != binding.generation {
            return Err(CallError::DeadPeer);
        }
        owner.live.as_ref().ok_or(CallError::DeadPeer)
    }

    /// The envelope of a message sent through `binding`: the binding's own when this
    /// endpoint made it (the usual case: no allocation), else one naming this endpoint.
    fn envelope(&self, binding: &Binding, method: Method) -> Envelope {
        let at = &binding.target;
        let at = if at.caller.slot == self.identity.slot
            && at.caller.generation == self.identity.generation
        {
            at.clone()
        } else {
            Rc::new(Target {
                caller: self.identity.clone(),
                route: at.route,
                server: at.server,
                uri: at.uri.clone(),
                params: at.params.clone(),
            })
        };
        Envelope { method, at }
    }

    /// Traces a refusal from [`Self::check`] and returns it.
    fn refused(
        &self,
        state: &State<Delivery>,
        binding: &Binding,
        method: Method,
        op: Op,
        error: CallError,
    ) -> CallError {
        match (error, state.table.get(binding.target.route.index())) {
            (CallError::Denied, Some(entry)) => self.core.trace(|| TraceEvent::Denied {
                caller: self.identity.clone(),
                target: state.identity(entry.owner),
                method,
                uri: binding.target.uri.clone(),
                pattern: entry.pattern.clone(),
            }),
            _ => {
                self.failed(op, binding.target.uri.clone(), error);
            }
        }
        error
    }

    fn failed(&self, op: Op, uri: Rc<str>, error: CallError) -> CallError {
        self.core.trace(|| TraceEvent::Failed {
            caller: self.identity.clone(),
            op,
            uri,
            error,
        });
        error
    }

    /// Checks and enqueues a request (`Op::Call`) or notification; returns the request id.
    fn send(
        &self,
        binding: &Binding,
        method: Method,
        body: Record,
        op: Op,
    ) -> Result<u32, CallError> {
        let state = self.core.state.borrow();
        let live = match self.check(&state, binding, method) {
            Ok(live) => live,
            Err(e) => return Err(self.refused(&state, binding, method, op, e)),
        };
        let bytes = match body.check(&self.core.limits) {
            Ok(bytes) => bytes as u32,
            Err(e) => {
                return Err(self.failed(op, binding.target.uri.clone(), CallError::Message(e)));
            }
        };
        let rendered = self
            .core
            .trace_bodies()
            .then(|| body.to_string().into_boxed_str());
        let envelope = self.envelope(binding, method);
        let id = if op == Op::Call {
            self.core.next_id()
        } else {
            0
        };
        let delivery = if op == Op::Call {
            Delivery::Request(Request::new(
                id,
                envelope,
                body,
                self.core.clone(),
                self.replies.clone(),
            ))
        } else {
            Delivery::Notification(Notification { envelope, body })
        };
        match live.inbox.try_send(delivery) {
            Ok(()) => {
                if self.core.tracing() {
                    let target = state.identity(binding.owner);
                    let caller = self.identity.clone();
                    let uri = binding.target.uri.clone();
                    self.core.trace(|| match op {
                        Op::Call => TraceEvent::Request {
                            id,
                            caller,
                            target,
                            method,
                            uri,
                            bytes,
                            body: rendered,
                        },
                        _ => TraceEvent::Notified {
                            caller,
                            target,
                            method,
                            uri,
                            bytes,
                            body: rendered,
                        },
                    });
                }
                Ok(id)
            }
            Err(refusal) => {
                let error = match refusal {
                    TrySendError::Full(_) => CallError::QueueFull,
                    TrySendError::Closed(_) => CallError::DeadPeer,
                };
                let mut delivery = refusal.into_inner();
                delivery.defuse();
                drop(state);
                drop(delivery);
                Err(self.failed(op, binding.target.uri.clone(), error))
            }
        }
    }

    /// Sends a request and waits for its reply, at most until the binding's deadline
    /// ([`Binding::timeout_us`]).
    ///
    /// Fails at once, without the handler seeing anything, with [`CallError::Denied`],
    /// [`CallError::DeadPeer`], [`CallError::Restarted`], [`CallError::QueueFull`] or
    /// [`CallError::Message`]; later with the handler's [`CallError::Failed`], with
    /// [`CallError::NoReply`] if it dropped the request, with its stop answer
    /// ([`CallError::DeadPeer`] or [`CallError::Restarted`]) if it stopped first, or with
    /// [`CallError::Timeout`] once the deadline has passed. One call at a time per endpoint
    /// (`&mut self`); dropping the future abandons the call (a late reply is discarded and
    /// traced).
    pub fn call<'a>(
        &'a mut self,
        binding: &'a Binding,
        method: Method,
        body: Record,
    ) -> impl Future<Output = Result<Record, CallError>> + 'a {
        self.call_until(binding, method, body, binding.timeout_us)
    }

    /// [`Endpoint::call`] with this call's own deadline (`None`: none), in place of the
    /// binding's.
    pub fn call_with_timeout<'a>(
        &'a mut self,
        binding: &'a Binding,
        method: Method,
        body: Record,
        timeout_us: Option<u64>,
    ) -> impl Future<Output = Result<Record, CallError>> + 'a {
        self.call_until(binding, method, body, stored(timeout_us))
    }

    async fn call_until(
        &mut self,
        binding: &Binding,
        method: Method,
        body: Record,
        timeout_us: u64,
    ) -> Result<Record, CallError> {
        // A reply to an abandoned earlier call may still sit in the slot.
        self.replies.clear();
        let id = self.send(binding, method, body, Op::Call)?;
        self.replies.awaiting.set(Some(id));
        // The deadline costs the call this write: `RouterAuthority::expire` does the rest.
        self.replies.timeout_us.set(timeout_us);
        let this = &*self;
        let waiting = Waiting { endpoint: this, id };
        let result = core::future::poll_fn(|cx| this.replies.poll(id, cx)).await;
        // Answered: nothing is awaited any more, there is nothing for the guard to do.
        core::mem::forget(waiting);
        if let Err(CallError::NoReply) = result {
            return Err(this.settle(id));
        }
        result
    }

    /// What the caller of `id` gets for a request its handler dropped unanswered (see
    /// [`ReplySlot::orphan`]): `NoReply` if the handler is still running, its stop answer
    /// if not. Traced here, once; `NoReply` if `id` was answered otherwise.
    #[cold]
    fn settle(&self, id: u32) -> CallError {
        let Some((slot, generation)) = self.replies.take_orphan(id) else {
            return CallError::NoReply;
        };
        let error = {
            let state = self.core.state.borrow();
            if state.is_live(slot, generation) {
                CallError::NoReply
            } else {
                state.stop_answer(slot)
            }
        };
        self.core.trace(|| TraceEvent::Reply {
            id,
            outcome: Err(error),
            body: None,
        });
        error
    }

    /// [`Endpoint::bind`] then [`Endpoint::call`]: resolves the URI on every call (the slow
    /// path; bind once where the URI is fixed).
    pub async fn call_uri(
        &mut self,
        uri: &str,
        method: Method,
        body: Record,
    ) -> Result<Record, CallError> {
        let binding = self.bind(uri)?;
        self.call(&binding, method, body).await
    }

    /// Sends a one-way message; it is in the receiver's inbox when this returns `Ok`.
    /// A full inbox is [`CallError::QueueFull`] (nothing was delivered).
    pub fn notify(&self, binding: &Binding, method: Method, body: Record) -> Result<(), CallError> {
        self.send(binding, method, body, Op::Notify).map(|_| ())
    }

    /// Subscribes to what the route's owner publishes: on the concrete URI (`sensor://temp/1`:
    /// only publications on that URI) or on a registered pattern, as written
    /// (`sensor://temp/{id}`: all of them). Needs [`Method::Subscribe`].
    pub fn subscribe(&self, uri: &str) -> Result<Binding, CallError> {
        let (binding, filter) = match Uri::parse(uri) {
            Ok(_) => {
                let binding = self.bind(uri)?;
                let filter = Some(binding.target.uri.clone());
                (binding, filter)
            }
            Err(e) => {
                let state = self.core.state.borrow();
                let Some(route) = state.table.position(uri) else {
                    drop(state);
                    return Err(self.failed(Op::Subscribe, quoted(uri), CallError::BadUri(e)));
                };
                let entry = state.table.get(route).expect("found above");
                let binding = Binding {
                    owner: entry.owner,
                    generation: entry.generation,
                    timeout_us: self.core.call_timeout_us,
                    target: Rc::new(Target {
                        caller: self.identity.clone(),
                        route: RouteId(route as u16),
                        server: (entry.owner, entry.generation),
                        uri: entry.pattern.clone(),
                        params: Params::default(),
                    }),
                };
                (binding, None)
            }
        };
        let outcome = {
            let mut state = self.core.state.borrow_mut();
            match self.check(&state, &binding, Method::Subscribe) {
                Err(e) => Err(e),
                Ok(_) => {
                    let subscriber = Subscriber {
                        slot: self.identity.slot,
                        generation: self.identity.generation,
                        uri: filter,
                    };
                    let entry = state
                        .table
                        .get_mut(binding.target.route.index())
                        .expect("checked above");
                    let known = entry.subscribers.iter().any(|s| {
                        s.slot == subscriber.slot
                            && s.generation == subscriber.generation
                            && s.uri == subscriber.uri
                    });
                    if !known {
                        // The subscriber table is the router's memory.
                        self.core.at_home(|| entry.subscribers.push(subscriber));
                    }
                    Ok(())
                }
            }
        };
        let state = self.core.state.borrow();
        match outcome {
            Err(e) => Err(self.refused(&state, &binding, Method::Subscribe, Op::Subscribe, e)),
            Ok(()) => {
                self.core.trace(|| TraceEvent::Subscribed {
                    subscriber: self.identity.clone(),
                    uri: binding.target.uri.clone(),
                    target: state.identity(binding.owner),
                });
                Ok(binding)
            }
        }
    }

    /// Publishes `body` on one of this component's own routes (`binding` from
    /// [`Endpoint::bind`] on a URI it serves) to every subscriber whose filter matches.
    /// Returns how many received it. If any subscriber's inbox was full, the others still
    /// receive it and the result is [`CallError::Refused`] (each miss is traced).
    pub fn publish(&self, binding: &Binding, body: Record) -> Result<u16, CallError> {
        let owned = {
            let state = self.core.state.borrow();
            state
                .table
                .get(binding.target.route.index())
                .is_some_and(|e| {
                    e.owner == self.identity.slot && e.generation == self.identity.generation
                })
                && binding.owner == self.identity.slot
                && binding.generation == self.identity.generation
        };
        if !owned {
            return Err(self.failed(Op::Publish, binding.target.uri.clone(), CallError::NotOwner));
        }
        if let Err(e) = body.check(&self.core.limits) {
            return Err(self.failed(
                Op::Publish,
                binding.target.uri.clone(),
                CallError::Message(e),
            ));
        }
        let rendered = self
            .core
            .trace_bodies()
            .then(|| body.to_string().into_boxed_str());
        let body = Rc::new(body);
        let (mut delivered, mut refused) = (0u16, 0u16);
        let mut missed = Vec::new();
        {
            let mut state = self.core.state.borrow_mut();
            let State {
                components, table, ..
            } = &mut *state;
            let entry = table
                .get_mut(binding.target.route.index())
                .expect("checked above");
            entry.subscribers.retain(|s| {
                let c = &components[usize::from(s.slot)];
                c.generation == s.generation && c.live.is_some()
            });
            for s in &entry.subscribers {
                if s.uri.as_ref().is_some_and(|u| **u != *binding.target.uri) {
                    continue;
                }
                let c = &components[usize::from(s.slot)];
                let Some(live) = c.live.as_ref() else {
                    continue;
                };
                let publication = Delivery::Publication(Publication {
                    envelope: self.envelope(binding, Method::Subscribe),
                    body: body.clone(),
                });
                if live.inbox.try_send(publication).is_ok() {
                    delivered = delivered.saturating_add(1);
                } else {
                    refused = refused.saturating_add(1);
                    missed.push(Identity {
                        slot: s.slot,
                        generation: c.generation,
                        name: c.name.clone(),
                    });
                }
            }
        }
        for subscriber in missed {
            self.core.trace(|| TraceEvent::Missed {
                subscriber,
                publisher: self.identity.clone(),
                uri: binding.target.uri.clone(),
            });
        }
        self.core.trace(|| TraceEvent::Published {
            publisher: self.identity.clone(),
            uri: binding.target.uri.clone(),
            delivered,
            refused,
            body: rendered,
        });
        if refused > 0 {
            Err(CallError::Refused { delivered, refused })
        } else {
            Ok(delivered)
        }
    }

    /// The next delivery (waits). `None` never happens while the endpoint lives.
    pub fn recv(&self) -> RecvFuture<'_, Delivery> {
        self.inbox.recv()
    }

    /// The next delivery, if one is queued.
    pub fn try_recv(&self) -> Result<Delivery, TryRecvError> {
        self.inbox.try_recv()
    }

    /// The inbox channel (for [`fireball_kernel::csp::select`] with other channels).
    pub fn inbox(&self) -> &Channel<Delivery> {
        &self.inbox
    }
}

impl Drop for Endpoint {
    /// Unregisters the component: its routes go dead, queued requests (and those it holds
    /// when they drop) fail with its stop answer.
    fn drop(&mut self) {
        self.core.at_home(|| self.unregister());
    }
}

impl Endpoint {
    // Cold (boot, restarts, teardown): compiled for size in the firmware
    // (docs/perf.md, "Cold code in the hot crates").
    #[cfg_attr(fireball_size_hints, optimize(size))]
    #[inline(never)]
    fn unregister(&self) {
        let identity = &self.identity;
        let (live, answer) = {
            let mut state = self.core.state.borrow_mut();
            let answer = state.stop_answer(identity.slot);
            let c = &mut state.components[usize::from(identity.slot)];
            if c.generation == identity.generation {
                (c.live.take(), answer)
            } else {
                (None, answer)
            }
        };
        self.replies.awaiting.set(None);
        if let Some(live) = live {
            live.inbox.close();
            // Outside every borrow: each queued request answers its caller as it drops.
            while let Ok(delivery) = live.inbox.try_recv() {
                delivery.abandon(answer);
            }
        }
        self.core.trace(|| TraceEvent::Unregistered {
            component: identity.clone(),
        });
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("identity", &self.identity)
            .field("inbox", &self.inbox)
            .finish()
    }
}

/// A raw URI that failed to parse, quoted so that it cannot break a trace line.
fn quoted(uri: &str) -> Rc<str> {
    alloc::format!("{uri:?}").into()
}
