//! The vSoC's side of the router: one router endpoint per instance, its binding
//! table, the request staged for a blocking call and the reply waiting to be fetched.
//!
//! An instance is registered with the router under its module name (so policies
//! written for that name apply to it) the first time it uses a router builtin,
//! and unregistered when it stops. Its endpoint is moved into the kernel future
//! for the length of a call (`&mut Endpoint` cannot be held in a `RefCell`
//! across an await) and put back with the reply.

use alloc::vec::Vec;
use core::cell::RefCell;

use fireball_abi::{limits::MAX_BINDINGS, method, status};
use fireball_kernel::value::{Handle, HandleTable};
use fireball_router::{
    Binding, CallError, Endpoint, Method, Record, RecordError, Registration, Router,
};

use crate::{Vsoc, builtins::Completion};

/// Inbox of a guest's endpoint: guests serve no routes, so it only ever
/// receives publications (not exposed yet); one slot is enough.
const GUEST_INBOX: usize = 1;

struct Routed {
    serial: u16,
    /// `None` while a call is in flight (the endpoint is inside the call's future).
    endpoint: Option<Endpoint>,
    bindings: HandleTable<Binding>,
    staged: Option<(Binding, Method, Record)>,
    reply: Option<Vec<u8>>,
}

/// Every instance's router state (one per board).
#[derive(Default)]
pub(crate) struct RouteBridge {
    router: RefCell<Option<Router>>,
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
        CallError::Failed(code) => status::failed(code),
    }
}

fn method_of(number: i32) -> Option<Method> {
    match number {
        method::READ => Some(Method::Read),
        method::WRITE => Some(Method::Write),
        method::CALL => Some(Method::Call),
        _ => None,
    }
}

impl RouteBridge {
    pub(crate) fn attach(&self, router: Router) {
        *self.router.borrow_mut() = Some(router);
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
                routed.push(Routed {
                    serial,
                    endpoint: Some(endpoint),
                    bindings: HandleTable::new(MAX_BINDINGS),
                    staged: None,
                    reply: None,
                });
                routed.len() - 1
            }
        };
        Ok(f(&mut routed[index]))
    }

    pub(crate) fn bind(&self, serial: u16, name: &str, uri: &str) -> i32 {
        self.with(serial, name, |r| {
            let Some(endpoint) = &r.endpoint else {
                return status::NO_REPLY;
            };
            match endpoint.bind(uri) {
                Ok(binding) => match r.bindings.insert(binding) {
                    // Handles are 16-bit index + 16-bit generation: `as i32` may be negative.
                    Ok(handle) => i32::try_from(handle.to_raw()).unwrap_or(status::TABLE_FULL),
                    Err(_) => status::TABLE_FULL,
                },
                Err(e) => call_status(e),
            }
        })
        .unwrap_or_else(|code| code)
    }

    pub(crate) fn unbind(&self, serial: u16, name: &str, handle: i32) -> i32 {
        self.with(serial, name, |r| {
            match r.bindings.remove(Handle::from_raw(handle as u32)) {
                Ok(()) => status::OK,
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
            .get(Handle::from_raw(handle as u32))
            .map_err(|_| status::BAD_HANDLE)?
            .clone();
        let method = method_of(method).ok_or(status::BAD_URI)?;
        let limits = self
            .router
            .borrow()
            .as_ref()
            .map(Router::limits)
            .ok_or(status::NO_ROUTER)?;
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
            r.reply = None;
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
        match &r.reply {
            None => status::NO_REPLY,
            Some(bytes) if bytes.len() > out.len() => status::TOO_LARGE,
            Some(bytes) => {
                out[..bytes.len()].copy_from_slice(bytes);
                let len = bytes.len();
                r.reply = None;
                i32::try_from(len).unwrap_or(status::TOO_LARGE)
            }
        }
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
        let limits = endpoint_limits(&self.router.borrow());
        let result = endpoint.call(&binding, method, body).await;
        let (code, reply) = match result.and_then(|reply| Ok(reply.encode(&limits)?)) {
            Ok(bytes) => (
                i32::try_from(bytes.len()).unwrap_or(status::TOO_LARGE),
                Some(bytes),
            ),
            Err(e) => (call_status(e), None),
        };
        let mut routed = self.routed.borrow_mut();
        if let Some(r) = routed.iter_mut().find(|r| r.serial == serial) {
            r.endpoint = Some(endpoint);
            r.reply = reply;
        }
        Completion::Status(code)
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

fn endpoint_limits(router: &Option<Router>) -> fireball_router::Limits {
    router.as_ref().map(Router::limits).unwrap_or_default()
}

impl Vsoc {
    /// Give this vSoC's instances the router: each instance is registered under
    /// its module name the first time it uses a `route_*` builtin (so the
    /// router's policies for that name apply), and unregistered when it stops.
    /// Without a router those builtins return `NO_ROUTER`.
    pub fn attach_router(&self, router: Router) {
        self.board.routes.attach(router);
    }

    /// The router attached with [`Vsoc::attach_router`], if any.
    pub fn router(&self) -> Option<Router> {
        self.board.routes.router()
    }
}
