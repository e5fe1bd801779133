//! The host runner's library half: what `fireball run` does, callable from tests.
//!
//! - [`deploy`]: `fireball run <manifest.toml>` — a whole deployment (services, guests,
//!   the native `hal` and `logger`, the router with the manifest's policies) on the
//!   simulated board, on virtual time (the boot and the loop are `fireball-deploy`'s,
//!   shared with the firmware).
//! - [`run_guests`]: `fireball run <module.wasm>...` — bare guest modules side by side, one
//!   fuel slice each per round, each printing to stdout under its own label, until every
//!   one has finished or trapped.
//! - [`testing`]: a user's project runs its deployment from its own tests (the traffic
//!   snapshot `fireball new` sets up).
//! - [`project`]: `fireball new` and `fireball build` — a user's own project, made and built.
//! - [`image`]: a deployment's Cortex-M33 firmware image, built from its manifest (for
//!   `cargo xtask` and `fireball run|deploy --board`).
//! - [`sizing`]: `fireball plan <manifest>` — partition sizes and quotas proposed from a
//!   measured run, for the host and for a board.
//! - [`timeline`]: `fireball run … --timeline` — the run as Chrome trace-event JSON
//!   (Perfetto) or a self-contained HTML/SVG page.
#![forbid(unsafe_code)]

pub mod control;
pub mod deploy;
pub mod gdb;
pub mod image;
pub mod project;
pub mod sizing;
pub mod testing;
pub mod timeline;

use std::fmt;

use fireball_abi::Method;
use fireball_subsystems::hal::NullConsole;
use fireball_subsystems::host::StdoutConsole;
use fireball_vsoc::{Instance, Slice, Vsoc, VsocConfig};

/// How one module ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Its entry point returned.
    Finished,
    /// It trapped; the message says where and why.
    Trapped(String),
    /// It was refused at load or instantiation.
    Refused(String),
}

/// What a run did, module by module.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// `(module name, outcome, slices run)` in the order given.
    pub outcomes: Vec<(String, Outcome, u64)>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, outcome, slices) in &self.outcomes {
            match outcome {
                Outcome::Finished => writeln!(f, "{name}: finished after {slices} slice(s)")?,
                Outcome::Trapped(why) => writeln!(f, "{name}: {why}")?,
                Outcome::Refused(why) => writeln!(f, "{name}: refused: {why}")?,
            }
        }
        Ok(())
    }
}

/// Load and run `modules` (`(name, bytes)`) until all have stopped.
pub fn run_guests(vsoc: &Vsoc, modules: &[(String, Vec<u8>)]) -> Report {
    let mut report = Report::default();
    let mut running: Vec<(usize, Instance)> = Vec::new();
    for (name, bytes) in modules {
        let instance = vsoc
            .load(name, bytes)
            .map_err(|e| e.to_string())
            .and_then(|module| {
                vsoc.instantiate(&module, Box::new(StdoutConsole::labelled(name)))
                    .map_err(|e| e.to_string())
            });
        match instance {
            Ok(instance) => {
                running.push((report.outcomes.len(), instance));
                report.outcomes.push((name.clone(), Outcome::Finished, 0));
            }
            Err(why) => report
                .outcomes
                .push((name.clone(), Outcome::Refused(why), 0)),
        }
    }
    while !running.is_empty() {
        running.retain_mut(|(index, instance)| {
            let slice = instance.run_slice();
            let entry = &mut report.outcomes[*index];
            entry.2 = instance.stats().slices;
            match slice {
                Slice::Yielded => true,
                Slice::Finished => false,
                Slice::Trapped(trap) => {
                    entry.1 = Outcome::Trapped(trap.to_string());
                    false
                }
            }
        });
    }
    report
}

/// Most slices [`served_routes`] runs a module for: a service declares its routes before its
/// first `route_next`, which returns at once without a router; a module still running after
/// these did something else first (its routes, if any, are those declared so far).
const ROUTE_SLICES: u32 = 64;

/// What [`served_routes`] saw a module do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// The routes it declared (`route_serve`), method and pattern, in order.
    pub routes: Vec<(Method, String)>,
    /// How it stopped, if it did within the slices it was given: a service's serve loop
    /// stops at its first `route_next` (there is no router); before it, a trap is a reason
    /// it declared nothing more.
    pub stopped: Option<String>,
}

/// The routes module `bytes` declares (`route_serve`: what a service built with the SDK does
/// for each of its routes before its first `route_next`), method and pattern, in order: what
/// `fireball inspect` lists. The module runs in a vSoC of its own, with no router and its
/// console discarded, for at most [`ROUTE_SLICES`] slices (a service's serve loop stops
/// there: without a router it has nothing to serve); a module that does not import
/// `route_serve` is not run and declares none. `Err` if it cannot be loaded or instantiated.
pub fn served_routes(name: &str, bytes: &[u8]) -> Result<Served, String> {
    let vsoc = Vsoc::new(VsocConfig::default());
    let module = vsoc.load(name, bytes).map_err(|e| e.to_string())?;
    let declares =
        module.info().imports.iter().any(|i| {
            i.module == fireball_abi::MODULE && i.name == fireball_abi::builtin::ROUTE_SERVE
        });
    if !declares {
        return Ok(Served {
            routes: Vec::new(),
            stopped: None,
        });
    }
    vsoc.record_served_routes();
    let mut instance = vsoc
        .instantiate(&module, Box::new(NullConsole::default()))
        .map_err(|e| e.to_string())?;
    let mut stopped = None;
    for _ in 0..ROUTE_SLICES {
        match instance.run_slice() {
            Slice::Yielded => {}
            Slice::Finished => {
                stopped = Some("its entry point returned".to_string());
                break;
            }
            Slice::Trapped(trap) => {
                stopped = Some(trap.to_string());
                break;
            }
        }
    }
    Ok(Served {
        routes: instance.served_routes(),
        stopped,
    })
}
