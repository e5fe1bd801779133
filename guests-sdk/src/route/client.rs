//! The typed router client: [`Message`] structs in and out (feature `alloc`).

use fireball_record::Record;

use core::cell::Cell;

use fireball_abi::{limits::MAX_URI, status};

use super::{Error, Method, check, fetch_reply};
use crate::codec::{self, EMPTY, Encode, Message};
use crate::sys;
use crate::text::{Show, Text};
use fireball_record::message::EncodesAs;

/// Replies up to this size are fetched into a stack buffer; larger ones into a `Vec` of
/// exactly their size (a module without a heap gets `TooLarge` for them).
const STACK_REPLY: usize = 128;

/// A bound route that takes and gives typed messages.
///
/// ```ignore
/// let uart = Client::bind("hal://uart/0")?;
/// let written: Written = uart.write(&UartWrite { data: b"hi".to_vec() })?;
/// ```
///
/// A request is encoded on the stack when small ([`codec::with_encoded`]); one over the
/// limits is [`Error::TooLarge`]. A reply that does not decode into the type asked for is
/// [`Error::BadReply`].
///
/// A client rebinds by itself: when the router refuses its binding because the server
/// restarted since ([`Error::Restarted`]), the binding is gone ([`Error::BadHandle`]) or
/// nobody served the route when it was called ([`Error::DeadPeer`]), it binds its URI again
/// and sends once more. The same two statuses also answer a request the server stopped
/// holding (it trapped before answering: `Restarted` while the deployment restarts it,
/// `DeadPeer` once it gives up), so the second attempt may repeat a request the stopped
/// instance had begun: what the router delivers is at-least-once across a server's
/// restart. A server that is still down answers the second attempt the same way, and that
/// is the error. A call past its deadline ([`Error::Timeout`]) is not sent again: the
/// server may still be acting on it. To do so it
/// keeps its URI, up to [`REBIND_URI`] bytes (a client is often held in a small module's
/// state for its whole life); a longer URI binds and works as well, but is not rebound.
pub struct Client {
    handle: Cell<i32>,
    uri: [u8; REBIND_URI],
    /// The URI's length, or 0 when it is longer than `uri` (not kept: no rebinding).
    uri_len: u8,
    /// The deadline [`set_timeout_ms`](Self::set_timeout_ms) gave its calls (ms, 0: none),
    /// applied again when it rebinds; -1: the deployment's.
    timeout_ms: Cell<i32>,
}

/// The longest URI a [`Client`] keeps to bind again by itself (every route of the
/// shipped deployments is shorter).
pub const REBIND_URI: usize = 40;

impl Client {
    /// Resolve `uri` once (see [`bind`](super::bind)); longer than [`MAX_URI`] is
    /// [`Error::BadUri`].
    pub fn bind(uri: &str) -> Result<Self, Error> {
        if uri.len() > MAX_URI {
            return Err(Error::BadUri);
        }
        let handle = check(sys::route_bind(uri.as_bytes()))?;
        let mut stored = [0u8; REBIND_URI];
        let uri_len = match u8::try_from(uri.len()) {
            Ok(len) if uri.len() <= REBIND_URI => {
                for (to, from) in stored.iter_mut().zip(uri.as_bytes()) {
                    *to = *from;
                }
                len
            }
            _ => 0,
        };
        Ok(Self {
            handle: Cell::new(handle),
            uri: stored,
            uri_len,
            timeout_ms: Cell::new(-1),
        })
    }

    /// Resolve the URI `parts` spell one after the other (`["hal://adc/", &channel]`), built
    /// without `core::fmt` or the heap (see [`text`](crate::text)). Longer than
    /// [`MAX_URI`] is [`Error::BadUri`].
    pub fn bind_parts(parts: &[&dyn Show]) -> Result<Self, Error> {
        let mut buf = [0u8; MAX_URI];
        let mut uri = Text::new(&mut buf);
        uri.push_all(parts);
        if uri.is_cut() {
            return Err(Error::BadUri);
        }
        Self::bind(uri.as_str())
    }

