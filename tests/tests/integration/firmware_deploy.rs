//! The sensor hub on the Cortex-M33 (QEMU `mps2-an505`, 512 KB of RAM) runs exactly as on
//! the host: `cargo xtask test` builds the `deploy` image for
//! `examples/sensor-hub/fireball.toml` — the whole demo: three services (filter, mesh,
//! stats) and three guests (sensor-buffer, aggregator, inference), the plan generated from
//! the manifest, the modules in flash,
//! `fireball-deploy` running it — and this test requires its UART output (consoles, the
//! router trace as it happens, the report) to be what the same plan prints on the host
//! through the same kind of sink, byte for byte (all but the partition table that ends the
//! board's report: `partition_table.rs`). The board's own log lines (boot, memory, stack) are
//! defmt frames on semihosting, decoded with the image's table by `run_qemu`.

use std::time::Duration;

use fireball_tests::{
    board::{before_the_partition_table, run_as_the_board_does},
    deploy_elf, modules_dir, run_qemu,
};

#[test]
fn the_board_runs_the_manifest_exactly_as_the_host_does() {
    let (elf, manifest_path) = deploy_elf();
    let board = run_qemu(&elf, Duration::from_secs(120), true)
        .expect("qemu-system-arm runs (installed by `cargo xtask setup`)");
    assert!(!board.timed_out, "the image hung:\n{}", board.stdout);
    assert_eq!(board.status, Some(0), "{}\n{}", board.stdout, board.serial);
    // The board's own log lines are defmt frames (firmware feature `defmt`); `run_qemu`
    // decoded them with the image's table into the lines the text path printed.
    assert!(
        fireball_tests::defmt_stream::has_table(&elf),
        "{} has no defmt table: the deploy image is built with feature `defmt`",
        elf.display()
    );
    for line in [
        "fireball: filter booted: P2 ",
        "fireball: sensor-hub booted in ",
        "fireball: RAM by partition (bytes)\nP1 COOS ",
        "fireball: main stack peak ",
    ] {
        assert!(
            board.stdout.contains(line),
            "no `{line}` in the decoded log:\n{}",
            board.stdout
        );
    }
    assert!(
        !board.stdout.contains("fireball-tests:"),
        "{}",
        board.stdout
    );

    let (host, report) = run_as_the_board_does(&manifest_path, &modules_dir());
    // The board's report ends with its partition table (the one part a 64-bit host measures
    // larger; `partition_table.rs` compares the two): the rest is the host's, byte for byte.
    let serial = before_the_partition_table(&board.serial);
    assert_eq!(serial, host);
    assert!(report.all_guests_finished(), "{report}");
    let services = report
        .components
        .iter()
        .filter(|c| c.kind == fireball_deploy::Kind::Service)
        .count();
    assert_eq!((services, report.components.len()), (3, 6), "{report}");
    // The data paths, on the board: ADC -> filter -> aggregator -> mesh -> radio, and the
    // two guests that sample the ADC and send through the mesh themselves.
    for hop in [
        "sensor-buffer#1 -> hal#1 read hal://adc/0",
        "sensor-buffer#1 -> mesh#1 write svc://mesh/tx",
        "inference#1 -> hal#1 read hal://adc/1",
        "inference#1 -> mesh#1 write svc://mesh/tx",
        "aggregator#1 -> filter#1 read svc://filter/0",
        "filter#1 -> hal#1 read hal://adc/0",
        "aggregator#1 -> mesh#1 write svc://mesh/tx",
        "mesh#1 -> hal#1 write hal://radio/0",
        "aggregator#1 -> stats#1 write svc://stats/sensor0",
    ] {
        assert!(host.contains(hop), "no `{hop}` in the trace");
    }
    assert_eq!(report.denied, 0);
    assert!(report.radio.iter().all(|node| node.frames > 0), "{report}");
}
