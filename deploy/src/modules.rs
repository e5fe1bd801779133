//! Runtime module management, the parts that are plain data: what `sys://modules` answers
//! and refuses ([`ModuleError`] and its codes), a chunked upload ([`Upload`]), the module
//! store ([`ModuleStore`]: [`RamStore`], and [`FlashStore`] on a board's flash, in [`flash`])
//! and where a running module came from ([`Source`]).
//!
//! The deployment loop (`system`) does the work: it verifies an uploaded package against
//! the board's keys and the manifest, compiles it, drains the old instance, starts the new
//! one as the next router generation, and rolls back if it does not start.
//!
//! # The route family
//!
//! | request | body | answer |
//! | --- | --- | --- |
//! | `read sys://modules` | — | `{modules: [entry …]}` |
//! | `read sys://modules/{name}` | — | one entry: `{name, kind, source, version, digest?, state, restarts}` |
//! | `write sys://modules/{name}` | `{off, data, len?}`: a chunk of a signed package (`len`, the whole size, with the chunk at 0) | `{off}`: the next offset wanted; after the last chunk, once installed: `{off, version}` |
//! | `call sys://modules/{name}` | `{op: "remove"}` | `{}` once removed |
//!
//! A chunk at another offset than the one wanted is answered `{off}` with the wanted offset
//! (the uploader resends from there), as MCUmgr's image upload does; a chunk at 0 starts
//! the transfer again. An interrupted transfer changes nothing.

use alloc::{
    borrow::ToOwned,
    string::{String, ToString},
    vec::Vec,
};
use core::fmt;

use fireball_router::Record;

use fireball_package::{PackageError, Version};
use fireball_vsoc::LoadError;

use crate::component::Kind;

pub mod flash;

pub use flash::{FlashStore, MappedFlash};

/// The routes the module manager serves (a manifest grants them like any other).
pub const ROUTES: [&str; 2] = ["sys://modules", "sys://modules/{name}"];

/// The name the module manager is registered under (what the trace shows as its caller or
/// server).
pub const MANAGER: &str = "modules";

/// Bytes of packages the RAM store keeps (the host's and QEMU's store: on a board, flash).
pub const RAM_STORE_BYTES: usize = 64 * 1024;

/// The largest package an upload takes.
pub const MAX_PACKAGE_BYTES: usize = 64 * 1024;

/// How long an update waits for the old instance to finish the request it holds, µs of the
/// deployment's clock; then it is stopped anyway (its callers get `RESTARTED`).
pub const DRAIN_US: u64 = 100_000;

/// How long a new module has to come to serve (`route_next`; a guest: its first slice), µs;
/// then the update is rolled back.
pub const START_US: u64 = 1_000_000;

/// Failure codes of `sys://modules` (also the control port's reasons).
pub mod code {
    /// The request's body or method is not one this route takes.
    pub const BAD_REQUEST: u16 = 400;
    /// The package is not signed by one of the board's keys, or its signature is wrong; or
    /// the deployment trusts no key at all (then the upload is refused at its first chunk).
    pub const UNTRUSTED: u16 = 401;
    /// The package asks for more than the manifest grants its component (reach, routes), or
    /// names another component than the route.
    pub const NOT_GRANTED: u16 = 403;
    /// No such component in the deployment (or, to remove, none installed).
    pub const UNKNOWN: u16 = 404;
    /// A method other than `read`, `write` or `call`; or `write` (an upload) to an image built
    /// without the installer.
    pub const METHOD: u16 = 405;
    /// Another upload or update is in progress.
    pub const BUSY: u16 = 409;
    /// The package is malformed (layout, digest, trailing bytes) or too large.
    pub const BAD_PACKAGE: u16 = 422;
    /// The module does not compile (the vSoC's loader refused it).
    pub const BAD_MODULE: u16 = 415;
    /// The new module did not start (it trapped or stopped before serving): rolled back.
    pub const START_FAILED: u16 = 500;
    /// The board has no room for it (the store, or P2 for its compiled code).
    pub const NO_ROOM: u16 = 507;
}