    /// The URI it is bound to, if it keeps it (at most [`REBIND_URI`] bytes; else `""`).
    pub fn uri(&self) -> &str {
        crate::text::utf8(
            self.uri
                .get(..usize::from(self.uri_len))
                .unwrap_or_default(),
        )
        .unwrap_or_default()
    }

    /// `route_call_into` through the binding (the reply copied into `reply` when it fits),
    /// bound again once if the router refused it for the binding's sake: the builtin's
    /// status (the reply's length, or why not). One copy for every message type.
    #[inline(never)]
    fn send_call(&self, method: Method, request: &[u8], reply: &mut [u8]) -> i32 {
        let status = sys::route_call_into(self.handle.get(), method.number(), request, reply);
        // Only a refusal (a negative status) can be the binding's fault.
        if status < 0 && self.rebound(status) {
            return sys::route_call_into(self.handle.get(), method.number(), request, reply);
        }
        status
    }

    /// Whether `status` says the request was not delivered because of the binding (stale,
    /// gone, or its server down when called) and a new binding was made: then send again.
    #[inline(never)]
    fn rebound(&self, status: i32) -> bool {
        if !matches!(
            status,
            status::RESTARTED | status::BAD_HANDLE | status::DEAD_PEER
        ) || self.uri_len == 0
        {
            return false;
        }
        let _ = sys::route_unbind(self.handle.get());
        let uri = self
            .uri
            .get(..usize::from(self.uri_len))
            .unwrap_or_default();
        let handle = sys::route_bind(uri);
        self.handle.set(handle);
        if handle >= 0 && self.timeout_ms.get() >= 0 {
            let _ = sys::route_timeout(handle, self.timeout_ms.get());
        }
        handle >= 0
    }

    /// Give the calls made through this client from now on a deadline of `ms` milliseconds
    /// (0: none), instead of the deployment's (`call_timeout_ms`) or its reach entry's
    /// (`timeout_ms`). A call past it is [`Error::Timeout`] and is not sent again. Kept when
    /// the client rebinds.
    pub fn set_timeout_ms(&self, ms: u32) -> Result<(), Error> {
        let ms = i32::try_from(ms).unwrap_or(i32::MAX);
        check(sys::route_timeout(self.handle.get(), ms))?;
        self.timeout_ms.set(ms);
        Ok(())
    }

    /// Send `request` with `method` and wait for the reply.
    pub fn call<Req: Encode, Resp: Message>(
        &self,
        method: Method,
        request: &Req,
    ) -> Result<Resp, Error> {
        codec::with_encoded(request, |request| {
            self.exchange(method, request, |reply| {
                codec::decode(reply).ok_or(Error::BadReply)
            })
        })
        .unwrap_or(Err(Error::TooLarge))
    }

    /// Send `request` on `route` (a [`Route`](super::Route) descriptor: its method, its
    /// request and reply types) and wait for the reply. The binding's URI should be one of
    /// the route's (`svc://counter/3` for `svc://counter/{n}`); the router checks it.
    ///
    /// `request` is the route's request type, or a type that encodes as it
    /// ([`EncodesAs`]): a struct that borrows the bytes it sends, so that sending needs no
    /// heap.
    pub fn send<Req, Resp, Sent>(
        &self,
        route: super::Route<Req, Resp>,
        request: &Sent,
    ) -> Result<Resp, Error>
    where
        Resp: Message,
        Sent: Encode + EncodesAs<Req>,
    {
        self.call(route.method(), request)
    }

    /// `read` with an empty request.
    pub fn read<Resp: Message>(&self) -> Result<Resp, Error> {
        self.exchange(Method::Read, EMPTY, |reply| {
            codec::decode(reply).ok_or(Error::BadReply)
        })
    }

    /// `write` `request`.
    pub fn write<Req: Encode, Resp: Message>(&self, request: &Req) -> Result<Resp, Error> {
        self.call(Method::Write, request)
    }

