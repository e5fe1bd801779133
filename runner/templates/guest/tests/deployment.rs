//! The deployment in `fireball.toml` on the host simulator: the modules are built (as
//! `fireball build --release` does), the deployment runs until its guests finish, and the
//! router's traffic — every request with its body and every reply with its status and body —
//! is compared with the accepted snapshot in `tests/snapshots/`. Change what the guest
//! sends and this test fails with a diff; accept a new snapshot with `cargo insta review`
//! (or `INSTA_UPDATE=always cargo test`).

use std::path::Path;

#[test]
fn the_deployment_traffic_matches_the_snapshot() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("fireball.toml");
    let run = fireball::testing::run_project(&manifest).unwrap_or_else(|e| panic!("{e}"));
    assert!(run.all_guests_finished(), "{}", run.report);
    insta::assert_snapshot!("traffic", run.traffic());
}
