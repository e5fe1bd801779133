//! The board's half: a package checked against the board's keys, then its digest.

use core::ops::Deref;

use ed25519_dalek::{Signature, VerifyingKey};
use fireball_router::Methods;
use sha2::{Digest, Sha256};

use crate::format::{HEADER_BYTES, KEY_BYTES, check_header};
use crate::{Package, PackageError};

/// An ed25519 public key a board trusts packages from. `const`-constructible, so a board
/// image embeds its keys as a `static` (`cargo xtask keygen` writes the 32 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PublicKey([u8; KEY_BYTES]);

impl PublicKey {
    /// The key's 32 bytes (RFC 8032 encoding).
    pub const fn from_bytes(bytes: [u8; KEY_BYTES]) -> Self {
        Self(bytes)
    }

    /// Its 32 bytes.
    pub const fn to_bytes(self) -> [u8; KEY_BYTES] {
        self.0
    }
}

impl<'a> Package<'a> {
    /// Check `bytes` as a package for this board: signed by one of `keys` (checked first,
    /// over the raw bytes, so a forgery is refused before any field is read), then
    /// well-formed, then its module matching the signed digest. The view borrows `bytes`.
    ///
    /// A package signed by a key not in `keys` is [`PackageError::UnknownKey`]; one whose
    /// signature does not verify (forged or damaged, or a board key that is not a valid
    /// curve point) is [`PackageError::BadSignature`].
    pub fn verify(
        bytes: &'a [u8],
        keys: &[PublicKey],
    ) -> Result<VerifiedPackage<'a>, PackageError> {
        let signed_len = check_header(bytes)?;
        let (signed, signature) = bytes.split_at(signed_len);
        let signer = &bytes[HEADER_BYTES - KEY_BYTES..HEADER_BYTES];
        let key = keys
            .iter()
            .find(|key| key.0 == signer)
            .ok_or(PackageError::UnknownKey)?;
        let key = VerifyingKey::from_bytes(&key.0).map_err(|_| PackageError::BadSignature)?;
        let signature = Signature::from_slice(signature).map_err(|_| PackageError::BadSignature)?;
        key.verify_strict(signed, &signature)
            .map_err(|_| PackageError::BadSignature)?;
        let package = Package::parse(bytes)?;
        if Sha256::digest(package.module).as_slice() != package.digest {
            return Err(PackageError::DigestMismatch);
        }
        Ok(VerifiedPackage(package))
    }
}

/// A package signed by one of the board's keys whose module matches its signed digest: the
/// only way to get one is [`Package::verify`]. Its fields are [`Package`]'s (through
/// `Deref`), borrowed from the package's bytes.
///
/// Its reach is still only what the package *asks* for; the installer holds it to the
/// manifest's grant with [`check_reach`](Self::check_reach) before installing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedPackage<'a>(Package<'a>);

impl<'a> Deref for VerifiedPackage<'a> {
    type Target = Package<'a>;

    fn deref(&self) -> &Package<'a> {
        &self.0
    }
}

impl VerifiedPackage<'_> {
    /// Whether the manifest grants every reach entry: `granted(route, methods)` says whether
    /// this component may use `methods` on `route`. The first entry it refuses is
    /// [`PackageError::ReachNotGranted`]. A package cannot grant itself reach.
    pub fn check_reach(&self, granted: impl Fn(&str, Methods) -> bool) -> Result<(), PackageError> {
        match self
            .0
            .reach
            .iter()
            .position(|r| !granted(r.route, r.methods))
        {
            None => Ok(()),
            Some(entry) => Err(PackageError::ReachNotGranted {
                entry: u16::try_from(entry).unwrap_or(u16::MAX),
                methods: self.0.reach[entry].methods,
            }),
        }
    }
}
