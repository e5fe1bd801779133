//! Footprint budgets: a deploy image's flash by component, its RAM by partition and by
//! component (measured on the board, under QEMU), its stack and its boot in instructions —
//! each held to a ceiling in a file of `firmware/budgets/` (one per deployment, naming its
//! manifest). `cargo xtask test` builds and measures each and fails when a figure is over
//! its ceiling, saying which and by how much.

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    path::{Path, PathBuf},
    time::Duration,
};

use crate::footprint;

/// Where the budget files live, relative to the workspace root.
pub const DIR: &str = "firmware/budgets";

/// Every budget file, by name, with the manifest (resolved from the workspace root) it holds
/// to its ceilings.
pub fn files(root: &Path) -> Result<Vec<(PathBuf, PathBuf)>, String> {
    files_in(root, DIR)
}

/// Every budget file in `dir` (relative to the workspace root) with the manifest it names.
pub fn files_in(root: &Path, dir: &str) -> Result<Vec<(PathBuf, PathBuf)>, String> {
    let dir = root.join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let text =
                std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let table: toml::Table = text
                .parse()
                .map_err(|e| format!("{}: {e}", file.display()))?;
            match table.get("manifest") {
                Some(toml::Value::String(manifest)) => Ok((file, root.join(manifest))),
                _ => Err(format!("{}: no `manifest = \"…\"`", file.display())),
            }
        })
        .collect()
}

/// Every figure measured of one deploy image, by name (`flash.image`, `ram.P2.peak`, …).
#[derive(Debug, Default)]
pub struct Figures(BTreeMap<String, u64>);

