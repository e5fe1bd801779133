//! Checking a manifest: every problem found, each naming who and what to change.

use std::{fmt, path::PathBuf};

use fireball_router::uri::{Pattern, Uri};

use crate::{Component, Manifest};

/// One problem with a manifest. The manifest's author is at fault in every case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ManifestError {
    /// The file could not be read.
    Io { path: PathBuf, reason: String },
    /// Not valid TOML, or a field of the wrong type, missing or unknown.
    Parse(String),
    /// A component has an empty name.
    EmptyName,
    /// Two components share a name.
    DuplicateName { name: String },
    /// `yield_interval` is zero (no instance could ever run).
    ZeroYieldInterval,
    /// `value_stack` is below the smallest the interpreter starts with.
    ValueStackTooSmall { bytes: u64, minimum: u64 },
    /// A route in `routes` or `reach` is not a valid pattern or URI.
    BadRoute {
        component: String,
        route: String,
        reason: String,
    },
    /// Two services serve the same route pattern.
    RouteTaken {
        route: String,
        first: String,
        second: String,
    },
    /// `reach` names a route that no service and no subsystem serves.
    UnknownRoute { component: String, route: String },
    /// A `reach` entry allows no methods.
    NoMethods { component: String, route: String },
    /// A service has a zero quota.
    ZeroQuota { service: String },
    /// The services' quotas add up to more than the services partition (P4).
    QuotasExceedPartition { total: u64, partition: u64 },
    /// The six partitions add up to more than the deployment's RAM.
    PartitionsExceedRam { total: u64, ram: u64 },
    /// The module file of a component does not exist.
    MissingModule { component: String, path: PathBuf },
    /// Restart tuning keys (`max_restarts`, …) beside `restart = "never"`, where they mean
    /// nothing: `keys` names them.
    RestartKeysWithoutRestart {
        component: String,
        keys: Vec<&'static str>,
    },
    /// `max_restarts = 0`: the component would give up on its first stop; write
    /// `restart = "never"` instead.
    ZeroMaxRestarts { component: String },
    /// A restart window of zero: no restart could be counted in it.
    ZeroRestartWindow { component: String },
    /// The first back-off is at least the whole window: the restarts could never be
    /// counted together.
    BackoffExceedsWindow {
        component: String,
        backoff_ms: u64,
        window_ms: u64,
    },
    /// `watchdog_ms = 0`: the service would be stopped on its first turn.
    ZeroWatchdog { service: String },
    /// A call timeout of zero (`deployment.call_timeout_ms`, or a reach entry's
    /// `timeout_ms`: `route` says which): every call would time out at once.
    ZeroCallTimeout {
        /// The component whose reach it is (`None`: the deployment's default).
        component: Option<String>,
        route: Option<String>,
    },
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, reason } => write!(f, "cannot read {}: {reason}", path.display()),
            Self::Parse(reason) => write!(f, "{reason}"),
            Self::EmptyName => write!(f, "a component has an empty `name`"),
            Self::DuplicateName { name } => {
                write!(f, "two components are named `{name}`; names must be unique")
            }
            Self::ValueStackTooSmall { bytes, minimum } => write!(
                f,
                "`value_stack = {bytes}` is below the interpreter's minimum of {minimum} bytes"
            ),
            Self::ZeroYieldInterval => {
                write!(
                    f,
                    "`yield_interval` must be at least 1 (30000 suits a 100 MHz M33)"
                )
            }
            Self::BadRoute {
                component,
                route,
                reason,
            } => write!(f, "`{component}`: route `{route}` is invalid: {reason}"),
            Self::RouteTaken {
                route,
                first,
                second,
            } => write!(
                f,
                "`{first}` and `{second}` both serve `{route}`; a route has one owner"
            ),
            Self::UnknownRoute { component, route } => write!(
                f,
                "`{component}` may reach `{route}`, but no service or subsystem serves it \
                 (add it to a service's `routes`, or fix the spelling)"
            ),
            Self::NoMethods { component, route } => write!(
                f,
                "`{component}`: reach `{route}` lists no methods (use read, write, call or \
                 subscribe; drop the entry to allow nothing)"
            ),
            Self::ZeroQuota { service } => {
                write!(
                    f,
                    "service `{service}` has `quota = 0`; it could not even load"
                )
            }
            Self::QuotasExceedPartition { total, partition } => write!(
                f,
                "service quotas add up to {total} bytes but `partitions.services` is \
                 {partition}; raise the partition or lower the quotas"
            ),
            Self::PartitionsExceedRam { total, ram } => write!(
                f,
                "partitions add up to {total} bytes, more than the {ram} bytes of `deployment.ram`"
            ),
            Self::MissingModule { component, path } => write!(
                f,
                "`{component}`: module {} not found (build it with `fireball build` in its project, \
                 `cargo xtask wasm` in Fireball's repository, or give `--modules DIR`)",
                path.display()
            ),
            Self::RestartKeysWithoutRestart { component, keys } => write!(
                f,
                "`{component}`: {}{} set but `restart` is \"never\"; set `restart = \"on-failure\"` \
                 or `\"always\"`, or drop {}",
                keys.iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if keys.len() == 1 { " is" } else { " are" },
                if keys.len() == 1 { "it" } else { "them" },
            ),
            Self::ZeroMaxRestarts { component } => write!(
                f,
                "`{component}`: `max_restarts = 0` would give up at the first stop; write \
                 `restart = \"never\"` instead"
            ),
            Self::ZeroRestartWindow { component } => {
                write!(f, "`{component}`: `restart_window_ms` must be at least 1")
            }
            Self::BackoffExceedsWindow {
                component,
                backoff_ms,
                window_ms,
            } => write!(
                f,
                "`{component}`: `restart_backoff_ms = {backoff_ms}` is not shorter than its \
                 `restart_window_ms = {window_ms}`; no two restarts could fall in one window"
            ),
            Self::ZeroWatchdog { service } => write!(
                f,
                "service `{service}` has `watchdog_ms = 0`; it would be stopped at its first turn \
                 (drop the key for no watchdog)"
            ),
            Self::ZeroCallTimeout { component, route } => match (component, route) {
                (Some(component), Some(route)) => write!(
                    f,
                    "`{component}`: reach `{route}` has `timeout_ms = 0`; every call would time \
                     out at once (drop it to use the deployment's)"
                ),
                _ => write!(
                    f,
                    "`deployment.call_timeout_ms = 0` would time every call out at once (drop \
                     it for no limit)"
                ),
            },
        }
    }
}

