//! `fireball`'s command line as a user meets it: `--version`, `--help` with the exit
//! statuses, and usage errors (status 2) for command lines that cannot mean anything.

use std::process::{Command, Output};

fn fireball(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fireball"))
        .args(args)
        .output()
        .expect("the fireball binary runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn version_and_help_exit_zero() {
    let version = fireball(&["--version"]);
    assert_eq!(version.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("fireball "));
    for args in [&["--help"][..], &["run", "--help"], &["inspect", "--help"]] {
        let help = fireball(args);
        assert_eq!(help.status.code(), Some(0), "{args:?}");
        let text = String::from_utf8_lossy(&help.stdout);
        assert!(text.contains("Exit status:"), "{args:?}: {text}");
    }
}

#[test]
fn meaningless_command_lines_are_usage_errors() {
    let cases: &[&[&str]] = &[
        &[],
        &["bogus"],
        &["run"],
        &["run", "a.toml", "b.toml"],
        &["run", "a.toml", "b.wasm"],
        &["run", "guest.wasm", "--quiet"],
        &["run", "a.toml", "--gdb", "127.0.0.1:1"],
        &["run", "a.toml", "--debug", "aggregator"],
        &[
            "run",
            "a.toml",
            "--control",
            "udp:127.0.0.1:1",
            "--gdb",
            "127.0.0.1:2",
            "--debug",
            "x",
        ],
        &["run", "a.toml", "--for", "soon"],
        &["run", "a.toml", "--timeline", "out.txt"],
        &["run", "a.toml", "--board", "nrf5340dk"],
        &["run", "a.toml", "--board", "esp32"],
        &["run", "a.toml", "--board", "qemu", "--trace", "t.txt"],
        &["deploy", "a.toml", "--board", "esp32"],
        &["deploy", "a.toml"],
        &["run", "guest.wasm", "--timeline", "out.json"],
        &["inspect"],
    ];
    for args in cases {
        let out = fireball(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let text = stderr(&out);
        assert!(
            text.starts_with("error: ") || text.contains("Usage: fireball"),
            "{args:?}: {text}"
        );
    }
}

#[test]
fn a_file_that_cannot_be_read_fails_with_status_one() {
    let out = fireball(&["inspect", "/nonexistent/module.wasm"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot read /nonexistent/module.wasm"));
    let out = fireball(&["run", "/nonexistent/fireball.toml", "--quiet"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("/nonexistent/fireball.toml"));
}

#[test]
fn plan_proposes_sizes_that_hold_what_the_run_used() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let modules = std::env::var_os("FIREBALL_MODULES_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target/fireball/modules"));
    let manifest = root.join("examples/sensor-hub/fireball.toml");
    let out = fireball(&[
        "plan",
        manifest.to_str().unwrap(),
        "--modules",
        modules.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("fits deployment.ram (524288 B)"), "{text}");
    // Every row: the proposal holds the host's peak.
    let mut rows = 0;
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if let [name, now, peak, proposed] = fields.as_slice()
            && let (Ok(_), Ok(peak), Ok(proposed)) = (
                now.parse::<u64>(),
                peak.parse::<u64>(),
                proposed.parse::<u64>(),
            )
        {
            assert!(proposed >= peak, "{name}: {line}");
            rows += 1;
        }
    }
    // Six partitions and three quotas.
    assert_eq!(rows, 9, "{text}");
    for quota in ["filter", "mesh", "stats"] {
        assert!(
            text.contains(&format!("name = \"{quota}\": quota = ")),
            "{text}"
        );
    }
}

/// The sensor hub's manifest with `sizes` (`key = value` of `[partitions]`) and `quotas`
/// (`(service, quota)`), in a scratch directory beside its modules.
fn resized(sizes: &[(String, u64)], quotas: &[(String, u64)]) -> tempfile::TempDir {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(root.join("examples/sensor-hub/fireball.toml")).unwrap();
    let mut out = String::new();
    let mut service = None;
    for line in text.lines() {
        let key = line.split('=').next().unwrap_or("").trim();
        if let Some(name) = line
            .strip_prefix("name = \"")
            .and_then(|n| n.strip_suffix('"'))
        {
            service = Some(name.to_string());
        }
        let size = sizes.iter().find(|(k, _)| k == key);
        let quota = quotas
            .iter()
            .find(|(s, _)| key == "quota" && service.as_deref() == Some(s));
        match (size, quota) {
            (Some((k, v)), _) => out += &format!("{k} = {v}\n"),
            (_, Some((_, v))) => out += &format!("quota = {v}\n"),
            _ => out += &format!("{line}\n"),
        }
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fireball.toml"), out).unwrap();
    dir
}

#[test]
fn plan_proposals_run_on_the_host() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let modules = std::env::var_os("FIREBALL_MODULES_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target/fireball/modules"));
    let manifest = root.join("examples/sensor-hub/fireball.toml");
    let modules = modules.to_str().unwrap();
    let out = fireball(&["plan", manifest.to_str().unwrap(), "--modules", modules]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // The proposal as pasted into the manifest, run on the host: it boots and finishes.
    let blocks: Vec<&str> = text.split("\n[partitions]\n").skip(1).collect();
    assert_eq!(blocks.len(), 1, "{text}");
    for block in blocks {
        let mut sizes = Vec::new();
        let mut quotas = Vec::new();
        for line in block.lines() {
            if let Some((k, v)) = line.split_once(" = ")
                && let Ok(v) = v.trim().parse::<u64>()
            {
                sizes.push((k.trim().to_string(), v));
            } else if let Some(rest) = line.strip_prefix("# [[service]] name = \"")
                && let Some((name, quota)) = rest.split_once("\": quota = ")
            {
                quotas.push((name.to_string(), quota.trim().parse().unwrap()));
            } else if line.is_empty() && !sizes.is_empty() {
                break;
            }
        }
        assert_eq!((sizes.len(), quotas.len()), (6, 3), "{block}");
        let dir = resized(&sizes, &quotas);
        let manifest = dir.path().join("fireball.toml");
        let run = fireball(&[
            "run",
            manifest.to_str().unwrap(),
            "--modules",
            modules,
            "--quiet",
        ]);
        assert_eq!(
            run.status.code(),
            Some(0),
            "{sizes:?} {quotas:?}\n{}{}",
            String::from_utf8_lossy(&run.stdout),
            stderr(&run)
        );
    }
}

/// More services than four on the host's partitioned heap: the ten counters of the board
/// manifest each get their P4 quota, as on the board (the host's quota table had four slots
/// while a build-time constant sized it).
#[test]
fn every_service_of_a_manifest_gets_its_quota_on_the_hosts_heap() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let modules = std::env::var_os("FIREBALL_MODULES_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target/fireball/modules"));
    let manifest = root.join("examples/counter/board.toml");
    let out = fireball(&[
        "run",
        manifest.to_str().unwrap(),
        "--modules",
        modules.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}{text}", stderr(&out));
    let (_, table) = text
        .split_once("partitions (bytes, measured on the partitioned heap)")
        .unwrap_or_else(|| panic!("no partition table in:\n{text}"));
    for n in 1..=10 {
        let row = format!("counter{n} (P4/{n})");
        assert!(table.contains(&row), "no quota row {row:?} in:\n{table}");
    }
}
