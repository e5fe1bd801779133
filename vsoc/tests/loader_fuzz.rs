//! The loader's fuzz target, as a proptest that runs in CI (no nightly needed):
//! arbitrary bytes and mutations of valid modules give typed errors or a
//! module, never a panic; accepted modules instantiate and run without one.

use fireball_subsystems::hal::NullConsole;
use fireball_vsoc::{Vsoc, VsocConfig};
use proptest::prelude::*;

const VALID: &str = r#"(module
    (import "fb" "print" (func $print (param i32 i32)))
    (import "fb" "chan_recv" (func $recv (param i32 i32) (result i32)))
    (memory (export "memory") 1 1)
    (table 2 funcref)
    (global $g (mut i32) (i32.const 0))
    (data (i32.const 0) "hello")
    (func $f (param i32) (result i32) (i32.add (local.get 0) (global.get $g)))
    (elem (i32.const 0) $f)
    (func (export "fb_main") (local $i i32)
        (loop $l
            (local.set $i (call $f (local.get $i)))
            (br_if $l (i32.lt_u (local.get $i) (i32.const 10))))
        (call $print (i32.const 0) (i32.const 5))))"#;

fn exercise(bytes: &[u8]) {
    let vsoc = Vsoc::new(VsocConfig {
        yield_interval: 500,
        ..VsocConfig::default()
    });
    let Ok(module) = vsoc.load("fuzz", bytes) else {
        return;
    };
    if let Ok(mut instance) = vsoc.instantiate(&module, Box::new(NullConsole::default())) {
        for _ in 0..3 {
            let _ = instance.run_slice();
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, bit: u8 },
    Set { at: usize, byte: u8 },
    Truncate { len: usize },
    Insert { at: usize, bytes: Vec<u8> },
    Remove { at: usize, len: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Set { at, byte }),
        any::<usize>().prop_map(|len| Mutation::Truncate { len }),
        (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), 1usize..16).prop_map(|(at, len)| Mutation::Remove { at, len }),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let n = bytes.len().max(1);
    match mutation {
        Mutation::Flip { at, bit } => {
            if let Some(b) = bytes.get_mut(at % n) {
                *b ^= 1 << bit;
            }
        }
        Mutation::Set { at, byte } => {
            if let Some(b) = bytes.get_mut(at % n) {
                *b = *byte;
            }
        }
        Mutation::Truncate { len } => bytes.truncate(len % n),
        Mutation::Insert { at, bytes: new } => {
            let at = at % (bytes.len() + 1);
            bytes.splice(at..at, new.iter().copied());
        }
        Mutation::Remove { at, len } => {
            let at = at % n;
            let end = (at + len).min(bytes.len());
            if at < end {
                bytes.drain(at..end);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        exercise(&bytes);
        // The same bytes behind a valid header reach the section parser.
        let mut framed = b"\0asm\x01\0\0\0".to_vec();
        framed.extend_from_slice(&bytes);
        exercise(&framed);
    }

    #[test]
    fn mutated_valid_modules_never_panic(mutations in proptest::collection::vec(mutation(), 1..6)) {
        let mut bytes = wat::parse_str(VALID).unwrap();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        exercise(&bytes);
    }
}

#[test]
fn the_seed_module_is_valid() {
    let vsoc = Vsoc::default();
    assert!(vsoc.load("seed", &wat::parse_str(VALID).unwrap()).is_ok());
}
