//! An image built without the installer (feature `install` off: a board image whose
//! manifest names no `deployment.keys`, so it could install nothing). The same interface
//! as `install.rs`, with nothing ever in progress: an upload or the control port's package
//! is refused ([`System::installable`]) and a package the module store kept is not run.

use alloc::{boxed::Box, vec::Vec};

use fireball_package::PublicKey;
use fireball_vsoc::{LoadedModule, Vsoc, kernel::mem::PartitionedHeap};

use super::System;
use super::manage::Answer;
use crate::modules::{ModuleError, Source};
use crate::plan::ComponentPlan;

/// An install or update in progress: never one.
pub(super) enum Update {}

impl Update {
    pub(super) fn by(&self) -> &str {
        match *self {}
    }

    pub(super) fn index(&self) -> usize {
        match *self {}
    }
}

impl System {
    /// Refused: see [`System::installable`].
    pub(super) fn install(
        &mut self,
        _by: &str,
        _route_name: Option<&str>,
        _bytes: Vec<u8>,
        answer: Answer,
    ) -> Result<(), Box<(ModuleError, Answer)>> {
        let error = self.installable().err().unwrap_or(ModuleError::NoInstaller);
        Err(Box::new((error, answer)))
    }

    /// Nothing is ever in progress.
    pub(super) fn progress_update(&mut self) {}

    /// Nothing is ever starting as an update.
    pub(super) fn stopped_while_updating(&mut self, _index: usize) -> bool {
        false
    }
}

/// A kept package is not run: this image cannot verify one.
pub(super) fn restore_package(
    _vsoc: &Vsoc,
    _heap: Option<&PartitionedHeap>,
    _keys: &[PublicKey],
    _component: &ComponentPlan,
    _bytes: &[u8],
) -> Result<(LoadedModule, Source), ModuleError> {
    Err(ModuleError::NoInstaller)
}
