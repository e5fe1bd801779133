//! The serve loop: a delivery taken into the buffer, dispatched, its reply written into the
//! same buffer; one `route_respond_next` a turn answers it and takes the next.

use fireball_abi::{
    delivery::{self, Header},
    status,
};
use fireball_guests_sdk::{
    self as guests, device,
    route::{self, serve},
};

use crate::{Failure, Routes, Service};

/// Bytes of the buffer a service takes deliveries into and writes replies in, unless its
/// [`service!`](crate::service) says otherwise: a delivery at the router's default limits
/// (a 512-byte body) with the longest URI and a 64-byte caller name.
pub const DEFAULT_BUFFER: usize = delivery::HEADER_LEN + fireball_abi::limits::MAX_URI + 64 + 512;

/// A service's state and its routes.
pub struct Server<S> {
    state: S,
    routes: Routes<S>,
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

    /// Wait for one delivery, take it into `buf`, run its handler and answer it if it is a
    /// request; the reply is written into `buf` too. A delivery larger than `buf` is not
    /// taken: a request is answered [`Failure::TOO_LARGE`] (413) and the service goes on.
    ///
    /// An error is the hypervisor's answer to `route_next` or `route_take` (nothing was
    /// dispatched): [`route::Error::NoRouter`] when the module serves no routes,
    /// [`route::Error::TableFull`] while too many requests are open,
    /// [`route::Error::BadMessage`] for a delivery that is not laid out as the ABI says.
    pub fn serve_one(&mut self, buf: &mut [u8]) -> Result<(), route::Error> {
        match self.step(buf) {
            code @ ..0 => Err(route::Error::from_status(code)),
            _ => Ok(()),
        }
    }

    /// [`serve_one`](Self::serve_one) with the hypervisor's refusal as its status code (0
    /// when something was served or refused): the loop in [`run`](Self::run) tells only
    /// two codes apart, so a module does not carry the mapping to [`route::Error`].
    fn step(&mut self, buf: &mut [u8]) -> i32 {
        let len = serve::receive(buf, Failure::TOO_LARGE.code());
        if len <= 0 {
            return len;
        }
        match self.handle(buf, len) {
            Ok(serve::Answer::NONE) => {}
            Ok(answer) => answer.give(buf, Failure::INTERNAL.code()),
            Err(code) => return code,
        }
        0
    }

    /// Dispatch the delivery `buf[..len]`: what to answer (its reply written into `buf`),
    /// or `BAD_MESSAGE` for bytes not laid out as the ABI says.
    fn handle(&mut self, buf: &mut [u8], len: i32) -> Result<serve::Answer, i32> {
        let Some(header) = buf.get(..len as usize).and_then(Header::decode) else {
            return Err(status::BAD_MESSAGE);
        };
        let outcome = self.routes.dispatch_decoded(&mut self.state, buf, header);
        if header.kind != delivery::REQUEST {
            return Ok(serve::Answer::NONE);
        }
        let reply =
            outcome.and_then(|len| (len <= buf.len()).then_some(len).ok_or(Failure::INTERNAL));
        Ok(serve::Answer::new(
            header.token,
            reply.map_err(Failure::code),
        ))
    }

    /// Serve until the module stops: declare the routes (`route_serve`, what `fireball
    /// inspect` lists), then dispatch each delivery, letting other modules run while too
    /// many requests are open. Each turn is one builtin in the usual case: the answer to
    /// the request just handled and the wait for the next delivery
    /// ([`serve::turn`]), what [`serve_one`](Self::serve_one) does in two.
    ///
    /// # Panics
    ///
    /// When the hypervisor refuses to deliver (no routes, no router, a malformed delivery):
    /// the module aborts with the reason. Under the host stub, whose `route_next` cannot
    /// block, that is also what happens when no delivery is queued.
    pub fn run(mut self, buf: &mut [u8]) -> ! {
        self.routes.declare();
        let mut answer = serve::Answer::NONE;
        loop {
            let got = serve::turn(
                answer,
                buf,
                Failure::TOO_LARGE.code(),
                Failure::INTERNAL.code(),
            );
            answer = serve::Answer::NONE;
            match got {
                status::TABLE_FULL => device::yield_now(),
                status::NO_ROUTER => {
                    guests::abort("service stopped: it serves no routes (see the manifest)")
                }
                1.. => match self.handle(buf, got) {
                    Ok(next) => answer = next,
                    Err(_) => guests::abort("service stopped: a delivery could not be taken"),
                },
                _ => guests::abort("service stopped: a delivery could not be taken"),
            }
        }
    }
}

