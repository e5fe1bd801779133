//! The module manager at work: `sys://modules` requests and the control port's installs,
//! served by the deployment loop ([`System::manage`] at each turn).
//!
//! An install or update goes: verify (signature, structure, digest against the board's keys)
//! → hold to the manifest (name, routes, reach) → compile (P2) → **drain** (the old instance
//! finishes the request it holds, at most [`modules::DRAIN_US`]) → **swap** (the old task is
//! cancelled: requests still queued for it are answered `RESTARTED`, and the SDKs resend
//! them; the new instance is registered as the next router generation and spawned) →
//! **start** (it must come to `route_next`, a guest through its first slice, within
//! [`modules::START_US`]) → done, or **rolled back** to the module that ran before. At most
//! one is in progress; nothing is changed until the swap, and a failed start puts the old
//! module back.

use alloc::{
    borrow::ToOwned,
    boxed::Box,
    format,
    string::{String, ToString},
    vec::Vec,
};

use fireball_package::{Package, VerifiedPackage};
use fireball_router::{CallError, Method, Methods, Record, Request, Value};
use fireball_subsystems::logger::Level;
use fireball_vsoc::{LoadedModule, builtins::Pending, monitor::RunState};

use super::{COMPILED_PER_MODULE_BYTE, RUNTIME, System, within};
use crate::component::{Kind, State};
use crate::modules::{self, Chunk, ModuleEntry, ModuleError, Source, StoreError, Upload};

/// The name the control port acts under (in the log and as an upload's sender).
pub const CONTROL: &str = "control";

/// An install or update that finished, for whoever started it.
#[derive(Debug)]
pub struct Installed {
    /// Who started it ([`CONTROL`], or the component that uploaded it).
    pub by: String,
    /// The component.
    pub name: String,
    /// The version it runs now, or why nothing changed.
    pub result: Result<String, ModuleError>,
}

/// Who gets the answer of an install.
enum Answer {
    /// A `sys://modules` caller: the request for the last chunk, answered when done.
    Router(Request),
    /// The control port ([`System::take_installed`]).
    Control,
}

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

/// A module state's short name, as `sys://modules` lists it.
fn state_name(state: &State) -> String {
    match state {
        State::Running(_) => "running".into(),
        State::Finished => "finished".into(),
        State::Stopped(why) => format!("stopped: {why}"),
        State::Removed => "removed".into(),
    }
}

impl System {
    /// One turn of the module manager: take `sys://modules` requests, move the update in
    /// progress on. The deployment loop calls it at each turn.
    pub(super) fn manage(&mut self) {
        while let Some(request) = self
            .manager
            .as_ref()
            .and_then(|endpoint| endpoint.try_recv().ok())
            .and_then(|delivery| delivery.into_request())
        {
            self.module_request(request);
        }
        self.progress_update();
    }

    /// The modules of this deployment, in boot order: what `sys://modules` and the control
    /// port list.
    pub fn modules(&self) -> Vec<ModuleEntry> {
        (0..self.components.len()).map(|i| self.entry(i)).collect()
    }

    fn entry(&self, index: usize) -> ModuleEntry {
        let c = &self.components[index];
        let digest = match &c.source {
            Source::Image => *c.image.digest(),
            Source::Package { digest, .. } => *digest,
        };
        ModuleEntry {
            name: c.name.clone(),
            kind: c.kind,
            source: c.source.clone(),
            digest,
            running: matches!(c.state, State::Running(_)),
            state: state_name(&c.state),
            restarts: c.restarts.total,
        }
    }

    fn module_request(&mut self, request: Request) {
        let name = request.param("name").map(str::to_owned);
        let by = request.caller().name().to_owned();
        let outcome = match (request.method(), name) {
            (Method::Read, None) => Ok(Record::new().with(
                "modules",
                Value::List(
                    self.modules()
                        .iter()
                        .map(|m| Value::Record(m.to_record()))
                        .collect(),
                ),
            )),
            (Method::Read, Some(name)) => self
                .index_of(&name)
                .map(|index| self.entry(index).to_record())
                .ok_or(ModuleError::Unknown),
            (Method::Write, Some(name)) => {
                return self.upload_chunk(&by, &name, request);
            }
            (Method::Call, Some(name)) => match request.body().str("op") {
                Some("remove") => self.remove(&by, &name).map(|()| Record::new()),
                _ => Err(ModuleError::BadRequest("call takes {op: \"remove\"}")),
            },
            _ => Err(ModuleError::Method),
        };
        // A caller that gave up is not the manager's problem.
        let _ = match outcome {
            Ok(body) => request.reply(body),
            Err(error) => self.refuse(request, &by, error),
        };
    }

    fn refuse(&self, request: Request, by: &str, error: ModuleError) -> Result<(), CallError> {
        let text = format!("{by}: {} refused: {error}", request.envelope().uri());
        self.log.message(Level::Warn, modules::MANAGER, &text);
        request.fail(error.code())
    }

    fn index_of(&self, name: &str) -> Option<usize> {
        self.components.iter().position(|c| c.name == name)
    }

