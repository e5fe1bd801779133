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
    // Every row: the board's proposal holds the host's peak, the host's holds half of it.
    let mut rows = 0;
    let mut scale = 0;
    for line in text.lines() {
        if line.starts_with("for a board") {
            scale = 1;
        } else if line.starts_with("for the host") {
            scale = 2;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        if let [name, now, peak, proposed] = fields.as_slice()
            && let (Ok(_), Ok(peak), Ok(proposed)) = (
                now.parse::<u64>(),
                peak.parse::<u64>(),
                proposed.parse::<u64>(),
            )
        {
            assert!(proposed * scale >= peak, "{name}: {line}");
            rows += 1;
        }
    }
    // Six partitions and three quotas, for the board and for the host.
    assert_eq!(rows, 18, "{text}");
    for quota in ["filter", "mesh", "stats"] {
        assert!(
            text.contains(&format!("name = \"{quota}\": quota = ")),
            "{text}"
        );
    }
}