impl Figures {
    /// Figures given by name.
    pub fn from_pairs<const N: usize>(pairs: [(&str, u64); N]) -> Self {
        Self(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    /// Figures given by name, as a list.
    pub fn from_vec(pairs: Vec<(String, u64)>) -> Self {
        Self(pairs.into_iter().collect())
    }

    fn set(&mut self, key: String, value: u64) {
        self.0.insert(key, value);
    }

    /// The figures as a table, one per line.
    pub fn table(&self) -> String {
        let mut out = String::new();
        for (key, value) in &self.0 {
            let _ = writeln!(out, "  {key:<40} {value:>10}");
        }
        out
    }
}

/// Measure `elf` (a deploy image): flash from the ELF, RAM and boot from a run under QEMU
/// with `-icount shift=0`.
pub fn measure(elf: &Path, modules: &Path) -> Result<Figures, String> {
    let mut figures = Figures::default();
    let (flash_total, _ram) = crate::firmware::totals(elf)?;
    figures.set("flash.image".into(), flash_total);
    for (component, bytes) in footprint::components(elf, modules, flash_total)? {
        figures.set(format!("flash.{component}"), bytes);
    }
    let run = fireball_tests::run_qemu(elf, Duration::from_secs(120), true)
        .map_err(|e| format!("cannot run qemu-system-arm: {e}"))?;
    if run.status != Some(0) {
        return Err(format!(
            "{} did not run to success under QEMU (status {:?}):\n{}",
            elf.display(),
            run.status,
            run.stdout
        ));
    }
    parse_run(&run.stdout, &mut figures)?;
    Ok(figures)
}

/// Read the deploy image's semihosting report: the boot line, the partition table and the
/// RAM-by-component table.
fn parse_run(stdout: &str, figures: &mut Figures) -> Result<(), String> {
    let number = |s: &str| s.trim_end_matches('B').trim().parse::<u64>().ok();
    let mut in_components = false;
    for line in stdout.lines() {
        if let Some(rest) = line.split(" booted in ").nth(1) {
            let instructions = rest.split_whitespace().next().and_then(number);
            if let Some(n) = instructions {
                figures.set("boot.instructions".into(), n);
            }
        }
        if let Some(rest) = line.split("main stack peak ").nth(1)
            && let Some(n) = rest.split_whitespace().next().and_then(number)
        {
            figures.set("ram.stack.peak".into(), n);
        }
        // `P2 WASM        0/305152 B   0% used, peak 288095 B, …`
        if line.len() > 3 && line.starts_with('P') && line.as_bytes()[1].is_ascii_digit() {
            let id = &line[..2];
            if let Some(peak) = line
                .split("peak ")
                .nth(1)
                .and_then(|s| s.split(' ').next())
                .and_then(number)
            {
                figures.set(format!("ram.{id}.peak"), peak);
            }
            if let Some(size) = line
                .split('/')
                .nth(1)
                .and_then(|s| s.split(' ').next())
                .and_then(number)
            {
                figures.set(format!("ram.{id}.size"), size);
            }
        }
        if line.contains("RAM by component") {
            in_components = true;
            continue;
        }
        if in_components {
            let cols: Vec<&str> = line.split_whitespace().collect();
            match cols.as_slice() {
                ["name", ..] => {}
                ["fixed", _, fixed] => {
                    figures.set("ram.fixed".into(), number(fixed).unwrap_or(0));
                }
                [name, _, module, instance, rest @ ..] => {
                    let (Some(module), Some(instance)) = (number(module), number(instance)) else {
                        in_components = false;
                        continue;
                    };
                    // A service's own heap peaks above its instantiation; a guest's P5 is
                    // shared, so its instantiation is what is its alone.
                    let own = rest.first().and_then(|p| number(p)).unwrap_or(instance);
                    figures.set(format!("ram.component.{name}"), module + own);
                }
                _ => in_components = false,
            }
        }
    }
    for needed in ["boot.instructions", "ram.fixed", "ram.P2.peak"] {
        if !figures.0.contains_key(needed) {
            return Err(format!(
                "the deploy image's report has no `{needed}`:\n{stdout}"
            ));
        }
    }
    Ok(())
}

/// Hold `figures` to the budgets in `file`: a table of each with its headroom, or the list
/// of those exceeded (and of budgets naming a figure that was not measured).
pub fn check(figures: &Figures, file: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let mut budgets = BTreeMap::new();
    flatten("", &table, &mut budgets);
    let mut out = format!(
        "{:<40} {:>10} {:>10} {:>8}\n",
        "budget", "measured", "ceiling", "headroom"
    );
    let mut over = Vec::new();
    for (key, ceiling) in &budgets {
        if key == "manifest" {
            continue;
        }
        let Some(&measured) = figures.0.get(key) else {
            over.push(format!("`{key}` has a budget but was not measured"));
            continue;
        };
        let headroom = if measured == 0 {
            0.0
        } else {
            *ceiling as f64 / measured as f64 - 1.0
        };
        let _ = writeln!(
            out,
            "{key:<40} {measured:>10} {ceiling:>10} {:>7.1}%",
            headroom * 100.0
        );
        if measured > *ceiling {
            over.push(format!(
                "{key} is {measured}, over its budget of {ceiling} by {} ({DIR}/{})",
                measured - ceiling,
                file.file_name().unwrap_or_default().to_string_lossy()
            ));
        }
    }
    if over.is_empty() {
        Ok(out)
    } else {
        Err(format!(
            "{out}\nfootprint budget exceeded:\n  {}",
            over.join("\n  ")
        ))
    }
}

/// `[flash] image = 1` → `flash.image = 1`; quoted keys keep their text.
fn flatten(prefix: &str, table: &toml::Table, out: &mut BTreeMap<String, u64>) {
    for (key, value) in table {
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => flatten(&name, inner, out),
            toml::Value::Integer(n) => {
                out.insert(name, u64::try_from(*n).unwrap_or(0));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: &str = "\
fireball: hub booted in 37351850 instructions (main to every component spawned; exact)
fireball: RAM by partition (bytes)
P1 COOS          2514/12288 B  20% used, peak 8647 B, 20005 allocs, 19952 frees
P2 WASM             0/307200 B   0% used, peak 288095 B, 1230 allocs, 1230 frees
  svc 1             0/36864 B   0% used, peak 29648 B, 3710 allocs
fireball: RAM by component (bytes, measured)
  name           where    module  instance     peak
  fixed          P1-P3     17657
  filter         P4/1      95443     24192    29648
  aggregator     P5/1      62637     18100
fireball: 0 allocation(s) covered by the reserve
fireball: main stack peak 5120 of 30000 bytes
";

    #[test]
    fn the_run_report_gives_boot_partitions_and_components() {
        let mut figures = Figures::default();
        parse_run(RUN, &mut figures).unwrap();
        let get = |k: &str| figures.0.get(k).copied();
        assert_eq!(get("boot.instructions"), Some(37_351_850));
        assert_eq!(get("ram.P1.peak"), Some(8647));
        assert_eq!(get("ram.P2.size"), Some(307_200));
        assert_eq!(get("ram.fixed"), Some(17657));
        assert_eq!(get("ram.stack.peak"), Some(5120));
        assert_eq!(get("ram.component.filter"), Some(95443 + 29648));
        assert_eq!(get("ram.component.aggregator"), Some(62637 + 18100));
        assert_eq!(figures.0.len(), 9);
    }

    #[test]
    fn a_figure_over_its_budget_fails_with_the_figure() {
        let dir = std::env::temp_dir().join(format!("fireball-budget-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("budgets.toml");
        std::fs::write(
            &file,
            "[boot]\ninstructions = 40000000\n[ram]\nfixed = 17000\n",
        )
        .unwrap();
        let mut figures = Figures::default();
        parse_run(RUN, &mut figures).unwrap();
        let err = check(&figures, &file).unwrap_err();
        assert!(
            err.contains(
                "ram.fixed is 17657, over its budget of 17000 by 657 (firmware/budgets/budgets.toml)"
            ),
            "{err}"
        );
        assert!(!err.contains("boot.instructions is"), "{err}");
        std::fs::write(&file, "[ram]\nfixed = 18000\nmissing = 1\n").unwrap();
        let err = check(&figures, &file).unwrap_err();
        assert!(
            err.contains("`ram.missing` has a budget but was not measured"),
            "{err}"
        );
        std::fs::write(&file, "[ram]\nfixed = 18000\n").unwrap();
        assert!(check(&figures, &file).unwrap().contains("ram.fixed"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