/// Why a module was not installed, updated or removed. Nothing changed in each case: the
/// module that ran before runs on.
#[derive(Debug)]
pub enum ModuleError {
    /// The request is not one the route takes (the text says what is wrong).
    BadRequest(&'static str),
    /// A method the route does not take.
    Method,
    /// The package was refused by [`fireball_package::Package::verify`] or `check_reach`.
    Package(PackageError),
    /// The package names component `package`, the route another.
    NameMismatch {
        /// The name in the package.
        package: String,
    },
    /// The package serves other routes than the manifest registers for its component.
    RoutesDiffer,
    /// The deployment has no component of that name (or, to remove, it is not running).
    Unknown,
    /// Another upload or update is in progress (by `by`).
    Busy {
        /// Who holds it.
        by: String,
    },
    /// The upload is larger than the board takes.
    TooLarge {
        /// Its size.
        len: usize,
        /// The most the board takes.
        max: usize,
    },
    /// The module did not compile.
    Load(LoadError),
    /// The new module stopped (or did not come to serve) during its start: rolled back.
    StartFailed(String),
    /// The board has no room for it.
    NoRoom(String),
    /// The store refused it.
    Store(StoreError),
    /// This deployment trusts no key (its manifest names no `deployment.keys`): nothing can
    /// be installed, and an upload is refused at its first chunk.
    NoKeys,
    /// This image was built without the installer (`fireball-deploy`'s feature `install`,
    /// which a board image gets when its manifest names keys).
    NoInstaller,
}

impl ModuleError {
    /// The failure code a `sys://modules` caller gets ([`code`]).
    pub fn code(&self) -> u16 {
        match self {
            Self::BadRequest(_) => code::BAD_REQUEST,
            Self::Method | Self::NoInstaller => code::METHOD,
            Self::Package(PackageError::UnknownKey | PackageError::BadSignature) | Self::NoKeys => {
                code::UNTRUSTED
            }
            Self::Package(PackageError::ReachNotGranted { .. })
            | Self::NameMismatch { .. }
            | Self::RoutesDiffer => code::NOT_GRANTED,
            Self::Package(_) => code::BAD_PACKAGE,
            Self::Unknown => code::UNKNOWN,
            Self::Busy { .. } => code::BUSY,
            Self::TooLarge { .. } => code::BAD_PACKAGE,
            Self::Load(_) => code::BAD_MODULE,
            Self::StartFailed(_) => code::START_FAILED,
            Self::NoRoom(_) | Self::Store(_) => code::NO_ROOM,
        }
    }
}

impl fmt::Display for ModuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadRequest(what) => write!(f, "bad request: {what}"),
            Self::Method => f.write_str("the route takes read, write (upload) and call (remove)"),
            Self::Package(e) => write!(f, "package refused: {e}"),
            Self::NameMismatch { package } => {
                write!(f, "the package is for `{package}`, not this component")
            }
            Self::RoutesDiffer => {
                f.write_str("the package serves other routes than the manifest registers")
            }
            Self::Unknown => f.write_str("no such component in this deployment"),
            Self::Busy { by } => write!(f, "busy: {by} is uploading or updating"),
            Self::TooLarge { len, max } => write!(f, "{len} B is more than the {max} B taken"),
            Self::Load(e) => write!(f, "the module does not load: {e}"),
            Self::StartFailed(why) => {
                write!(f, "the new module did not start ({why}): rolled back")
            }
            Self::NoRoom(why) => write!(f, "no room: {why}"),
            Self::Store(e) => write!(f, "the module store refused it: {e}"),
            Self::NoKeys => f.write_str(
                "this deployment trusts no key (its manifest names no `deployment.keys`)",
            ),
            Self::NoInstaller => f.write_str("this image was built without the installer"),
        }
    }
}

/// Why the module store refused a package (or a removal did not happen). In every case the
/// store holds what it held before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    /// It would take the store past its capacity.
    Full {
        /// Bytes asked for.
        needs: usize,
        /// Bytes free (counting the slot it replaces).
        free: usize,
    },
    /// The package is larger than a slot of the flash store holds.
    TooLarge {
        /// Its size.
        len: usize,
        /// The most a slot holds.
        max: usize,
    },
    /// Every slot but the one kept free for updates holds another component's package:
    /// remove one first.
    NoSlot {
        /// How many packages the store keeps at most.
        packages: usize,
    },
    /// The component's name is longer than a slot's header holds.
    Name {
        /// Its length, bytes.
        len: usize,
        /// The longest taken.
        max: usize,
    },
    /// The flash region cannot be cut into slots (the board's layout is wrong: fix the
    /// region or the slot size).
    Geometry,
    /// The flash driver refused an erase or a write (the board's flash, or the region given
    /// to the store, is at fault).
    Flash(embedded_storage::nor_flash::NorFlashErrorKind),
    /// What was read back is not what was written (a worn or failing flash page).
    Mismatch,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full { needs, free } => write!(f, "{needs} B asked, {free} B free"),
            Self::TooLarge { len, max } => {
                write!(f, "{len} B is more than the {max} B a flash slot holds")
            }
            Self::NoSlot { packages } => write!(
                f,
                "the flash store keeps {packages} packages and is full: remove one first"
            ),
            Self::Name { len, max } => {
                write!(f, "a {len}-byte name is longer than the {max} bytes kept")
            }
            Self::Geometry => f.write_str("the flash region cannot be cut into slots"),
            Self::Flash(kind) => write!(f, "the flash refused: {kind}"),
            Self::Mismatch => f.write_str("the flash did not keep what was written"),
        }
    }
}

