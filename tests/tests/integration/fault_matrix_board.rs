//! The fault matrix's board subset (issue 20; the host's whole matrix is
//! `tests/tests/fault_matrix.rs`, both in `docs/reliability.md`): `tests/faults/board.toml` —
//! the sensor hub's three services and its aggregating guest beside five faulty guests (a
//! trap, a panic, a pointer outside its memory handed to `route_call`, a queue flood, answers
//! forged for others' requests) — on the Cortex-M33 under QEMU within the nRF5340's 512 KB.
//! `cargo xtask test` builds the image. The board must:
//!
//! - run to the end without halting (its exit status is 1, the board's way of saying that
//!   not every guest finished: three were stopped);
//! - print exactly what the host prints for the same plan, byte for byte (consoles, the
//!   router trace as it happens, the report; all but the partition table);
//! - stop each faulty guest with its reason, refuse the flood past the inbox and every forged
//!   answer, and let the aggregator do its whole work;
//! - answer every request exactly once.

use std::time::Duration;

use fireball_deploy::{Kind, State};
use fireball_tests::{
    board::{before_the_partition_table, run_as_the_board_does},
    faults_elf, modules_dir, run_qemu,
};

#[test]
fn faulty_guests_stop_alone_on_the_board_exactly_as_on_the_host() {
    let (elf, manifest) = faults_elf();
    let board = run_qemu(&elf, Duration::from_secs(120), true)
        .expect("qemu-system-arm runs (installed by `cargo xtask setup`)");
    assert!(!board.timed_out, "the image hung:\n{}", board.stdout);
    assert_eq!(board.status, Some(1), "{}\n{}", board.stdout, board.serial);
    let (host, report) = run_as_the_board_does(&manifest, &modules_dir());
    assert_eq!(before_the_partition_table(&board.serial), host);

    assert!(report.halted.is_none(), "{report}");
    let state = |name: &str| {
        &report
            .components
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no {name}: {report}"))
            .state
    };
    for (name, why) in [
        ("trap", "trap::fb_main trapped: out of bounds memory access"),
        (
            "panic",
            "panic::fb_main trapped: aborted: boom: sensor on fire",
        ),
        (
            "pointer",
            "pointer::fb_main trapped: guest passed 16 bytes at 0x7fff0000, outside its \
             1024-byte memory",
        ),
    ] {
        assert_eq!(state(name), &State::Stopped(why.into()), "{report}");
        assert!(
            host.contains(&format!("[fireball] {name} stopped: {why}\n")),
            "{host}"
        );
    }
    // The flood: past the statistics service's inbox, refused; each refusal counted in the
    // trace (one event with a count per run of them).
    let said = |name: &str| -> Vec<&str> {
        let prefix = format!("[{name}] ");
        host.lines()
            .filter_map(|l| l.strip_prefix(prefix.as_str()))
            .collect()
    };
    let flood = said("flood");
    let [taken, refused] = [0, 1].map(|i| {
        flood[i]
            .rsplit_once(' ')
            .and_then(|(_, n)| n.parse::<u32>().ok())
            .unwrap_or_else(|| panic!("{flood:?}"))
    });
    assert_eq!(taken + refused, 2000, "{flood:?}");
    assert!(taken > 0 && refused > 0, "{flood:?}");
    assert_eq!(said("forger"), ["accepted 0"], "{host}");
    // The healthy side did its whole work: two windows of four channels through the filter,
    // to the mesh and the statistics.
    assert!(host.contains("aggregator: done: 2 windows sent"), "{host}");
    for c in &report.components {
        match (c.kind, c.name.as_str()) {
            (Kind::Service, _) => assert!(matches!(c.state, State::Running(_)), "{report}"),
            (Kind::Guest, "aggregator" | "flood" | "forger") => {
                assert_eq!(c.state, State::Finished, "{report}")
            }
            _ => {}
        }
        assert_eq!(c.restarts, 0, "{report}");
    }
    let trace: String = host
        .lines()
        .filter_map(|l| l.strip_prefix("~ "))
        .map(|l| format!("{l}\n"))
        .collect();
    let (requests, _) = fireball_tests::trace::each_request_answered_once(&trace);
    assert!(requests >= 256, "{requests}");
}