impl std::error::Error for ManifestError {}

/// The smallest `value_stack` (the vSoC's `MIN_VALUE_STACK`: wasmi's stack starts at
/// 1 000 bytes).
pub const MIN_VALUE_STACK: u64 = 1024;

/// Where to look for module files while validating.
#[derive(Clone, Debug)]
pub struct ModuleDirs {
    /// The manifest's own directory (for relative `.wasm` paths).
    pub manifest_dir: PathBuf,
    /// Where `cargo xtask wasm` put the modules (for bare module names).
    pub modules_dir: PathBuf,
}

impl Manifest {
    /// Every problem with this manifest. `system_routes` are the patterns the
    /// native subsystems serve (`log://`, `hal://adc/{channel}`, …); with
    /// `dirs`, module files must exist too.
    pub fn validate(
        &self,
        system_routes: &[&str],
        dirs: Option<&ModuleDirs>,
    ) -> Result<(), Vec<ManifestError>> {
        let mut errors = Vec::new();
        if self.deployment.yield_interval == 0 {
            errors.push(ManifestError::ZeroYieldInterval);
        }
        if self.deployment.value_stack < MIN_VALUE_STACK {
            errors.push(ManifestError::ValueStackTooSmall {
                bytes: self.deployment.value_stack,
                minimum: MIN_VALUE_STACK,
            });
        }
        if self.deployment.call_timeout_ms == Some(0) {
            errors.push(ManifestError::ZeroCallTimeout {
                component: None,
                route: None,
            });
        }
        self.check_names(&mut errors);
        let served = self.check_served_routes(system_routes, &mut errors);
        for component in self.components() {
            check_reach(component, &served, &mut errors);
            check_lifecycle(component, &mut errors);
            if let Some(dirs) = dirs {
                let path = Manifest::module_path(
                    component.module(),
                    &dirs.manifest_dir,
                    &dirs.modules_dir,
                );
                if !path.is_file() {
                    errors.push(ManifestError::MissingModule {
                        component: component.name().into(),
                        path,
                    });
                }
            }
        }
        self.check_memory(&mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn check_names(&self, errors: &mut Vec<ManifestError>) {
        let mut seen = std::collections::BTreeSet::new();
        for component in self.components() {
            let name = component.name();
            if name.is_empty() {
                errors.push(ManifestError::EmptyName);
            } else if !seen.insert(name) {
                errors.push(ManifestError::DuplicateName { name: name.into() });
            }
        }
    }

    /// The served patterns: the system's, then each service's, with owners.
    fn check_served_routes<'a>(
        &'a self,
        system_routes: &[&'a str],
        errors: &mut Vec<ManifestError>,
    ) -> Vec<(Pattern<'a>, &'a str)> {
        let mut served: Vec<(Pattern<'a>, &'a str)> = system_routes
            .iter()
            .filter_map(|r| Pattern::parse(r).ok().map(|p| (p, "the system")))
            .collect();
        for service in &self.services {
            for route in &service.routes {
                match Pattern::parse(route) {
                    Err(e) => errors.push(ManifestError::BadRoute {
                        component: service.name.clone(),
                        route: route.clone(),
                        reason: e.to_string(),
                    }),
                    Ok(pattern) => {
                        if let Some((_, owner)) = served.iter().find(|(p, _)| *p == pattern) {
                            errors.push(ManifestError::RouteTaken {
                                route: route.clone(),
                                first: (*owner).into(),
                                second: service.name.clone(),
                            });
                        } else {
                            served.push((pattern, &service.name));
                        }
                    }
                }
            }
        }
        served
    }

    fn check_memory(&self, errors: &mut Vec<ManifestError>) {
        for service in &self.services {
            if service.quota == 0 {
                errors.push(ManifestError::ZeroQuota {
                    service: service.name.clone(),
                });
            }
        }
        let quotas: u64 = self.services.iter().map(|s| s.quota).sum();
        if quotas > self.partitions.services {
            errors.push(ManifestError::QuotasExceedPartition {
                total: quotas,
                partition: self.partitions.services,
            });
        }
        let total = self.partitions.total();
        if total > self.deployment.ram {
            errors.push(ManifestError::PartitionsExceedRam {
                total,
                ram: self.deployment.ram,
            });
        }
    }
}

/// Each reach entry must be a served pattern, or a URI a served pattern matches.
fn check_reach(
    component: Component<'_>,
    served: &[(Pattern<'_>, &str)],
    errors: &mut Vec<ManifestError>,
) {
    for reach in component.reach() {
        let bad = |reason: String| ManifestError::BadRoute {
            component: component.name().into(),
            route: reach.route.clone(),
            reason,
        };
        let known = match Pattern::parse(&reach.route) {
            Ok(pattern) if served.iter().any(|(p, _)| *p == pattern) => true,
            Ok(_) => match Uri::parse(&reach.route) {
                Ok(uri) => served.iter().any(|(p, _)| p.matches(&uri).is_some()),
                Err(_) => false,
            },
            Err(e) => {
                errors.push(bad(e.to_string()));
                continue;
            }
        };
        if !known {
            errors.push(ManifestError::UnknownRoute {
                component: component.name().into(),
                route: reach.route.clone(),
            });
        }
        if reach.methods.is_empty() {
            errors.push(ManifestError::NoMethods {
                component: component.name().into(),
                route: reach.route.clone(),
            });
        }
        if reach.timeout_ms == Some(0) {
            errors.push(ManifestError::ZeroCallTimeout {
                component: Some(component.name().into()),
                route: Some(reach.route.clone()),
            });
        }
    }
}

/// A restart policy must mean something, and a watchdog must give the service a turn.
fn check_lifecycle(component: Component<'_>, errors: &mut Vec<ManifestError>) {
    let name = || component.name().to_string();
    let policy = component.lifecycle();
    let keys = policy.stray_keys();
    if !keys.is_empty() {
        errors.push(ManifestError::RestartKeysWithoutRestart {
            component: name(),
            keys,
        });
    }
    if policy.max_restarts == Some(0) {
        errors.push(ManifestError::ZeroMaxRestarts { component: name() });
    }
    if policy.restart_window_ms == Some(0) {
        errors.push(ManifestError::ZeroRestartWindow { component: name() });
    } else if policy.backoff_ms() >= policy.window_ms() {
        errors.push(ManifestError::BackoffExceedsWindow {
            component: name(),
            backoff_ms: policy.backoff_ms(),
            window_ms: policy.window_ms(),
        });
    }
    if component.watchdog_ms() == Some(0) {
        errors.push(ManifestError::ZeroWatchdog { service: name() });
    }
}
