//! `cargo xtask latency`: the interrupt-to-guest latency on the Cortex-M33 (issue 14, item
//! 6). Builds the `latency` image for [`MANIFEST`] and runs it under QEMU `-icount shift=0`;
//! the image prints the distribution over its interrupts (see `firmware/src/bin/latency.rs`).

use std::{path::Path, time::Duration};

use crate::{firmware, toolchain::Cross};

/// The deployment measured: the sensor hub, two CPU-bound guests, the probe.
pub const MANIFEST: &str = "examples/latency/fireball.toml";

/// The seed's deadline: 1 ms at 100 MHz.
pub const GOAL: u64 = 100_000;

/// Longer than the other images: hundreds of interrupts millions of instructions apart.
const TIMEOUT: Duration = Duration::from_secs(600);

/// Build the image, run it, print its figures; an error if it failed or missed [`GOAL`].
pub fn run(root: &Path) -> Result<(), String> {
    let cross = Cross::setup(true)?;
    let elf = firmware::build_from_manifest(&cross, root, &root.join(MANIFEST), "latency")?;
    let run = fireball_tests::run_qemu(&elf, TIMEOUT, true)
        .map_err(|e| format!("cannot run qemu-system-arm: {e}"))?;
    print!("{}", run.stdout);
    if run.timed_out {
        return Err(format!("the latency image did not exit within {TIMEOUT:?}"));
    }
    if run.status != Some(0) {
        return Err(format!(
            "the latency image failed ({:?}); UART:\n{}",
            run.status, run.serial
        ));
    }
    let max = worst_case(&run.stdout).ok_or("the image printed no `max` figure")?;
    if max > GOAL {
        return Err(format!(
            "interrupt to guest: worst case {max} instructions, over the goal of {GOAL}"
        ));
    }
    println!("worst case {max} instructions: within the goal of {GOAL} (1 ms at 100 MHz)");
    Ok(())
}

/// The `max` figure of the image's `latency: instructions …` line.
pub fn worst_case(stdout: &str) -> Option<u64> {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("latency: instructions"))?;
    let mut words = line.split_whitespace();
    words.find(|w| *w == "max")?;
    words.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_worst_case() {
        let out = "fireball: …\nlatency: instructions from raise to guest: min 1 p10 2 \
                   median 3 p90 4 p99 5 max 61234\n";
        assert_eq!(super::worst_case(out), Some(61_234));
        assert_eq!(super::worst_case("latency: 3 interrupts"), None);
    }
}