/// Where installed packages are kept, by component name. RAM on the host and under QEMU
/// ([`RamStore`]); a board keeps them in flash ([`FlashStore`]), so an installed module
/// survives a reset: the boot runs a component's kept package instead of the image's module.
///
/// A [`save`](Self::save) is all or nothing: if it fails (or the board resets during it),
/// the package kept before under that name is still there.
pub trait ModuleStore {
    /// Keep `package` as `name`'s, replacing the one kept before.
    fn save(&mut self, name: &str, package: &[u8]) -> Result<(), StoreError>;
    /// The package kept for `name`.
    fn get(&self, name: &str) -> Option<&[u8]>;
    /// Forget `name`'s package; whether there was one.
    fn remove(&mut self, name: &str) -> bool;
    /// Bytes kept, and the capacity.
    fn usage(&self) -> (usize, usize);

    /// Whether a [`save`](Self::save) of `len` bytes for `name` would be taken (checked
    /// before an install starts). By default, from [`usage`](Self::usage): the bytes free,
    /// counting `name`'s package, which it replaces.
    fn room(&self, name: &str, len: usize) -> Result<(), StoreError> {
        let (used, capacity) = self.usage();
        let kept = self.get(name).map_or(0, <[u8]>::len);
        let free = capacity - used + kept;
        if len > free {
            return Err(StoreError::Full { needs: len, free });
        }
        Ok(())
    }
}

/// A [`ModuleStore`] in RAM, holding at most `capacity` bytes of packages.
#[derive(Debug, Default)]
pub struct RamStore {
    capacity: usize,
    packages: Vec<(String, Vec<u8>)>,
}

impl RamStore {
    /// An empty store taking at most `capacity` bytes.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            packages: Vec::new(),
        }
    }
}

impl ModuleStore for RamStore {
    fn save(&mut self, name: &str, package: &[u8]) -> Result<(), StoreError> {
        let (used, capacity) = self.usage();
        let replaced = self.get(name).map_or(0, <[u8]>::len);
        let free = capacity - used + replaced;
        if package.len() > free {
            return Err(StoreError::Full {
                needs: package.len(),
                free,
            });
        }
        // The copy is made before the old one is let go: all or nothing.
        let copy = package.to_vec();
        match self.packages.iter_mut().find(|(n, _)| n == name) {
            Some((_, kept)) => *kept = copy,
            None => self.packages.push((name.to_owned(), copy)),
        }
        Ok(())
    }

    fn get(&self, name: &str) -> Option<&[u8]> {
        self.packages
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p.as_slice())
    }

    fn remove(&mut self, name: &str) -> bool {
        let before = self.packages.len();
        self.packages.retain(|(n, _)| n != name);
        self.packages.len() != before
    }

    fn usage(&self) -> (usize, usize) {
        let used = self.packages.iter().map(|(_, p)| p.len()).sum();
        (used, self.capacity)
    }
}

/// Where a running module came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The image (the plan it booted from).
    Image,
    /// A signed package installed at runtime.
    Package {
        /// Its version.
        version: Version,
        /// Its module's SHA-256 digest.
        digest: [u8; 32],
    },
}

/// One module of a running deployment, as `sys://modules` and the control port list it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleEntry {
    /// The component's name.
    pub name: String,
    /// Service or guest.
    pub kind: Kind,
    /// Where its module came from (the image, or a package and its version).
    pub source: Source,
    /// Its module's SHA-256.
    pub digest: [u8; 32],
    /// Whether it runs now.
    pub running: bool,
    /// Its state in words (`running`, `stopped: …`, `removed`, `finished`).
    pub state: String,
    /// Restarts so far.
    pub restarts: u32,
}

