//! Why a package was refused.

use core::fmt;

use fireball_router::Methods;

/// A part of a package, named in a [`PackageError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// Magic, format version and the signer's key.
    Header,
    /// The component's name.
    Name,
    /// The version triple.
    Version,
    /// The route count or a route.
    Route,
    /// The reach count or a reach entry.
    Reach,
    /// The module's length or bytes.
    Module,
    /// The module's SHA-256 digest.
    Digest,
    /// The ed25519 signature.
    Signature,
}

/// Why a package was refused, and who is at fault.
///
/// Every variant but the last two is the package's fault: it is malformed, forged or
/// damaged, and the fix is to rebuild it (`cargo xtask package`). [`UnknownKey`] is the
/// board's call: the package may be fine but is signed by a key this board does not trust.
/// [`ReachNotGranted`] is the deployment's: the package asks for more than the manifest
/// grants the component.
///
/// [`UnknownKey`]: PackageError::UnknownKey
/// [`ReachNotGranted`]: PackageError::ReachNotGranted
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PackageError {
    /// The bytes do not start with [`MAGIC`](crate::MAGIC): not a Fireball package.
    BadMagic,
    /// A package format this code does not read ([`FORMAT_VERSION`](crate::FORMAT_VERSION)
    /// is the one it does).
    UnsupportedVersion {
        /// The format version in the package.
        found: u8,
    },
    /// The bytes end inside `field`.
    Truncated {
        /// Where they end.
        field: Field,
    },
    /// `field` is longer than the format allows.
    Oversized {
        /// Which field.
        field: Field,
        /// Its length (bytes, or entries for a count).
        len: u32,
        /// The most allowed.
        limit: u32,
    },
    /// A name or route is not UTF-8.
    BadUtf8 {
        /// Which field.
        field: Field,
    },
    /// A reach entry's methods set bits no [`Method`](fireball_router::Method) has.
    UnknownMethods {
        /// The entry's methods byte.
        bits: u8,
    },
    /// Bytes between the last field and the signature.
    TrailingBytes {
        /// How many.
        extra: u32,
    },
    /// The signer's key is not one of the board's keys.
    UnknownKey,
    /// The signature does not verify under the signer's key: forged or damaged.
    BadSignature,
    /// The module's bytes do not hash to the signed digest (signed by a broken build tool).
    DigestMismatch,
    /// Reach entry `entry` asks for `methods` on its route, which the manifest does not grant
    /// this component ([`VerifiedPackage::check_reach`](crate::VerifiedPackage::check_reach)).
    ReachNotGranted {
        /// Index of the entry in [`Package::reach`](crate::Package::reach).
        entry: u16,
        /// The methods it asks for.
        methods: Methods,
    },
}

impl fmt::Display for PackageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadMagic => f.write_str("not a Fireball package (bad magic)"),
            Self::UnsupportedVersion { found } => {
                write!(
                    f,
                    "package format {found} is not supported (this reads format {})",
                    crate::FORMAT_VERSION
                )
            }
            Self::Truncated { field } => write!(f, "package ends inside its {field:?}"),
            Self::Oversized { field, len, limit } => {
                write!(f, "package's {field:?} is {len} long, the limit is {limit}")
            }
            Self::BadUtf8 { field } => write!(f, "package's {field:?} is not UTF-8"),
            Self::UnknownMethods { bits } => {
                write!(f, "a reach entry has unknown method bits {bits:#04x}")
            }
            Self::TrailingBytes { extra } => {
                write!(f, "{extra} stray bytes before the package's signature")
            }
            Self::UnknownKey => f.write_str("package is signed by a key this board does not trust"),
            Self::BadSignature => {
                f.write_str("package signature does not verify: forged or damaged")
            }
            Self::DigestMismatch => f.write_str("module bytes do not match the signed digest"),
            Self::ReachNotGranted { entry, methods } => write!(
                f,
                "reach entry {entry} asks for {methods} on its route, which the manifest does not grant"
            ),
        }
    }
}

impl core::error::Error for PackageError {}
