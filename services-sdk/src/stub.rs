//! Drive a service from a host test, without a hypervisor.
//!
//! [`Service`] sends typed requests and notifications to a service through the same path
//! the hypervisor would use: each is queued as a delivery on the guest SDK's stub router,
//! taken by [`Server::serve_one`](crate::Server::serve_one) with `route_next` / `route_take`,
//! dispatched, and answered with `route_respond`. Routes the service itself calls (`hal://…`,
//! `log://`) are served by the guest SDK's stub
//! ([`fireball_guests_sdk::stub::router`]), which the test sets up first.
//!
//! ```ignore
//! router::serve_typed("hal://adc/0", |_, (): ()| Ok(sample(1000)));
//! let mut filter = stub::Service::<Filter>::new();
//! let out: Output = filter.read("svc://filter/0").unwrap();
//! assert_eq!(filter.write::<_, Output>("svc://filter/9/alpha", &alpha), Err(Failure::NOT_FOUND));
//! ```
//!
//! State is per thread, like the guest SDK's stub.

use fireball_guests_sdk::{
    codec,
    route::{Method, serve::Kind},
    stub::router,
};
use fireball_record::Message;

use crate::{Failure, Server};

/// A service under test, with the caller name its requests carry (`"test"` by default).
pub struct Service<S: crate::Service> {
    server: Server<S>,
    /// The service's delivery buffer: [`Service::BUFFER`](crate::Service::BUFFER) bytes, as
    /// in the module.
    buf: Vec<u8>,
    caller: String,
}

impl<S: crate::Service> Service<S> {
    /// The service as it starts ([`Service::init`](crate::Service::init)).
    pub fn new() -> Self {
        Self::with_state(S::init())
    }

    /// The service's routes over a given `state`.
    pub fn with_state(state: S) -> Self {
        Self {
            server: Server::with_state(state),
            buf: vec![0; S::BUFFER],
            caller: String::from("test"),
        }
    }

    /// Send the following requests as component `name`.
    #[must_use]
    pub fn caller(mut self, name: &str) -> Self {
        self.caller = String::from(name);
        self
    }

    /// The service's state.
    pub fn state(&self) -> &S {
        self.server.state()
    }

    /// The service's state, to change.
    pub fn state_mut(&mut self) -> &mut S {
        self.server.state_mut()
    }

    /// `read` `uri` with an empty request.
    pub fn read<R: Message>(&mut self, uri: &str) -> Result<R, Failure> {
        self.request(Method::Read, uri, &())
    }

    /// `write` `request` to `uri`.
    pub fn write<Q, R>(&mut self, uri: &str, request: &Q) -> Result<R, Failure>
    where
        Q: Message,
        R: Message,
    {
        self.request(Method::Write, uri, request)
    }

    /// `call` `uri` with `request`.
    pub fn call<Q, R>(&mut self, uri: &str, request: &Q) -> Result<R, Failure>
    where
        Q: Message,
        R: Message,
    {
        self.request(Method::Call, uri, request)
    }

    /// Send `request` with `method` to `uri` and decode the reply as an `R`.
    ///
    /// # Panics
    ///
    /// If `request` is over the SDK's limits or the reply does not decode as an `R`
    /// (the test asked for the wrong type), or if the service leaves the request
    /// unanswered.
    pub fn request<Q, R>(&mut self, method: Method, uri: &str, request: &Q) -> Result<R, Failure>
    where
        Q: Message,
        R: Message,
    {
        let body = codec::encode(request)
            .unwrap_or_else(|| panic!("the request to {uri} is over the SDK's limits"));
        let reply = self.request_bytes(method, uri, &body)?;
        Ok(codec::decode(&reply)
            .unwrap_or_else(|| panic!("the reply from {uri} is not the type asked for")))
    }

    /// Send `body` (any bytes, e.g. a malformed record) with `method` to `uri`; the reply's
    /// bytes.
    ///
    /// # Panics
    ///
    /// If the service leaves the request unanswered.
    pub fn request_bytes(
        &mut self,
        method: Method,
        uri: &str,
        body: &[u8],
    ) -> Result<Vec<u8>, Failure> {
        let token = router::deliver(Kind::Request, method, uri, &self.caller, body);
        self.serve();
        router::answer(token)
            .unwrap_or_else(|| panic!("the service left {method:?} {uri} unanswered"))
            .map_err(Failure)
    }

    /// Send `request` one way; the handler runs and its result is dropped.
    ///
    /// # Panics
    ///
    /// If `request` is over the SDK's limits.
    pub fn notify<Q: Message>(&mut self, method: Method, uri: &str, request: &Q) {
        let body = codec::encode(request)
            .unwrap_or_else(|| panic!("the notification to {uri} is over the SDK's limits"));
        router::deliver(Kind::Notification, method, uri, &self.caller, &body);
        self.serve();
    }

    fn serve(&mut self) {
        if let Err(error) = self.server.serve_one(&mut self.buf) {
            panic!("the service could not take the delivery: {error:?}");
        }
    }
}

impl<S: crate::Service> Default for Service<S> {
    fn default() -> Self {
        Self::new()
    }
}
