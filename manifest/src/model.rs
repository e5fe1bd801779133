//! What a manifest says, as types.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::ManifestError;

/// A whole deployment.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Name and scheduling.
    pub deployment: Deployment,
    /// Partition sizes.
    #[serde(default)]
    pub partitions: Partitions,
    /// Service plugins (WASM, in P4).
    #[serde(default, rename = "service")]
    pub services: Vec<Service>,
    /// Guest apps (WASM, in P5).
    #[serde(default, rename = "guest")]
    pub guests: Vec<Guest>,
}

/// Name and scheduling of a deployment.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    /// The deployment's name (shown by the runner, embedded in firmware).
    pub name: String,
    /// Fuel per slice before an instance yields (seed §6.2: 30 000 at 100 MHz).
    #[serde(default = "default_yield_interval")]
    pub yield_interval: u64,
    /// RAM the partitions must fit in, in bytes (default: nRF5340's 512 KiB).
    #[serde(default = "default_ram")]
    pub ram: u64,
    /// Cap on each instance's wasmi value stack, in bytes; charged to every instance at
    /// admission (default 16 KiB).
    #[serde(default = "default_value_stack")]
    pub value_stack: u64,
    /// How long a router call may wait for its answer before the caller gets `TIMED_OUT`,
    /// in milliseconds of virtual time (default: no limit). A `reach` entry's `timeout_ms`
    /// overrides it for calls on that route.
    #[serde(default)]
    pub call_timeout_ms: Option<u64>,
    /// Files holding the ed25519 public keys (32 bytes each, `cargo xtask keygen`) whose
    /// signed packages this deployment installs at runtime (`sys://modules`, the control
    /// port), relative to the manifest. None: every package is refused as untrusted.
    #[serde(default)]
    pub keys: Vec<String>,
}

fn default_value_stack() -> u64 {
    16 * 1024
}

fn default_yield_interval() -> u64 {
    30_000
}

fn default_ram() -> u64 {
    512 * 1024
}

/// Sizes of the six partitions, in bytes (seed §1.2.2).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Partitions {
    /// P1: kernel (scheduler, channels, handle tables).
    pub kernel: u64,
    /// P2: WASM runtime (engine, compiled modules).
    pub runtime: u64,
    /// P3: native subsystems (router, logger, hal).
    pub subsystems: u64,
    /// P4: services, split into per-service quotas.
    pub services: u64,
    /// P5: guests.
    pub guests: u64,
    /// P6: reserve, never allocated from in normal operation.
    pub reserve: u64,
}

impl Default for Partitions {
    /// The seed's recommended sizes scaled to an nRF5340-class part
    /// (P1 8 KiB, P2 64 KiB for wasmi, P3 12 KiB, P4 48 KiB, P5 64 KiB, P6 4 KiB).
    fn default() -> Self {
        Self {
            kernel: 8 * 1024,
            runtime: 64 * 1024,
            subsystems: 12 * 1024,
            services: 48 * 1024,
            guests: 64 * 1024,
            reserve: 4 * 1024,
        }
    }
}

impl Partitions {
    /// All six together.
    pub fn total(&self) -> u64 {
        self.kernel + self.runtime + self.subsystems + self.services + self.guests + self.reserve
    }
}

/// A router method a component may use on a route: the ABI's one definition, spelled in
/// lowercase in a manifest (`"read"`).
pub use fireball_router::Method;

/// `methods = ["read", …]`: each a [`Method`] by its lowercase name.
fn methods<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<Method>, D::Error> {
    const NAMES: &[&str] = &["read", "write", "call", "subscribe"];
    let names = Vec::<String>::deserialize(deserializer)?;
    names
        .iter()
        .map(|name| {
            Method::from_name(name).ok_or_else(|| serde::de::Error::unknown_variant(name, NAMES))
        })
        .collect()
}

