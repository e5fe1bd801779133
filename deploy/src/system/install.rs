//! Installing packages at runtime (feature `install`): an upload or the control port's
//! package verified against the board's keys, held to the manifest, compiled, and swapped in
//! for the running module, or rolled back to it (the steps are in [`super::manage`]'s
//! docs); and, at boot, a package the module store kept. Without the feature an image
//! carries none of this (no signature check, no SHA-2, no package parser): its manifest
//! names no `deployment.keys`, so it could install nothing, and every upload is refused at
//! its first chunk, as it is with the feature when there are no keys.

use alloc::{
    borrow::ToOwned,
    boxed::Box,
    format,
    string::{String, ToString},
    vec::Vec,
};

use fireball_package::{Package, PublicKey, VerifiedPackage};
use fireball_router::{CallError, Methods, Record};
use fireball_subsystems::logger::Level;
use fireball_vsoc::{
    LoadedModule, Vsoc, builtins::Pending, kernel::mem::PartitionedHeap, monitor::RunState,
};

use super::manage::{Answer, Installed, version_of};
use super::{COMPILED_PER_MODULE_BYTE, RUNTIME, System, within};
use crate::component::{Kind, State};
use crate::modules::{self, ModuleError, Source, StoreError};
use crate::plan::ComponentPlan;

enum Phase {
    /// Waiting for the old instance to put down the request it holds.
    Draining { until_us: u64 },
    /// The new instance runs; it must come to serve by `until_us`. `old` is the module that
    /// ran before (to roll back to), if it was kept compiled.
    Starting {
        until_us: u64,
        old: Option<Box<LoadedModule>>,
        old_source: Source,
    },
}

/// The install or update in progress.
pub(super) struct Update {
    index: usize,
    by: String,
    /// The new module, compiled; moved into the component when it is swapped in.
    module: Option<Box<LoadedModule>>,
    source: Source,
    /// The package, for the store once the new module serves.
    package: Vec<u8>,
    answer: Answer,
    phase: Phase,
}

impl Update {
    /// Who started it.
    pub(super) fn by(&self) -> &str {
        &self.by
    }

    /// The component it updates.
    pub(super) fn index(&self) -> usize {
        self.index
    }
}

impl System {
    /// Check `bytes` and start installing them (see the module docs); `route_name` is the
    /// name in the route the package came by, which it must be for.
    pub(super) fn install(
        &mut self,
        by: &str,
        route_name: Option<&str>,
        bytes: Vec<u8>,
        answer: Answer,
    ) -> Result<(), Box<(ModuleError, Answer)>> {
        match self.check_and_compile(route_name, &bytes) {
            Err(error) => Err(Box::new((error, answer))),
            Ok((index, module, source)) => {
                let now = self.now_us();
                let c = &self.components[index];
                let text = format!(
                    "{by}: installing {} {} (was {})",
                    c.name,
                    version_of(&source),
                    version_of(&c.source)
                );
                self.log.message(Level::Info, modules::MANAGER, &text);
                self.update = Some(Update {
                    index,
                    by: by.to_owned(),
                    module: Some(Box::new(module)),
                    source,
                    package: bytes,
                    answer,
                    phase: Phase::Draining {
                        until_us: now + modules::DRAIN_US,
                    },
                });
                self.progress_update();
                Ok(())
            }
        }
    }

    fn check_and_compile(
        &mut self,
        route_name: Option<&str>,
        bytes: &[u8],
    ) -> Result<(usize, LoadedModule, Source), ModuleError> {
        if let Some(update) = &self.update {
            return Err(ModuleError::Busy {
                by: update.by.clone(),
            });
        }
        self.installable()?;
        let package = Package::verify(bytes, &self.keys).map_err(ModuleError::Package)?;
        if let Some(name) = route_name
            && package.name() != name
        {
            return Err(ModuleError::NameMismatch {
                package: package.name().into(),
            });
        }
        let index = self.index_of(package.name()).ok_or(ModuleError::Unknown)?;
        let c = &self.components[index];
        held_to_manifest(&package, &c.routes, &c.reach)?;
        if let Err(error) = self.store.room(package.name(), bytes.len()) {
            return Err(match error {
                StoreError::Full { free, .. } => {
                    ModuleError::NoRoom(format!("the module store has {free} B free"))
                }
                other => ModuleError::Store(other),
            });
        }
        let (module, source) = compile(&self.vsoc, self.options.heap, &package)?;
        Ok((index, module, source))
    }

