//! The route table: patterns, a handler per method, typed bodies, and dispatch.

use alloc::boxed::Box;
use core::marker::PhantomData;

use fireball_abi::delivery::{Header, REQUEST};
use fireball_guests_sdk::{
    self as guests, codec,
    route::{Method, Route},
    text::Text,
};
use fireball_record::Message;

use crate::{Failure, Request, pattern};

/// Most routes (pattern and method pairs) one service serves.
pub const MAX_ROUTES: usize = 16;

/// A handler with its types erased: the delivery at the front of `buf` with `header`, that
/// `pattern` matched, in;
/// the reply's length out, written at the front of `buf` (0 for a one-way message).
///
/// Handlers are stored boxed; a handler that is a function or a closure that captures
/// nothing is zero-sized, and boxing it allocates nothing, so a service needs no heap for
/// its routes. (A trait of our own rather than `dyn Fn`: its vtable has one entry, where
/// `Fn`'s repeats the handler's code for `FnMut` and `FnOnce`.)
trait Handle<S> {
    fn handle(
        &self,
        state: &mut S,
        buf: &mut [u8],
        header: Header,
        pattern: &'static str,
    ) -> Result<usize, Failure>;
}

type Handler<S> = Box<dyn Handle<S>>;

/// A handler that takes a body of type `Q` and replies with an `R`.
struct Typed<F, Q, R>(F, PhantomData<fn(Q) -> R>);

