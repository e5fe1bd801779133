//! Serving routes from a module (what `services-sdk` builds on): wait for the next
//! delivery on the module's own routes, take it, answer it.
//!
//! ```ignore
//! use fireball_guests_sdk::route::serve::{self, Delivery, Kind};
//!
//! let len = serve::next()?;               // blocks until something arrives
//! let mut buf = vec![0; len];
//! let len = serve::take(&mut buf)?;
//! let delivery = Delivery::parse(&buf[..len]).ok_or(route::Error::BadMessage)?;
//! if delivery.kind == Kind::Request {
//!     serve::reply(delivery.token, &reply_bytes)?; // or serve::fail(delivery.token, code)
//! }
//! ```
//!
//! The routes a module serves are the deployment manifest's `routes` for it; a module that
//! serves none gets [`Error::NoRouter`] from [`next`]. Every request taken must be answered:
//! [`next`] refuses with [`Error::TableFull`] while
//! [`MAX_OPEN_REQUESTS`](fireball_abi::limits::MAX_OPEN_REQUESTS) are open. Under the host
//! stub, a test queues deliveries with [`stub::router::deliver`](crate::stub::router::deliver)
//! and reads the answers back with [`stub::router::answer`](crate::stub::router::answer).

use core::num::NonZeroU16;

use fireball_abi::delivery::Header;

use super::{Error, Method, check};
use crate::sys;

/// What a delivery is (request, notification, publication): the ABI's kind byte as a type.
/// A request is answered with [`reply`] or [`fail`], by its token.
pub use fireball_abi::delivery::Kind;

/// One delivery, borrowed from the buffer [`take`] filled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery<'a> {
    /// Request, notification or publication.
    pub kind: Kind,
    /// The method, or `None` for one a module cannot use itself (a publication's `subscribe`).
    pub method: Option<Method>,
    /// The token [`reply`] and [`fail`] answer (requests only; 0 otherwise).
    pub token: u32,
    /// The URI the caller used (`svc://filter/2`).
    pub uri: &'a str,
    /// The caller's component name, as the router stamped it (it cannot be forged).
    pub caller: &'a str,
    /// The body: a postcard-encoded record.
    pub body: &'a [u8],
}

impl<'a> Delivery<'a> {
    /// Read a delivery laid out as [`fireball_abi::delivery`] says; `None` if the bytes are
    /// short, the kind is unknown, or the URI or caller name is not UTF-8.
    pub fn parse(bytes: &'a [u8]) -> Option<Self> {
        let header = Header::decode(bytes)?;
        let (uri, caller, body) = header.parts(bytes)?;
        let kind = Kind::from_byte(header.kind)?;
        Some(Self {
            kind,
            method: Method::requested(i32::from(header.method)),
            token: header.token,
            uri: crate::text::utf8(uri)?,
            caller: crate::text::utf8(caller)?,
            body,
        })
    }
}

/// Block until a delivery arrives on this module's routes; its length in bytes (give
/// [`take`] a buffer that large).
pub fn next() -> Result<usize, Error> {
    check(sys::route_next()).map(|len| len as usize)
}

/// Copy the delivery [`next`] announced into `buf`; its length. A buffer too small is
/// [`Error::TooLarge`] (the delivery is kept: retry with a larger one); nothing announced
/// is [`Error::NoReply`].
pub fn take(buf: &mut [u8]) -> Result<usize, Error> {
    check(sys::route_take(buf)).map(|len| len as usize)
}

/// Answer request `token` with `reply`, a postcard-encoded record. Bytes that are not a
/// record are [`Error::BadMessage`] and the request stays open (answer it again).
pub fn reply(token: u32, reply: &[u8]) -> Result<(), Error> {
    check(sys::route_respond(token as i32, 0, reply)).map(drop)
}

/// Fail request `token` with the application code `code` (the caller sees
/// [`Error::Failed(code)`](Error::Failed)).
pub fn fail(token: u32, code: NonZeroU16) -> Result<(), Error> {
    check(sys::route_respond(token as i32, i32::from(code.get()), &[])).map(drop)
}

/// Drop the delivery [`next`] announced without taking it (it does not fit the module's
/// buffer: [`take`] said [`Error::TooLarge`]); a request is failed with `code` (413 says
/// why), so its caller is answered. Nothing announced is [`Error::NoReply`].
pub fn refuse(code: NonZeroU16) -> Result<(), Error> {
    check(sys::route_respond(0, i32::from(code.get()), &[])).map(drop)
}

