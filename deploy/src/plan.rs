//! What to boot: a deployment as plain data, whatever it was described in.
//!
//! The host runner makes a [`Plan`] from a TOML manifest (`fireball run`); a firmware image
//! gets one generated from the same manifest at build time, with the modules in flash.
//! Either way every module was validated by wasmi when the plan was made
//! ([`fireball_vsoc::Vsoc::prevalidate`]): a board does not carry the validator.

use alloc::{string::String, vec::Vec};

use fireball_router::Methods;
use fireball_vsoc::Prevalidated;

use crate::component::Kind;

/// A deployment ready to boot.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Its name (the report's title).
    pub name: String,
    /// Fuel per slice before an instance yields.
    pub yield_interval: u64,
    /// Each instance's wasmi value-stack cap, bytes.
    pub value_stack: usize,
    /// P5: bytes all guests together may be charged.
    pub guest_pool: usize,
    /// Bytes of each partition, P1 to P6 (`PartitionId` order): the heap a board lays out
    /// ([`RunOptions::heap`](crate::RunOptions::heap)). The host runner does not lay out a
    /// heap and only the vSoC's admission budget (`guest_pool`, the quotas) applies there.
    pub partitions: [usize; 6],
    /// Services first, then guests, in the order they boot.
    pub components: Vec<ComponentPlan>,
}

/// One service or guest.
#[derive(Clone, Debug)]
pub struct ComponentPlan {
    /// Its name: its router identity, which the policies name.
    pub name: String,
    /// Service (P4) or guest (P5).
    pub kind: Kind,
    /// The module: its bytes (borrowed from flash on a board, read from a file on the
    /// host), validated when the plan was made and pinned by their SHA-256 digest
    /// ([`Prevalidated::digest`]), so booting compiles them without validating again.
    pub module: Prevalidated,
    /// A service's P4 quota in bytes (0 for a guest).
    pub quota: usize,
    /// Route patterns a service serves.
    pub routes: Vec<String>,
    /// What it may reach: a route pattern or concrete URI, and the methods.
    pub reach: Vec<(String, Methods)>,
}
