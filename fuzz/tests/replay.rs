//! Every fuzz target over its checked-in seeds (`fuzz/seeds/NAME`, libFuzzer's minimized
//! corpus), then over generated inputs: random bytes and single-byte mutations of the
//! seeds. The short run CI keeps (the campaign itself is `cargo xtask fuzz`); a panic here
//! is a bug the fuzzer found or would find.

use std::path::{Path, PathBuf};

use fireball_fuzz::{TARGETS, Target};
use proptest::{
    prelude::*,
    test_runner::{Config, TestRunner},
};

/// The checked-in seeds of `target`, in file-name order.
fn seeds(target: &Target) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target.name);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| std::fs::read(path).unwrap())
        .collect()
}

/// Generated inputs per target. Fewer where one input is costly in a debug build: the
/// structure-aware target boots a deployment, and a package that parses is checked with an
/// ed25519 verification (~40 ms unoptimized).
fn cases(target: &Target) -> u32 {
    match target.name {
        "guest" | "package" => 100,
        _ => 1_000,
    }
}

/// `name`'s seeds, then generated inputs: random bytes and seeds with one byte changed.
fn replay(name: &str) {
    let target = fireball_fuzz::target(name).unwrap();
    let seeds = seeds(target);
    assert!(!seeds.is_empty(), "no seeds for {name}");
    for bytes in &seeds {
        (target.run)(bytes);
    }
    let input = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..4096),
        (0..seeds.len(), any::<usize>(), any::<u8>()).prop_map(move |(i, at, byte)| {
            let mut bytes = seeds[i].clone();
            if !bytes.is_empty() {
                let at = at % bytes.len();
                bytes[at] = byte;
            }
            bytes
        }),
    ];
    let mut runner = TestRunner::new(Config {
        cases: cases(target),
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&input, |bytes| {
            (target.run)(&bytes);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{name}: {e}"));
}

/// One test per target, so that they run in parallel.
macro_rules! replay {
    ($($name:ident),* $(,)?) => {
        $(#[test]
        fn $name() {
            replay(stringify!($name));
        })*

        #[test]
        fn every_target_is_replayed() {
            let replayed = [$(stringify!($name)),*];
            for target in TARGETS {
                assert!(replayed.contains(&target.name), "{} is not replayed", target.name);
            }
        }
    };
}

replay!(
    loader,
    record,
    message,
    route_table,
    delivery,
    manifest,
    package,
    smp,
    debugger,
    guest,
);