    /// Send `request` one way: never waits (a full inbox is [`Error::QueueFull`]).
    pub fn notify<Req: Encode>(&self, method: Method, request: &Req) -> Result<(), Error> {
        codec::with_encoded(request, |request| {
            let mut status = sys::route_notify(self.handle.get(), method.number(), request);
            if status < 0 && self.rebound(status) {
                status = sys::route_notify(self.handle.get(), method.number(), request);
            }
            check(status).map(drop)
        })
        .unwrap_or(Err(Error::TooLarge))
    }

    /// Send a record as it is and get the reply's record (for messages with no Rust type).
    pub fn call_record(&self, method: Method, request: &Record) -> Result<Record, Error> {
        let request = request.encode(&codec::LIMITS).map_err(|e| match e {
            fireball_record::RecordError::TooLarge { .. } => Error::TooLarge,
            _ => Error::BadMessage,
        })?;
        self.exchange(method, &request, |reply| {
            Record::decode(reply, &codec::LIMITS).map_err(|_| Error::BadReply)
        })
    }

    fn exchange<T>(
        &self,
        method: Method,
        request: &[u8],
        decode: impl FnOnce(&[u8]) -> Result<T, Error>,
    ) -> Result<T, Error> {
        // One builtin for the call and the reply in the usual case (a reply that fits the
        // stack); a larger one waits in the hypervisor to be fetched into the heap.
        let mut reply = [0u8; STACK_REPLY];
        let len = check(self.send_call(method, request, &mut reply))? as usize;
        if let Some(reply) = reply.get(..len) {
            decode(reply)
        } else {
            // A module without a heap (or with a full one) cannot take it: `TooLarge`.
            let mut reply = codec::zeroed(len).ok_or(Error::TooLarge)?;
            let len = fetch_reply(&mut reply)?;
            decode(reply.get(..len).ok_or(Error::TooLarge)?)
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // A stale handle is already gone: nothing to undo.
        let _ = sys::route_unbind(self.handle.get());
    }
}

impl core::fmt::Debug for Client {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client")
            .field("uri", &self.uri())
            .field("handle", &self.handle.get())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use fireball_abi::status;
    use fireball_record::system::hal::{AdcSample, Data, UartWrite, Written};

    use super::*;
    use crate::stub::router;

    fn sample(raw: u16) -> AdcSample {
        AdcSample {
            channel: 1,
            raw,
            bits: 12,
            millivolts: 0,
        }
    }

    #[test]
    fn typed_calls_encode_requests_and_decode_replies() {
        router::serve_typed("hal://adc/1", |method, (): ()| {
            assert_eq!(method, Method::Read);
            Ok(sample(77))
        });
        router::serve_typed("hal://uart/0", |method, request: UartWrite| match method {
            Method::Write => Ok(Written {
                written: request.data.len() as u32,
            }),
            _ => Err(405),
        });
        let adc = Client::bind("hal://adc/1").unwrap();
        assert_eq!(adc.read::<AdcSample>(), Ok(sample(77)));
        assert_eq!(adc.read::<Written>(), Err(Error::BadReply));
        let uart = Client::bind("hal://uart/0").unwrap();
        let request = UartWrite {
            data: b"hello".to_vec(),
        };
        assert_eq!(uart.write(&request), Ok(Written { written: 5 }));
        assert_eq!(
            uart.call::<_, Written>(Method::Call, &request),
            Err(Error::Failed(405))
        );
        let huge = UartWrite {
            data: vec![0; codec::LIMITS.max_bytes],
        };
        assert_eq!(
            uart.call::<_, Written>(Method::Write, &huge),
            Err(Error::TooLarge)
        );
        assert_eq!(
            uart.call::<_, Written>(Method::Write, &sample(1)),
            Err(Error::Failed(400)),
            "the stub's typed route refuses a body of the wrong shape"
        );
    }