/// Declare that this service serves `method` on `pattern` (`route_serve`): what
/// `fireball inspect` lists as the module's routes. A serve loop declares each of its routes
/// once, before its first [`next`]. The status code: `OK`, or `BAD_URI` for a malformed
/// pattern, `TOO_LARGE` past the longest URI (a serve loop that checked its patterns when
/// it built its table gets neither). Declaring changes no delivery: those are the
/// manifest's routes.
pub fn declare(pattern: &str, method: Method) -> i32 {
    sys::route_serve(pattern.as_bytes(), method.number())
}

/// A serve loop's step at the level of the ABI's status codes: wait for the next delivery
/// and copy it into `buf`. Its length; or 0 when it was larger than `buf` and was refused (a
/// request is failed with `too_large`, so its caller is answered); or a negative
/// [`status`](fireball_abi::status) code: the one [`next`] or [`take`] would have made an
/// [`Error`] of, the refusal's if the refusal itself was refused, or `BAD_MESSAGE` for a
/// delivery of 0 bytes (shorter than any header). A loop that tells only a few codes apart
/// (`services-sdk`'s: `TABLE_FULL`, `NO_ROUTER`) does not carry the mapping to [`Error`].
/// One builtin (`route_respond_next` answering nothing) in the usual case.
pub fn receive(buf: &mut [u8], too_large: NonZeroU16) -> i32 {
    match sys::route_respond_next(0, NO_ANSWER, 0, buf) {
        0 => fireball_abi::status::BAD_MESSAGE,
        len if len > 0 && len as usize > buf.len() => {
            sys::route_respond(0, i32::from(too_large.get()), &[]).min(0)
        }
        len => len,
    }
}

/// The `code` of a turn that answers nothing.
const NO_ANSWER: i32 = -1;

/// What a serve loop's [`turn`] answers before it waits: the request just handled, or
/// nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer {
    token: u32,
    /// 0: the reply `buf[..len]`; 1..=65535: a failure code; negative: nothing to answer.
    code: i32,
    len: usize,
}

impl Answer {
    /// Nothing to answer (the loop's first turn, a notification, a publication).
    pub const NONE: Self = Self {
        token: 0,
        code: NO_ANSWER,
        len: 0,
    };

    /// Answer request `token` with `outcome`: a reply, the first `len` bytes of the buffer
    /// the turn is given (a postcard-encoded record), or a failure code.
    pub fn new(token: u32, outcome: Result<usize, NonZeroU16>) -> Self {
        match outcome {
            Ok(len) => Self {
                token,
                code: 0,
                len,
            },
            Err(code) => Self {
                token,
                code: i32::from(code.get()),
                len: 0,
            },
        }
    }

    /// Give it now, without waiting for anything: [`answer`] (a refused reply fails the
    /// request with `internal`).
    pub fn give(self, buf: &[u8], internal: NonZeroU16) {
        if self.code < 0 {
            return;
        }
        let outcome = match NonZeroU16::new(self.code as u16) {
            None => Ok(&buf[..self.len.min(buf.len())]),
            Some(code) => Err(code),
        };
        answer(self.token, outcome, internal);
    }
}

/// A serve loop's turn in one builtin (`route_respond_next`) in the usual case: give
/// `answer` (its reply is in `buf`), then wait for the next delivery and copy it into `buf`.
/// Returns the delivery's length, or a negative [`status`](fireball_abi::status) code as
/// [`receive`] does. What [`receive`] and [`answer`] do, turned around so that one crossing
/// into the hypervisor answers and waits: a reply the hypervisor refuses (not a record, or
/// past the router's limits) fails the request with `internal` instead, so its caller is
/// never left waiting; an answer nobody waits for any more is dropped; a delivery larger
/// than `buf` is refused with `too_large` (its caller is answered) and the turn waits on.
pub fn turn(answer: Answer, buf: &mut [u8], too_large: NonZeroU16, internal: NonZeroU16) -> i32 {
    use fireball_abi::status::{BAD_HANDLE, BAD_MESSAGE, NO_REPLY, TOO_LARGE};
    let Answer {
        mut token,
        mut code,
        len,
    } = answer;
    loop {
        let got = sys::route_respond_next(token as i32, code, len, buf);
        match got {
            // The reply was refused; the request is still open: fail it instead.
            BAD_MESSAGE | TOO_LARGE if code == 0 => code = i32::from(internal.get()),
            // Nobody waits for the answer any more (or a failure was refused): drop it.
            BAD_HANDLE | NO_REPLY | BAD_MESSAGE | TOO_LARGE if code >= 0 => code = NO_ANSWER,
            0 => return BAD_MESSAGE,
            // Held, not copied: refuse it (token 0) and wait on.
            got if got > 0 && got as usize > buf.len() => {
                token = 0;
                code = i32::from(too_large.get());
            }
            got => return got,
        }
    }
}

