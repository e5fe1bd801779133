//! What the board does for the server: the [`Control`] trait and the values it trades.

use crate::Rc;
use alloc::string::String;
use alloc::vec::Vec;

/// An installed module, as MCUmgr's image state shows it: image number = index in
/// [`Control::images`], slot 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// The module's name (shown by the Fireball group's `list`; MCUmgr images have none).
    pub name: String,
    /// Version, `major.minor.patch` (`"1.2.0"`).
    pub version: String,
    /// SHA-256 of the package (or module) the board installed.
    pub hash: [u8; 32],
    /// Running now.
    pub active: bool,
    /// Kept across reboots.
    pub confirmed: bool,
    /// Installed, waiting to start.
    pub pending: bool,
    /// Stays after the next boot.
    pub permanent: bool,
    /// Can be started.
    pub bootable: bool,
}

/// How an install went when [`Control::install`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Install {
    /// Installed: the client is answered now.
    Done,
    /// The board finishes later and then calls [`Server::finish_install`]; the client's
    /// answer waits until then.
    ///
    /// [`Server::finish_install`]: crate::Server::finish_install
    Deferred,
}

/// Why the board refused a request: the code the client sees and a reason for a person
/// (sent as Zephyr's verbose `rsn`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The MCUmgr return code.
    pub rc: Rc,
    /// Why, in words.
    pub reason: String,
}

impl Refusal {
    /// A refusal with `rc` and `reason`.
    pub fn new(rc: Rc, reason: impl Into<String>) -> Refusal {
        Refusal {
            rc,
            reason: reason.into(),
        }
    }
}

/// The board's side of the server: what is installed, installing, removing.
pub trait Control {
    /// Installed modules, as images (image = index, slot 0).
    fn images(&self) -> Vec<Image>;

    /// A whole uploaded package: install it (or update the module it names). `Ok(Done)`
    /// when finished, `Ok(Deferred)` when the board finishes later and calls
    /// [`Server::finish_install`](crate::Server::finish_install). The upload is handed
    /// over, not copied: on a board a second copy of a package may not fit.
    fn install(&mut self, package: Vec<u8>) -> Result<Install, Refusal>;

    /// Whether the board takes an upload at all, asked at its first chunk (offset 0): a
    /// refusal ends it before a byte is kept (a board that trusts no key need not receive
    /// a package to refuse it). Taken unless the board says otherwise.
    fn accepts_uploads(&self) -> Result<(), Refusal> {
        Ok(())
    }

    /// Remove module `name` (the Fireball group's `remove`).
    fn remove(&mut self, name: &str) -> Result<(), Refusal>;

    /// The OS group's reset: `Ok` when the board will reset once the response is sent (the
    /// server answers `{}`; resetting is the board's, after it sent the answer). Refused
    /// with rc 8 NOT_SUPPORTED unless the board says otherwise.
    fn reset(&mut self) -> Result<(), Refusal> {
        Err(Refusal::new(
            Rc::NotSupported,
            "this board does not reset on request",
        ))
    }
}
