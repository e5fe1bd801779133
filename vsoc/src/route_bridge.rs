//! The vSoC's side of the router: one router endpoint per instance, its binding
//! table, the request staged for a blocking call and the reply waiting to be fetched.
//! The router builtins ([`crate::builtins`]) work on it; the vSoC attaches the router and
//! registers services through it ([`Vsoc::attach_router`], [`Vsoc::register_service`]).
//!
//! An instance is registered with the router under its module name (so policies
//! written for that name apply to it) the first time it uses a router builtin,
//! and unregistered when it stops. A **service** is registered before it runs
//! ([`Vsoc::register_service`]) with the routes it serves; it takes what arrives
//! with `route_next` / `route_take` and answers with `route_respond`. Requests it
//! holds are answered by the router (`NoReply`) if it stops first. Its endpoint is moved
//! into the kernel future for the length of a call (`&mut Endpoint` cannot be held in a
//! `RefCell` across an await) and put back with the reply.
//!
//! [`Vsoc::attach_router`]: crate::Vsoc::attach_router
//! [`Vsoc::register_service`]: crate::Vsoc::register_service

use alloc::vec::Vec;
use core::cell::{Cell, RefCell};

use fireball_abi::{
    delivery::{self, Header},
    limits::{MAX_BINDINGS, MAX_OPEN_REQUESTS},
    status,
};
use fireball_kernel::value::{Handle, HandleTable};
use fireball_router::{
    Binding, CallError, Delivery, Endpoint, Envelope, Limits, Method, Record, RecordError,
    RegisterError, Registration, Request, Router,
};

use crate::pending::Completion;

/// Inbox of a guest's endpoint: guests serve no routes, so it only ever
/// receives publications (not exposed yet); one slot is enough.
const GUEST_INBOX: usize = 1;

/// Bits of a guest's binding handle that hold the slot's index (the rest, its generation).
const INDEX_BITS: u32 = 8;
const _: () = assert!(MAX_BINDINGS <= 1usize << INDEX_BITS);

/// A binding's handle as its guest sees it: the slot's generation above its index, in 24 bits,
/// so every generation a slot may reach is a non-negative `i32`. (The kernel's [`Handle`]
/// keeps the generation in the top 16 bits: from a slot's 32,768th bind on it read as a
/// negative status, and `route_bind` answered `TABLE_FULL` with the binding left in the table,
/// out of the guest's reach — a guest that bound and unbound per call lost its bindings one
/// slot at a time.)
fn to_guest(handle: Handle) -> i32 {
    (i32::from(handle.generation()) << INDEX_BITS) | i32::from(handle.index())
}

/// The kernel's [`Handle`] for a binding handle a guest alleges: bits beyond the 24 name an
/// index past the table, refused as any forged handle is.
fn from_guest(handle: i32) -> Handle {
    let raw = handle as u32;
    if raw >> (INDEX_BITS + 16) != 0 {
        return Handle::from_raw(u32::from(u16::MAX));
    }
    Handle::from_raw(((raw >> INDEX_BITS) << 16) | (raw & ((1 << INDEX_BITS) - 1)))
}

struct Routed {
    serial: u16,
    /// `None` while a call is in flight (the endpoint is inside the call's future).
    endpoint: Option<Endpoint>,
    bindings: HandleTable<Binding>,
    staged: Option<(Binding, Method, Record)>,
    /// The reply to the last call, encoded for `route_reply`.
    reply: Kept,
    /// Registered with routes of its own (a service).
    serves: bool,
    /// The delivery `route_next` announced, encoded for `route_take`.
    held: Kept,
    /// Requests taken and not answered yet, by token.
    open: Vec<(u32, Request)>,
    next_token: u32,
}

impl Routed {
    fn new(serial: u16, endpoint: Endpoint, serves: bool) -> Self {
        Self {
            serial,
            endpoint: Some(endpoint),
            bindings: HandleTable::new(MAX_BINDINGS),
            staged: None,
            reply: Kept::default(),
            serves,
            held: Kept::default(),
            open: Vec::new(),
            next_token: 1,
        }
    }

