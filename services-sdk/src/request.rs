//! What a handler sees of a delivery ([`Request`]) and how it refuses one ([`Failure`]).

use core::{fmt, num::NonZeroU16, str::FromStr};

use fireball_guests_sdk::{
    route::{self, Method},
    text::utf8,
};

use crate::pattern;

/// A request or a one-way message, as its handler sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    pub(crate) method: Method,
    // Bytes checked to be UTF-8 when the delivery was dispatched; kept as bytes so that a
    // handler's view of the buffer is not checked again.
    pub(crate) uri: &'a [u8],
    pub(crate) caller: &'a [u8],
    pub(crate) pattern: &'static str,
    pub(crate) one_way: bool,
}

impl<'a> Request<'a> {
    /// The method it was sent with.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The URI the caller used (`svc://filter/2`).
    pub fn uri(&self) -> &'a str {
        utf8(self.uri).unwrap_or_default()
    }

    /// The caller's component name, stamped by the router (it cannot be forged).
    pub fn caller(&self) -> &'a str {
        utf8(self.caller).unwrap_or_default()
    }

    /// The pattern that matched (`svc://filter/{ch}`).
    pub fn pattern(&self) -> &'static str {
        self.pattern
    }

    /// Whether nobody waits for the answer (a notification or publication): the handler's
    /// result is dropped.
    pub fn is_one_way(&self) -> bool {
        self.one_way
    }

    /// The URI segment the pattern's `{name}` took.
    pub fn param(&self, name: &str) -> Option<&'a str> {
        pattern::param_bytes(self.pattern, self.uri, name).and_then(utf8)
    }

    /// Parameter `name` parsed as a `T`; missing or unparsable is
    /// [`Failure::BAD_REQUEST`].
    pub fn param_as<T: FromStr>(&self, name: &str) -> Result<T, Failure> {
        self.param(name)
            .and_then(|text| text.parse().ok())
            .ok_or(Failure::BAD_REQUEST)
    }
}

/// A handler's refusal: an application failure code (1..=65535) the caller receives as
/// `Error::Failed(code)`. The constants follow HTTP's meanings, as the native subsystems'
/// codes do; 0 is not a failure code and is sent as [`Failure::INTERNAL`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failure(pub u16);

impl Failure {
    /// 400: the body or a URI parameter does not fit the route (the caller's fault).
    pub const BAD_REQUEST: Self = Self(400);
    /// 404: no such resource (route, channel, key).
    pub const NOT_FOUND: Self = Self(404);
    /// 405: the route does not take that method.
    pub const METHOD_NOT_ALLOWED: Self = Self(405);
    /// 409: the request conflicts with the service's state.
    pub const CONFLICT: Self = Self(409);
    /// 413: the request is larger than the service's buffer (the SDK answers it by itself).
    pub const TOO_LARGE: Self = Self(413);
    /// 422: well-formed, but a value is out of range.
    pub const UNPROCESSABLE: Self = Self(422);
    /// 500: the service failed (its reply could not be encoded, a bug).
    pub const INTERNAL: Self = Self(500);
    /// 502: a route the service depends on refused or is unreachable.
    pub const BAD_GATEWAY: Self = Self(502);
    /// 503: the service cannot answer now; retry later.
    pub const UNAVAILABLE: Self = Self(503);
    /// 507: the service is full (a bounded table, a quota).
    pub const INSUFFICIENT_STORAGE: Self = Self(507);

    /// The code `route_respond` sends.
    pub fn code(self) -> NonZeroU16 {
        const INTERNAL: NonZeroU16 = NonZeroU16::new(Failure::INTERNAL.0).unwrap();
        NonZeroU16::new(self.0).unwrap_or(INTERNAL)
    }
}

impl From<route::Error> for Failure {
    /// A dependency's own failure code passes through (its 404 is this service's 404);
    /// anything else it says is [`Failure::BAD_GATEWAY`].
    fn from(error: route::Error) -> Self {
        match error {
            route::Error::Failed(code) => Self(code),
            _ => Self::BAD_GATEWAY,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "failure {}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_come_from_the_matched_pattern() {
        let request = Request {
            method: Method::Read,
            uri: b"svc://filter/3/state",
            caller: b"app",
            pattern: "svc://filter/{ch}/state",
            one_way: false,
        };
        assert_eq!(request.param("ch"), Some("3"));
        assert_eq!(request.param_as::<u8>("ch"), Ok(3));
        assert_eq!(request.param_as::<u8>("nope"), Err(Failure::BAD_REQUEST));
        let request = Request {
            uri: b"svc://filter/x/state",
            ..request
        };
        assert_eq!(request.param_as::<u8>("ch"), Err(Failure::BAD_REQUEST));
    }

    #[test]
    fn failures_map_to_codes() {
        assert_eq!(Failure::NOT_FOUND.code().get(), 404);
        assert_eq!(Failure(0).code().get(), 500);
        assert_eq!(Failure::from(route::Error::Failed(404)), Failure(404));
        assert_eq!(Failure::from(route::Error::Denied), Failure::BAD_GATEWAY);
    }
}
