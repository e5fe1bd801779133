//! Damaged, forged, truncated and foreign packages are refused with a typed error.

mod common;

use common::{key, package};
use ed25519_dalek::Signer;
use fireball_package::{Field, Package, PackageError, PublicKey};
use proptest::prelude::*;

fn keys() -> [PublicKey; 1] {
    [common::BOARD.0]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any bit flipped anywhere: refused. In the header it is a bad magic, another format or
    /// another signer; everywhere else the signature no longer verifies.
    #[test]
    fn a_flipped_bit_anywhere_is_refused(at in any::<prop::sample::Index>(), bit in 0..8u8) {
        let mut bytes = common::BOARD.1.clone();
        let at = at.index(bytes.len());
        bytes[at] ^= 1 << bit;
        let err = Package::verify(&bytes, &keys()).unwrap_err();
        match at {
            0..4 => prop_assert_eq!(err, PackageError::BadMagic),
            4 => prop_assert!(matches!(err, PackageError::UnsupportedVersion { found: _ }), "{:?}", err),
            5..37 => prop_assert_eq!(err, PackageError::UnknownKey),
            _ => prop_assert_eq!(err, PackageError::BadSignature),
        }
    }
}

#[test]
fn a_package_signed_by_another_key_is_refused() {
    let bytes = package(&key(2));
    assert_eq!(
        Package::verify(&bytes, &keys()),
        Err(PackageError::UnknownKey)
    );
    // A forger who writes the board's key in the header still cannot sign for it.
    let mut forged = bytes.clone();
    forged[5..37].copy_from_slice(&keys()[0].to_bytes());
    assert_eq!(
        Package::verify(&forged, &keys()),
        Err(PackageError::BadSignature)
    );
    // A board with no keys trusts nothing.
    assert_eq!(
        Package::verify(&package(&key(1)), &[]),
        Err(PackageError::UnknownKey)
    );
}

#[test]
fn truncation_at_every_length_is_refused() {
    let bytes = package(&key(1));
    for len in 0..bytes.len() {
        let err = Package::verify(&bytes[..len], &keys()).unwrap_err();
        let expected = match len {
            0..37 => PackageError::Truncated {
                field: Field::Header,
            },
            37..101 => PackageError::Truncated {
                field: Field::Signature,
            },
            _ => PackageError::BadSignature,
        };
        assert_eq!(err, expected, "length {len}");
        // Unsigned, the structure alone refuses it too.
        assert!(Package::parse(&bytes[..len]).is_err(), "length {len}");
    }
}

#[test]
fn a_signed_package_whose_module_does_not_match_its_digest_is_refused() {
    // A broken build tool: the digest is wrong, and the signature covers it.
    let mut bytes = package(&key(1));
    let digest_at = bytes.len() - 64 - 32;
    bytes[digest_at] ^= 1;
    resign(&mut bytes, 1);
    assert_eq!(
        Package::verify(&bytes, &keys()),
        Err(PackageError::DigestMismatch)
    );
}

#[test]
fn signed_but_malformed_packages_are_refused_by_the_parser() {
    // What a signature cannot vouch for: the structure is still checked.
    let good = package(&key(1));
    let name_len = 37;
    let cases: [(Damage, PackageError); 4] = [
        (
            |b| b[37] = 65,
            PackageError::Oversized {
                field: Field::Name,
                len: 65,
                limit: 64,
            },
        ),
        (
            |b| b[38] = 0xff,
            PackageError::BadUtf8 { field: Field::Name },
        ),
        (
            |b| b[38 + 6 + 6] = 33,
            PackageError::Oversized {
                field: Field::Route,
                len: 33,
                limit: 32,
            },
        ),
        (
            |b| b.insert(b.len() - 64, 0),
            PackageError::TrailingBytes { extra: 1 },
        ),
    ];
    assert_eq!(good[name_len], 6);
    for (damage, expected) in cases {
        let mut bytes = good.clone();
        damage(&mut bytes);
        resign(&mut bytes, 1);
        assert_eq!(Package::verify(&bytes, &keys()), Err(expected));
        assert_eq!(Package::parse(&bytes), Err(expected));
    }
}

/// Damage done to a package's bytes.
type Damage = fn(&mut Vec<u8>);

/// Sign `bytes` again with key `seed`, as a (broken) build tool would.
fn resign(bytes: &mut [u8], seed: u8) {
    let key = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    let at = bytes.len() - 64;
    let signature = key.sign(&bytes[..at]);
    bytes[at..].copy_from_slice(&signature.to_bytes());
}