impl ModuleEntry {
    /// Its version: the package's, `0.0.0` for the image's own module.
    pub fn version(&self) -> String {
        match &self.source {
            Source::Image => "0.0.0".into(),
            Source::Package { version, .. } => version.to_string(),
        }
    }

    /// As `sys://modules` answers it: `{name, kind, source, version, digest, state,
    /// restarts}`.
    pub fn to_record(&self) -> Record {
        let (kind, source) = (
            match self.kind {
                Kind::Service => "service",
                Kind::Guest => "guest",
            },
            match self.source {
                Source::Image => "image",
                Source::Package { .. } => "package",
            },
        );
        Record::new()
            .with("name", self.name.as_str())
            .with("kind", kind)
            .with("source", source)
            .with("version", self.version())
            .with("digest", &self.digest[..])
            .with("state", self.state.as_str())
            .with("restarts", self.restarts)
    }
}

/// One package arriving in chunks, for component `name`, from `by`.
#[derive(Debug)]
pub struct Upload {
    /// Who sends it (a component name, or the control port).
    pub by: String,
    /// The component it is for.
    pub name: String,
    /// Its whole size.
    pub len: usize,
    /// What arrived so far.
    pub bytes: Vec<u8>,
}

/// What a chunk did to an upload.
#[derive(Debug, PartialEq, Eq)]
pub enum Chunk {
    /// Taken (or not at the offset wanted): send from `off` next.
    Next {
        /// The offset wanted next.
        off: usize,
    },
    /// That was the last byte: the package is whole.
    Whole,
}

impl Upload {
    /// A new upload of `len` bytes (at most `max`) for `name` by `by`.
    pub fn start(by: &str, name: &str, len: usize, max: usize) -> Result<Self, ModuleError> {
        if len > max {
            return Err(ModuleError::TooLarge { len, max });
        }
        if len == 0 {
            return Err(ModuleError::BadRequest("an empty package"));
        }
        Ok(Self {
            by: by.to_owned(),
            name: name.to_owned(),
            len,
            bytes: Vec::new(),
        })
    }

    /// Take `data` at `off`: appended when `off` is where the upload stands, otherwise the
    /// wanted offset is answered and nothing changes.
    pub fn chunk(&mut self, off: usize, data: &[u8]) -> Result<Chunk, ModuleError> {
        if off != self.bytes.len() {
            return Ok(Chunk::Next {
                off: self.bytes.len(),
            });
        }
        if data.len() > self.len - self.bytes.len() {
            return Err(ModuleError::BadRequest("a chunk past the upload's length"));
        }
        if data.is_empty() {
            return Err(ModuleError::BadRequest("an empty chunk"));
        }
        self.bytes.extend_from_slice(data);
        Ok(if self.bytes.len() == self.len {
            Chunk::Whole
        } else {
            Chunk::Next {
                off: self.bytes.len(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_save_that_does_not_fit_keeps_what_was_there() {
        let mut store = RamStore::new(10);
        store.save("a", &[1; 6]).unwrap();
        assert_eq!(
            store.save("b", &[2; 5]),
            Err(StoreError::Full { needs: 5, free: 4 })
        );
        store.save("a", &[3; 10]).unwrap();
        assert_eq!(store.get("a"), Some(&[3; 10][..]));
        assert_eq!(store.get("b"), None);
        assert!(store.remove("a"));
        assert!(!store.remove("a"));
        assert_eq!(store.usage(), (0, 10));
    }

    #[test]
    fn chunks_in_order_make_the_package_and_others_name_the_offset_wanted() {
        let mut upload = Upload::start("control", "stats", 5, 100).unwrap();
        assert_eq!(upload.chunk(0, &[1, 2]).unwrap(), Chunk::Next { off: 2 });
        // A repeated or skipped chunk changes nothing.
        assert_eq!(upload.chunk(0, &[1, 2]).unwrap(), Chunk::Next { off: 2 });
        assert_eq!(upload.chunk(4, &[5]).unwrap(), Chunk::Next { off: 2 });
        assert!(upload.chunk(2, &[3, 4, 5, 6]).is_err());
        assert_eq!(upload.chunk(2, &[3, 4, 5]).unwrap(), Chunk::Whole);
        assert_eq!(upload.bytes, [1, 2, 3, 4, 5]);
        assert!(matches!(
            Upload::start("x", "y", 101, 100),
            Err(ModuleError::TooLarge { len: 101, max: 100 })
        ));
    }
}
