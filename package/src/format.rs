//! The layout (the crate docs' table) and its parser: untrusted bytes in, a [`Package`]
//! view or a [`PackageError`] out, never a panic.

use alloc::vec::Vec;
use core::fmt;

use fireball_router::{Method, Methods};

use crate::{Field, PackageError};

/// The first four bytes of every package.
pub const MAGIC: [u8; 4] = *b"FBPK";
/// The format this crate reads and writes.
pub const FORMAT_VERSION: u8 = 1;
/// Longest component name, bytes.
pub const MAX_NAME_BYTES: usize = 64;
/// Longest route pattern (served or reached), bytes.
pub const MAX_ROUTE_BYTES: usize = 128;
/// Most routes served, and most reach entries.
pub const MAX_ENTRIES: usize = 32;
/// Largest module, bytes.
pub const MAX_MODULE_BYTES: usize = 1024 * 1024;
/// Bytes of an ed25519 public key.
pub const KEY_BYTES: usize = 32;
/// Bytes of the module's SHA-256 digest.
pub const DIGEST_BYTES: usize = 32;
/// Bytes of the ed25519 signature.
pub const SIGNATURE_BYTES: usize = 64;
/// Magic, format version, signer's key.
pub(crate) const HEADER_BYTES: usize = MAGIC.len() + 1 + KEY_BYTES;

/// A component's version, `major.minor.patch`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Incompatible changes.
    pub major: u16,
    /// Compatible additions.
    pub minor: u16,
    /// Fixes.
    pub patch: u16,
}

impl Version {
    /// `major.minor.patch`, e.g. `"1.4.0"`; `None` unless three decimal `u16`s.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('.');
        let mut next = || {
            parts
                .next()
                .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))?
                .parse()
                .ok()
        };
        let version = Self {
            major: next()?,
            minor: next()?,
            patch: next()?,
        };
        parts.next().is_none().then_some(version)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// One thing the component asks to reach: a route pattern and methods on it (the
/// manifest's `reach` entry). A request, not a grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reach<'a> {
    /// A route pattern or concrete URI, as the manifest writes it.
    pub route: &'a str,
    /// The methods asked for.
    pub methods: Methods,
}

/// `methods`' byte on the wire: bit `1 << method as u8`, the router's bit.
pub fn methods_to_bits(methods: Methods) -> u8 {
    Method::ALL
        .iter()
        .filter(|m| methods.contains(**m))
        .fold(0, |bits, m| bits | 1 << *m as u8)
}

/// The set a methods byte names, or `None` if it sets unknown bits.
pub fn methods_from_bits(bits: u8) -> Option<Methods> {
    let known = Method::ALL.iter().fold(0u8, |all, m| all | 1 << *m as u8);
    (bits & !known == 0).then(|| {
        Method::ALL
            .iter()
            .filter(|m| bits & 1 << **m as u8 != 0)
            .fold(Methods::NONE, |set, m| set | Methods::from(*m))
    })
}

/// A package's fields, read but not verified: an allegation. Borrowed from the package's
/// bytes; the module is not copied. [`Package::verify`] is how an installer gets one it may
/// trust ([`VerifiedPackage`](crate::VerifiedPackage)); [`Package::parse`] is for tools.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package<'a> {
    pub(crate) signer: [u8; KEY_BYTES],
    pub(crate) name: &'a str,
    pub(crate) version: Version,
    pub(crate) routes: Vec<&'a str>,
    pub(crate) reach: Vec<Reach<'a>>,
    pub(crate) module: &'a [u8],
    pub(crate) digest: [u8; DIGEST_BYTES],
    pub(crate) signature: [u8; SIGNATURE_BYTES],
}

impl<'a> Package<'a> {
    /// Read `bytes`' structure, checking neither signature nor digest. For tools that show
    /// a package; an installer calls [`Package::verify`].
    pub fn parse(bytes: &'a [u8]) -> Result<Self, PackageError> {
        let signed_len = check_header(bytes)?;
        let (signed, signature) = bytes.split_at(signed_len);
        let mut r = Reader {
            bytes: signed,
            at: 0,
        };
        r.take(Field::Header, HEADER_BYTES - KEY_BYTES)?; // magic and format, checked
        let signer = r.take_array(Field::Header)?;
        let name = r.text(Field::Name, MAX_NAME_BYTES)?;
        let version = Version {
            major: r.u16(Field::Version)?,
            minor: r.u16(Field::Version)?,
            patch: r.u16(Field::Version)?,
        };
        let count = r.count(Field::Route)?;
        let mut routes = Vec::with_capacity(count);
        for _ in 0..count {
            routes.push(r.text(Field::Route, MAX_ROUTE_BYTES)?);
        }
        let count = r.count(Field::Reach)?;
        let mut reach = Vec::with_capacity(count);
        for _ in 0..count {
            let bits = r.u8(Field::Reach)?;
            let methods = methods_from_bits(bits).ok_or(PackageError::UnknownMethods { bits })?;
            let route = r.text(Field::Reach, MAX_ROUTE_BYTES)?;
            reach.push(Reach { route, methods });
        }
        let len = r.u32(Field::Module)?;
        if len as usize > MAX_MODULE_BYTES {
            return Err(oversized(Field::Module, len as usize, MAX_MODULE_BYTES));
        }
        let module = r.take(Field::Module, len as usize)?;
        let digest = r.take_array(Field::Digest)?;
        let extra = signed.len() - r.at;
        if extra != 0 {
            return Err(PackageError::TrailingBytes {
                extra: extra as u32,
            });
        }
        Ok(Self {
            signer,
            name,
            version,
            routes,
            reach,
            module,
            digest,
            signature: signature
                .try_into()
                .map_err(|_| truncated(Field::Signature))?,
        })
    }