impl<S: Service> Default for Server<S> {
    fn default() -> Self {
        Self::new()
    }
}

/// Run service `S` over `buf`: what the `fb_main` export of [`service!`](crate::service)
/// does.
pub fn serve<S: Service>(buf: &mut [u8]) -> ! {
    Server::<S>::new().run(buf)
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use fireball_guests_sdk::{
        codec,
        hal::Data,
        route::{Method, serve::Kind},
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

    fn buffer() -> Vec<u8> {
        alloc::vec![0; Echo::BUFFER]
    }

    #[test]
    fn a_delivery_is_taken_dispatched_and_answered() {
        let mut server = Server::<Echo>::new();
        let mut buf = buffer();
        let body = codec::encode(&Data {
            data: b"hi".to_vec(),
        })
        .unwrap();
        let token = router::deliver(Kind::Request, Method::Write, "svc://echo", "app", &body);
        server.serve_one(&mut buf).unwrap();
        assert_eq!(answer(token), Some(Ok(body.clone())));

        let token = router::deliver(Kind::Request, Method::Read, "svc://no", "app", codec::EMPTY);
        server.serve_one(&mut buf).unwrap();
        assert_eq!(answer(token), Some(Err(404)));

        router::deliver(
            Kind::Notification,
            Method::Write,
            "svc://echo",
            "app",
            &body,
        );
        server.serve_one(&mut buf).unwrap();
        assert_eq!(
            server.serve_one(&mut buf),
            Err(route::Error::NoReply),
            "the stub is empty"
        );
    }

    #[test]
    fn the_routes_are_declared_in_registration_order() {
        Server::<Echo>::new().routes().declare();
        assert_eq!(
            router::served(),
            [
                (Method::Write, "svc://echo".into()),
                (Method::Read, "svc://echo".into())
            ]
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
        server.serve_one(&mut buffer()).unwrap();
        assert_eq!(answer(token), Some(Err(500)));
    }

    #[test]
    fn a_delivery_larger_than_the_buffer_is_answered_413_and_serving_goes_on() {
        let mut server = Server::<Echo>::new();
        let mut buf = alloc::vec![0; 64];
        let big = codec::encode(&Data {
            data: alloc::vec![7; 100],
        })
        .unwrap();
        let token = router::deliver(Kind::Request, Method::Write, "svc://echo", "app", &big);
        server.serve_one(&mut buf).unwrap();
        assert_eq!(answer(token), Some(Err(413)));
        router::deliver(Kind::Notification, Method::Write, "svc://echo", "app", &big);
        server.serve_one(&mut buf).unwrap();
        let small = codec::encode(&Data {
            data: b"ok".to_vec(),
        })
        .unwrap();
        let token = router::deliver(Kind::Request, Method::Write, "svc://echo", "app", &small);
        server.serve_one(&mut buf).unwrap();
        assert_eq!(answer(token), Some(Ok(small)), "the service goes on");
    }

    #[test]
    fn malformed_deliveries_are_refused_by_token_or_reported() {
        let mut server = Server::<Echo>::new();
        let mut buf = buffer();
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
        server.serve_one(&mut buf).unwrap();
        assert_eq!(
            answer(77),
            Some(Err(404)),
            "a URI that is not UTF-8 matches no pattern"
        );
        router::deliver_raw(alloc::vec![1, 2, 3]);
        assert_eq!(server.serve_one(&mut buf), Err(route::Error::BadMessage));
    }
}
