//! Modules validated once, when a plan or an image is made, and loaded without wasmi's
//! validator: `Vsoc::prevalidate` refuses what `Vsoc::load` refuses, pins the SHA-256
//! digest, and `Vsoc::load_prevalidated` (with `check-digest`) refuses other bytes. An
//! image keeps them LZ4-compressed (`ModuleBytes::Lz4`): they inflate to the very bytes,
//! and a block that does not is refused with a typed error.

use fireball_subsystems::host::BufferConsole;
use fireball_vsoc::{LoadError, ModuleBytes, Prevalidated, Slice, Vsoc, VsocConfig, loader};

const GREETING: &str = "Hello from a Fireball guest!\nsum(1..=10) = 55\n";

#[test]
fn the_digest_is_sha256() {
    // FIPS 180-2, appendix B.1.
    let hex: String = loader::digest(b"abc")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        hex,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn a_prevalidated_module_loads_and_runs_like_a_validated_one() {
    let vsoc = Vsoc::new(VsocConfig::default());
    let bytes = fireball_tests::module("hello");
    let module = vsoc.prevalidate("hello", bytes.clone()).unwrap();
    assert_eq!(&module.bytes().module().unwrap()[..], &bytes[..]);
    assert_eq!(module.len(), bytes.len());
    assert_eq!(module.digest(), &loader::digest(&bytes));
    // Another vSoC (as on the board) loads it.
    let board = Vsoc::new(VsocConfig::default());
    let loaded = board.load_prevalidated("hello", &module).unwrap();
    assert_eq!(loaded.info(), board.load("hello", &bytes).unwrap().info());
    let console = BufferConsole::new();
    let mut instance = board
        .instantiate(&loaded, Box::new(console.clone()))
        .unwrap();
    assert_eq!(instance.run_to_completion().0, Slice::Finished);
    assert_eq!(console.contents(), GREETING);
}

#[test]
fn prevalidation_refuses_what_loading_refuses() {
    let vsoc = Vsoc::default();
    let wrong_type =
        wat::parse_str(r#"(module (func (result i32) (i64.const 1)) (func (export "fb_main")))"#)
            .unwrap();
    assert!(matches!(
        vsoc.prevalidate("m", wrong_type),
        Err(LoadError::Invalid { .. })
    ));
    let no_entry = wat::parse_str(r#"(module (func (export "main")))"#).unwrap();
    assert_eq!(
        vsoc.prevalidate("m", no_entry).unwrap_err(),
        LoadError::MissingEntry
    );
    assert!(matches!(
        vsoc.prevalidate("m", b"not wasm at all".to_vec()),
        Err(LoadError::Malformed { .. })
    ));
}

#[test]
fn bytes_other_than_the_pinned_ones_are_refused() {
    let vsoc = Vsoc::default();
    let hello: &'static [u8] = fireball_tests::module("hello").leak();
    let validated = vsoc.prevalidate("hello", hello).unwrap();
    let mut pinned = *validated.digest();
    pinned[0] ^= 1;
    // Safety: `hello` was just validated (`prevalidate`), and this crate enables
    // `check-digest`, so the wrong digest is caught before anything is compiled.
    let module = unsafe { Prevalidated::new_unchecked(hello, pinned) };
    let err = vsoc.load_prevalidated("hello", &module).unwrap_err();
    assert_eq!(
        err,
        LoadError::DigestMismatch {
            pinned,
            actual: *validated.digest(),
        }
    );
    assert!(
        err.to_string().starts_with("module bytes have SHA-256 "),
        "{err}"
    );
}

#[test]
fn a_module_kept_compressed_runs_as_the_module_itself() {
    let vsoc = Vsoc::new(VsocConfig::default());
    let bytes = fireball_tests::module("hello");
    let digest = loader::digest(&bytes);
    let block: &'static [u8] = fireball_vsoc::compress(&bytes).leak();
    assert!(
        block.len() < bytes.len(),
        "{} of {}",
        block.len(),
        bytes.len()
    );
    // Safety: the block inflates to `bytes`, which `prevalidate` validates below (and this
    // crate enables `check-digest`).
    let module = unsafe { Prevalidated::new_lz4_unchecked(block, bytes.len(), digest) };
    vsoc.prevalidate("hello", bytes.clone()).unwrap();
    assert_eq!(module.len(), bytes.len());
    assert_eq!(module.bytes().stored(), block);
    assert_eq!(&module.bytes().module().unwrap()[..], &bytes[..]);
    let loaded = vsoc.load_prevalidated("hello", &module).unwrap();
    let console = BufferConsole::new();
    let mut instance = vsoc
        .instantiate(&loaded, Box::new(console.clone()))
        .unwrap();
    assert_eq!(instance.run_to_completion().0, Slice::Finished);
    assert_eq!(console.contents(), GREETING);
    // Prevalidating a compressed module validates what it inflates to.
    let again = vsoc
        .prevalidate(
            "hello",
            ModuleBytes::Lz4 {
                block,
                len: bytes.len(),
                dict: &[],
            },
        )
        .unwrap();
    assert_eq!(again.digest(), &digest);
}

/// An image's modules are compressed against a dictionary, another of its modules kept
/// plain (`fireball::image`, liblz4's HC encoder): such a block inflates against those
/// bytes. Without the dictionary its matches reach before the start: refused, never a
/// panic.
#[test]
fn a_block_compressed_against_a_dictionary_inflates_only_against_it() {
    let vsoc = Vsoc::new(VsocConfig::default());
    let bytes = fireball_tests::module("hello");
    let dict: &'static [u8] = fireball_tests::module("counter-client").leak();
    let digest = loader::digest(&bytes);
    let block: &'static [u8] = fireball::image::compress_hc(&bytes, dict).unwrap().leak();
    let alone = fireball::image::compress_hc(&bytes, &[]).unwrap();
    assert!(
        block.len() < alone.len(),
        "the SDK the two modules share: {} against {} alone",
        block.len(),
        alone.len()
    );
    assert!(
        alone.len() < fireball_vsoc::compress(&bytes).len(),
        "HC beats the fast encoder"
    );
    // Safety: the block inflates to `bytes` against `dict`, which `prevalidate` validates
    // below (and this crate enables `check-digest`).
    let module = unsafe { Prevalidated::new_lz4_dict_unchecked(block, bytes.len(), dict, digest) };
    vsoc.prevalidate("hello", bytes.clone()).unwrap();
    assert_eq!(&module.bytes().module().unwrap()[..], &bytes[..]);
    let loaded = vsoc.load_prevalidated("hello", &module).unwrap();
    let console = BufferConsole::new();
    let mut instance = vsoc
        .instantiate(&loaded, Box::new(console.clone()))
        .unwrap();
    assert_eq!(instance.run_to_completion().0, Slice::Finished);
    assert_eq!(console.contents(), GREETING);
    // Safety: never loaded: it fails to inflate before wasmi sees it.
    let module = unsafe { Prevalidated::new_lz4_unchecked(block, bytes.len(), digest) };
    let err = vsoc.load_prevalidated("hello", &module).unwrap_err();
    assert!(matches!(err, LoadError::Inflate { .. }), "{err:?}");
}

#[test]
fn a_compressed_block_that_does_not_inflate_to_its_size_is_refused() {
    let vsoc = Vsoc::default();
    let bytes = fireball_tests::module("hello");
    let digest = loader::digest(&bytes);
    let block = fireball_vsoc::compress(&bytes);
    let cut: &'static [u8] = block[..block.len() / 2].to_vec().leak();
    let garbage: &'static [u8] = vec![0xff; 64].leak();
    let whole: &'static [u8] = block.leak();
    let cases = [
        // Truncated: the block ends early.
        (cut, bytes.len()),
        // Not LZ4 at all: lengths that point past the block.
        (garbage, bytes.len()),
        // The size the image claims is more than the block holds.
        (whole, bytes.len() + 1),
        // … or less.
        (whole, bytes.len() - 1),
    ];
    for (block, len) in cases {
        // Safety: none of these is loaded: each fails to inflate before wasmi sees it.
        let module = unsafe { Prevalidated::new_lz4_unchecked(block, len, digest) };
        let err = vsoc.load_prevalidated("hello", &module).unwrap_err();
        assert!(
            matches!(err, LoadError::Inflate { expected, .. } if expected == len),
            "{err:?}"
        );
        assert!(
            err.to_string().starts_with(&format!(
                "compressed module does not inflate to its {len} bytes"
            )),
            "{err}"
        );
    }
}
