//! `cargo xtask new-project`: what a user does with the `fireball` tool, outside this
//! repository. In a temporary directory: `fireball new service alarm` and `fireball new
//! guest watcher`, nothing edited; `cargo test` in each (the stub tests and the traffic
//! snapshot pass); the service's reply changed, its snapshot test fails with a diff;
//! `fireball build` and `fireball run fireball.toml` in each, exit status 0; the service's
//! deployment again on the Cortex-M33 under QEMU (`fireball run fireball.toml --board qemu`).
//!
//! The two projects share one cargo target directory (as a user's projects may), so the
//! SDK and the simulator are compiled once for both.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use crate::{describe, host_cargo, host_cargo_cmd, run};

/// Run the check; the scratch directory is removed when it passes and kept (and named)
/// when it fails.
pub fn run_check(root: &Path) -> Result<(), String> {
    // A stable path: the projects' crates keep their package ids from run to run, so the
    // shared target directory reuses what it built (one check runs at a time per machine).
    let scratch = std::env::temp_dir().join("fireball-new-project");
    let _ = fs::remove_dir_all(&scratch);
    fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let fireball = scratch.join("fireball");
    install_tool(root, &fireball)?;
    match check(&fireball, &scratch, &user_projects_target(root)) {
        Ok(()) => {
            let _ = fs::remove_dir_all(&scratch);
            eprintln!(
                "xtask: new projects made, tested, built and run outside the repository \
                 (a service and a guest)"
            );
            Ok(())
        }
        Err(e) => Err(format!(
            "{e}\n(the projects are kept in {})",
            scratch.display()
        )),
    }
}

/// Build the `fireball` tool and copy it to `to`, as a user's installed copy: what runs is
/// this build, whatever is built in the target directory meanwhile.
pub fn install_tool(root: &Path, to: &Path) -> Result<(), String> {
    run(&mut host_cargo_cmd(root, &["build", "-p", "fireball"]))?;
    let built = root.join("target/debug/fireball");
    fs::copy(&built, to)
        .map(drop)
        .map_err(|e| format!("{} -> {}: {e}", built.display(), to.display()))
}

/// The target directory the new projects and the guides' project build in, shared: their
/// SDK crates and dependencies are the same, so the second flow compiles only its own
/// crates (about three minutes less of `cargo xtask test`, docs/perf.md "Test binaries and
/// CI time"). Under the repository's `target/`, so it is kept between runs too.
pub fn user_projects_target(root: &Path) -> PathBuf {
    root.join("target/user-projects")
}

fn check(fireball: &Path, scratch: &Path, target: &Path) -> Result<(), String> {
    let target = target.to_path_buf();
    let tool = |dir: &Path, args: &[&str]| {
        let mut cmd = Command::new(fireball);
        cmd.current_dir(dir)
            .args(args)
            .env("CARGO_TARGET_DIR", &target);
        cmd
    };
    run(&mut tool(scratch, &["new", "service", "alarm"]))?;
    run(&mut tool(scratch, &["new", "guest", "watcher"]))?;
    let alarm = scratch.join("alarm");
    let watcher = scratch.join("watcher");
    for project in [&alarm, &watcher] {
        run(&mut cargo(project, &target, &["test"]))?;
    }
    snapshot_catches_a_changed_reply(&alarm, &target)?;
    for project in [&alarm, &watcher] {
        run(&mut tool(project, &["build"]))?;
        for module in ["modules", "modules-debug"] {
            let dir = project.join("target/fireball").join(module);
            if fs::read_dir(&dir).map_or(0, Iterator::count) == 0 {
                return Err(format!("fireball build left nothing in {}", dir.display()));
            }
        }
        let mut deployment = tool(project, &["run", "fireball.toml", "--quiet"]);
        let out = deployment
            .output()
            .map_err(|e| format!("cannot start {}: {e}", describe(&deployment)))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() || !stdout.contains("finished") {
            return Err(format!(
                "`{}` in {} exited with {}:\n{stdout}{}",
                describe(&deployment),
                project.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    // The service's deployment on the Cortex-M33 under QEMU, from the project: the image is
    // built from this checkout's firmware with the project's modules.
    let mut board = tool(
        &alarm,
        &["run", "fireball.toml", "--board", "qemu", "--quiet"],
    );
    let out = board
        .output()
        .map_err(|e| format!("cannot start {}: {e}", describe(&board)))?;
    let uart = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || !uart.contains("[fireball] alarm-client finished") {
        return Err(format!(
            "`{}` in {} exited with {}:\n{uart}{}",
            describe(&board),
            alarm.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    eprintln!("xtask: the new service's deployment ran on the Cortex-M33 under QEMU");
    Ok(())
}

/// Change what the service answers (each amount counts twice): the stub test and the
/// traffic snapshot must fail, the snapshot with insta's diff of the replies. Then put it
/// back.
fn snapshot_catches_a_changed_reply(project: &Path, target: &Path) -> Result<(), String> {
    let lib = project.join("service/src/lib.rs");
    let original = fs::read_to_string(&lib).map_err(|e| format!("{}: {e}", lib.display()))?;
    let from = "total.count.saturating_add(1)";
    if !original.contains(from) {
        return Err(format!("{} no longer counts with `{from}`", lib.display()));
    }
    let changed = original.replace(from, "total.count.saturating_add(2)");
    fs::write(&lib, changed).map_err(|e| format!("{}: {e}", lib.display()))?;
    let mut test = cargo(project, target, &["test", "--test", "deployment"]);
    test.env("INSTA_UPDATE", "no");
    let out = test.output();
    fs::write(&lib, &original).map_err(|e| format!("{}: {e}", lib.display()))?;
    let out = out.map_err(|e| format!("cannot start {}: {e}", describe(&test)))?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let diff = ["-old snapshot", "+new results", "count: 1u", "count: 2u"];
    if out.status.success() || !diff.iter().all(|line| text.contains(line)) {
        return Err(format!(
            "a changed reply should fail the snapshot test with a diff; `{}` gave {}:\n{text}",
            describe(&test),
            out.status
        ));
    }
    eprintln!("xtask: a changed reply fails the new service's snapshot test with a diff");
    Ok(())
}

/// `cargo <args>` in the project `dir`, building in `target`.
fn cargo(dir: &Path, target: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(host_cargo());
    cmd.current_dir(dir)
        .args(args)
        .env("CARGO_TARGET_DIR", target);
    cmd
}