    #[test]
    fn a_client_rebinds_by_itself_when_its_server_restarted() {
        router::serve_typed("hal://adc/3", |_, (): ()| Ok(sample(3)));
        let adc = Client::bind("hal://adc/3").unwrap();
        assert_eq!(adc.read::<AdcSample>(), Ok(sample(3)));
        router::restart("hal://adc/3");
        assert_eq!(
            adc.read::<AdcSample>(),
            Ok(sample(3)),
            "the stale binding is replaced and the call sent again"
        );
        adc.notify(Method::Write, &sample(4)).unwrap();
        router::restart("hal://adc/3");
        adc.notify(Method::Write, &sample(5)).unwrap();
        let sent: Vec<AdcSample> = router::notified().iter().map(|n| n.decode()).collect();
        assert_eq!(sent, [sample(4), sample(5)]);
        assert_eq!(adc.uri(), "hal://adc/3");
        let long = "x".repeat(fireball_abi::limits::MAX_URI + 1);
        assert_eq!(Client::bind(&long).err(), Some(Error::BadUri));
        let far = format!("hal://adc/{}", "9".repeat(REBIND_URI));
        router::serve_typed(&far, |_, (): ()| Ok(sample(9)));
        let far_adc = Client::bind(&far).unwrap();
        assert_eq!(far_adc.read::<AdcSample>(), Ok(sample(9)));
        router::restart(&far);
        assert_eq!(
            far_adc.read::<AdcSample>(),
            Err(Error::Restarted),
            "a URI longer than the client keeps is not rebound"
        );
    }

    #[test]
    fn a_timeout_is_not_sent_again_but_a_stop_answer_is() {
        use std::cell::Cell;
        use std::rc::Rc;
        let calls = Rc::new(Cell::new(0));
        let seen = calls.clone();
        router::serve("svc://slow", move |_, _| {
            seen.set(seen.get() + 1);
            Err(status::TIMEOUT)
        });
        let slow = Client::bind("svc://slow").unwrap();
        assert_eq!(slow.read::<()>(), Err(Error::Timeout));
        assert_eq!(calls.get(), 1, "a timed-out request is sent once");
        let stops = Rc::new(Cell::new(0));
        let seen = stops.clone();
        router::serve("svc://crashy", move |_, _| {
            seen.set(seen.get() + 1);
            Err(if seen.get() == 1 {
                status::RESTARTED
            } else {
                status::DEAD_PEER
            })
        });
        let crashy = Client::bind("svc://crashy").unwrap();
        assert_eq!(crashy.read::<()>(), Err(Error::DeadPeer));
        assert_eq!(
            stops.get(),
            2,
            "a stop answer is rebound and sent once more"
        );
    }

    #[test]
    fn large_replies_are_fetched_whole() {
        let data = vec![0xA5u8; 3 * STACK_REPLY];
        let served = data.clone();
        router::serve_typed("hal://spi/0", move |_, (): ()| {
            Ok(Data {
                data: served.clone(),
            })
        });
        let spi = Client::bind("hal://spi/0").unwrap();
        assert_eq!(spi.read::<Data>().map(|d| d.data), Ok(data));
    }

    #[test]
    fn records_and_notifications_pass_through() {
        router::serve_record("svc://echo", |_, request| Ok(request.with("seen", true)));
        router::serve("svc://raw", |_, _| Ok(b"\xff".to_vec()));
        let echo = Client::bind("svc://echo").unwrap();
        let reply = echo
            .call_record(Method::Call, &Record::new().with("n", 3u8))
            .unwrap();
        assert_eq!(reply, Record::new().with("n", 3u8).with("seen", true));
        echo.notify(Method::Write, &sample(9)).unwrap();
        let sent = router::notified();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].uri, "svc://echo");
        assert_eq!(sent[0].method, Method::Write);
        assert_eq!(sent[0].decode::<AdcSample>(), sample(9));
        assert!(Client::bind_parts(&[&"svc://", &"echo"]).is_ok());
        let long = "x".repeat(fireball_abi::limits::MAX_URI);
        assert_eq!(
            Client::bind_parts(&[&"svc://", &long]).err(),
            Some(Error::BadUri)
        );
        let raw = Client::bind("svc://raw").unwrap();
        assert_eq!(raw.read::<()>(), Err(Error::BadReply));
        assert_eq!(
            raw.call_record(Method::Read, &Record::new()),
            Err(Error::BadReply)
        );
        assert_eq!(check(status::failed(7)), Err(Error::Failed(7)));
    }
}