    /// Encode `delivery` for `route_take` and keep it (a request also stays open under a
    /// fresh token); its length.
    fn hold(&mut self, delivery: Delivery, limits: &Limits) -> i32 {
        let (kind, envelope, body) = match &delivery {
            Delivery::Request(r) => (delivery::REQUEST, r.envelope(), r.body()),
            Delivery::Notification(n) => (delivery::NOTIFICATION, n.envelope(), n.body()),
            Delivery::Publication(p) => (delivery::PUBLICATION, p.envelope(), p.body()),
        };
        let token = if kind == delivery::REQUEST {
            let token = self.next_token;
            self.next_token = token.checked_add(1).unwrap_or(1);
            token
        } else {
            0
        };
        let Some(len) = encode_delivery(kind, token, envelope, body, limits, &mut self.held) else {
            // The router checked the body against the same limits, so this is a URI or name
            // longer than the header can say: refuse the request rather than lose it silently.
            if let Delivery::Request(request) = delivery {
                let _ = request.fail(TOO_LARGE_FOR_SERVICE);
            }
            return status::TOO_LARGE;
        };
        if let Delivery::Request(request) = delivery {
            self.open.push((token, request));
        }
        i32::try_from(len).unwrap_or(status::TOO_LARGE)
    }
}

/// The token `route_respond` takes for the delivery `route_next` announced and the module
/// has not taken (it did not fit the module's buffer).
const HELD: i32 = 0;

impl Routed {
    /// Drop the held delivery; a request among them is failed with `code` (1..=65535), so its
    /// caller is answered although the service never saw it.
    fn refuse_held(&mut self, code: i32) -> i32 {
        let Ok(code) = u16::try_from(code) else {
            return status::BAD_MESSAGE;
        };
        if code == 0 {
            return status::BAD_MESSAGE;
        }
        let Some(held) = self.held.take() else {
            return status::NO_REPLY;
        };
        let header = fireball_abi::delivery::Header::decode(held);
        if let Some(header) = header.filter(|h| h.kind == delivery::REQUEST)
            && let Some(index) = self.open.iter().position(|(t, _)| *t == header.token)
        {
            let request = take_open(&mut self.open, index);
            // A caller that gave up meanwhile is not the service's error.
            let _ = request.fail(code);
        }
        status::OK
    }
}

/// Take open request `index` (in bounds) out of `open`. `Vec::swap_remove` moves the last
/// request over the one removed even when they are the same one (a `memmove` of a whole
/// `Request`, ~300 instructions on the M33); a service answering its latest request, the
/// usual case, pops it instead.
fn take_open(open: &mut Vec<(u32, Request)>, index: usize) -> Request {
    if index + 1 == open.len()
        && let Some((_, request)) = open.pop()
    {
        return request;
    }
    open.swap_remove(index).1
}

/// Failure code a request gets when its delivery cannot be laid out for the service.
pub const TOO_LARGE_FOR_SERVICE: u16 = 413;

/// Bytes waiting for the module to copy them out (a reply, a delivery), in a buffer that
/// is reused from one message to the next: a round trip allocates nothing for its
/// encodings once the buffers have grown to the messages' size. The buffer belongs to the
/// instance (it is freed with its router state when the instance stops).
#[derive(Default)]
struct Kept {
    bytes: Vec<u8>,
    /// Whether `bytes` holds a message not taken yet.
    full: bool,
}

impl Kept {
    /// The message waiting, if any.
    fn get(&self) -> Option<&[u8]> {
        self.full.then_some(&self.bytes[..])
    }

    /// Forget the message waiting (the buffer stays); it, if there was one.
    fn take(&mut self) -> Option<&[u8]> {
        let full = core::mem::replace(&mut self.full, false);
        full.then_some(&self.bytes[..])
    }

    /// Room for a message of `len` bytes, replacing any waiting (zeroed, to be written).
    fn fill(&mut self, len: usize) -> &mut [u8] {
        self.bytes.clear();
        self.bytes.resize(len, 0);
        self.full = true;
        &mut self.bytes
    }

