//! Instruction counts on Cortex-M33: run the `bench` image under QEMU
//! `-icount shift=0` and turn its output into a table with ratios.

use std::{path::Path, time::Duration};

struct Row {
    name: String,
    baseline: Option<String>,
    milli: u64,
}

/// Run the bench image and return the rendered table.
pub fn run_m33(elf: &Path) -> Result<String, String> {
    let run = fireball_tests::run_qemu(elf, Duration::from_secs(300), true)
        .map_err(|e| format!("cannot run qemu-system-arm: {e}"))?;
    if run.timed_out || run.status != Some(0) {
        return Err(format!(
            "bench firmware failed (status {:?}, timed out: {}):\n{}",
            run.status, run.timed_out, run.stdout
        ));
    }
    let mut calibration = None;
    let mut rows = Vec::new();
    for line in run.stdout.lines() {
        let fields: Vec<&str> = line.trim().split(',').collect();
        match fields.as_slice() {
            ["calibration", milli] => calibration = milli.parse::<u64>().ok(),
            ["bench", name, baseline, milli] => rows.push(Row {
                name: (*name).into(),
                baseline: (!baseline.is_empty()).then(|| (*baseline).into()),
                milli: milli
                    .parse()
                    .map_err(|_| format!("bad bench line: {line}"))?,
            }),
            _ => {}
        }
    }
    let calibration = calibration.ok_or("bench firmware printed no calibration")?;
    if rows.is_empty() {
        return Err(format!(
            "bench firmware printed no workloads:\n{}",
            run.stdout
        ));
    }
    let mut out = format!(
        "Cortex-M33 (QEMU mps2-an505, -icount shift=0; {:.3} instructions per SysTick tick)\n\
         {:<36} {:>14} {:>10}\n",
        calibration as f64 / 1000.0,
        "workload",
        "instr/op",
        "ratio"
    );
    for row in &rows {
        let ratio = row
            .baseline
            .as_ref()
            .and_then(|b| rows.iter().find(|r| &r.name == b))
            .map(|b| {
                format!(
                    "{:.2}x {}",
                    row.milli as f64 / b.milli.max(1) as f64,
                    b.name
                )
            });
        out += &format!(
            "{:<36} {:>14.1} {:>10}\n",
            row.name,
            row.milli as f64 / 1000.0,
            ratio.unwrap_or_default()
        );
    }
    Ok(out)
}
