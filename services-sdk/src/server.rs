//! The serve loop: `route_next` → `route_take` → dispatch → `route_respond`.

use alloc::vec::Vec;

use fireball_abi::delivery::{self, Header};
use fireball_guests_sdk::{
    self as guests, device,
    route::{
        self,
        serve::{self, Delivery, Kind},
    },
    text::Text,
};

use crate::{Failure, Routes, Service};

/// A service's state, its routes and the buffer deliveries are taken into.
pub struct Server<S> {
    state: S,
    routes: Routes<S>,
    buf: Vec<u8>,
}

impl<S: Service> Server<S> {
    /// The service as it starts: [`Service::init`] and [`Service::routes`].
    pub fn new() -> Self {
        Self::with_state(S::init())
    }

    /// The service's routes over a given `state`.
    pub fn with_state(state: S) -> Self {
        Self {
            state,
            routes: S::routes(Routes::new()),
            buf: Vec::new(),
        }
    }

    /// The state.
    pub fn state(&self) -> &S {
        &self.state
    }

    /// The state, to change.
    pub fn state_mut(&mut self) -> &mut S {
        &mut self.state
    }

    /// The routes.
    pub fn routes(&self) -> &Routes<S> {
        &self.routes
    }

    /// Wait for one delivery, run its handler and answer it if it is a request.
    ///
    /// An error is the hypervisor's answer to `route_next` or `route_take` (nothing was
    /// dispatched): [`route::Error::NoRouter`] when the module serves no routes,
    /// [`route::Error::TableFull`] while too many requests are open,
    /// [`route::Error::BadMessage`] for a delivery that is not laid out as the ABI says.
    pub fn serve_one(&mut self) -> Result<(), route::Error> {
        let len = serve::next()?;
        if len > self.buf.capacity() {
            // Free the old buffer first and take exactly what this delivery needs: growing
            // by doubling would hold both, and up to twice the size, in a small heap.
            self.buf = Vec::new();
            self.buf.reserve_exact(len);
        }
        self.buf.resize(len, 0);
        let len = serve::take(&mut self.buf)?;
        let bytes = &self.buf[..len];
        let Some(delivery) = Delivery::parse(bytes) else {
            // A URI or caller that is not UTF-8 can still be refused by its token.
            return match Header::decode(bytes) {
                Some(header) if header.kind == delivery::REQUEST => {
                    answer(header.token, Err(Failure::BAD_REQUEST));
                    Ok(())
                }
                Some(_) => Ok(()),
                None => Err(route::Error::BadMessage),
            };
        };
        let outcome = self.routes.dispatch(&mut self.state, &delivery);
        if delivery.kind == Kind::Request {
            answer(delivery.token, outcome);
        }
        Ok(())
    }

    /// Serve until the module stops: [`serve_one`](Self::serve_one) in a loop, letting other
    /// modules run while too many requests are open.
    ///
    /// # Panics
    ///
    /// When the hypervisor refuses to deliver (no routes, no router, a malformed delivery):
    /// the module aborts with the reason. Under the host stub, whose `route_next` cannot
    /// block, that is also what happens when no delivery is queued.
    pub fn run(mut self) -> ! {
        loop {
            match self.serve_one() {
                Ok(()) => {}
                Err(route::Error::TableFull) => device::yield_now(),
                Err(error) => {
                    let mut buf = [0u8; 64];
                    let mut why = Text::new(&mut buf);
                    why.push_all(&[&"service stopped: taking a delivery failed: ", &error]);
                    guests::abort(why.as_str())
                }
            }
        }
    }
}

impl<S: Service> Default for Server<S> {
    fn default() -> Self {
        Self::new()
    }
}

/// Answer request `token`; a reply the hypervisor refuses (not a record within the router's
/// limits) becomes [`Failure::INTERNAL`], so the caller is never left waiting.
fn answer(token: u32, outcome: Result<Vec<u8>, Failure>) {
    let refused = match outcome {
        Ok(reply) => serve::reply(token, &reply).err(),
        Err(failure) => serve::fail(token, failure.code()).err(),
    };
    if let Some(route::Error::BadMessage | route::Error::TooLarge) = refused {
        // The request is still open: this cannot be refused for the same reason.
        let _ = serve::fail(token, Failure::INTERNAL.code());
    }
    // Anything else (a token no longer open) means nobody is waiting any more.
}

/// Run service `S`: what the `fb_main` export of [`service!`](crate::service) does.
pub fn serve<S: Service>() -> ! {
    Server::<S>::new().run()
}

#[cfg(test)]
mod tests {
    use fireball_guests_sdk::{
        codec,
        hal::Data,
        route::Method,
        stub::router::{self, answer},
    };

    use super::*;

    /// Echoes a `write` body; replies to `read` with more than the router's default 512
    /// bytes (within the SDK's own limits, so only `route_respond` refuses it).
    struct Echo;

    impl Service for Echo {
        fn init() -> Self {
            Echo
        }

        fn routes(routes: Routes<Self>) -> Routes<Self> {
            routes
                .write("svc://echo", |_, _, body: Data| Ok(body))
                .read("svc://echo", |_, _| {
                    Ok(Data {
                        data: alloc::vec![0; 600],
                    })
                })
        }
    }

    #[test]
    fn a_delivery_is_taken_dispatched_and_answered() {
        let mut server = Server::<Echo>::new();
        let body = codec::encode(&Data {
            data: b"hi".to_vec(),
        })
        .unwrap();
        let token = router::deliver(Kind::Request, Method::Write, "svc://echo", "app", &body);
        server.serve_one().unwrap();
        assert_eq!(answer(token), Some(Ok(body.clone())));

        let token = router::deliver(Kind::Request, Method::Read, "svc://no", "app", codec::EMPTY);
        server.serve_one().unwrap();
        assert_eq!(answer(token), Some(Err(404)));

        router::deliver(
            Kind::Notification,
            Method::Write,
            "svc://echo",
            "app",
            &body,
        );
        server.serve_one().unwrap();
        assert_eq!(
            server.serve_one(),
            Err(route::Error::NoReply),
            "the stub is empty"
        );
    }

    #[test]
    fn a_reply_the_hypervisor_refuses_fails_with_500_instead_of_hanging() {
        let mut server = Server::<Echo>::new();
        let token = router::deliver(
            Kind::Request,
            Method::Read,
            "svc://echo",
            "app",
            codec::EMPTY,
        );
        server.serve_one().unwrap();
        assert_eq!(answer(token), Some(Err(500)));
    }

    #[test]
    fn malformed_deliveries_are_refused_by_token_or_reported() {
        let mut server = Server::<Echo>::new();
        let header = Header {
            kind: delivery::REQUEST,
            method: fireball_abi::method::READ as u8,
            token: 77,
            uri_len: 1,
            caller_len: 0,
            body_len: 0,
        };
        let mut bytes = header.encode().to_vec();
        bytes.push(0xFF);
        router::deliver_raw(bytes);
        server.serve_one().unwrap();
        assert_eq!(answer(77), Some(Err(400)), "a URI that is not UTF-8");
        router::deliver_raw(alloc::vec![1, 2, 3]);
        assert_eq!(server.serve_one(), Err(route::Error::BadMessage));
    }
}