    /// The public key the package says it is signed with.
    pub fn signer(&self) -> [u8; KEY_BYTES] {
        self.signer
    }

    /// The component's name (the manifest's `name`).
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The component's version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The route patterns it serves (a guest's list is empty).
    pub fn routes(&self) -> &[&'a str] {
        &self.routes
    }

    /// What it asks to reach.
    pub fn reach(&self) -> &[Reach<'a>] {
        &self.reach
    }

    /// The WebAssembly module, borrowed from the package.
    pub fn module(&self) -> &'a [u8] {
        self.module
    }

    /// The module's SHA-256 digest, as signed.
    pub fn digest(&self) -> [u8; DIGEST_BYTES] {
        self.digest
    }
}

/// Check magic and format version; the length of the signed part (all but the signature).
pub(crate) fn check_header(bytes: &[u8]) -> Result<usize, PackageError> {
    match bytes.get(..MAGIC.len()) {
        Some(magic) if magic == MAGIC => {}
        Some(_) => return Err(PackageError::BadMagic),
        None if MAGIC.starts_with(bytes) => return Err(truncated(Field::Header)),
        None => return Err(PackageError::BadMagic),
    }
    match bytes.get(MAGIC.len()) {
        Some(&FORMAT_VERSION) => {}
        Some(&found) => return Err(PackageError::UnsupportedVersion { found }),
        None => return Err(truncated(Field::Header)),
    }
    if bytes.len() < HEADER_BYTES {
        return Err(truncated(Field::Header));
    }
    bytes
        .len()
        .checked_sub(SIGNATURE_BYTES)
        .filter(|&n| n >= HEADER_BYTES)
        .ok_or(truncated(Field::Signature))
}

fn truncated(field: Field) -> PackageError {
    PackageError::Truncated { field }
}

fn oversized(field: Field, len: usize, limit: usize) -> PackageError {
    PackageError::Oversized {
        field,
        len: u32::try_from(len).unwrap_or(u32::MAX),
        limit: u32::try_from(limit).unwrap_or(u32::MAX),
    }
}

/// A cursor over the signed part.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, field: Field, n: usize) -> Result<&'a [u8], PackageError> {
        let end = self.at.checked_add(n).ok_or(truncated(field))?;
        let taken = self.bytes.get(self.at..end).ok_or(truncated(field))?;
        self.at = end;
        Ok(taken)
    }

    fn take_array<const N: usize>(&mut self, field: Field) -> Result<[u8; N], PackageError> {
        let taken = self.take(field, N)?;
        taken.try_into().map_err(|_| truncated(field))
    }

    fn u8(&mut self, field: Field) -> Result<u8, PackageError> {
        let [b] = self.take_array(field)?;
        Ok(b)
    }

    fn u16(&mut self, field: Field) -> Result<u16, PackageError> {
        self.take_array(field).map(u16::from_le_bytes)
    }

    fn u32(&mut self, field: Field) -> Result<u32, PackageError> {
        self.take_array(field).map(u32::from_le_bytes)
    }

    /// A count byte, at most [`MAX_ENTRIES`].
    fn count(&mut self, field: Field) -> Result<usize, PackageError> {
        let n = usize::from(self.u8(field)?);
        if n > MAX_ENTRIES {
            return Err(oversized(field, n, MAX_ENTRIES));
        }
        Ok(n)
    }

    /// A length byte and that many bytes of UTF-8, at most `limit` of them.
    fn text(&mut self, field: Field, limit: usize) -> Result<&'a str, PackageError> {
        let n = usize::from(self.u8(field)?);
        if n > limit {
            return Err(oversized(field, n, limit));
        }
        let bytes = self.take(field, n)?;
        core::str::from_utf8(bytes).map_err(|_| PackageError::BadUtf8 { field })
    }
}
