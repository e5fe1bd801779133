//! `cargo xtask soak [--hours H] [--seed S]`: the soak run (`fireball_tests::soak`) in a
//! process of its own, so that its resident set is the deployment's and the soak's alone.
//! Prints the summary and exits 1 if anything leaked, went unanswered or grew.

use std::{path::PathBuf, process::ExitCode};

use fireball_kernel::mem::PartitionedHeap;
use fireball_tests::{
    placed::{Routed, beside, lay_out, placed},
    soak::{self, Soak},
};

static HEAP: PartitionedHeap = PartitionedHeap::new();

#[global_allocator]
static ALLOCATOR: Routed = Routed(&HEAP);

const USAGE: &str = "usage: soak [--hours H] [--seed S]   (modules from $FIREBALL_MODULES_DIR)";

fn main() -> ExitCode {
    let mut hours = 8.0_f64;
    let mut seed = 20_u32;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let value = args.next();
        let parsed = match (arg.as_str(), value) {
            ("--hours", Some(v)) => v.parse().map(|h| hours = h).is_ok(),
            ("--seed", Some(v)) => v.parse().map(|s| seed = s).is_ok(),
            _ => false,
        };
        if !parsed {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    let Some(modules) = std::env::var_os("FIREBALL_MODULES_DIR").map(PathBuf::from) else {
        eprintln!("FIREBALL_MODULES_DIR is not set (`cargo xtask soak` sets it)\n{USAGE}");
        return ExitCode::from(2);
    };
    let soak = Soak {
        virtual_us: (hours * 3_600_000_000.0) as u64,
        seed,
    };
    lay_out(&HEAP, soak::HOST_PARTITIONS);
    eprintln!("soak: {hours} h of virtual time, seed {seed}");
    let figures = soak::run(&soak, &modules, &HEAP, |f| placed(f), beside);
    println!("{figures}");
    let violations = figures.violations();
    if violations.is_empty() {
        println!("soak: passed");
        ExitCode::SUCCESS
    } else {
        for v in &violations {
            println!("soak: FAILED: {v}");
        }
        ExitCode::FAILURE
    }
}
