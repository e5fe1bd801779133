//! Signed module packages: a module travels with its name, version, routes and reach,
//! pinned by a SHA-256 digest and an ed25519 signature.
//!
//! # Architecture
//!
//! A package is untrusted bytes until [`Package::verify`] has checked them against the
//! board's [`PublicKey`]s, in this order: the signature over the raw bytes first (a
//! forgery is refused before any field is parsed), then the structure, then the module's
//! digest. What comes back is a [`VerifiedPackage`] — the only proof of that check, as
//! `fireball_vsoc::Prevalidated` is of validation — whose fields borrow the package's
//! bytes (the module is not copied). Its reach is what the package *asks* for: the
//! installer holds it to the manifest with [`VerifiedPackage::check_reach`].
//!
//! Inside: [`format`] (the layout and its parser), `verify` (keys, [`VerifiedPackage`]),
//! `sign` (feature `sign`, host tools only: [`SigningKey`], [`sign()`]) and [`PackageError`].
//! Depends on the router (for [`Methods`], the one set of methods), `ed25519-dalek` and
//! `sha2`; `no_std` + `alloc`, no unsafe.
//!
//! # Layout
//!
//! Hand-written and length-prefixed (no serde): every length is checked against a limit
//! before it is used, and the signature is simply "the last 64 bytes, over all before".
//! Integers are little-endian.
//!
//! | bytes | field | limits |
//! | --- | --- | --- |
//! | 4 | magic `FBPK` ([`MAGIC`]) | |
//! | 1 | format version ([`FORMAT_VERSION`] = 1) | |
//! | 32 | signer's ed25519 public key | one of the board's keys |
//! | 1 + n | name: length `n`, UTF-8 | n ≤ [`MAX_NAME_BYTES`] (64) |
//! | 6 | version: major, minor, patch (`u16` each) | |
//! | 1 | route count `r` | r ≤ [`MAX_ENTRIES`] (32) |
//! | r × (1 + n) | each route served: length `n`, UTF-8 | n ≤ [`MAX_ROUTE_BYTES`] (128) |
//! | 1 | reach count `e` | e ≤ [`MAX_ENTRIES`] (32) |
//! | e × (2 + n) | each reach entry: methods byte (bit `1 << Method as u8`: read 0, write 1, call 2, subscribe 3), length `n`, route pattern UTF-8 | n ≤ 128, no other bits |
//! | 4 | module length `m` (`u32`) | m ≤ [`MAX_MODULE_BYTES`] (1 MiB) |
//! | m | the WebAssembly module | |
//! | 32 | SHA-256 of the module | |
//! | 64 | ed25519 signature (RFC 8032, checked with `verify_strict`) over every byte above | |
//!
//! Nothing may follow the digest but the signature ([`PackageError::TrailingBytes`]).
//!
//! # Example
//!
//! ```
//! use fireball_package::{Contents, Package, PackageError, Reach, SigningKey, Version, sign};
//! use fireball_router::Methods;
//!
//! // On the host (`cargo xtask keygen`, `cargo xtask package`):
//! let key = SigningKey::from_seed(&[7; 32]);
//! let reach = [Reach { route: "log://", methods: Methods::WRITE }];
//! let contents = Contents {
//!     name: "filter",
//!     version: Version::parse("1.2.0").unwrap(),
//!     routes: &["svc://filter/{op}"],
//!     reach: &reach,
//! };
//! let bytes = sign(&contents, b"\0asm\x01\0\0\0", &key)?;
//!
//! // On the board, with the public keys its image embeds:
//! let keys = [key.public_key()];
//! let package = Package::verify(&bytes, &keys)?;
//! assert_eq!(package.name(), "filter");
//! assert_eq!(package.module(), b"\0asm\x01\0\0\0");
//! // The manifest grants `write` on `log://`:
//! package.check_reach(|route, methods| route == "log://" && methods == Methods::WRITE)?;
//!
//! // A damaged package is refused.
//! let mut damaged = bytes.clone();
//! damaged[60] ^= 1;
//! assert_eq!(Package::verify(&damaged, &keys), Err(PackageError::BadSignature));
//! # Ok::<(), PackageError>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod error;
pub mod format;
#[cfg(feature = "sign")]
mod sign;
mod verify;

pub use error::{Field, PackageError};
pub use fireball_router::Methods;
pub use format::{
    DIGEST_BYTES, FORMAT_VERSION, KEY_BYTES, MAGIC, MAX_ENTRIES, MAX_MODULE_BYTES, MAX_NAME_BYTES,
    MAX_ROUTE_BYTES, Package, Reach, SIGNATURE_BYTES, Version,
};
#[cfg(feature = "sign")]
pub use sign::{Contents, SigningKey, sign};
pub use verify::{PublicKey, VerifiedPackage};