    /// Copy the waiting message into `out` and forget it: its length, `TOO_LARGE` (kept)
    /// or `NO_REPLY`.
    fn copy_out(&mut self, out: &mut [u8]) -> i32 {
        let len = match self.get() {
            None => return status::NO_REPLY,
            Some(bytes) if bytes.len() > out.len() => return status::TOO_LARGE,
            Some(bytes) => {
                out[..bytes.len()].copy_from_slice(bytes);
                bytes.len()
            }
        };
        self.full = false;
        i32::try_from(len).unwrap_or(status::TOO_LARGE)
    }
}

/// Lay a delivery out in `out` in the `abi::delivery` layout; its length, or `None` (and
/// `out` emptied) if the body breaks `limits` or a length does not fit the header.
fn encode_delivery(
    kind: u8,
    token: u32,
    envelope: &Envelope,
    body: &Record,
    limits: &Limits,
    out: &mut Kept,
) -> Option<usize> {
    out.full = false;
    let body_len = body.check(limits).ok()?;
    let uri = envelope.uri().as_bytes();
    let caller = envelope.caller().name().as_bytes();
    let header = Header {
        kind,
        method: envelope.method() as u8,
        token,
        uri_len: u16::try_from(uri.len()).ok()?,
        caller_len: u16::try_from(caller.len()).ok()?,
        body_len: u32::try_from(body_len).ok()?,
    };
    let len = header.total_len();
    let bytes = &mut out.bytes;
    bytes.clear();
    bytes.extend_from_slice(&header.encode());
    bytes.extend_from_slice(uri);
    bytes.extend_from_slice(caller);
    let at = bytes.len();
    // Only the body's part is zeroed before it is written (`encode_into` takes a slice).
    bytes.resize(len, 0);
    if body.encode_into(&mut bytes[at..]).map(|b| b.len()) != Ok(body_len) {
        // `check` measured what `encode_into` writes: this does not happen.
        return None;
    }
    out.full = true;
    Some(len)
}

/// Every instance's router state (one per vSoC).
#[derive(Default)]
pub(crate) struct RouteBridge {
    router: RefCell<Option<Router>>,
    /// The attached router's limits (fixed when it is made), read on every request and
    /// reply without borrowing the router.
    limits: Cell<Option<Limits>>,
    routed: RefCell<Vec<Routed>>,
}

/// The status a router error gives the guest.
pub(crate) fn call_status(error: CallError) -> i32 {
    match error {
        CallError::BadUri(_) => status::BAD_URI,
        CallError::NoRoute => status::NO_ROUTE,
        CallError::Denied | CallError::NotOwner => status::DENIED,
        CallError::DeadPeer => status::DEAD_PEER,
        CallError::Restarted => status::RESTARTED,
        CallError::QueueFull | CallError::Refused { .. } => status::QUEUE_FULL,
        CallError::Message(RecordError::TooLarge { .. }) => status::TOO_LARGE,
        CallError::Message(_) => status::BAD_MESSAGE,
        CallError::NoReply => status::NO_REPLY,
        CallError::Timeout => status::TIMEOUT,
        CallError::Failed(code) => status::failed(code),
    }
}

impl RouteBridge {
    pub(crate) fn attach(&self, router: Router) {
        self.limits.set(Some(router.limits()));
        *self.router.borrow_mut() = Some(router);
    }

    /// The limits messages are held to: the router's, or the defaults without one.
    fn limits(&self) -> Limits {
        self.limits.get().unwrap_or_default()
    }

    pub(crate) fn router(&self) -> Option<Router> {
        self.router.borrow().clone()
    }