impl<S, Q, R, F> Handle<S> for Typed<F, Q, R>
where
    Q: Message,
    R: Message,
    F: Fn(&mut S, &Request<'_>, Q) -> Result<R, Failure>,
{
    fn handle(
        &self,
        state: &mut S,
        buf: &mut [u8],
        header: Header,
        pattern: &'static str,
    ) -> Result<usize, Failure> {
        answer(buf, header, pattern, |request, body| {
            let body = codec::decode(body).ok_or(Failure::BAD_REQUEST)?;
            (self.0)(state, request, body)
        })
    }
}

/// A `read` handler: the body must be a record and is not looked at.
struct Reads<F, R>(F, PhantomData<fn() -> R>);

impl<S, R, F> Handle<S> for Reads<F, R>
where
    R: Message,
    F: Fn(&mut S, &Request<'_>) -> Result<R, Failure>,
{
    fn handle(
        &self,
        state: &mut S,
        buf: &mut [u8],
        header: Header,
        pattern: &'static str,
    ) -> Result<usize, Failure> {
        answer(buf, header, pattern, |request, body| {
            if !codec::is_record(body) {
                return Err(Failure::BAD_REQUEST);
            }
            (self.0)(state, request)
        })
    }
}

/// Run a handler on the delivery at the front of `buf` (`run` gets its request and body),
/// then write its reply where the delivery was.
fn answer<R: Message>(
    buf: &mut [u8],
    header: Header,
    pattern: &'static str,
    run: impl FnOnce(&Request<'_>, &[u8]) -> Result<R, Failure>,
) -> Result<usize, Failure> {
    let reply = {
        let (request, body) = view(buf, header, pattern)?;
        run(&request, body)?
    };
    respond(&reply, buf, header)
}

/// One registered route: a pattern and method, and its handler.
struct Entry<S> {
    method: Method,
    pattern: &'static str,
    handler: Handler<S>,
}

/// The routes of a service over its state `S`, built once at start:
///
/// ```ignore
/// routes
///     .read("svc://filter/{ch}", Filter::read)          // fn(&mut self, &Request) -> Result<R, Failure>
///     .write("svc://filter/{ch}/alpha", Filter::tune)   // fn(&mut self, &Request, Q) -> Result<R, Failure>
///     .call("svc://filter/{ch}", Filter::filter)
/// ```
///
/// A handler gets the state, the [`Request`] (URI parameters, caller) and, except for
/// [`read`](Self::read), the body decoded as its own [`Message`] type; it returns a
/// `Message`, encoded as the reply, or a [`Failure`]. The SDK answers by itself where no
/// handler is reached: a URI no pattern matches fails with [`Failure::NOT_FOUND`], a matched
/// pattern without a handler for the method with [`Failure::METHOD_NOT_ALLOWED`], a body that
/// does not decode with [`Failure::BAD_REQUEST`], a reply that does not fit the service's
/// buffer or the SDK's limits with [`Failure::INTERNAL`]. The first route registered that
/// matches wins. A service serves at most [`MAX_ROUTES`] pattern and method pairs.
pub struct Routes<S> {
    routes: heapless::Vec<Entry<S>, MAX_ROUTES>,
}

impl<S: 'static> Routes<S> {
    /// No routes.
    pub fn new() -> Self {
        Self {
            routes: heapless::Vec::new(),
        }
    }

    /// Serve `read` on `pattern`; the request body must be a record and is not looked at.
    ///
    /// # Panics
    ///
    /// If `pattern` is malformed, already has a `read` handler, or is one route too many (a
    /// bug in the service, found when its routes are built, i.e. by its first test).
    #[must_use]
    pub fn read<R, F>(self, pattern: &'static str, handler: F) -> Self
    where
        R: Message + 'static,
        F: Fn(&mut S, &Request<'_>) -> Result<R, Failure> + 'static,
    {
        self.add(Method::Read, pattern, Box::new(Reads(handler, PhantomData)))
    }

    /// Serve `write` on `pattern` with a body of type `Q`.
    ///
    /// # Panics
    ///
    /// As [`read`](Self::read).
    #[must_use]
    pub fn write<Q, R, F>(self, pattern: &'static str, handler: F) -> Self
    where
        Q: Message + 'static,
        R: Message + 'static,
        F: Fn(&mut S, &Request<'_>, Q) -> Result<R, Failure> + 'static,
    {
        self.on(Method::Write, pattern, handler)
    }

    /// Serve `call` on `pattern` with a body of type `Q`.
    ///
    /// # Panics
    ///
    /// As [`read`](Self::read).
    #[must_use]
    pub fn call<Q, R, F>(self, pattern: &'static str, handler: F) -> Self
    where
        Q: Message + 'static,
        R: Message + 'static,
        F: Fn(&mut S, &Request<'_>, Q) -> Result<R, Failure> + 'static,
    {
        self.on(Method::Call, pattern, handler)
    }

    /// Serve `route` (a [`Route`] descriptor from the service's messages crate): its method on
    /// its pattern, with a body of its request type `Q` (`()` for none) and a reply of its
    /// reply type `R`. The pattern was checked when the descriptor was compiled.
    ///
    /// # Panics
    ///
    /// If the route already has a handler, or is one route too many.
    #[must_use]
    pub fn serve<Q, R, F>(mut self, route: Route<Q, R>, handler: F) -> Self
    where
        Q: Message + 'static,
        R: Message + 'static,
        F: Fn(&mut S, &Request<'_>, Q) -> Result<R, Failure> + 'static,
    {
        self.insert(
            route.method(),
            route.pattern(),
            Box::new(Typed(handler, PhantomData)),
        );
        self
    }

    /// Serve `method` on `pattern` with a body of type `Q` (a `read` that takes a body).
    ///
    /// # Panics
    ///
    /// As [`read`](Self::read).
    #[must_use]
    pub fn on<Q, R, F>(self, method: Method, pattern: &'static str, handler: F) -> Self
    where
        Q: Message + 'static,
        R: Message + 'static,
        F: Fn(&mut S, &Request<'_>, Q) -> Result<R, Failure> + 'static,
    {
        self.add(method, pattern, Box::new(Typed(handler, PhantomData)))
    }

    fn add(mut self, method: Method, pattern: &'static str, handler: Handler<S>) -> Self {
        if let Err(error) = pattern::check_pattern(pattern) {
            let mut buf = [0u8; 160];
            let mut why = Text::new(&mut buf);
            why.push_all(&[&"route pattern `", &pattern, &"`: ", &error]);
            // A bug in the service: abort with the reason (a panic's message, without
            // linking `core::fmt` into every service).
            guests::abort(why.as_str());
        }
        self.insert(method, pattern, handler);
        self
    }

    /// The one copy of what registering a checked route does, whatever its handler's types.
    #[inline(never)]
    fn insert(&mut self, method: Method, pattern: &'static str, handler: Handler<S>) {
        // A bug in the service that its first host test finds (building its routes): a module
        // does not carry the check (the second handler would just never be reached).
        #[cfg(not(target_arch = "wasm32"))]
        if self
            .routes
            .iter()
            .any(|r| r.method == method && r.pattern == pattern)
        {
            guests::abort("a route pattern has two handlers for one method");
        }
        let entry = Entry {
            method,
            pattern,
            handler,
        };
        if self.routes.push(entry).is_err() {
            guests::abort("a service serves more than 16 routes");
        }
    }

    /// Declare every route to the hypervisor (`route_serve`), in registration order: what
    /// `fireball inspect` lists as the module's routes. The patterns were checked when they
    /// were registered, so the hypervisor's answer is not looked at.
    pub fn declare(&self) {
        for route in &self.routes {
            guests::route::serve::declare(route.pattern, route.method);
        }
    }

    /// The patterns served, each once, in registration order (what the deployment
    /// manifest's `routes` must list for this service).
    pub fn patterns(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.routes
            .iter()
            .enumerate()
            .filter(|(i, r)| !self.routes[..*i].iter().any(|e| e.pattern == r.pattern))
            .map(|(_, r)| r.pattern)
    }

    /// Run the handler for the delivery in `buf[..len]`: the length of the encoded reply,
    /// written at the front of `buf` (0 for a one-way message), or the failure to answer
    /// with.
    pub fn dispatch(&self, state: &mut S, buf: &mut [u8], len: usize) -> Result<usize, Failure> {
        let delivery = buf.get(..len).ok_or(Failure::BAD_REQUEST)?;
        let header = Header::decode(delivery).ok_or(Failure::BAD_REQUEST)?;
        self.dispatch_decoded(state, buf, header)
    }

    /// [`dispatch`](Self::dispatch) of a delivery whose `header` the caller decoded from
    /// the front of `buf` (the serve loop does, to answer it).
    pub(crate) fn dispatch_decoded(
        &self,
        state: &mut S,
        buf: &mut [u8],
        header: Header,
    ) -> Result<usize, Failure> {
        let route = self.find(buf, header)?;
        route.handler.handle(state, buf, header, route.pattern)
    }

    /// The first route for the delivery's URI and method: 404 if no pattern matches the URI,
    /// 405 if none of those that do has a handler for the method. The URI is matched as
    /// bytes: it is only read as text when a handler asks (the hypervisor's URIs are UTF-8).
    fn find(&self, delivery: &[u8], header: Header) -> Result<&Entry<S>, Failure> {
        let (uri, _, _) = header.parts(delivery).ok_or(Failure::BAD_REQUEST)?;
        let method = Method::requested(i32::from(header.method));
        let mut failure = Failure::NOT_FOUND;
        for route in &self.routes {
            if pattern::matches_bytes(route.pattern, uri) {
                if Some(route.method) == method {
                    return Ok(route);
                }
                failure = Failure::METHOD_NOT_ALLOWED;
            }
        }
        Err(failure)
    }
}

/// What a handler sees of the delivery with `header` at the front of `buf` that `pattern`
/// matched: the request and its body. One copy for every handler.
#[inline(never)]
fn view<'b>(
    buf: &'b [u8],
    header: Header,
    pattern: &'static str,
) -> Result<(Request<'b>, &'b [u8]), Failure> {
    let (uri, caller, body) = header.parts(buf).ok_or(Failure::BAD_REQUEST)?;
    let request = Request {
        // The route matched the delivery's method (`dispatch`), so it is one.
        method: Method::requested(i32::from(header.method)).ok_or(Failure::METHOD_NOT_ALLOWED)?,
        uri,
        caller,
        pattern,
        one_way: header.kind != REQUEST,
    };
    Ok((request, body))
}

/// A handler's reply written at the front of `buf`, which held its delivery: nothing for a
/// one-way message (whose result is dropped), [`Failure::INTERNAL`] for a reply that does
/// not fit. One copy per reply type.
fn respond<R: Message>(reply: &R, buf: &mut [u8], header: Header) -> Result<usize, Failure> {
    if header.kind != REQUEST {
        return Ok(0);
    }
    codec::encode_into(reply, buf).ok_or(Failure::INTERNAL)
}

impl<S: 'static> Default for Routes<S> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use fireball_abi::delivery::{Header, NOTIFICATION, PUBLICATION, REQUEST};
    use fireball_record::Record;

    use super::*;

    #[derive(Default)]
    struct Counter {
        total: i64,
        notes: u32,
    }

    #[derive(Debug, PartialEq, Message)]
    struct Add {
        n: i64,
    }

    #[derive(Debug, PartialEq, Message)]
    struct Total {
        key: alloc::string::String,
        total: i64,
    }

    impl Counter {
        fn add(&mut self, request: &Request<'_>, add: Add) -> Result<Total, Failure> {
            if request.is_one_way() {
                self.notes += 1;
            }
            self.total = self
                .total
                .checked_add(add.n)
                .ok_or(Failure::UNPROCESSABLE)?;
            self.read(request)
        }

        fn read(&mut self, request: &Request<'_>) -> Result<Total, Failure> {
            Ok(Total {
                key: request.param("key").unwrap_or_default().into(),
                total: self.total,
            })
        }
    }

    fn routes() -> Routes<Counter> {
        Routes::new()
            .write("svc://count/{key}", Counter::add)
            .read("svc://count/{key}", Counter::read)
            .read("svc://count", |_: &mut Counter, _: &Request<'_>| Ok(()))
    }

    /// A delivery laid out as the hypervisor lays it out, in a buffer of 256 bytes.
    fn delivery(kind: u8, method: Method, uri: &str, body: &[u8]) -> (Vec<u8>, usize) {
        let header = Header {
            kind,
            method: method as u8,
            token: if kind == REQUEST { 1 } else { 0 },
            uri_len: uri.len() as u16,
            caller_len: 3,
            body_len: body.len() as u32,
        };
        let mut bytes = header.encode().to_vec();
        bytes.extend_from_slice(uri.as_bytes());
        bytes.extend_from_slice(b"app");
        bytes.extend_from_slice(body);
        let len = bytes.len();
        bytes.resize(256, 0);
        (bytes, len)
    }

    fn send<S: 'static>(
        routes: &Routes<S>,
        state: &mut S,
        kind: u8,
        method: Method,
        uri: &str,
        body: &[u8],
    ) -> Result<Vec<u8>, Failure> {
        let (mut buf, len) = delivery(kind, method, uri, body);
        let reply = routes.dispatch(state, &mut buf, len)?;
        Ok(buf[..reply].to_vec())
    }

    fn decode<T: Message>(reply: Result<Vec<u8>, Failure>) -> Result<T, Failure> {
        reply.map(|bytes| codec::decode(&bytes).unwrap())
    }

    #[test]
    fn typed_handlers_get_parameters_and_bodies() {
        let routes = routes();
        let mut state = Counter::default();
        let add = codec::encode(&Add { n: 5 }).unwrap();
        let reply = send(
            &routes,
            &mut state,
            REQUEST,
            Method::Write,
            "svc://count/a",
            &add,
        );
        let expected = Total {
            key: "a".into(),
            total: 5,
        };
        assert_eq!(decode(reply), Ok(expected));
        let reply = send(
            &routes,
            &mut state,
            REQUEST,
            Method::Read,
            "svc://count",
            codec::EMPTY,
        );
        assert_eq!(decode(reply), Ok(()));
        assert_eq!(
            routes.patterns().collect::<Vec<_>>(),
            ["svc://count/{key}", "svc://count"]
        );
    }

    #[test]
    fn the_sdk_answers_what_no_handler_can() {
        let routes = routes();
        let mut state = Counter::default();
        let mut send = |method, uri, body| send(&routes, &mut state, REQUEST, method, uri, body);
        assert_eq!(
            send(Method::Read, "svc://other/a", codec::EMPTY),
            Err(Failure::NOT_FOUND)
        );
        assert_eq!(
            send(Method::Call, "svc://count/a", codec::EMPTY),
            Err(Failure::METHOD_NOT_ALLOWED)
        );
        assert_eq!(
            send(Method::Write, "svc://count/a", codec::EMPTY),
            Err(Failure::BAD_REQUEST),
            "the empty record is not an `Add`"
        );
        assert_eq!(
            send(Method::Read, "svc://count/a", b"\xff"),
            Err(Failure::BAD_REQUEST),
            "a read's body must still be a record"
        );
        let max = codec::encode(&Add { n: i64::MAX }).unwrap();
        assert!(send(Method::Write, "svc://count/a", &max).is_ok());
        assert_eq!(
            send(Method::Write, "svc://count/a", &max),
            Err(Failure::UNPROCESSABLE),
            "the handler's own failure"
        );
        let (mut subscribe, len) =
            delivery(PUBLICATION, Method::Read, "svc://count/a", codec::EMPTY);
        subscribe[1] = fireball_abi::method::SUBSCRIBE as u8;
        assert_eq!(
            routes.dispatch(&mut Counter::default(), &mut subscribe, len),
            Err(Failure::METHOD_NOT_ALLOWED)
        );
        let (mut bad_uri, len) = delivery(REQUEST, Method::Read, "svc://count", codec::EMPTY);
        bad_uri[16] = 0xFF;
        assert_eq!(
            routes.dispatch(&mut Counter::default(), &mut bad_uri, len),
            Err(Failure::NOT_FOUND),
            "URIs are matched as bytes: one that is not UTF-8 matches no pattern"
        );
        let (mut bad_param, len) = delivery(REQUEST, Method::Read, "svc://count/k", codec::EMPTY);
        let at = bad_param.iter().rposition(|b| *b == b'k').unwrap();
        bad_param[at] = 0xFF;
        let reply = routes.dispatch(&mut Counter::default(), &mut bad_param, len);
        assert_eq!(
            decode::<Total>(reply.map(|n| bad_param[..n].to_vec())),
            Ok(Total {
                key: "".into(),
                total: 0
            }),
            "a parameter that is not UTF-8 is not a parameter"
        );
    }

    #[test]
    fn one_way_messages_run_the_handler_and_reply_nothing() {
        let routes = routes();
        let mut state = Counter::default();
        let add = codec::encode(&Add { n: 2 }).unwrap();
        let reply = send(
            &routes,
            &mut state,
            NOTIFICATION,
            Method::Write,
            "svc://count/a",
            &add,
        );
        assert_eq!(reply, Ok(Vec::new()));
        assert_eq!((state.total, state.notes), (2, 1));
    }

    #[test]
    fn a_reply_that_does_not_fit_the_buffer_is_an_internal_failure() {
        #[derive(Message)]
        struct Big {
            #[message(bytes)]
            data: Vec<u8>,
        }
        let routes = Routes::<()>::new().read("svc://big", |_, _| {
            Ok(Big {
                data: alloc::vec![1; 300],
            })
        });
        assert_eq!(
            send(
                &routes,
                &mut (),
                REQUEST,
                Method::Read,
                "svc://big",
                codec::EMPTY
            ),
            Err(Failure::INTERNAL),
            "300 bytes do not fit a 256-byte buffer"
        );
        let routes = Routes::<()>::new().read("svc://r", |_, _| {
            Ok(Total {
                key: "k".into(),
                total: 1,
            })
        });
        let reply = send(
            &routes,
            &mut (),
            REQUEST,
            Method::Read,
            "svc://r",
            codec::EMPTY,
        );
        assert_eq!(
            reply.map(|bytes| Record::decode(&bytes, &codec::LIMITS).unwrap()),
            Ok(Record::new().with("key", "k").with("total", 1i64))
        );
    }

    #[test]
    #[should_panic(expected = "route pattern `svc//x`")]
    fn a_malformed_pattern_is_refused_when_registered() {
        let _ = Routes::<()>::new().read("svc//x", |_, _| Ok(()));
    }

    #[test]
    #[should_panic(expected = "two handlers for one method")]
    fn a_route_has_one_handler_per_method() {
        let _ = Routes::<()>::new()
            .read("svc://x", |_, _| Ok(()))
            .read("svc://x", |_, _| Ok(()));
    }

    #[test]
    #[should_panic(expected = "more than 16 routes")]
    fn a_service_has_at_most_max_routes() {
        const PATTERNS: [&str; 17] = [
            "svc://a", "svc://b", "svc://c", "svc://d", "svc://e", "svc://f", "svc://g", "svc://h",
            "svc://i", "svc://j", "svc://k", "svc://l", "svc://m", "svc://n", "svc://o", "svc://p",
            "svc://q",
        ];
        let mut routes = Routes::<()>::new();
        for pattern in PATTERNS {
            routes = routes.read(pattern, |_, _| Ok(()));
        }
    }
}
