//! The route table: patterns, a handler per method, typed bodies, and dispatch.

use alloc::boxed::Box;
use alloc::vec::Vec;

use fireball_guests_sdk::{
    self as guests, codec,
    route::{
        Method,
        serve::{Delivery, Kind},
    },
    text::Text,
};
use serde::{Serialize, de::DeserializeOwned};

use crate::{Failure, Request, pattern};

/// A handler with its types erased: body bytes in, reply bytes out.
type Handler<S> = Box<dyn Fn(&mut S, &Request<'_>, &[u8]) -> Result<Vec<u8>, Failure>>;

struct Route<S> {
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
/// [`read`](Self::read), the body decoded as its own serde type; it returns a serde type,
/// encoded as the reply, or a [`Failure`]. The SDK answers by itself where no handler is
/// reached: a URI no pattern matches fails with [`Failure::NOT_FOUND`], a matched pattern
/// without a handler for the method with [`Failure::METHOD_NOT_ALLOWED`], a body that does not
/// decode with [`Failure::BAD_REQUEST`], a reply that does not encode with
/// [`Failure::INTERNAL`]. The first route registered that matches wins.
pub struct Routes<S> {
    routes: Vec<Route<S>>,
}

impl<S: 'static> Routes<S> {
    /// No routes.
    pub fn new() -> Self {
        Self { routes: Vec::new() }
    }

    /// Serve `read` on `pattern`; the request body must be a record and is not looked at.
    ///
    /// # Panics
    ///
    /// If `pattern` is malformed or already has a `read` handler (a bug in the service,
    /// found when its routes are built, i.e. by its first test).
    #[must_use]
    pub fn read<R, F>(self, pattern: &'static str, handler: F) -> Self
    where
        R: Serialize,
        F: Fn(&mut S, &Request<'_>) -> Result<R, Failure> + 'static,
    {
        self.add(Method::Read, pattern, move |state, request, body| {
            if !codec::is_record(body) {
                return Err(Failure::BAD_REQUEST);
            }
            reply(handler(state, request), request)
        })
    }

    /// Serve `write` on `pattern` with a body of type `Q`.
    ///
    /// # Panics
    ///
    /// As [`read`](Self::read).
    #[must_use]
    pub fn write<Q, R, F>(self, pattern: &'static str, handler: F) -> Self
    where
        Q: DeserializeOwned,
        R: Serialize,
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
        Q: DeserializeOwned,
        R: Serialize,
        F: Fn(&mut S, &Request<'_>, Q) -> Result<R, Failure> + 'static,
    {
        self.on(Method::Call, pattern, handler)
    }

    /// Serve `method` on `pattern` with a body of type `Q` (a `read` that takes a body).
    ///
    /// # Panics
    ///
    /// As [`read`](Self::read).
    #[must_use]
    pub fn on<Q, R, F>(self, method: Method, pattern: &'static str, handler: F) -> Self
    where
        Q: DeserializeOwned,
        R: Serialize,
        F: Fn(&mut S, &Request<'_>, Q) -> Result<R, Failure> + 'static,
    {
        self.add(method, pattern, move |state, request, body| {
            let body = codec::try_decode(body).ok_or(Failure::BAD_REQUEST)?;
            reply(handler(state, request, body), request)
        })
    }

    fn add(
        mut self,
        method: Method,
        pattern: &'static str,
        handler: impl Fn(&mut S, &Request<'_>, &[u8]) -> Result<Vec<u8>, Failure> + 'static,
    ) -> Self {
        self.insert(method, pattern, Box::new(handler));
        self
    }

    /// The one copy of what registering a route does, whatever its handler's types.
    #[inline(never)]
    fn insert(&mut self, method: Method, pattern: &'static str, handler: Handler<S>) {
        let mut buf = [0u8; 160];
        let mut why = Text::new(&mut buf);
        if let Err(error) = pattern::check(pattern) {
            why.push_all(&[&"route pattern `", &pattern, &"`: ", &error]);
        } else if self
            .routes
            .iter()
            .any(|r| r.method == method && r.pattern == pattern)
        {
            why.push_all(&[
                &"route pattern `",
                &pattern,
                &"` has two ",
                &method,
                &" handlers",
            ]);
        }
        if !why.as_str().is_empty() {
            // A bug in the service: abort with the reason (a panic's message, without
            // linking `core::fmt` into every service).
            guests::abort(why.as_str());
        }
        self.routes.push(Route {
            method,
            pattern,
            handler,
        });
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

    /// Run the handler `delivery` is for; the encoded reply (empty for a one-way message),
    /// or the failure to answer with.
    pub fn dispatch(&self, state: &mut S, delivery: &Delivery<'_>) -> Result<Vec<u8>, Failure> {
        let route = self.find(delivery)?;
        let request = Request {
            method: route.method,
            uri: delivery.uri,
            caller: delivery.caller,
            pattern: route.pattern,
            one_way: delivery.kind != Kind::Request,
        };
        (route.handler)(state, &request, delivery.body)
    }

    /// The first route for `delivery`'s URI and method: 404 if no pattern matches the URI,
    /// 405 if none of those that do has a handler for the method.
    fn find(&self, delivery: &Delivery<'_>) -> Result<&Route<S>, Failure> {
        let mut failure = Failure::NOT_FOUND;
        for route in &self.routes {
            if pattern::matches(route.pattern, delivery.uri) {
                if Some(route.method) == delivery.method {
                    return Ok(route);
                }
                failure = Failure::METHOD_NOT_ALLOWED;
            }
        }
        Err(failure)
    }
}

/// A handler's result as the reply's bytes: nothing for a one-way message (whose result is
/// dropped), [`Failure::INTERNAL`] for a reply that does not encode. One copy per reply type.
fn reply<R: Serialize>(
    reply: Result<R, Failure>,
    request: &Request<'_>,
) -> Result<Vec<u8>, Failure> {
    let reply = reply?;
    if request.is_one_way() {
        return Ok(Vec::new());
    }
    codec::try_encode(&reply).ok_or(Failure::INTERNAL)
}

impl<S: 'static> Default for Routes<S> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use fireball_record::Record;
    use serde::{Deserialize, Serialize};

    use super::*;

    #[derive(Default)]
    struct Counter {
        total: i64,
        notes: u32,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Add {
        n: i64,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
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

    fn delivery<'a>(kind: Kind, method: Method, uri: &'a str, body: &'a [u8]) -> Delivery<'a> {
        Delivery {
            kind,
            method: Some(method),
            token: 1,
            uri,
            caller: "app",
            body,
        }
    }

    fn decode<T: DeserializeOwned>(reply: Result<Vec<u8>, Failure>) -> Result<T, Failure> {
        reply.map(|bytes| codec::decode(&bytes).unwrap())
    }

    #[test]
    fn typed_handlers_get_parameters_and_bodies() {
        let routes = routes();
        let mut state = Counter::default();
        let add = codec::encode(&Add { n: 5 }).unwrap();
        let reply = routes.dispatch(
            &mut state,
            &delivery(Kind::Request, Method::Write, "svc://count/a", &add),
        );
        let expected = Total {
            key: "a".into(),
            total: 5,
        };
        assert_eq!(decode(reply), Ok(expected));
        let reply = routes.dispatch(
            &mut state,
            &delivery(Kind::Request, Method::Read, "svc://count", codec::EMPTY),
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
        let mut send = |method, uri, body| {
            routes.dispatch(&mut state, &delivery(Kind::Request, method, uri, body))
        };
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
        let subscribe = Delivery {
            method: None,
            ..delivery(
                Kind::Publication,
                Method::Read,
                "svc://count/a",
                codec::EMPTY,
            )
        };
        assert_eq!(
            routes.dispatch(&mut Counter::default(), &subscribe),
            Err(Failure::METHOD_NOT_ALLOWED)
        );
    }

    #[test]
    fn one_way_messages_run_the_handler_and_reply_nothing() {
        let routes = routes();
        let mut state = Counter::default();
        let add = codec::encode(&Add { n: 2 }).unwrap();
        let note = delivery(Kind::Notification, Method::Write, "svc://count/a", &add);
        assert_eq!(routes.dispatch(&mut state, &note), Ok(Vec::new()));
        assert_eq!((state.total, state.notes), (2, 1));
    }

    #[test]
    fn a_reply_that_is_not_a_record_is_an_internal_failure() {
        let routes = Routes::<()>::new().read("svc://n", |_, _| Ok(7u32));
        let read = delivery(Kind::Request, Method::Read, "svc://n", codec::EMPTY);
        assert_eq!(routes.dispatch(&mut (), &read), Err(Failure::INTERNAL));
        let routes = Routes::<()>::new().read("svc://r", |_, _| {
            Ok(Record::new().with("x", 1u8).encode(&codec::LIMITS).unwrap())
        });
        let read = delivery(Kind::Request, Method::Read, "svc://r", codec::EMPTY);
        assert_eq!(
            routes.dispatch(&mut (), &read),
            Err(Failure::INTERNAL),
            "bytes are a list, not a record"
        );
    }

    #[test]
    #[should_panic(expected = "route pattern `svc//x`")]
    fn a_malformed_pattern_is_refused_when_registered() {
        let _ = Routes::<()>::new().read("svc//x", |_, _| Ok(()));
    }

    #[test]
    #[should_panic(expected = "two Read handlers")]
    fn a_route_has_one_handler_per_method() {
        let _ = Routes::<()>::new()
            .read("svc://x", |_, _| Ok(()))
            .read("svc://x", |_, _| Ok(()));
    }
}