/// One thing a component may reach: a route (pattern or concrete URI) and methods on it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Reach {
    /// A registered route pattern (`svc://filter/{op}`) or a concrete URI it
    /// matches (`hal://adc/0`, to allow one channel only).
    pub route: String,
    /// Methods allowed there.
    #[serde(deserialize_with = "methods")]
    pub methods: Vec<Method>,
    /// How long a call on this route may wait for its answer, in milliseconds (overrides
    /// `deployment.call_timeout_ms`; default: that).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// What happens when a component stops: `restart = "never" | "on-failure" | "always"`.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Restart {
    /// It stays down (today's behaviour, the default).
    #[default]
    Never,
    /// Restarted when it traps, runs out of memory or its watchdog fires; not when its entry
    /// point returns.
    OnFailure,
    /// Restarted whenever it stops, a guest whose entry point returned too.
    Always,
}

/// The restart policy of one component: its `restart`, `max_restarts`, `restart_window_ms`
/// and `restart_backoff_ms` keys, as written in its `[[service]]` or `[[guest]]` table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RestartPolicy {
    /// When to restart it.
    pub restart: Restart,
    /// At most this many restarts within `restart_window_ms` (default 3); one more stop in
    /// the window and it gives up: it stays down.
    pub max_restarts: Option<u32>,
    /// The sliding window `max_restarts` counts in, milliseconds (default 10 000).
    pub restart_window_ms: Option<u64>,
    /// Virtual time before the first restart in a window, milliseconds (default 10); it
    /// doubles with each further restart within the window, up to [`MAX_BACKOFF_FACTOR`]
    /// times this.
    pub restart_backoff_ms: Option<u64>,
}

/// Restarts within the window before a component gives up, when `max_restarts` is omitted.
pub const DEFAULT_MAX_RESTARTS: u32 = 3;
/// The window restarts are counted in, when `restart_window_ms` is omitted.
pub const DEFAULT_RESTART_WINDOW_MS: u64 = 10_000;
/// The first back-off, when `restart_backoff_ms` is omitted.
pub const DEFAULT_RESTART_BACKOFF_MS: u64 = 10;
/// The back-off doubles per restart within the window up to this many times its first value
/// (with the default 10 ms: 10, 20, 40, … 320 ms at most).
pub const MAX_BACKOFF_FACTOR: u64 = 32;

impl RestartPolicy {
    /// `max_restarts`, or its default.
    pub fn max_restarts(&self) -> u32 {
        self.max_restarts.unwrap_or(DEFAULT_MAX_RESTARTS)
    }

    /// `restart_window_ms`, or its default.
    pub fn window_ms(&self) -> u64 {
        self.restart_window_ms.unwrap_or(DEFAULT_RESTART_WINDOW_MS)
    }

    /// `restart_backoff_ms`, or its default.
    pub fn backoff_ms(&self) -> u64 {
        self.restart_backoff_ms
            .unwrap_or(DEFAULT_RESTART_BACKOFF_MS)
    }

    /// Whether any of the tuning keys was written (they mean nothing with `restart = "never"`).
    fn tuned(&self) -> bool {
        self.max_restarts.is_some()
            || self.restart_window_ms.is_some()
            || self.restart_backoff_ms.is_some()
    }

    /// The tuning keys written beside `restart = "never"`, by name.
    pub(crate) fn stray_keys(&self) -> Vec<&'static str> {
        if self.restart != Restart::Never || !self.tuned() {
            return Vec::new();
        }
        [
            ("max_restarts", self.max_restarts.is_some()),
            ("restart_window_ms", self.restart_window_ms.is_some()),
            ("restart_backoff_ms", self.restart_backoff_ms.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, set)| set.then_some(key))
        .collect()
    }
}

/// A service plugin.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Unique component name.
    pub name: String,
    /// The module: a name `cargo xtask wasm` built, or a path to a `.wasm`.
    pub module: String,
    /// Bytes of P4 this service may use.
    pub quota: u64,
    /// Route patterns it serves.
    pub routes: Vec<String>,
    /// What it may reach.
    #[serde(default)]
    pub reach: Vec<Reach>,
    /// When to restart it (`never`, `on-failure`, `always`; default `never`).
    #[serde(default)]
    pub restart: Restart,
    /// See [`RestartPolicy::max_restarts`].
    #[serde(default)]
    pub max_restarts: Option<u32>,
    /// See [`RestartPolicy::restart_window_ms`].
    #[serde(default)]
    pub restart_window_ms: Option<u64>,
    /// See [`RestartPolicy::restart_backoff_ms`].
    #[serde(default)]
    pub restart_backoff_ms: Option<u64>,
    /// Stop it (a failure, for its restart policy) when it holds a request, or runs without
    /// coming back to `route_next`, for longer than this many milliseconds of virtual time
    /// (default: no watchdog).
    #[serde(default)]
    pub watchdog_ms: Option<u64>,
}

