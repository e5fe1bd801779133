//! What a deployment's components are and how they end: the leaf every other module of the
//! crate names them by (the plan says what to start, the system runs it, the report tells how
//! each ended).

use alloc::string::String;

/// A service or a guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A service plugin (P4).
    Service,
    /// A guest app (P5).
    Guest,
}

/// How a component ended (or where it is at the end of the run).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Still running or waiting (services serve until the run ends).
    Running(String),
    /// Its entry point returned.
    Finished,
    /// Stopped by a trap or memory exhaustion; the others went on.
    Stopped(String),
    /// Removed at runtime (`sys://modules`): its routes answer `NO_ROUTE`.
    Removed,
}