    /// Move the update in progress on: swap when the old instance is idle (or the drain
    /// time is up), then finish or roll back when the new one serves (or does not).
    pub(super) fn progress_update(&mut self) {
        let Some(update) = &self.update else { return };
        let now = self.now_us();
        let index = update.index;
        let c = &self.components[index];
        match &update.phase {
            Phase::Draining { until_us } => {
                let idle = match c.monitor.state() {
                    RunState::Blocked(Pending::RouteNext { .. }) => true,
                    RunState::Finished | RunState::Stopped(_) => true,
                    _ => !matches!(c.state, State::Running(_)),
                };
                if idle || now >= *until_us {
                    self.swap();
                }
            }
            Phase::Starting { until_us, .. } => {
                if !matches!(c.state, State::Running(_)) {
                    let why = match &c.state {
                        State::Stopped(why) => why.clone(),
                        _ => "its entry point returned".into(),
                    };
                    self.roll_back(why);
                    return;
                }
                let stats = c.monitor.stats();
                let serving = match c.kind {
                    Kind::Service => matches!(
                        c.monitor.state(),
                        RunState::Blocked(Pending::RouteNext { .. })
                    ),
                    Kind::Guest => stats.slices > 0,
                };
                if serving {
                    self.finish_update();
                } else if now >= *until_us {
                    let why = format!(
                        "it did not come to serve within {} ms",
                        modules::START_US / 1000
                    );
                    self.stop_component(index, CallError::Restarted);
                    self.roll_back(why);
                }
            }
        }
    }

    /// The answer a component's callers get when it stops, per its restart policy.
    fn policy_answer(&self, index: usize) -> CallError {
        let c = &self.components[index];
        if c.restarts.restarts() {
            CallError::Restarted
        } else {
            CallError::DeadPeer
        }
    }

    /// The old instance is idle (or out of time): stop it and start the new module.
    fn swap(&mut self) {
        let Some(update) = &mut self.update else {
            return;
        };
        let index = update.index;
        let new = update.module.take().expect("swapped once");
        // Callers of the old generation resend to the new one.
        self.stop_component(index, CallError::Restarted);
        self.components[index].restarts.due_us = None;
        let c = &mut self.components[index];
        let old = c.module.take();
        let old_source = core::mem::replace(&mut c.source, Source::Image);
        let started = self.start_instance(index, &new);
        let now = self.now_us();
        self.components[index].module = Some(new);
        let update = self.update.as_mut().expect("in progress");
        match started {
            Ok(monitor) => {
                let c = &mut self.components[index];
                c.replace_monitor(monitor);
                c.state = State::Running(String::new());
                c.source = update.source.clone();
                update.phase = Phase::Starting {
                    until_us: now + modules::START_US,
                    old,
                    old_source,
                };
            }
            Err(why) => {
                update.phase = Phase::Starting {
                    until_us: now,
                    old,
                    old_source,
                };
                self.roll_back(why);
            }
        }
        // The swap's `unregister` and `register` go to the sink now, not after the next
        // poll: a board stamping trace lines as they arrive (the control-port image) marks
        // the swap where it happened. The trace's text is the same either way.
        self.collect_trace();
    }

    /// The new module serves: keep it (and its package), answer whoever asked.
    fn finish_update(&mut self) {
        let Some(update) = self.update.take() else {
            return;
        };
        let index = update.index;
        let answer = self.policy_answer(index);
        let c = &self.components[index];
        let name = c.name.clone();
        self.authority.set_stop_answer(&name, answer);
        let heap = self.options.heap;
        let saved = within(heap, RUNTIME, || self.store.save(&name, &update.package));
        let mut text = format!("{name} now runs {}", version_of(&update.source));
        if let Err(error) = saved {
            text = format!("{text} (not kept in the module store: {error})");
        }
        self.options.sink.line(&format!("[fireball] {text}"));
        self.log.message(Level::Info, modules::MANAGER, &text);
        let len = update.package.len() as u64;
        let version = match &update.source {
            Source::Package { version, .. } => version.to_string(),
            Source::Image => "0.0.0".into(),
        };
        self.answer(update.answer, &update.by, &name, Ok(version), len);
    }

