//! Untrusted bytes never panic: `verify` and `parse` return a package or a typed error for
//! any input (the property the `package` target of `fuzz/` checks coverage-guided).

mod common;

use fireball_package::{Package, PackageError};
use proptest::prelude::*;

proptest! {
    // Arbitrary bytes are refused before any cryptography: many cases are cheap.
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let keys = [common::BOARD.0];
        let _ = Package::parse(&bytes);
        let _ = Package::verify(&bytes, &keys);
    }

}

proptest! {
    // These reach the signature check (milliseconds each in a debug build): fewer cases.
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Bytes that start like a package, with the board's key as signer, reach the signature
    /// check; without the signature they get through to the parser.
    #[test]
    fn package_shaped_bytes_never_panic(tail in prop::collection::vec(any::<u8>(), 0..512)) {
        let key = common::BOARD.0;
        let mut bytes = b"FBPK\x01".to_vec();
        bytes.extend_from_slice(&key.to_bytes());
        bytes.extend_from_slice(&tail);
        prop_assert!(Package::verify(&bytes, &[key]).is_err());
        if let Ok(p) = Package::parse(&bytes) {
            prop_assert!(p.module().len() <= bytes.len());
        }
    }

    /// Mutations of a real package: each parses to the same kind of answer whichever way in.
    #[test]
    fn mutated_packages_parse_or_fail_typed(edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut bytes = common::BOARD.1.clone();
        for (at, byte) in edits {
            let at = at.index(bytes.len());
            bytes[at] = byte;
        }
        let parsed = Package::parse(&bytes);
        let verified = Package::verify(&bytes, &[common::BOARD.0]);
        if let Err(e) = parsed {
            // A package the parser refuses is never verified.
            prop_assert!(verified.is_err());
            prop_assert!(!matches!(e, PackageError::ReachNotGranted { entry: _, methods: _ }), "{:?}", e);
        }
    }
}
