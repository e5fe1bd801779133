//! What arrives in a component's inbox: requests (answer them), notifications and
//! publications (one-way), the routing facts they carry ([`Envelope`]: caller, [`RouteId`],
//! URI, [`Params`]), and the reply path back to a caller.

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::string::ToString;
use alloc::vec::Vec;
use core::fmt;

use crate::error::CallError;
use crate::identity::Identity;
use crate::policy::Method;
use crate::record::Record;
use crate::reply::{Reply, ReplySlot};
use crate::shared;
use crate::trace::TraceEvent;

/// A registered route, as the hot path addresses it: its index in the router's table
/// (stable for the router's lifetime; a restarted component gets its routes back under the
/// same ids). Shown as `r<index>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RouteId(pub(crate) u16);

impl RouteId {
    /// The table index.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for RouteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "r{}", self.0)
    }
}

/// The `{param}` values a URI filled in, by name.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Params(Option<Rc<[Pair]>>);

/// One `(name, value)` parameter.
type Pair = (Box<str>, Box<str>);

impl Params {
    pub(crate) fn from_pairs<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Self {
        let pairs: Vec<Pair> = pairs.map(|(k, v)| (k.into(), v.into())).collect();
        if pairs.is_empty() {
            Self(None)
        } else {
            Self(Some(pairs.into()))
        }
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    /// `(name, value)` pairs in pattern order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .flat_map(|pairs| pairs.iter().map(|(k, v)| (&**k, &**v)))
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |p| p.len())
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// The router's core, its inboxes carrying deliveries.
pub(crate) type Core = shared::Core<Delivery>;

/// One item of a component's inbox.
#[derive(Debug)]
pub enum Delivery {
    /// A request: answer it with [`Request::reply`] or [`Request::fail`].
    Request(Request),
    /// A one-way message.
    Notification(Notification),
    /// Something a route the component subscribed to published.
    Publication(Publication),
}

/// Routing facts common to every delivery, stamped by the router.
#[derive(Clone)]
pub struct Envelope {
    pub(crate) method: Method,
    /// Sender, route, URI and parameters: fixed when the URI was bound, shared by every
    /// message sent through the binding (one reference count, not four, and a small
    /// request to move through the inbox).
    pub(crate) at: Rc<Target>,
}

/// What a [`Binding`](crate::Binding) fixes: who sends, along which route, to which URI,
/// served by which component.
pub(crate) struct Target {
    pub(crate) caller: Identity,
    pub(crate) route: RouteId,
    /// The serving component's slot and generation when the URI was bound (the handler of
    /// every request sent through it: the router checks the generation before delivery).
    pub(crate) server: (u16, u32),
    pub(crate) uri: Rc<str>,
    pub(crate) params: Params,
}

impl Envelope {
    /// Who sent it (for a publication: the publisher). Stamped by the router from the
    /// sender's registration: it cannot be forged.
    pub fn caller(&self) -> &Identity {
        &self.at.caller
    }

    /// What the sender does with the route.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The route (one of the receiver's patterns).
    pub fn route(&self) -> RouteId {
        self.at.route
    }

    /// The URI the sender bound (`hal://adc/3`).
    pub fn uri(&self) -> &str {
        &self.at.uri
    }

    /// The pattern's parameters as captured from the URI.
    pub fn params(&self) -> &Params {
        &self.at.params
    }

    /// One parameter by name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.at.params.get(name)
    }
}

impl core::fmt::Debug for Envelope {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Envelope")
            .field("caller", &self.at.caller)
            .field("method", &self.method)
            .field("route", &self.at.route)
            .field("uri", &self.at.uri)
            .field("params", &self.at.params)
            .finish()
    }
}

impl core::fmt::Debug for Target {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Target")
            .field("caller", &self.caller)
            .field("route", &self.route)
            .field("uri", &self.uri)
            .field("params", &self.params)
            .finish()
    }
}

struct ReplyTo {
    core: Rc<Core>,
    slot: Rc<ReplySlot>,
    /// What the caller gets if the request is dropped unanswered: `NoReply` (from the
    /// handler: settled by the caller, see [`ReplySlot::orphan`]), or the handler's stop
    /// answer (still queued when it stopped).
    if_dropped: CallError,
}

/// A request. Dropping it unanswered answers the caller with [`CallError::NoReply`] — or,
/// when its handler stopped holding it (trapped, was cancelled or unloaded), with the
/// handler's stop answer ([`CallError::DeadPeer`] unless the deployment set another: see
/// [`RouterAuthority::set_stop_answer`](crate::RouterAuthority::set_stop_answer)).
pub struct Request {
    id: u32,
    envelope: Envelope,
    body: Record,
    reply_to: Option<ReplyTo>,
}

impl Request {
    pub(crate) fn new(
        id: u32,
        envelope: Envelope,
        body: Record,
        core: Rc<Core>,
        slot: Rc<ReplySlot>,
    ) -> Self {
        Self {
            id,
            envelope,
            body,
            reply_to: Some(ReplyTo {
                core,
                slot,
                if_dropped: CallError::NoReply,
            }),
        }
    }

    /// The correlation id (shown as `#id` in the trace).
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The routing facts.
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// Who sent it (stamped by the router).
    pub fn caller(&self) -> &Identity {
        self.envelope.caller()
    }

    /// What the caller does with the route.
    pub fn method(&self) -> Method {
        self.envelope.method
    }