/// Answer request `token` with `outcome`: a reply (a postcard-encoded record) or a failure
/// code. A reply the hypervisor refuses (not a record, or past the router's limits) fails the
/// request with `internal` instead, so its caller is never left waiting. Any other refusal
/// means nobody waits any more (a token no longer open) and is ignored. One `route_respond`
/// in the usual case, and no [`Error`] made.
pub fn answer(token: u32, outcome: Result<&[u8], NonZeroU16>, internal: NonZeroU16) {
    let (code, body) = match outcome {
        Ok(reply) => (0, reply),
        Err(code) => (i32::from(code.get()), &[][..]),
    };
    let refused = sys::route_respond(token as i32, code, body);
    if refused == fireball_abi::status::BAD_MESSAGE || refused == fireball_abi::status::TOO_LARGE {
        // The request is still open: this cannot be refused for the same reason.
        sys::route_respond(token as i32, i32::from(internal.get()), &[]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stub::router;
    use fireball_abi::delivery;

    const TOO_LARGE: NonZeroU16 = NonZeroU16::new(413).unwrap();
    const INTERNAL: NonZeroU16 = NonZeroU16::new(500).unwrap();

    #[test]
    fn declare_keeps_well_formed_routes_and_says_why_it_refuses_others() {
        use fireball_abi::status;
        assert_eq!(declare("svc://e/{id}", Method::Write), status::OK);
        assert_eq!(declare("svc://e/{id}/{id}", Method::Read), status::BAD_URI);
        assert_eq!(declare("no-scheme", Method::Read), status::BAD_URI);
        let long = alloc::format!("svc://{}", "a".repeat(fireball_abi::limits::MAX_URI));
        assert_eq!(declare(&long, Method::Read), status::TOO_LARGE);
        assert_eq!(sys::route_serve(b"svc://e", 9), status::BAD_MESSAGE);
        assert_eq!(sys::route_serve(&[0xFF], 0), status::BAD_URI);
        assert_eq!(declare("svc://e/{id}", Method::Write), status::OK, "again");
        assert_eq!(router::served(), [(Method::Write, "svc://e/{id}".into())]);
    }

    #[test]
    fn receive_takes_refuses_or_says_why_in_status_codes() {
        use fireball_abi::status;
        let mut buf = [0u8; 64];
        assert_eq!(
            receive(&mut buf, TOO_LARGE),
            status::NO_REPLY,
            "nothing queued"
        );
        let token = router::deliver(Kind::Request, Method::Call, "svc://e", "app", EMPTY_RECORD);
        let len = receive(&mut buf, TOO_LARGE);
        let delivery = Delivery::parse(&buf[..len as usize]).unwrap();
        assert_eq!((delivery.token, delivery.uri), (token, "svc://e"));
        answer(token, Ok(EMPTY_RECORD), INTERNAL);
        assert_eq!(router::answer(token), Some(Ok(EMPTY_RECORD.to_vec())));

        let token = router::deliver(Kind::Request, Method::Call, "svc://e", "app", &[0; 80]);
        assert_eq!(
            receive(&mut buf, TOO_LARGE),
            0,
            "refused, nothing to dispatch"
        );
        assert_eq!(
            router::answer(token),
            Some(Err(413)),
            "and its caller answered"
        );

        router::deliver_raw(Vec::new());
        assert_eq!(receive(&mut buf, TOO_LARGE), status::BAD_MESSAGE);
    }

    #[test]
    fn answer_fails_a_reply_the_hypervisor_refuses_with_internal() {
        let mut buf = [0u8; 64];
        let token = router::deliver(Kind::Request, Method::Call, "svc://e", "app", EMPTY_RECORD);
        assert!(receive(&mut buf, TOO_LARGE) > 0);
        answer(token, Ok(&[0xFF, 0xFF]), INTERNAL);
        assert_eq!(
            router::answer(token),
            Some(Err(500)),
            "not a record: 500, not silence"
        );
        let token = router::deliver(Kind::Request, Method::Call, "svc://e", "app", EMPTY_RECORD);
        assert!(receive(&mut buf, TOO_LARGE) > 0);
        answer(token, Err(NonZeroU16::new(404).unwrap()), INTERNAL);
        assert_eq!(router::answer(token), Some(Err(404)));
    }

    const EMPTY_RECORD: &[u8] = &[0];

    #[test]
    fn deliveries_are_taken_parsed_and_answered_through_the_stub() {
        let token = router::deliver(
            Kind::Request,
            Method::Call,
            "svc://echo/7",
            "app",
            EMPTY_RECORD,
        );
        router::deliver(
            Kind::Notification,
            Method::Write,
            "svc://echo/1",
            "app",
            b"",
        );
        let len = next().unwrap();
        assert_eq!(next(), Ok(len), "announcing again keeps the same delivery");
        let mut small = [0u8; 4];
        assert_eq!(take(&mut small), Err(Error::TooLarge));
        let mut buf = [0u8; 64];
        assert_eq!(take(&mut buf), Ok(len));
        assert_eq!(take(&mut buf), Err(Error::NoReply));
        let delivery = Delivery::parse(&buf[..len]).unwrap();
        assert_eq!(
            delivery,
            Delivery {
                kind: Kind::Request,
                method: Some(Method::Call),
                token,
                uri: "svc://echo/7",
                caller: "app",
                body: EMPTY_RECORD,
            }
        );
        assert_eq!(reply(token, b"\xff"), Err(Error::BadMessage));
        assert_eq!(
            router::answer(token),
            None,
            "a refused reply leaves it open"
        );
        reply(token, EMPTY_RECORD).unwrap();
        assert_eq!(router::answer(token), Some(Ok(EMPTY_RECORD.to_vec())));
        assert_eq!(reply(token, EMPTY_RECORD), Err(Error::BadHandle));

        let len = next().unwrap();
        let len = take(&mut buf[..len]).unwrap();
        let note = Delivery::parse(&buf[..len]).unwrap();
        assert_eq!(
            (note.kind, note.token, note.body),
            (Kind::Notification, 0, &b""[..])
        );
        assert_eq!(
            next(),
            Err(Error::NoReply),
            "the stub has nothing more to deliver"
        );
    }

    #[test]
    fn failures_carry_their_code_and_open_requests_are_bounded() {
        let tokens: Vec<u32> = (0..=fireball_abi::limits::MAX_OPEN_REQUESTS)
            .map(|_| router::deliver(Kind::Request, Method::Read, "svc://a", "b", EMPTY_RECORD))
            .collect();
        let mut buf = [0u8; 64];
        for _ in 0..fireball_abi::limits::MAX_OPEN_REQUESTS {
            let len = next().unwrap();
            take(&mut buf[..len]).unwrap();
        }
        assert_eq!(next(), Err(Error::TableFull));
        fail(tokens[0], NonZeroU16::new(404).unwrap()).unwrap();
        assert_eq!(router::answer(tokens[0]), Some(Err(404)));
        assert!(next().is_ok(), "answering one makes room");
    }

    #[test]
    fn malformed_deliveries_are_refused() {
        let header = Header {
            kind: delivery::REQUEST,
            method: 0,
            token: 1,
            uri_len: 2,
            caller_len: 0,
            body_len: 0,
        };
        let mut bytes = header.encode().to_vec();
        bytes.extend_from_slice(b"\xff\xfe");
        assert_eq!(Delivery::parse(&bytes), None, "URI not UTF-8");
        bytes[delivery::HEADER_LEN..].copy_from_slice(b"ok");
        assert_eq!(Delivery::parse(&bytes).map(|d| d.uri), Some("ok"));
        bytes[0] = 7;
        assert_eq!(Delivery::parse(&bytes), None, "unknown kind");
        assert_eq!(Delivery::parse(&bytes[..10]), None, "short");
        let publication = Header {
            kind: delivery::PUBLICATION,
            method: fireball_abi::method::SUBSCRIBE as u8,
            token: 0,
            uri_len: 0,
            caller_len: 0,
            body_len: 0,
        };
        let bytes = publication.encode();
        let parsed = Delivery::parse(&bytes).unwrap();
        assert_eq!((parsed.kind, parsed.method), (Kind::Publication, None));
    }
}
