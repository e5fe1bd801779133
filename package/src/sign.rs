//! The host's half (feature `sign`): keys and package building.

use alloc::vec::Vec;

use sha2::{Digest, Sha256};

use crate::format::{
    MAX_ENTRIES, MAX_MODULE_BYTES, MAX_NAME_BYTES, MAX_ROUTE_BYTES, methods_to_bits,
};
use crate::{FORMAT_VERSION, Field, MAGIC, PackageError, PublicKey, Reach, Version};

/// An ed25519 private key that signs packages. Kept by whoever builds releases, never on a
/// board; zeroized when dropped.
pub struct SigningKey(ed25519_dalek::SigningKey);

impl SigningKey {
    /// The key with this 32-byte seed (RFC 8032's private key; `cargo xtask keygen` draws it
    /// from the host's RNG).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    /// Its seed, to write to the private key file.
    pub fn to_seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public key a board embeds to trust this key's packages.
    pub fn public_key(&self) -> PublicKey {
        PublicKey::from_bytes(self.0.verifying_key().to_bytes())
    }
}

/// What a package says about its component, as the manifest has it.
#[derive(Clone, Copy, Debug)]
pub struct Contents<'a> {
    /// The component's name.
    pub name: &'a str,
    /// Its version.
    pub version: Version,
    /// The routes it serves (empty for a guest).
    pub routes: &'a [&'a str],
    /// What it asks to reach.
    pub reach: &'a [Reach<'a>],
}

/// Build the package for `module` with `contents` and sign it with `key`. The limits are
/// the parser's: a field it would refuse is refused here ([`PackageError::Oversized`]).
pub fn sign(
    contents: &Contents<'_>,
    module: &[u8],
    key: &SigningKey,
) -> Result<Vec<u8>, PackageError> {
    use ed25519_dalek::Signer;

    let mut out = Vec::with_capacity(module.len() + 256);
    out.extend_from_slice(&MAGIC);
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&key.public_key().to_bytes());
    text(&mut out, Field::Name, contents.name, MAX_NAME_BYTES)?;
    for part in [
        contents.version.major,
        contents.version.minor,
        contents.version.patch,
    ] {
        out.extend_from_slice(&part.to_le_bytes());
    }
    out.push(count(Field::Route, contents.routes.len())?);
    for route in contents.routes {
        text(&mut out, Field::Route, route, MAX_ROUTE_BYTES)?;
    }
    out.push(count(Field::Reach, contents.reach.len())?);
    for reach in contents.reach {
        out.push(methods_to_bits(reach.methods));
        text(&mut out, Field::Reach, reach.route, MAX_ROUTE_BYTES)?;
    }
    if module.len() > MAX_MODULE_BYTES {
        return Err(oversized(Field::Module, module.len(), MAX_MODULE_BYTES));
    }
    out.extend_from_slice(&(module.len() as u32).to_le_bytes());
    out.extend_from_slice(module);
    out.extend_from_slice(&Sha256::digest(module));
    let signature = key.0.sign(&out);
    out.extend_from_slice(&signature.to_bytes());
    Ok(out)
}

fn oversized(field: Field, len: usize, limit: usize) -> PackageError {
    PackageError::Oversized {
        field,
        len: u32::try_from(len).unwrap_or(u32::MAX),
        limit: limit as u32,
    }
}

fn count(field: Field, n: usize) -> Result<u8, PackageError> {
    if n > MAX_ENTRIES {
        return Err(oversized(field, n, MAX_ENTRIES));
    }
    Ok(n as u8)
}

fn text(out: &mut Vec<u8>, field: Field, text: &str, limit: usize) -> Result<(), PackageError> {
    if text.len() > limit {
        return Err(oversized(field, text.len(), limit));
    }
    out.push(text.len() as u8);
    out.extend_from_slice(text.as_bytes());
    Ok(())
}
