//! The router from a module: bind a URI once, then call or notify through the binding.
//!
//! Two layers:
//!
//! - **Bytes** — [`bind`], [`call`], [`fetch_reply`], [`notify`]: requests and replies are
//!   postcard-encoded router records (`fireball_record::Record::encode`) that the module
//!   encodes itself. No allocation.
//! - **Typed** (feature `alloc`) — [`Client`]: plain structs that derive `Message` in and
//!   out (`fireball_record::message`: small non-generic code, the router's record bytes);
//!   with a [`Route`] descriptor, `send(ROUTE, &request)` is checked against the route's
//!   request and reply types. A client rebinds by itself when its server restarts.
//!
//! ```ignore
//! use fireball_guests_sdk::route::{Client, Method};
//! use fireball_record::system::hal::AdcSample;
//!
//! let adc = Client::bind("hal://adc/0")?;
//! let sample: AdcSample = adc.read()?;
//! ```
//!
//! A call blocks the module until the reply arrives (other modules run meanwhile). The
//! router checks the deployment's policy for this module's name on every call: a refusal
//! is [`Error::Denied`] and the handler never sees the request. [`serve`] is the other
//! side, for services: take what arrives on the module's own routes and answer it.
//!
//! Under the host stub, routes are closures a test installs with
//! [`stub::router::serve`](crate::stub::router::serve) (bytes) or
//! [`stub::router::serve_typed`](crate::stub::router::serve_typed) (structs the stub maps with
//! serde, as the native side does: the two mappings are held equal by proptests).

use fireball_abi::status;

use crate::sys;

#[cfg(feature = "alloc")]
mod client;
pub mod pattern;
pub mod serve;

#[cfg(feature = "alloc")]
pub use client::{Client, REBIND_URI};

/// What a request does with a route (the ABI's one definition): a module sends `Read`,
/// `Write` or `Call`; a delivery may also be a `Subscribe` publication.
pub use fireball_abi::Method;

impl crate::text::Show for Method {
    /// The `Debug` text (`Read`), without `core::fmt`.
    fn show(&self, out: &mut crate::text::Text<'_>) {
        out.push_str(match self {
            Method::Read => "Read",
            Method::Write => "Write",
            Method::Call => "Call",
            Method::Subscribe => "Subscribe",
        });
    }
}

/// A route a service serves, described once: its pattern, its method, and the types of its
/// request `Q` and reply `R`. A service's messages crate exports one constant per route;
/// the service registers its handler with it (`Routes::serve`) and its callers send with it
/// ([`Client::send`]), so the pattern is written once and a caller that decodes the reply as
/// the wrong type does not compile.
///
/// ```
/// use fireball_guests_sdk::route::Route;
/// # struct Count;
/// /// `write svc://counter/{n}`: add, answer the new total.
/// pub const ADD: Route<Count, Count> = Route::write("svc://counter/{n}");
/// assert_eq!(ADD.pattern(), "svc://counter/{n}");
/// ```
///
/// The pattern is checked when the constant is evaluated, at compile time: a malformed one
/// does not build.
///
/// ```compile_fail
/// use fireball_guests_sdk::route::Route;
/// const BAD: Route<(), ()> = Route::read("svc://a//b");
/// let _ = BAD;
/// ```
pub struct Route<Q, R> {
    method: Method,
    pattern: &'static str,
    types: core::marker::PhantomData<fn(Q) -> R>,
}

impl<Q, R> Route<Q, R> {
    /// A `read` route (`Q` is the request: `()` for none).
    pub const fn read(pattern: &'static str) -> Self {
        Self::new(Method::Read, pattern)
    }

    /// A `write` route.
    pub const fn write(pattern: &'static str) -> Self {
        Self::new(Method::Write, pattern)
    }

    /// A `call` route.
    pub const fn call(pattern: &'static str) -> Self {
        Self::new(Method::Call, pattern)
    }

    /// A route with `method` on `pattern`.
    ///
    /// # Panics
    ///
    /// When `pattern` is malformed (see [`pattern::check_pattern`]): at compile time for a constant.
    pub const fn new(method: Method, pattern: &'static str) -> Self {
        if let Err(error) = pattern::check_pattern(pattern) {
            panic!("{}", error.text());
        }
        Self {
            method,
            pattern,
            types: core::marker::PhantomData,
        }
    }

    /// The pattern (`svc://counter/{n}`).
    pub const fn pattern(&self) -> &'static str {
        self.pattern
    }

    /// The method.
    pub const fn method(&self) -> Method {
        self.method
    }
}

impl<Q, R> Clone for Route<Q, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<Q, R> Copy for Route<Q, R> {}

