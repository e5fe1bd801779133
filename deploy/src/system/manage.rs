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

use alloc::{borrow::ToOwned, format, string::String, vec::Vec};

use fireball_router::{CallError, Method, Record, Request, Value};
use fireball_subsystems::logger::Level;

use super::{RUNTIME, System, within};
use crate::component::State;
use crate::modules::{self, Chunk, ModuleEntry, ModuleError, Source, Upload};

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
pub(super) enum Answer {
    /// A `sys://modules` caller: the request for the last chunk, answered when done.
    Router(Request),
    /// The control port ([`System::take_installed`]).
    Control,
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

    // Cold, and with its records a large frame: kept out of the deployment loop's frame,
    // which every component's poll runs on top of.
    #[inline(never)]
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

    pub(super) fn refuse(
        &self,
        request: Request,
        by: &str,
        error: ModuleError,
    ) -> Result<(), CallError> {
        let text = format!("{by}: {} refused: {error}", request.envelope().uri());
        self.log.message(Level::Warn, modules::MANAGER, &text);
        request.fail(error.code())
    }

    pub(super) fn index_of(&self, name: &str) -> Option<usize> {
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
            if let Some(update) = &self.update {
                return Err(ModuleError::Busy {
                    by: update.by().to_owned(),
                });
            }
            if off == 0 {
                // Refused before a byte is taken when nothing could be installed.
                self.installable()?;
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

    /// Whether this deployment installs packages at all (`sys://modules` and the control port
    /// ask it at an upload's first chunk): not when its manifest names no keys
    /// (nothing could be trusted), nor when the image was built without the installer
    /// (feature `install`, which a board image gets only when the manifest names keys).
    pub fn installable(&self) -> Result<(), ModuleError> {
        installable(&self.keys)
    }

    /// Whether an install or update is in progress.
    pub fn updating(&self) -> bool {
        self.update.is_some()
    }

    /// Stop component `index`'s running instance now (its task cancelled: its memory is
    /// freed, its queued and held requests are answered `answer`).
    pub(super) fn stop_component(&mut self, index: usize, answer: CallError) {
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

    /// Remove module `name`: its instance stopped (its open calls answered `DEAD_PEER`), its
    /// routes withdrawn (binding them answers `NO_ROUTE`), its package forgotten.
    pub fn remove(&mut self, by: &str, name: &str) -> Result<(), ModuleError> {
        let index = self.index_of(name).ok_or(ModuleError::Unknown)?;
        if let Some(update) = &self.update
            && update.index() == index
        {
            return Err(ModuleError::Busy {
                by: update.by().to_owned(),
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

/// Whether a deployment that trusts `keys` installs packages at all ([`System::installable`];
/// also what boot asks before it runs a package the module store kept).
pub(super) fn installable(keys: &[fireball_package::PublicKey]) -> Result<(), ModuleError> {
    if keys.is_empty() {
        Err(ModuleError::NoKeys)
    } else if cfg!(feature = "install") {
        Ok(())
    } else {
        Err(ModuleError::NoInstaller)
    }
}

pub(super) fn version_of(source: &Source) -> String {
    match source {
        Source::Image => "the image's module".into(),
        Source::Package { version, .. } => format!("version {version}"),
    }
}