/// A guest app.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Guest {
    /// Unique component name.
    pub name: String,
    /// The module: a name `cargo xtask wasm` built, or a path to a `.wasm`.
    pub module: String,
    /// What it may reach.
    #[serde(default)]
    pub reach: Vec<Reach>,
    /// When to restart it (`never`, `on-failure`, `always`; default `never`).
    #[serde(default)]
    pub restart: Restart,
    /// See [`RestartPolicy::max_restarts`].
    #[serde(default)]
    pub max_restarts: Option<u32>,
    /// See [`RestartPolicy::restart_window_ms`].
    #[serde(default)]
    pub restart_window_ms: Option<u64>,
    /// See [`RestartPolicy::restart_backoff_ms`].
    #[serde(default)]
    pub restart_backoff_ms: Option<u64>,
}

/// A service or a guest, for code that treats them alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Component<'a> {
    /// A service.
    Service(&'a Service),
    /// A guest.
    Guest(&'a Guest),
}

impl<'a> Component<'a> {
    /// The component's name.
    pub fn name(&self) -> &'a str {
        match self {
            Self::Service(s) => &s.name,
            Self::Guest(g) => &g.name,
        }
    }

    /// Its module reference, as written.
    pub fn module(&self) -> &'a str {
        match self {
            Self::Service(s) => &s.module,
            Self::Guest(g) => &g.module,
        }
    }

    /// What it may reach.
    pub fn reach(&self) -> &'a [Reach] {
        match self {
            Self::Service(s) => &s.reach,
            Self::Guest(g) => &g.reach,
        }
    }

    /// Its restart policy.
    pub fn lifecycle(&self) -> RestartPolicy {
        let (restart, max_restarts, restart_window_ms, restart_backoff_ms) = match self {
            Self::Service(s) => (
                s.restart,
                s.max_restarts,
                s.restart_window_ms,
                s.restart_backoff_ms,
            ),
            Self::Guest(g) => (
                g.restart,
                g.max_restarts,
                g.restart_window_ms,
                g.restart_backoff_ms,
            ),
        };
        RestartPolicy {
            restart,
            max_restarts,
            restart_window_ms,
            restart_backoff_ms,
        }
    }

    /// Its `watchdog_ms` (a service's; guests have none).
    pub fn watchdog_ms(&self) -> Option<u64> {
        match self {
            Self::Service(s) => s.watchdog_ms,
            Self::Guest(_) => None,
        }
    }
}

impl Manifest {
    /// Parse manifest text (syntax and types only; see [`Manifest::validate`]).
    pub fn parse(text: &str) -> Result<Self, ManifestError> {
        toml::from_str(text).map_err(|e| ManifestError::Parse(e.to_string()))
    }

    /// Read and parse the manifest at `path`.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|e| ManifestError::Io {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Self::parse(&text)
    }

    /// Every component, services first, in file order.
    pub fn components(&self) -> impl Iterator<Item = Component<'_>> {
        self.services
            .iter()
            .map(Component::Service)
            .chain(self.guests.iter().map(Component::Guest))
    }

    /// Where a component's module file is: a bare name is looked up as
    /// `<modules_dir>/<name>.wasm`; anything with a `/` or ending in `.wasm` (or `.wat`,
    /// WebAssembly text, assembled when the deployment is planned) is a path relative to
    /// `manifest_dir`.
    pub fn module_path(module: &str, manifest_dir: &Path, modules_dir: &Path) -> PathBuf {
        if module.contains('/') || module.ends_with(".wasm") || module.ends_with(".wat") {
            manifest_dir.join(module)
        } else {
            modules_dir.join(format!("{module}.wasm"))
        }
    }
}
