//! Who a component is, as the router knows it.

use alloc::rc::Rc;
use core::fmt;

/// A registered component's identity: its name and generation.
///
/// Only the router mints identities (there is no public constructor): it stamps the caller's
/// identity on every request from the caller's registration, so a handler can trust
/// [`Request::caller`](crate::Request::caller). Holding a copy of someone's identity grants
/// nothing — sending requires that component's [`Endpoint`](crate::Endpoint), which is not
/// `Clone` and is handed out once, at registration.
///
/// A component that restarts keeps its name and slot and gets the next generation; two
/// identities are equal when both are equal.
///
/// Identities cannot be made outside the router:
///
/// ```compile_fail
/// let forged = fireball_router::Identity { slot: 0, generation: 1, name: "hal.adc".into() };
/// ```
#[derive(Clone)]
pub struct Identity {
    pub(crate) slot: u16,
    pub(crate) generation: u32,
    pub(crate) name: Rc<str>,
}

impl Identity {
    /// The registered name (`hal.adc`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The generation: 1 at first registration, +1 at each restart.
    pub fn generation(&self) -> u32 {
        self.generation
    }
}

impl PartialEq for Identity {
    fn eq(&self, other: &Self) -> bool {
        self.slot == other.slot && self.generation == other.generation
    }
}

impl Eq for Identity {}

impl fmt::Display for Identity {
    /// `name#generation`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.name, self.generation)
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Identity({self})")
    }
}