    /// Run `f` on instance `serial`'s state, registering it as `name` first if needed.
    fn with<R>(&self, serial: u16, name: &str, f: impl FnOnce(&mut Routed) -> R) -> Result<R, i32> {
        let mut routed = self.routed.borrow_mut();
        let index = match routed.iter().position(|r| r.serial == serial) {
            Some(index) => index,
            None => {
                let router = self.router.borrow();
                let router = router.as_ref().ok_or(status::NO_ROUTER)?;
                let endpoint = router
                    .register(Registration::new(name, &[]).inbox(GUEST_INBOX))
                    .map_err(|_| status::NO_ROUTER)?;
                routed.push(Routed::new(serial, endpoint, false));
                routed.len() - 1
            }
        };
        Ok(f(&mut routed[index]))
    }

    /// Register instance `serial` as `name` serving `routes`, before it runs.
    pub(crate) fn register_service(
        &self,
        serial: u16,
        name: &str,
        routes: &[&str],
        inbox: usize,
    ) -> Result<(), ServeError> {
        let mut routed = self.routed.borrow_mut();
        if routed.iter().any(|r| r.serial == serial) {
            return Err(ServeError::AlreadyRegistered);
        }
        let router = self.router.borrow();
        let router = router.as_ref().ok_or(ServeError::NoRouter)?;
        let endpoint = router
            .register(Registration::new(name, routes).inbox(inbox))
            .map_err(ServeError::Register)?;
        routed.push(Routed::new(serial, endpoint, true));
        Ok(())
    }

    /// `route_next` without waiting: the length of a delivery held now, or `Err(None)` if
    /// the service must wait, `Err(Some(status))` if it must not.
    pub(crate) fn next_ready(&self, serial: u16) -> Result<i32, Option<i32>> {
        let limits = self.limits();
        let mut routed = self.routed.borrow_mut();
        let r = routed
            .iter_mut()
            .find(|r| r.serial == serial && r.serves)
            .ok_or(Some(status::NO_ROUTER))?;
        if let Some(held) = r.held.get() {
            return Ok(i32::try_from(held.len()).unwrap_or(status::TOO_LARGE));
        }
        if r.open.len() >= MAX_OPEN_REQUESTS {
            return Err(Some(status::TABLE_FULL));
        }
        loop {
            let endpoint = r.endpoint.as_ref().ok_or(Some(status::NO_REPLY))?;
            let Ok(delivery) = endpoint.try_recv() else {
                return Err(None);
            };
            // A delivery that cannot be laid out was failed (its caller answered 413): the
            // service is given the next one instead.
            let len = r.hold(delivery, &limits);
            if len >= 0 {
                return Ok(len);
            }
        }
    }

    /// The kernel future behind a waiting `route_next`: the next delivery's length.
    pub(crate) async fn await_next(&self, serial: u16) -> Completion {
        let taken = {
            let mut routed = self.routed.borrow_mut();
            routed
                .iter_mut()
                .find(|r| r.serial == serial && r.serves)
                .and_then(|r| r.endpoint.take())
        };
        let Some(endpoint) = taken else {
            return Completion::Status(status::NO_ROUTER);
        };
        loop {
            let delivery = endpoint.recv().await;
            let limits = self.limits();
            let mut routed = self.routed.borrow_mut();
            let Some(r) = routed.iter_mut().find(|r| r.serial == serial) else {
                return Completion::Status(status::NO_ROUTER);
            };
            let len = match delivery {
                Some(delivery) => r.hold(delivery, &limits),
                // The inbox closed: the router is gone.
                None => status::NO_ROUTER,
            };
            // A delivery that cannot be laid out was failed (its caller answered 413): the
            // service waits for the next one instead.
            if len != status::TOO_LARGE {
                r.endpoint = Some(endpoint);
                return Completion::Status(len);
            }
        }
    }

    /// Copy the held delivery into `out`: its length, `TOO_LARGE` (kept) or `NO_REPLY`.
    pub(crate) fn take_delivery(&self, serial: u16, out: &mut [u8]) -> i32 {
        let mut routed = self.routed.borrow_mut();
        let Some(r) = routed.iter_mut().find(|r| r.serial == serial) else {
            return status::NO_REPLY;
        };
        r.held.copy_out(out)
    }

