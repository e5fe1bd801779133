//! What to boot: a deployment as plain data, whatever it was described in.
//!
//! The host runner makes a [`Plan`] from a TOML manifest (`fireball run`); a firmware image
//! gets one generated from the same manifest at build time, with the modules in flash.
//! Either way every module was validated by wasmi when the plan was made
//! ([`fireball_vsoc::Vsoc::prevalidate`]): a board does not carry the validator.

use alloc::{string::String, vec::Vec};

use fireball_package::PublicKey;
use fireball_router::Methods;
use fireball_vsoc::Prevalidated;

use crate::component::Kind;

/// Slots of the kernel's P4 quota table ([`QuotaSlot`](fireball_vsoc::kernel::mem::QuotaSlot))
/// for a deployment of `services` services: one each, and room for at least four, so that a
/// board that installs packages at runtime can add services its manifest did not name; at
/// most 32. A board's image sizes a `static` array with it; the host runner leaks as many.
pub const fn quota_slots(services: usize) -> usize {
    if services < 4 {
        4
    } else if services > 32 {
        32
    } else {
        services
    }
}

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
    /// How long a router call may wait for its answer, µs (`deployment.call_timeout_ms`;
    /// `None`: no limit). Carried for the router's call deadlines.
    pub call_timeout_us: Option<u64>,
    /// The keys whose signed packages this deployment installs at runtime
    /// (`deployment.keys`; none: `sys://modules` refuses every package as untrusted).
    pub keys: Vec<PublicKey>,
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
    /// The reach entries with a call timeout of their own (`timeout_ms`): the route as in
    /// [`reach`](Self::reach), and µs.
    pub call_timeouts: Vec<(String, u64)>,
    /// What happens when it stops.
    pub lifecycle: Lifecycle,
}

/// When a stopped component is started again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restart {
    /// Never: it stays down.
    Never,
    /// When it failed: trapped, ran out of memory, or its watchdog fired.
    OnFailure,
    /// Whenever it stops, its entry point returning too.
    Always,
}

/// A component's restart policy and watchdog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifecycle {
    /// When it is restarted.
    pub restart: Restart,
    /// Restarts allowed within [`window_us`](Self::window_us); the stop after them gives up.
    pub max_restarts: u32,
    /// The sliding window restarts are counted in, µs.
    pub window_us: u64,
    /// Virtual time before the first restart in a window, µs; doubled for each further one
    /// within the window, up to [`MAX_BACKOFF_FACTOR`] times.
    pub backoff_us: u64,
    /// A service's watchdog limit, µs (`None`: no watchdog).
    pub watchdog_us: Option<u64>,
}

/// A back-off grows to at most this many times its first value (32: 10 ms grows to 320 ms).
pub const MAX_BACKOFF_FACTOR: u64 = 32;

impl Lifecycle {
    /// Never restarted, no watchdog: a component whose manifest entry has none of the keys.
    pub const NEVER: Self = Self {
        restart: Restart::Never,
        max_restarts: 0,
        window_us: 0,
        backoff_us: 0,
        watchdog_us: None,
    };
}
