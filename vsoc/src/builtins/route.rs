//! Router builtins: `route_bind`, `route_unbind`, `route_call`, `route_reply`,
//! `route_call_into` (the two in one), `route_notify`, and for services `route_next`,
//! `route_take`, `route_respond`, `route_respond_next` (the three in one) and `route_serve`
//! (a route declared, kept only for `fireball inspect`).
//!
//! Guests reach the router through these (everything that is not a hot path).
//! Requests and replies are postcard-encoded router `Record`s; the URI, the
//! request and the reply buffer are [`GuestSlice`]s checked against the
//! instance's memory (a bad pointer traps the instance, as for `print`), and
//! bindings are handles in the instance's own table (a stale or forged one is
//! `BAD_HANDLE`). `route_call` blocks: the request is decoded and staged, the
//! wasmi call is suspended with [`Pending::RouteCall`], the instance's task
//! awaits the router's reply, and the call resumes with the reply's length;
//! `route_reply` then copies the reply out. A service's `route_next` blocks the same way
//! (with [`Pending::RouteNext`]) until a delivery arrives, `route_take` copies it out in the
//! `abi::delivery` layout, and `route_respond` answers a request by its token.
//! `route_call_into` and `route_respond_next` do a call, or a serve loop's turn, in one
//! crossing into the host: what arrives is copied into the buffer the builtin was given
//! when the instance resumes (`Instance::complete`), or fetched as before when it does not
//! fit. See
//! `route_bridge` for the endpoints behind them and for registration.

use fireball_abi::{
    builtin,
    limits::{MAX_ROUTE_MESSAGE, MAX_URI},
    status,
};

/// Most routes one instance's `route_serve` declarations are kept for (when kept at all): the
/// services SDK serves at most 16; more is `TABLE_FULL`.
const MAX_SERVED_ROUTES: usize = 64;

/// Largest delivery `route_take` copies: a header, a URI, a caller name and a body.
const MAX_DELIVERY: usize = fireball_abi::delivery::HEADER_LEN + MAX_URI + 64 + MAX_ROUTE_MESSAGE;

use super::{BuiltinExit, Caller, HostContext, LinkError, define, exit, memory_and_state, suspend};
use crate::{guest_memory::GuestSlice, pending::Pending};

/// The guest's bytes at `ptr..ptr+len`: `Ok(Err(TOO_LARGE))` past `limit`, a trap if outside memory.
pub(super) fn guest_bytes(
    memory: &[u8],
    ptr: i32,
    len: i32,
    limit: usize,
) -> Result<Result<&[u8], i32>, wasmi::Error> {
    if len as u32 as usize > limit {
        return Ok(Err(status::TOO_LARGE));
    }
    GuestSlice::new(ptr, len)
        .read(memory, limit)
        .map(Ok)
        .map_err(|fault| exit(BuiltinExit::Fault(fault)))
}

/// The guest's buffer at `ptr..ptr+cap` (`cap` clamped to `0..=limit`) to copy into; a
/// trap if outside memory.
pub(super) fn guest_out(
    memory: &mut [u8],
    ptr: i32,
    cap: i32,
    limit: usize,
) -> Result<&mut [u8], wasmi::Error> {
    GuestSlice::new(ptr, cap.clamp(0, limit as i32))
        .write(memory, limit)
        .map_err(|fault| exit(BuiltinExit::Fault(fault)))
}