    /// The new module did not start (`why`): start the old one again, answer the failure.
    fn roll_back(&mut self, why: String) {
        let Some(mut update) = self.update.take() else {
            return;
        };
        let index = update.index;
        let Phase::Starting {
            old, old_source, ..
        } = core::mem::replace(&mut update.phase, Phase::Draining { until_us: 0 })
        else {
            return;
        };
        let c = &mut self.components[index];
        let name = c.name.clone();
        // The failed module goes; the old one comes back, compiled again from the image if
        // it was not kept.
        c.module = None;
        let old = match old {
            Some(old) => Ok(*old),
            None => {
                let image = c.image.clone();
                self.vsoc
                    .load_prevalidated(&name, &image)
                    .map_err(|e| e.to_string())
            }
        };
        let restored = old.and_then(|old| {
            let started = self.start_instance(index, &old);
            let c = &mut self.components[index];
            if c.restarts.restarts() || !matches!(old_source, Source::Image) {
                c.module = Some(Box::new(old));
            }
            started
        });
        let c = &mut self.components[index];
        let text = match restored {
            Ok(monitor) => {
                c.replace_monitor(monitor);
                c.state = State::Running(String::new());
                c.source = old_source.clone();
                format!(
                    "{name}: {} did not start ({why}); rolled back to {}",
                    version_of(&update.source),
                    version_of(&old_source)
                )
            }
            Err(error) => {
                c.state = State::Stopped(format!("rollback failed: {error}"));
                format!(
                    "{name}: {} did not start ({why}) and the rollback failed: {error}",
                    version_of(&update.source)
                )
            }
        };
        let answer = self.policy_answer(index);
        self.authority.set_stop_answer(&name, answer);
        self.options.sink.line(&format!("[fireball] {text}"));
        self.log.message(Level::Error, modules::MANAGER, &text);
        let len = update.package.len() as u64;
        self.answer(
            update.answer,
            &update.by,
            &name,
            Err(ModuleError::StartFailed(why)),
            len,
        );
    }

    fn answer(
        &mut self,
        answer: Answer,
        by: &str,
        name: &str,
        result: Result<String, ModuleError>,
        len: u64,
    ) {
        match answer {
            Answer::Router(request) => {
                let _ = match result {
                    Ok(version) => request.reply(
                        Record::new()
                            .with("off", len)
                            .with("version", version.as_str()),
                    ),
                    Err(error) => self.refuse(request, by, error),
                };
            }
            Answer::Control => self.installed.push(Installed {
                by: by.into(),
                name: name.into(),
                result,
            }),
        }
    }

    /// A module that stopped while it was starting as an update: roll back rather than
    /// apply its restart policy. Whether it was one.
    pub(super) fn stopped_while_updating(&mut self, index: usize) -> bool {
        let starting = matches!(
            &self.update,
            Some(Update { index: i, phase: Phase::Starting { .. }, .. }) if *i == index
        );
        if starting {
            self.progress_update();
        }
        starting
    }
}

/// Whether `package` serves exactly the routes the manifest registers for its component
/// (`routes`) and reaches no more than it grants (`reach`): what an install and the boot
/// that restores a kept package both require.
fn held_to_manifest(
    package: &VerifiedPackage<'_>,
    routes: &[String],
    reach: &[(String, Methods)],
) -> Result<(), ModuleError> {
    let same_routes = package.routes().len() == routes.len()
        && package
            .routes()
            .iter()
            .all(|r| routes.iter().any(|m| m == r));
    if !same_routes {
        return Err(ModuleError::RoutesDiffer);
    }
    package
        .check_reach(|route, methods| {
            reach
                .iter()
                .any(|(granted, m)| granted == route && m.union(methods) == *m)
        })
        .map_err(ModuleError::Package)
}

/// `component`'s package kept in the module store (`bytes`): verified against `keys`, for
/// this component, held to the manifest (routes, reach), compiled in P2 (with the room boot
/// asks of any module).
pub(super) fn restore_package(
    vsoc: &Vsoc,
    heap: Option<&PartitionedHeap>,
    keys: &[PublicKey],
    component: &ComponentPlan,
    bytes: &[u8],
) -> Result<(LoadedModule, Source), ModuleError> {
    let package = Package::verify(bytes, keys).map_err(ModuleError::Package)?;
    if package.name() != component.name {
        return Err(ModuleError::NameMismatch {
            package: package.name().into(),
        });
    }
    held_to_manifest(&package, &component.routes, &component.reach)?;
    compile(vsoc, heap, &package)
}

/// `package`'s module compiled in P2, with the room boot asks of any module (wasmi cannot
/// fail a translation cleanly when P2 runs out), and where it came from.
fn compile(
    vsoc: &Vsoc,
    heap: Option<&PartitionedHeap>,
    package: &VerifiedPackage<'_>,
) -> Result<(LoadedModule, Source), ModuleError> {
    if let Some(heap) = heap {
        let available = heap.largest_free(RUNTIME);
        let needs = package.module().len() * COMPILED_PER_MODULE_BYTE;
        if available < needs {
            return Err(ModuleError::NoRoom(format!(
                "its compiled code needs ~{needs} B of P2, {available} B free"
            )));
        }
    }
    let module = vsoc.load_package(package).map_err(ModuleError::Load)?;
    let source = Source::Package {
        version: package.version(),
        digest: package.digest(),
    };
    Ok((module, source))
}
