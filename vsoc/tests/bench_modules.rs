//! The benchmark modules are committed as `.wasm` (the library is `no_std` and
//! build-script free); this test proves they are exactly their `.wat` sources.
//! Regenerate after editing a `.wat` with `FIREBALL_BLESS=1 cargo test -p fireball-vsoc --test bench_modules`.

use std::path::Path;

#[test]
fn committed_bench_modules_match_their_sources() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bench");
    for name in [
        "compute",
        "gpio",
        "spin",
        "route_guest",
        "route_guest_own",
        "route_service",
        "route_service_own",
        "probe",
    ] {
        let source = std::fs::read_to_string(dir.join(format!("{name}.wat"))).unwrap();
        let bytes = wat::parse_str(&source).unwrap();
        let path = dir.join(format!("{name}.wasm"));
        if std::env::var_os("FIREBALL_BLESS").is_some() {
            std::fs::write(&path, &bytes).unwrap();
        }
        let committed = std::fs::read(&path).unwrap_or_default();
        assert_eq!(
            committed, bytes,
            "{name}.wasm is stale: rerun with FIREBALL_BLESS=1"
        );
    }
}
