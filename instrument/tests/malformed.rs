//! Untrusted bytes: a malformed module is a typed error, never a panic.

use std::collections::BTreeSet;

use fireball_instrument::{InstrumentError, has_debug_info, instrument, instrument_at, validate};
use proptest::prelude::*;

/// A valid module with most sections, to cut and corrupt.
fn valid() -> Vec<u8> {
    wat::parse_str(
        r#"(module
          (import "env" "f" (func $f (param i32) (result i32)))
          (table 1 funcref)
          (memory 1)
          (global $g (mut i32) (i32.const 3))
          (elem (i32.const 0) $h)
          (func $h (export "h") (param i32) (result i32)
            (if (result i32) (local.get 0)
              (then (call $f (local.get 0)))
              (else (return (global.get $g)))))
          (data (i32.const 8) "hello"))"#,
    )
    .unwrap()
}

fn stops() -> BTreeSet<u32> {
    (0..200).collect()
}

#[test]
fn every_truncation_is_malformed_unless_it_ends_at_a_section() {
    let module = valid();
    let mut malformed = 0;
    for len in 0..=module.len() {
        let cut = &module[..len];
        match instrument_at(cut, &stops(), "x") {
            // Cut between sections: a smaller valid module.
            Ok(out) => {
                assert!(validate(cut).is_ok(), "{len}");
                validate(&out).unwrap();
            }
            Err(err) => {
                assert!(
                    matches!(err, InstrumentError::Malformed { .. }),
                    "{len}: {err}"
                );
                malformed += 1;
            }
        }
        assert!(!has_debug_info(cut));
    }
    assert!(
        malformed > module.len() * 9 / 10,
        "{malformed} of {}",
        module.len()
    );
}

#[test]
fn without_dwarf_instrument_says_so() {
    assert_eq!(instrument(&valid(), "x"), Err(InstrumentError::NoDebugInfo));
}

proptest! {
    #[test]
    fn random_bytes_are_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        prop_assert!(instrument_at(&bytes, &stops(), "x").is_err());
        let _ = instrument(&bytes, "x");
        let _ = has_debug_info(&bytes);
    }

    #[test]
    fn corrupted_modules_never_panic(at in 0usize..200, byte in any::<u8>()) {
        let mut module = valid();
        let at = at % module.len();
        module[at] = byte;
        match instrument_at(&module, &stops(), "x") {
            Ok(out) => prop_assert!(validate(&out).is_ok()),
            Err(InstrumentError::Internal(why)) => prop_assert!(false, "internal: {why}"),
            Err(_) => {}
        }
        let _ = instrument(&module, "x");
    }
}