    /// One URI parameter by name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.envelope.param(name)
    }

    /// The message.
    pub fn body(&self) -> &Record {
        &self.body
    }

    /// Takes the message out (leaving an empty record).
    pub fn take_body(&mut self) -> Record {
        core::mem::take(&mut self.body)
    }

    /// Answers with `body`. `Err` says the answer did not arrive: the caller stopped waiting
    /// ([`CallError::DeadPeer`]) or `body` breaks the limits ([`CallError::Message`], which
    /// the caller receives instead).
    pub fn reply(mut self, body: Record) -> Result<(), CallError> {
        let to = self.reply_to.take().expect("a request is answered once");
        deliver(to, self.id, Ok(body))
    }

    /// Answers with the request's own record, cleared and then filled by `fill`: a reply
    /// that reuses the request's memory instead of allocating its own (the caller can in
    /// turn reuse the reply for its next request, and a bound round trip touches no heap).
    pub fn reply_with(mut self, fill: impl FnOnce(&mut Record)) -> Result<(), CallError> {
        let mut body = core::mem::take(&mut self.body);
        body.clear();
        fill(&mut body);
        self.reply(body)
    }

    /// Answers with an application error code (the caller gets [`CallError::Failed`]).
    pub fn fail(mut self, code: u16) -> Result<(), CallError> {
        let to = self.reply_to.take().expect("a request is answered once");
        deliver(to, self.id, Err(CallError::Failed(code)))
    }

    /// Disarms the drop-answer (the request never left the router).
    pub(crate) fn defuse(&mut self) {
        self.reply_to = None;
    }

    /// Makes a drop answer with `error` instead of [`CallError::NoReply`].
    pub(crate) fn abandon(mut self, error: CallError) {
        if let Some(to) = self.reply_to.as_mut() {
            to.if_dropped = error;
        }
    }
}

impl Drop for Request {
    #[inline]
    fn drop(&mut self) {
        // Answered (the usual case): nothing to do.
        if let Some(to) = self.reply_to.take() {
            unanswered(to, self.id, self.envelope.at.server);
        }
    }
}

/// A request dropped unanswered: still queued when its handler stopped (`to.if_dropped` is
/// the stop answer), or dropped by its handler, alive or dying — which one is known only
/// once whatever is dropping it has finished (a cancelled task drops its locals before the
/// endpoint it owns), so the caller settles it when it looks ([`ReplySlot::orphan`]).
#[cold]
#[inline(never)]
fn unanswered(to: ReplyTo, id: u32, (server, generation): (u16, u32)) {
    if to.if_dropped != CallError::NoReply {
        let error = to.if_dropped;
        let _ = deliver(to, id, Err(error));
        return;
    }
    let ReplyTo { core, slot, .. } = to;
    if slot.awaiting.get() != Some(id) {
        core.trace(|| TraceEvent::Discarded { id });
        return;
    }
    slot.orphan(id, server, generation);
}

impl core::fmt::Debug for Request {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Request")
            .field("id", &self.id)
            .field("envelope", &self.envelope)
            .field("body", &self.body)
            .finish()
    }
}

/// Sends a reply to the caller if it is still waiting for `id`.
fn deliver(to: ReplyTo, id: u32, result: Result<Record, CallError>) -> Result<(), CallError> {
    let ReplyTo { core, slot, .. } = to;
    let (result, outcome) = match result {
        Ok(body) => match body.check(&core.limits) {
            Ok(bytes) => (Ok(body), Ok(bytes as u32)),
            Err(e) => (Err(CallError::Message(e)), Err(CallError::Message(e))),
        },
        Err(e) => (Err(e), Err(e)),
    };
    if slot.awaiting.get() != Some(id) {
        core.trace(|| TraceEvent::Discarded { id });
        return Err(CallError::DeadPeer);
    }
    let rendered = match (&result, core.trace_bodies()) {
        (Ok(body), true) => Some(body.to_string().into_boxed_str()),
        _ => None,
    };
    slot.put(Reply { id, result });
    core.trace(|| TraceEvent::Reply {
        id,
        outcome,
        body: rendered,
    });
    match outcome {
        Err(e @ CallError::Message(_)) => Err(e),
        _ => Ok(()),
    }
}

/// A one-way message.
#[derive(Debug)]
pub struct Notification {
    pub(crate) envelope: Envelope,
    pub(crate) body: Record,
}

impl Notification {
    /// The routing facts (sender, method, URI, parameters).
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// Who sent it (stamped by the router).
    pub fn caller(&self) -> &Identity {
        self.envelope.caller()
    }

    /// The message.
    pub fn body(&self) -> &Record {
        &self.body
    }

    /// The message, by value.
    pub fn into_body(self) -> Record {
        self.body
    }
}

/// A publication, shared by every subscriber that receives it.
#[derive(Debug)]
pub struct Publication {
    pub(crate) envelope: Envelope,
    pub(crate) body: Rc<Record>,
}

impl Publication {
    /// The routing facts (publisher, URI, parameters).
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// Who published it.
    pub fn publisher(&self) -> &Identity {
        self.envelope.caller()
    }

    /// The message (shared with the other subscribers).
    pub fn body(&self) -> &Record {
        &self.body
    }
}

impl Delivery {
    /// The routing facts, whatever the kind.
    pub fn envelope(&self) -> &Envelope {
        match self {
            Delivery::Request(r) => &r.envelope,
            Delivery::Notification(n) => &n.envelope,
            Delivery::Publication(p) => &p.envelope,
        }
    }

    /// The request, if it is one.
    pub fn into_request(self) -> Option<Request> {
        match self {
            Delivery::Request(r) => Some(r),
            _ => None,
        }
    }

    /// Used by the router when the receiver dies with this still queued.
    pub(crate) fn abandon(self, error: CallError) {
        if let Delivery::Request(r) = self {
            r.abandon(error);
        }
    }

    /// Used by the router when it could not enqueue this.
    pub(crate) fn defuse(&mut self) {
        if let Delivery::Request(r) = self {
            r.defuse();
        }
    }
}