    /// Answer open request `token`: `code` 0 replies with the record `body`, 1..=65535 fails.
    pub(crate) fn respond(&self, serial: u16, token: i32, code: i32, body: &[u8]) -> i32 {
        let limits = self.limits();
        let mut routed = self.routed.borrow_mut();
        let Some(r) = routed.iter_mut().find(|r| r.serial == serial) else {
            return status::BAD_HANDLE;
        };
        if token == HELD {
            return r.refuse_held(code);
        }
        let Some(index) = r.open.iter().position(|(t, _)| *t == token as u32) else {
            return status::BAD_HANDLE;
        };
        let answer = match code {
            0 => match Record::decode(body, &limits) {
                Ok(record) => Ok(record),
                Err(e) => return call_status(CallError::Message(e)),
            },
            1..=0xFFFF => Err(code as u16),
            _ => return status::BAD_MESSAGE,
        };
        let request = take_open(&mut r.open, index);
        drop(routed);
        // A caller that gave up meanwhile is not the service's error.
        let _ = match answer {
            Ok(record) => request.reply(record),
            Err(code) => request.fail(code),
        };
        status::OK
    }

    pub(crate) fn bind(&self, serial: u16, name: &str, uri: &str) -> i32 {
        self.with(serial, name, |r| {
            let Some(endpoint) = &r.endpoint else {
                return status::NO_REPLY;
            };
            // Refused before the router resolves it: a guest binding in a loop costs the
            // router nothing, not a trace event per try.
            if r.bindings.len() >= MAX_BINDINGS {
                return status::TABLE_FULL;
            }
            match endpoint.bind(uri) {
                Ok(binding) => match r.bindings.insert(binding) {
                    Ok(handle) => to_guest(handle),
                    Err(_) => status::TABLE_FULL,
                },
                Err(e) => call_status(e),
            }
        })
        .unwrap_or_else(|code| code)
    }

    pub(crate) fn unbind(&self, serial: u16, name: &str, handle: i32) -> i32 {
        self.with(serial, name, |r| {
            match r.bindings.remove(from_guest(handle)) {
                Ok(()) => status::OK,
                Err(_) => status::BAD_HANDLE,
            }
        })
        .unwrap_or_else(|code| code)
    }

    /// Set the deadline of the calls through binding `handle` (`timeout_ms` 0: none).
    pub(crate) fn set_timeout(&self, serial: u16, name: &str, handle: i32, timeout_ms: i32) -> i32 {
        let Ok(ms) = u64::try_from(timeout_ms) else {
            return status::BAD_MESSAGE;
        };
        self.with(serial, name, |r| {
            match r.bindings.get_mut(from_guest(handle)) {
                Ok(binding) => {
                    binding.set_timeout_us((ms > 0).then_some(ms * 1000));
                    status::OK
                }
                Err(_) => status::BAD_HANDLE,
            }
        })
        .unwrap_or_else(|code| code)
    }

    /// Decode `request` and resolve the binding and method: what a call or notification needs.
    fn prepare(
        &self,
        r: &Routed,
        handle: i32,
        method: i32,
        request: &[u8],
    ) -> Result<(Binding, Method, Record), i32> {
        let binding = r
            .bindings
            .get(from_guest(handle))
            .map_err(|_| status::BAD_HANDLE)?
            .clone();
        let method = Method::requested(method).ok_or(status::BAD_URI)?;
        let limits = self.limits.get().ok_or(status::NO_ROUTER)?;
        let body =
            Record::decode(request, &limits).map_err(|e| call_status(CallError::Message(e)))?;
        Ok((binding, method, body))
    }

    /// Check and stage a request for [`RouteBridge::complete`]; `Err` is the status to return now.
    pub(crate) fn stage_call(
        &self,
        serial: u16,
        name: &str,
        handle: i32,
        method: i32,
        request: &[u8],
    ) -> Result<(), i32> {
        self.with(serial, name, |r| {
            let staged = self.prepare(r, handle, method, request)?;
            r.reply.full = false;
            r.staged = Some(staged);
            Ok(())
        })?
    }

