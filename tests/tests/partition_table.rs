//! One source of truth for memory: the board and the host runner run the sensor hub on the
//! same partitioned heap (the kernel's), laid out from the same manifest, and print the same
//! partition table from the same code (`fireball_deploy::PartitionTable`). This test runs
//! the `deploy` image `cargo xtask test` built for `examples/sensor-hub/fireball.toml` under
//! QEMU and the same manifest through `fireball run`'s path on this process's heap (its
//! global allocator is `HostHeap`, as the `fireball` binary's is; hence a test binary of its
//! own), and requires:
//!
//! - the layout to agree exactly: the same partitions, P1 to P6, the same sizes, the same
//!   service quotas;
//! - the host's used and peak bytes never to be fewer than the board's, row by row: the host
//!   (64-bit pointers) allocates more than the Cortex-M33 (32-bit) for the same deployment,
//!   and a quota sized from the host's table must hold on the board (issue 15: quotas sized
//!   from the host's old admission ledger hit `Critical` on the board).
//!
//! `docs/memory-partitions.md` says why used and peak cannot agree byte for byte.

use std::time::Duration;

use fireball::deploy::{self, HOST_SCALE, Output, RunOptions};
use fireball_deploy::memory::TABLE_TITLE;
use fireball_kernel::mem::HostHeap;
use fireball_subsystems::host::BufferConsole;
use fireball_tests::{deploy_elf, modules_dir, run_qemu};

#[global_allocator]
static HEAP: HostHeap = HostHeap::new();

/// One row of a printed table: its label, laid out, used, peak (`None` for `-`).
type Row = (String, usize, Option<usize>, Option<usize>);

/// The partition table in `text` (the end of a report), row by row.
fn table(text: &str) -> Vec<Row> {
    let (_, table) = text
        .split_once(&format!("\n{TABLE_TITLE}\n"))
        .unwrap_or_else(|| panic!("no partition table in:\n{text}"));
    table
        .lines()
        .skip(1) // the column heads
        // The rows end at the host's note on its scaled layout (or the end of the report).
        .take_while(|line| !line.trim_start().starts_with('(') && !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [label @ .., laid_out, used, peak] = fields.as_slice() else {
                panic!("not a table row: {line:?}");
            };
            let figure = |f: &str| f.parse().ok();
            (
                label.join(" "),
                laid_out.parse().unwrap(),
                figure(used),
                figure(peak),
            )
        })
        .collect()
}

#[test]
fn host_and_board_partition_tables_agree_and_the_host_never_understates() {
    let (elf, manifest) = deploy_elf();
    // The board first, while this process still allocates from the system.
    let board = run_qemu(&elf, Duration::from_secs(120), true)
        .expect("qemu-system-arm runs (installed by `cargo xtask setup`)");
    assert_eq!(board.status, Some(0), "{}\n{}", board.stdout, board.serial);
    // Only the host says its layout is scaled.
    assert!(
        !board.serial.contains("(host: laid out"),
        "{}",
        board.serial
    );
    let board = table(&board.serial);

    let options = RunOptions {
        output: Output::Buffer(BufferConsole::default()),
        heap: Some(&HEAP),
        ..RunOptions::default()
    };
    let report = deploy::boot_file(&manifest, &modules_dir(), options)
        .unwrap()
        .run();
    let printed = format!("\n{report}");
    assert!(report.all_guests_finished(), "{printed}");
    assert_eq!(HEAP.overflows(), 0, "{printed}");
    let host = table(&printed);
    assert!(
        printed.contains(&format!("(host: laid out {HOST_SCALE}x these sizes")),
        "{printed}"
    );

    // The layout, exactly: P1-P6 and the three quotas under P4, the manifest's sizes.
    let layout = |t: &[Row]| t.iter().map(|r| (r.0.clone(), r.1)).collect::<Vec<_>>();
    assert_eq!(layout(&host), layout(&board), "host:\n{printed}");
    assert_eq!(host.len(), 9, "P1-P6 and three quotas:\n{printed}");
    // Used and peak: the host never fewer bytes than the board.
    for (h, b) in host.iter().zip(&board) {
        assert!(
            h.2 >= b.2 && h.3 >= b.3,
            "{}: the host measured {:?}/{:?} B used/peak, the board {:?}/{:?}",
            h.0,
            h.2,
            h.3,
            b.2,
            b.3
        );
        // And a board-sized deployment fits the host's room for it.
        assert!(h.3.unwrap_or(0) <= h.1 * HOST_SCALE, "{}: {h:?}", h.0);
    }
}
