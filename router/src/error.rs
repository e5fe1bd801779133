//! The router's typed errors. Each says who is at fault and what to do about it.

use core::fmt;

use crate::record::RecordError;
use crate::table::InsertError;
use crate::uri::UriError;

/// Why a bind, call, notification, subscription or publication failed.
///
/// Small and `Copy`: it travels in replies and trace events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallError {
    /// The URI is malformed (the caller's fault: fix the URI).
    BadUri(UriError),
    /// No registered pattern matches the URI (no component serves it).
    NoRoute,
    /// The policy does not grant the caller this method on this route. The handler never saw
    /// the request; an audit event was traced.
    Denied,
    /// The component serving the route is gone (stopped, crashed, or re-registered without
    /// this route). Requests it had not answered fail with this too, unless the deployment
    /// said it will restart (then [`Self::Restarted`]).
    DeadPeer,
    /// The serving component restarted since the binding was made, or stopped with the
    /// request unanswered and is being restarted: bind again (the request may have been
    /// seen by the instance that stopped).
    Restarted,
    /// The receiver's queue is full: nothing was delivered; retry later.
    QueueFull,
    /// The message (request or reply) breaks the limits, or its bytes are malformed.
    Message(RecordError),
    /// The handler dropped the request without replying (it is still running: a
    /// handler that stopped holding it gives its stop answer, [`Self::DeadPeer`] or
    /// [`Self::Restarted`]).
    NoReply,
    /// The call's deadline passed before the handler answered (the caller stopped waiting;
    /// the handler may still act on the request, and its late answer is discarded). Retry
    /// only what is safe to do twice.
    Timeout,
    /// Publishing on a route the publisher does not own.
    NotOwner,
    /// The handler answered with an application error code.
    Failed(u16),
    /// A publication reached only some subscribers: the others' queues were full
    /// (each one is named in the trace).
    Refused {
        /// Subscribers that received it.
        delivered: u16,
        /// Subscribers whose queue was full.
        refused: u16,
    },
}

impl CallError {
    /// A short kebab-case name, used by the trace.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::BadUri(_) => "bad-uri",
            Self::NoRoute => "no-route",
            Self::Denied => "denied",
            Self::DeadPeer => "dead-peer",
            Self::Restarted => "restarted",
            Self::QueueFull => "queue-full",
            Self::Message(_) => "bad-message",
            Self::NoReply => "no-reply",
            Self::Timeout => "timeout",
            Self::NotOwner => "not-owner",
            Self::Failed(_) => "failed",
            Self::Refused { .. } => "refused",
        }
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadUri(e) => write!(f, "bad-uri ({e})"),
            Self::Message(e) => write!(f, "bad-message ({e})"),
            Self::Failed(code) => write!(f, "failed (code {code})"),
            Self::Refused { delivered, refused } => {
                write!(f, "refused ({refused} full, {delivered} delivered)")
            }
            other => f.write_str(other.name()),
        }
    }
}

impl core::error::Error for CallError {}

impl From<RecordError> for CallError {
    fn from(e: RecordError) -> Self {
        Self::Message(e)
    }
}

/// Why a component could not be registered (the deployment is at fault).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegisterError {
    /// Names are non-empty, at most 32 bytes of `a-z0-9._-`.
    BadName,
    /// A live component already has this name (drop its endpoint, or restart it).
    NameTaken,
    /// The inbox capacity is 0 (a rendezvous inbox would refuse every `try_send`).
    ZeroInbox,
    /// Route `index` of the registration is malformed.
    BadRoute {
        /// Position in the registration's route list.
        index: usize,
        /// What is wrong with it.
        error: InsertError,
    },
    /// Route `index` has the same shape as a route another live component serves, or as an
    /// earlier route of this registration.
    RouteTaken {
        /// Position in the registration's route list.
        index: usize,
    },
    /// Too many components (`u16::MAX`) or routes.
    Full,
}

impl fmt::Display for RegisterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadName => f.write_str("component names are 1-32 bytes of a-z0-9._-"),
            Self::NameTaken => f.write_str("a live component already has this name"),
            Self::ZeroInbox => f.write_str("inbox capacity must be at least 1"),
            Self::BadRoute { index, error } => write!(f, "route {index}: {error}"),
            Self::RouteTaken { index } => write!(f, "route {index} is already served"),
            Self::Full => f.write_str("router is full"),
        }
    }
}

impl core::error::Error for RegisterError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_stay_small() {
        assert!(size_of::<CallError>() <= 24, "{}", size_of::<CallError>());
        assert!(size_of::<Result<(), CallError>>() <= 24);
        assert!(
            size_of::<RegisterError>() <= 24,
            "{}",
            size_of::<RegisterError>()
        );
        assert!(
            size_of::<InsertError>() <= 24,
            "{}",
            size_of::<InsertError>()
        );
        assert!(size_of::<UriError>() <= 16, "{}", size_of::<UriError>());
    }
}
