//! A deployment on the host as the `deploy` firmware image prints it on its UART, to compare
//! a board's output with the host's byte for byte (`firmware_deploy`, `fault_matrix_board`).

use std::{path::Path, rc::Rc};

use fireball::deploy;
use fireball_deploy::{RunOptions, RunReport, Sink, System, memory::TABLE_TITLE};
use fireball_manifest::{Manifest, ModuleDirs};
use fireball_subsystems::{
    hal::{Console, Labelled},
    host::BufferConsole,
};

/// What the firmware's UART sink does, into a buffer: labelled consoles, the runner's lines,
/// and the trace streamed with each line marked `~ `.
#[derive(Clone, Default)]
pub struct UartLike(pub BufferConsole);

impl Sink for UartLike {
    fn console(&self, label: &str) -> Box<dyn Console> {
        Box::new(Labelled::new(label, self.0.clone()))
    }

    fn line(&self, text: &str) {
        self.0.clone().write(format!("{text}\n").as_bytes());
    }

    fn trace(&self, lines: &str) {
        for line in lines.lines() {
            self.0.clone().write(format!("~ {line}\n").as_bytes());
        }
    }
}

/// Run the manifest at `manifest_path` (modules from `modules_dir`) on the host as the board
/// does: what its UART would show (consoles, the streamed trace, the report), and the report.
pub fn run_as_the_board_does(manifest_path: &Path, modules_dir: &Path) -> (String, RunReport) {
    let manifest = Manifest::load(manifest_path).unwrap();
    let dirs = ModuleDirs {
        manifest_dir: manifest_path.parent().unwrap().to_path_buf(),
        modules_dir: modules_dir.to_path_buf(),
    };
    let plan = deploy::plan(&manifest, &dirs).unwrap();
    let sink = UartLike::default();
    let mut options = RunOptions::new(Rc::new(sink.clone()));
    options.keep_trace = false;
    let report = System::boot(&plan, options).unwrap().run();
    (format!("{}\n{report}", sink.0.contents()), report)
}

/// A board's UART output without the partition table that ends its report (the one part a
/// 64-bit host measures larger; `partition_table.rs` compares the two).
pub fn before_the_partition_table(serial: &str) -> &str {
    serial
        .split_once(&format!("\n{TABLE_TITLE}\n"))
        .expect("the board's report ends with its partition table")
        .0
}