impl<Q, R> core::fmt::Debug for Route<Q, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Route")
            .field("method", &self.method)
            .field("pattern", &self.pattern)
            .finish()
    }
}

/// Why a router builtin refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The policy does not allow this guest that method on that route.
    Denied,
    /// Nobody serves the route now.
    DeadPeer,
    /// The server restarted since the bind: bind again.
    Restarted,
    /// No route matches the URI.
    NoRoute,
    /// The URI is malformed.
    BadUri,
    /// A request or reply is too large (for the limits or for the reply buffer).
    TooLarge,
    /// The server's queue is full: retry later.
    QueueFull,
    /// The request is not a valid encoded record.
    BadMessage,
    /// The server dropped the request without answering.
    NoReply,
    /// The call's deadline passed before the server answered (it may still act on the
    /// request): not retried by [`Client`](client::Client); retry only what is safe twice.
    Timeout,
    /// The hypervisor has no router for this guest.
    NoRouter,
    /// Too many bindings held at once.
    TableFull,
    /// The binding is not (or no longer) this guest's.
    BadHandle,
    /// The server refused with this application code (e.g. 404 no such device).
    Failed(u16),
    /// The reply is not the record the caller expected (a typed call could not decode it).
    BadReply,
    /// A status this SDK does not know.
    Unknown(i32),
}

impl crate::text::Show for Error {
    /// The `Debug` text (`NoReply`, `Failed(404)`), without `core::fmt`.
    fn show(&self, out: &mut crate::text::Text<'_>) {
        let (name, code) = match *self {
            Self::Denied => ("Denied", None),
            Self::DeadPeer => ("DeadPeer", None),
            Self::Restarted => ("Restarted", None),
            Self::NoRoute => ("NoRoute", None),
            Self::BadUri => ("BadUri", None),
            Self::TooLarge => ("TooLarge", None),
            Self::QueueFull => ("QueueFull", None),
            Self::BadMessage => ("BadMessage", None),
            Self::NoReply => ("NoReply", None),
            Self::Timeout => ("Timeout", None),
            Self::NoRouter => ("NoRouter", None),
            Self::TableFull => ("TableFull", None),
            Self::BadHandle => ("BadHandle", None),
            Self::Failed(code) => ("Failed", Some(i64::from(code))),
            Self::BadReply => ("BadReply", None),
            Self::Unknown(code) => ("Unknown", Some(i64::from(code))),
        };
        out.push_str(name);
        if let Some(code) = code {
            out.push_str("(");
            out.push_i64(code);
            out.push_str(")");
        }
    }
}

pub(crate) fn check(code: i32) -> Result<i32, Error> {
    if code >= 0 {
        return Ok(code);
    }
    if let Some(failure) = status::failure_code(code) {
        return Err(Error::Failed(failure));
    }
    Err(match code {
        status::DENIED => Error::Denied,
        status::DEAD_PEER => Error::DeadPeer,
        status::RESTARTED => Error::Restarted,
        status::NO_ROUTE => Error::NoRoute,
        status::BAD_URI => Error::BadUri,
        status::TOO_LARGE => Error::TooLarge,
        status::QUEUE_FULL => Error::QueueFull,
        status::BAD_MESSAGE => Error::BadMessage,
        status::NO_REPLY => Error::NoReply,
        status::TIMEOUT => Error::Timeout,
        status::NO_ROUTER => Error::NoRouter,
        status::TABLE_FULL => Error::TableFull,
        status::BAD_HANDLE => Error::BadHandle,
        other => Error::Unknown(other),
    })
}

impl Error {
    /// The error a negative [`status`] code stands for (what every call here returns on
    /// failure); a code no variant names, or one that is not negative, is
    /// [`Error::Unknown`].
    pub fn from_status(code: i32) -> Self {
        check(code).err().unwrap_or(Self::Unknown(code))
    }
}

/// A URI resolved once; dropping it frees the handle (a module holds at most
/// [`MAX_BINDINGS`](fireball_abi::limits::MAX_BINDINGS) at once).
#[derive(Debug, PartialEq, Eq)]
pub struct Binding(i32);

impl Drop for Binding {
    fn drop(&mut self) {
        // A stale handle is already gone: nothing to undo.
        let _ = sys::route_unbind(self.0);
    }
}

/// Resolve `uri` (`hal://adc/0`, `log://`) for later calls.
pub fn bind(uri: &str) -> Result<Binding, Error> {
    check(sys::route_bind(uri.as_bytes())).map(Binding)
}