pub(super) fn link(linker: &mut wasmi::Linker<HostContext>) -> Result<(), LinkError> {
    define(
        linker,
        builtin::ROUTE_BIND,
        |mut caller: Caller<'_>, ptr: i32, len: i32| -> Result<i32, wasmi::Error> {
            let (memory, state) = memory_and_state(&mut caller)?;
            state.stats.host_calls += 1;
            let uri = match guest_bytes(memory, ptr, len, MAX_URI)? {
                Ok(bytes) => bytes,
                Err(code) => return Ok(code),
            };
            let Ok(uri) = core::str::from_utf8(uri) else {
                return Ok(status::BAD_URI);
            };
            Ok(state
                .registry
                .routes
                .bind(state.serial, &state.monitor.name, uri))
        },
    )?;
    define(
        linker,
        builtin::ROUTE_UNBIND,
        |mut caller: Caller<'_>, binding: i32| -> i32 {
            let state = caller.data_mut();
            state.stats.host_calls += 1;
            state
                .registry
                .routes
                .unbind(state.serial, &state.monitor.name, binding)
        },
    )?;
    define(
        linker,
        builtin::ROUTE_TIMEOUT,
        |mut caller: Caller<'_>, binding: i32, timeout_ms: i32| -> i32 {
            let state = caller.data_mut();
            state.stats.host_calls += 1;
            state.registry.routes.set_timeout(
                state.serial,
                &state.monitor.name,
                binding,
                timeout_ms,
            )
        },
    )?;
    define(
        linker,
        builtin::ROUTE_CALL,
        |mut caller: Caller<'_>,
         binding: i32,
         method: i32,
         ptr: i32,
         len: i32|
         -> Result<i32, wasmi::Error> {
            let (memory, state) = memory_and_state(&mut caller)?;
            state.stats.host_calls += 1;
            let request = match guest_bytes(memory, ptr, len, MAX_ROUTE_MESSAGE)? {
                Ok(bytes) => bytes,
                Err(code) => return Ok(code),
            };
            let routes = &state.registry.routes;
            match routes.stage_call(state.serial, &state.monitor.name, binding, method, request) {
                Ok(()) => {
                    let serial = state.serial;
                    let (out, cap) = (0, 0);
                    Err(suspend(state, Pending::RouteCall { serial, out, cap }))
                }
                Err(code) => Ok(code),
            }
        },
    )?;
    define(
        linker,
        builtin::ROUTE_CALL_INTO,
        |mut caller: Caller<'_>,
         binding: i32,
         method: i32,
         ptr: i32,
         len: i32,
         out: i32,
         cap: i32|
         -> Result<i32, wasmi::Error> {
            let (memory, state) = memory_and_state(&mut caller)?;
            state.stats.host_calls += 1;
            // The reply's buffer is checked before the request is sent: a bad one traps the
            // caller at the call, not after a service answered.
            let cap = guest_out(memory, out, cap, MAX_ROUTE_MESSAGE)?.len() as u32;
            let request = match guest_bytes(memory, ptr, len, MAX_ROUTE_MESSAGE)? {
                Ok(bytes) => bytes,
                Err(code) => return Ok(code),
            };
            let routes = &state.registry.routes;
            match routes.stage_call(state.serial, &state.monitor.name, binding, method, request) {
                Ok(()) => {
                    let serial = state.serial;
                    let out = out as u32;
                    Err(suspend(state, Pending::RouteCall { serial, out, cap }))
                }
                Err(code) => Ok(code),
            }
        },
    )?;
    define(
        linker,
        builtin::ROUTE_REPLY,
        |mut caller: Caller<'_>, ptr: i32, cap: i32| -> Result<i32, wasmi::Error> {
            let (memory, state) = memory_and_state(&mut caller)?;
            state.stats.host_calls += 1;
            let out = guest_out(memory, ptr, cap, MAX_ROUTE_MESSAGE)?;
            Ok(state.registry.routes.take_reply(state.serial, out))
        },
    )?;
    define(
        linker,
        builtin::ROUTE_NOTIFY,
        |mut caller: Caller<'_>,
         binding: i32,
         method: i32,
         ptr: i32,
         len: i32|
         -> Result<i32, wasmi::Error> {
            let (memory, state) = memory_and_state(&mut caller)?;
            state.stats.host_calls += 1;
            let request = match guest_bytes(memory, ptr, len, MAX_ROUTE_MESSAGE)? {
                Ok(bytes) => bytes,
                Err(code) => return Ok(code),
            };
            let routes = &state.registry.routes;
            Ok(routes.notify(state.serial, &state.monitor.name, binding, method, request))
        },
    )?;
    define(
        linker,
        builtin::ROUTE_NEXT,
        |mut caller: Caller<'_>| -> Result<i32, wasmi::Error> {
            let state = caller.data_mut();
            state.stats.host_calls += 1;
            match state.registry.routes.next_ready(state.serial) {
                Ok(len) => Ok(len),
                Err(Some(code)) => Ok(code),
                Err(None) => {
                    let serial = state.serial;
                    let (out, cap) = (0, 0);
                    Err(suspend(state, Pending::RouteNext { serial, out, cap }))
                }
            }
        },
    )?;
    define(
        linker,
        builtin::ROUTE_TAKE,
        |mut caller: Caller<'_>, ptr: i32, cap: i32| -> Result<i32, wasmi::Error> {
            let (memory, state) = memory_and_state(&mut caller)?;
            state.stats.host_calls += 1;
            let out = guest_out(memory, ptr, cap, MAX_DELIVERY)?;
            Ok(state.registry.routes.take_delivery(state.serial, out))
        },
    )?;
    define(
        linker,
        builtin::ROUTE_RESPOND,
        |mut caller: Caller<'_>,
         token: i32,
         code: i32,
         ptr: i32,
         len: i32|
         -> Result<i32, wasmi::Error> {
            let (memory, state) = memory_and_state(&mut caller)?;
            state.stats.host_calls += 1;
            // A failure carries no body: do not even look at the pointer.
            let body = if code == 0 {
                match guest_bytes(memory, ptr, len, MAX_ROUTE_MESSAGE)? {
                    Ok(bytes) => bytes,
                    Err(code) => return Ok(code),
                }
            } else {
                &[]
            };
            Ok(state
                .registry
                .routes
                .respond(state.serial, token, code, body))
        },
    )?;
    define(
        linker,
        builtin::ROUTE_RESPOND_NEXT,
        |mut caller: Caller<'_>,
         token: i32,
         code: i32,
         ptr: i32,
         len: i32,
         into: i32,
         cap: i32|
         -> Result<i32, wasmi::Error> {
            let (memory, state) = memory_and_state(&mut caller)?;
            state.stats.host_calls += 1;
            // The delivery's buffer is checked before anything is answered.
            let cap = guest_out(memory, into, cap, MAX_DELIVERY)?.len();
            let routes = &state.registry.routes;
            if code >= 0 {
                // A failure carries no body: do not even look at the pointer.
                let body = if code == 0 {
                    match guest_bytes(memory, ptr, len, MAX_ROUTE_MESSAGE)? {
                        Ok(bytes) => bytes,
                        Err(code) => return Ok(code),
                    }
                } else {
                    &[]
                };
                let answered = routes.respond(state.serial, token, code, body);
                if answered != status::OK {
                    return Ok(answered);
                }
            }
            match routes.next_ready(state.serial) {
                Ok(len) if len > 0 && len as usize <= cap => {
                    let out = guest_out(memory, into, len, MAX_DELIVERY)?;
                    Ok(routes.take_delivery(state.serial, out))
                }
                Ok(len) => Ok(len),
                Err(Some(code)) => Ok(code),
                Err(None) => {
                    let serial = state.serial;
                    let (out, cap) = (into as u32, cap as u32);
                    Err(suspend(state, Pending::RouteNext { serial, out, cap }))
                }
            }
        },
    )?;
    define(
        linker,
        builtin::ROUTE_SERVE,
        |mut caller: Caller<'_>, ptr: i32, len: i32, method: i32| -> Result<i32, wasmi::Error> {
            let (memory, state) = memory_and_state(&mut caller)?;
            state.stats.host_calls += 1;
            let Some(method) = fireball_abi::Method::from_number(method) else {
                return Ok(status::BAD_MESSAGE);
            };
            let bytes = match guest_bytes(memory, ptr, len, MAX_URI)? {
                Ok(bytes) => bytes,
                Err(code) => return Ok(code),
            };
            let pattern = match fireball_abi::uri::declared_pattern(bytes) {
                Ok(pattern) => pattern,
                Err(code) => return Ok(code),
            };
            let mut served = state.registry.served.borrow_mut();
            let Some(served) = served.as_mut() else {
                return Ok(status::OK);
            };
            let serial = state.serial;
            let mine = || served.iter().filter(|(of, _, _)| *of == serial);
            if mine().any(|(_, m, p)| *m == method && **p == *pattern) {
                return Ok(status::OK);
            }
            if mine().count() >= MAX_SERVED_ROUTES {
                return Ok(status::TABLE_FULL);
            }
            served.push((serial, method, pattern.into()));
            Ok(status::OK)
        },
    )?;
    Ok(())
}