    pub(crate) fn notify(
        &self,
        serial: u16,
        name: &str,
        handle: i32,
        method: i32,
        request: &[u8],
    ) -> i32 {
        self.with(serial, name, |r| {
            let (binding, method, body) = self.prepare(r, handle, method, request)?;
            let endpoint = r.endpoint.as_ref().ok_or(status::NO_REPLY)?;
            endpoint.notify(&binding, method, body).map_err(call_status)
        })
        .and_then(|sent| sent)
        .map_or_else(|code| code, |()| status::OK)
    }

    /// Copy the waiting reply into `out`: its length, `TOO_LARGE` (kept) or `NO_REPLY`.
    pub(crate) fn take_reply(&self, serial: u16, out: &mut [u8]) -> i32 {
        let mut routed = self.routed.borrow_mut();
        let Some(r) = routed.iter_mut().find(|r| r.serial == serial) else {
            return status::NO_REPLY;
        };
        r.reply.copy_out(out)
    }

    /// The kernel future behind `route_call`: send the staged request, await the
    /// reply, keep its encoding for `route_reply`; the status is its length.
    pub(crate) async fn complete(&self, serial: u16) -> Completion {
        let taken = {
            let mut routed = self.routed.borrow_mut();
            routed
                .iter_mut()
                .find(|r| r.serial == serial && r.endpoint.is_some() && r.staged.is_some())
                .and_then(|r| Some((r.endpoint.take()?, r.staged.take()?)))
        };
        let Some((mut endpoint, (binding, method, body))) = taken else {
            return Completion::Status(status::NO_REPLY);
        };
        let result = endpoint.call(&binding, method, body).await;
        let limits = self.limits();
        let mut routed = self.routed.borrow_mut();
        let Some(r) = routed.iter_mut().find(|r| r.serial == serial) else {
            // Released meanwhile (the instance stopped): nowhere to keep the reply; the
            // status is what it would have been.
            let measured = result.and_then(|reply| Ok(reply.check(&limits)?));
            return Completion::Status(match measured {
                Ok(len) => i32::try_from(len).unwrap_or(status::TOO_LARGE),
                Err(e) => call_status(e),
            });
        };
        r.endpoint = Some(endpoint);
        r.reply.full = false;
        let encoded = result.and_then(|reply| {
            let len = reply.check(&limits)?;
            reply.encode_into(r.reply.fill(len))?;
            Ok(len)
        });
        Completion::Status(match encoded {
            Ok(len) => i32::try_from(len).unwrap_or(status::TOO_LARGE),
            Err(e) => {
                r.reply.full = false;
                call_status(e)
            }
        })
    }

    /// The token of the request service `serial` has held longest (taken, not answered).
    pub(crate) fn oldest_open(&self, serial: u16) -> Option<u32> {
        let routed = self.routed.borrow();
        let r = routed.iter().find(|r| r.serial == serial)?;
        r.open.iter().map(|(token, _)| *token).min()
    }

    /// Instance `serial` stopped: unregister it and forget its bindings.
    pub(crate) fn release(&self, serial: u16) {
        // Dropping the endpoint outside the borrow: it answers queued requests.
        let gone: Vec<Routed> = {
            let mut routed = self.routed.borrow_mut();
            let (gone, kept) = core::mem::take(&mut *routed)
                .into_iter()
                .partition(|r| r.serial == serial);
            *routed = kept;
            gone
        };
        drop(gone);
    }
}

/// Why [`Vsoc::register_service`](crate::Vsoc::register_service) refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServeError {
    /// No router is attached ([`Vsoc::attach_router`](crate::Vsoc::attach_router)).
    NoRouter,
    /// The instance is already registered (it served before, or already used a router builtin).
    AlreadyRegistered,
    /// The router refused the registration (name taken, a route malformed or served).
    Register(RegisterError),
}

impl core::fmt::Display for ServeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NoRouter => f.write_str("no router attached to this vSoC"),
            Self::AlreadyRegistered => f.write_str("the instance is already registered"),
            Self::Register(e) => write!(f, "the router refused the registration: {e}"),
        }
    }
}