/// Send `request` (an encoded record) and wait for the reply; the reply's bytes
/// are copied into `reply` and their length returned. A reply larger than
/// `reply` is [`Error::TooLarge`] (and kept: [`fetch_reply`] with a larger buffer).
pub fn call(
    binding: &Binding,
    method: Method,
    request: &[u8],
    reply: &mut [u8],
) -> Result<usize, Error> {
    // One builtin: the reply is copied into `reply` when it fits (else it is kept).
    let len = check(sys::route_call_into(
        binding.0,
        method.number(),
        request,
        reply,
    ))?;
    match len as usize {
        len if len <= reply.len() => Ok(len),
        _ => Err(Error::TooLarge),
    }
}

/// Copy the last call's reply into `reply` (after a [`Error::TooLarge`]).
pub fn fetch_reply(reply: &mut [u8]) -> Result<usize, Error> {
    check(sys::route_reply(reply)).map(|len| len as usize)
}

/// Give the calls through `binding` from now on a deadline of `ms` milliseconds (0: none),
/// instead of the deployment's or the reach entry's; a call past it is [`Error::Timeout`].
pub fn set_timeout(binding: &Binding, ms: u32) -> Result<(), Error> {
    let ms = i32::try_from(ms).unwrap_or(i32::MAX);
    check(sys::route_timeout(binding.0, ms)).map(drop)
}

/// Send `request` one way (never waits: a full queue is [`Error::QueueFull`]).
pub fn notify(binding: &Binding, method: Method, request: &[u8]) -> Result<(), Error> {
    check(sys::route_notify(binding.0, method.number(), request)).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stub::router;

    #[test]
    fn calls_reach_the_stub_routes_and_errors_map_back() {
        router::serve("hal://adc/0", |method, request| match method {
            Method::Read => Ok(request.iter().rev().copied().collect()),
            _ => Err(status::failed(405)),
        });
        let adc = bind("hal://adc/0").unwrap();
        let mut reply = [0u8; 4];
        assert_eq!(call(&adc, Method::Read, b"abc", &mut reply), Ok(3));
        assert_eq!(&reply[..3], b"cba");
        assert_eq!(
            call(&adc, Method::Write, b"", &mut reply),
            Err(Error::Failed(405))
        );
        assert_eq!(
            call(&adc, Method::Read, b"abcdef", &mut reply),
            Err(Error::TooLarge)
        );
        let mut big = [0u8; 8];
        assert_eq!(fetch_reply(&mut big), Ok(6));
        assert_eq!(bind("hal://adc/9"), Err(Error::NoRoute));
        notify(&adc, Method::Read, b"x").unwrap();
        assert_eq!(
            router::notified(),
            [router::Notification {
                uri: String::from("hal://adc/0"),
                method: Method::Read,
                body: b"x".to_vec(),
            }]
        );
        assert_eq!(set_timeout(&adc, 50), Ok(()));
        let stale = Binding(adc.0);
        drop(adc);
        assert_eq!(set_timeout(&stale, 50), Err(Error::BadHandle));
        core::mem::forget(stale);
        assert_eq!(check(status::BAD_HANDLE), Err(Error::BadHandle));
    }

    #[test]
    fn a_status_code_is_the_error_check_makes_of_it() {
        use fireball_abi::status;
        assert_eq!(Error::from_status(status::TABLE_FULL), Error::TableFull);
        assert_eq!(Error::from_status(status::NO_ROUTER), Error::NoRouter);
        assert_eq!(Error::from_status(status::failed(404)), Error::Failed(404));
        assert_eq!(Error::from_status(-9999), Error::Unknown(-9999));
        assert_eq!(Error::from_status(7), Error::Unknown(7), "not a failure");
        for code in -40..0 {
            assert_eq!(check(code), Err(Error::from_status(code)));
        }
    }

    #[test]
    fn errors_show_their_debug_text() {
        use crate::text::Text;
        let all = [
            Error::Denied,
            Error::DeadPeer,
            Error::Restarted,
            Error::NoRoute,
            Error::BadUri,
            Error::TooLarge,
            Error::QueueFull,
            Error::BadMessage,
            Error::NoReply,
            Error::Timeout,
            Error::NoRouter,
            Error::TableFull,
            Error::BadHandle,
            Error::Failed(404),
            Error::BadReply,
            Error::Unknown(-77),
        ];
        for error in all {
            let mut buf = [0u8; 32];
            let mut text = Text::new(&mut buf);
            text.push(&error);
            assert_eq!(text.as_str(), format!("{error:?}"));
        }
        for method in [Method::Read, Method::Write, Method::Call] {
            let mut buf = [0u8; 8];
            let mut text = Text::new(&mut buf);
            text.push(&method);
            assert_eq!(text.as_str(), format!("{method:?}"));
        }
    }
}
