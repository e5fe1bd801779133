//! A deployment built from a manifest runs on the Cortex-M33 (QEMU `mps2-an505`) exactly as
//! on the host: `cargo xtask test` builds the `deploy` image for `examples/hello/fireball.toml`
//! (the plan generated from the manifest, the modules in flash, `fireball-deploy` running
//! it), and this test requires its UART output — consoles, report, router trace — to be the
//! host runner's, byte for byte.

use std::time::Duration;

use fireball::deploy::{self, Output, RunOptions};
use fireball_subsystems::host::BufferConsole;
use fireball_tests::{deploy_elf, modules_dir, run_qemu};

#[test]
fn the_board_runs_the_manifest_exactly_as_the_host_does() {
    let (elf, manifest) = deploy_elf();
    let board = run_qemu(&elf, Duration::from_secs(120), true)
        .expect("qemu-system-arm runs (installed by `cargo xtask setup`)");
    assert!(!board.timed_out, "the image hung:\n{}", board.stdout);
    assert_eq!(board.status, Some(0), "{}\n{}", board.stdout, board.serial);

    let out = BufferConsole::new();
    let options = RunOptions {
        output: Output::Buffer(out.clone()),
        ..RunOptions::default()
    };
    let report = deploy::boot_file(&manifest, &modules_dir(), options)
        .unwrap()
        .run();
    let host = format!(
        "{}\n{report}--- trace ---\n{}--- end ---\n",
        out.contents(),
        report.trace
    );
    assert_eq!(board.serial, host);
    assert!(report.all_guests_finished());
    assert!(
        host.contains("[hello] Hello from a Fireball guest!"),
        "{host}"
    );
}