    /// A `write sys://modules/{name}` chunk: appended to the upload (a chunk at 0 starts one),
    /// answered with the offset wanted next; the last one starts the install and is answered
    /// when it is done.
    fn upload_chunk(&mut self, by: &str, name: &str, request: Request) {
        let body = request.body();
        let (Some(off), Some(data)) = (body.uint("off"), body.bytes("data")) else {
            let error = ModuleError::BadRequest("write takes {off, data, len?}");
            let _ = self.refuse(request, by, error);
            return;
        };
        let off = usize::try_from(off).unwrap_or(usize::MAX);
        let taken = (|| {
            if self.update.is_some() {
                return Err(ModuleError::Busy {
                    by: self.update.as_ref().map_or(String::new(), |u| u.by.clone()),
                });
            }
            if off == 0 {
                if let Some(upload) = &self.upload
                    && upload.by != by
                {
                    return Err(ModuleError::Busy {
                        by: upload.by.clone(),
                    });
                }
                let len = body
                    .uint("len")
                    .ok_or(ModuleError::BadRequest("the chunk at 0 needs len"))?;
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                let heap = self.options.heap;
                self.upload = None;
                self.upload = Some(within(heap, RUNTIME, || {
                    Upload::start(by, name, len, modules::MAX_PACKAGE_BYTES)
                })?);
            }
            match &mut self.upload {
                Some(upload) if upload.by == by && upload.name == name => {
                    let heap = self.options.heap;
                    within(heap, RUNTIME, || upload.chunk(off, data))
                }
                Some(upload) => Err(ModuleError::Busy {
                    by: upload.by.clone(),
                }),
                None => Err(ModuleError::BadRequest(
                    "no upload started (send off 0 first)",
                )),
            }
        })();
        match taken {
            Ok(Chunk::Next { off }) => {
                let _ = request.reply(Record::new().with("off", off as u64));
            }
            Ok(Chunk::Whole) => {
                let upload = self.upload.take().expect("a whole upload");
                if let Err(refused) =
                    self.install(by, Some(name), upload.bytes, Answer::Router(request))
                    && let (error, Answer::Router(request)) = *refused
                {
                    let _ = self.refuse(request, by, error);
                }
            }
            Err(error) => {
                let _ = self.refuse(request, by, error);
            }
        }
    }

    /// Install or update from a whole signed package, for the control port: checked now
    /// (`Err` means nothing changed), finished over the next turns; its outcome comes back
    /// from [`take_installed`](Self::take_installed).
    pub fn install_package(&mut self, package: Vec<u8>) -> Result<(), ModuleError> {
        self.install(CONTROL, None, package, Answer::Control)
            .map_err(|refused| refused.0)
    }

    /// The installs started by [`install_package`](Self::install_package) that finished.
    pub fn take_installed(&mut self) -> Vec<Installed> {
        core::mem::take(&mut self.installed)
    }

    /// Whether an install or update is in progress.
    pub fn updating(&self) -> bool {
        self.update.is_some()
    }

    /// Check `bytes` and start installing them (see the module docs); `route_name` is the
    /// name in the route the package came by, which it must be for.
    fn install(
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
        let heap = self.options.heap;
        if let Some(heap) = heap {
            // As at boot: wasmi cannot fail a translation cleanly when P2 runs out.
            let available = heap.largest_free(RUNTIME);
            let needs = package.module().len() * COMPILED_PER_MODULE_BYTE;
            if available < needs {
                return Err(ModuleError::NoRoom(format!(
                    "its compiled code needs ~{needs} B of P2, {available} B free"
                )));
            }
        }
        let module = self
            .vsoc
            .load_package(&package)
            .map_err(ModuleError::Load)?;
        let source = Source::Package {
            version: package.version(),
            digest: package.digest(),
        };
        Ok((index, module, source))
    }

    /// Move the update in progress on: swap when the old instance is idle (or the drain
    /// time is up), then finish or roll back when the new one serves (or does not).
    fn progress_update(&mut self) {
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

    /// Stop component `index`'s running instance now (its task cancelled: its memory is
    /// freed, its queued and held requests are answered `answer`).
    fn stop_component(&mut self, index: usize, answer: CallError) {
        let c = &self.components[index];
        if !matches!(c.state, State::Running(_)) {
            return;
        }
        self.authority.set_stop_answer(&c.name, answer);
        let placement = c.placement;
        let heap = self.options.heap;
        within(heap, placement, || {
            self.vsoc.stop_in(&mut self.executor, placement);
        });
        self.components[index].state = State::Stopped("stopped by the module manager".into());
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

    /// Remove module `name`: its instance stopped (its open calls answered `DEAD_PEER`), its
    /// routes withdrawn (binding them answers `NO_ROUTE`), its package forgotten.
    pub fn remove(&mut self, by: &str, name: &str) -> Result<(), ModuleError> {
        let index = self.index_of(name).ok_or(ModuleError::Unknown)?;
        if let Some(update) = &self.update
            && update.index == index
        {
            return Err(ModuleError::Busy {
                by: update.by.clone(),
            });
        }
        if self.components[index].state == State::Removed {
            return Err(ModuleError::Unknown);
        }
        self.stop_component(index, CallError::DeadPeer);
        self.authority.withdraw(name);
        self.store.remove(name);
        let c = &mut self.components[index];
        c.restarts.due_us = None;
        c.state = State::Removed;
        c.module = None;
        let text = format!("{by}: removed {name}");
        self.options.sink.line(&format!("[fireball] {text}"));
        self.log.message(Level::Warn, modules::MANAGER, &text);
        Ok(())
    }
}

/// Whether `package` serves exactly the routes the manifest registers for its component
/// (`routes`) and reaches no more than it grants (`reach`): what an install and the boot
/// that restores a kept package both require.
pub(super) fn held_to_manifest(
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

pub(super) fn version_of(source: &Source) -> String {
    match source {
        Source::Image => "the image's module".into(),
        Source::Package { version, .. } => format!("version {version}"),
    }
}
