//! The deployment manifest: one TOML file describes a Fireball deployment.
//!
//! The same file drives the host runner (`fireball run <manifest>`) and the
//! firmware build. It names the services and guests, the modules they run,
//! the routes each service serves, what each component may **reach** (the
//! router enforces exactly this, nothing more), the partition sizes with each
//! service's P4 quota, and the yield interval.
//!
//! ```toml
//! [deployment]
//! name = "sensor-hub"
//! yield_interval = 30000        # fuel per slice (seed §6.2: 100 MHz M33)
//!
//! [partitions]                  # bytes; omitted ones keep their defaults
//! services = 49152
//! guests = 65536
//!
//! [[service]]
//! name = "filter"
//! module = "filter"             # a module `cargo xtask wasm` built, or a path to a .wasm
//! quota = 16384                 # its share of P4
//! routes = ["svc://filter/{op}"]
//! reach = [{ route = "log://", methods = ["write"] }]
//!
//! [[guest]]
//! name = "aggregator"
//! module = "aggregator"
//! reach = [
//!   { route = "svc://filter/{op}", methods = ["call"] },
//!   { route = "hal://adc/{channel}", methods = ["read"] },
//! ]
//! ```
//!
//! [`Manifest::parse`] reads the text; [`Manifest::validate`] checks it
//! against the system's own routes and the modules on disk, and every problem
//! is a [`ManifestError`] that names the component and says what to change.
//!
//! Modules: [`model`] (the types), [`validate`] (the checks).
#![forbid(unsafe_code)]

pub mod model;
pub mod validate;

pub use model::{
    Component, Deployment, Guest, MAX_BACKOFF_FACTOR, Manifest, Method, Partitions, Reach, Restart,
    RestartPolicy, Service,
};
pub use validate::{ManifestError, ModuleDirs};
