//! `cargo xtask guides`: the user guides run as written. `docs/writing-a-service.md` and
//! `docs/writing-a-guest.md` build one project (`alarm` and the `watcher` guest that calls
//! it) out of `fireball new service alarm`; here that project is made in a scratch
//! directory outside the repository from the guides' own code blocks, and the commands they
//! show are run with their output checked, so the guides cannot drift from the SDK and the
//! tool.
//!
//! A guide marks what is executable with an HTML comment before a block (invisible when
//! rendered):
//!
//! | marker | what it does |
//! | --- | --- |
//! | `<!-- guide: file PATH -->` | the next block is the whole of `PATH` in the project |
//! | `<!-- guide: append PATH -->` | the next block continues `PATH` |
//! | `<!-- guide: run COMMAND -->` | runs `COMMAND` (an edit the prose describes); it must succeed |
//! | `<!-- guide: script -->` | runs the next block as a shell script; it must succeed |
//! | `<!-- guide: transcript -->` | the next block is a terminal session: each `$ command` runs, and every line shown after it must be a line of its output (lines with `…` elide; whitespace and `finished in …` times are not compared); each command must succeed |
//! | `<!-- guide: transcript fails -->` | the same, and each command must fail |
//! | `<!-- guide: lines-in FILE -->` | every line of the next block is a line of `FILE` |
//!
//! `guide late:` instead of `guide:` defers a step until both guides' other steps have run:
//! the service guide's build, run and snapshot steps need the guest the other guide writes.
//! The order: the service guide, the guest guide, then the late steps of each.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use crate::run;

/// The guides, in the order they are followed.
const GUIDES: [&str; 2] = ["docs/writing-a-service.md", "docs/writing-a-guest.md"];

/// One executable step of a guide.
#[derive(Debug)]
struct Step {
    guide: &'static str,
    line: usize,
    late: bool,
    action: Action,
}

#[derive(Debug)]
enum Action {
    File(String, String),
    Append(String, String),
    Run(String),
    Script(String),
    Transcript { block: String, fails: bool },
    LinesIn(String, String),
}

/// The steps of `text` (the guide `guide`), in order.
fn steps(guide: &'static str, text: &str) -> Result<Vec<Step>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        i += 1;
        let Some(marker) = line
            .strip_prefix("<!-- guide")
            .and_then(|m| m.strip_suffix("-->"))
        else {
            continue;
        };
        let (late, marker) = match marker.strip_prefix(" late:") {
            Some(rest) => (true, rest.trim()),
            None => (
                false,
                marker
                    .strip_prefix(':')
                    .ok_or_else(|| format!("{guide}:{i}: `{line}` is not a guide marker"))?
                    .trim(),
            ),
        };
        let at = i;
        let mut block = || -> Result<String, String> {
            let open = lines
                .get(i)
                .filter(|l| l.starts_with("```"))
                .ok_or_else(|| format!("{guide}:{at}: `{marker}` wants a code block next"))?;
            let _ = open;
            let end = lines[i + 1..]
                .iter()
                .position(|l| l.starts_with("```"))
                .ok_or_else(|| format!("{guide}:{at}: the block after `{marker}` never ends"))?;
            let body = lines[i + 1..i + 1 + end].join("\n") + "\n";
            i += end + 2;
            Ok(body)
        };
        let (word, rest) = marker.split_once(' ').unwrap_or((marker, ""));
        let action = match word {
            "file" => Action::File(rest.to_string(), block()?),
            "append" => Action::Append(rest.to_string(), block()?),
            "run" => Action::Run(rest.to_string()),
            "script" => Action::Script(block()?),
            "transcript" => Action::Transcript {
                block: block()?,
                fails: rest == "fails",
            },
            "lines-in" => Action::LinesIn(rest.to_string(), block()?),
            other => return Err(format!("{guide}:{at}: unknown guide step `{other}`")),
        };
        steps.push(Step {
            guide,
            line: at,
            late,
            action,
        });
    }
    Ok(steps)
}

/// A line as compared: whitespace collapsed, a test run's duration dropped.
fn normal(line: &str) -> String {
    let line = match line.find("; finished in ") {
        Some(at) => &line[..at],
        None => line,
    };
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every line of `expected` not eliding (`…`) is a line of `actual`; the missing ones.
fn missing(expected: &str, actual: &str) -> Vec<String> {
    let have: Vec<String> = actual.lines().map(normal).collect();
    expected
        .lines()
        .filter(|l| !l.contains('…') && !l.trim().is_empty())
        .filter(|l| !have.contains(&normal(l)))
        .map(str::to_string)
        .collect()
}

/// Where the steps run.
struct Project {
    dir: PathBuf,
    path: std::ffi::OsString,
    target: PathBuf,
}

impl Project {
    fn sh(&self, script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(script)
            .current_dir(&self.dir)
            .env("PATH", &self.path)
            .env("CARGO_TARGET_DIR", &self.target);
        cmd
    }

    /// Take `step`; a command that fails (or succeeds when it should fail) is an error, and
    /// output that differs from the guide's is returned, so that one run lists every
    /// difference.
    fn step(&self, step: &Step) -> Result<Vec<String>, String> {
        let at = format!("{}:{}", step.guide, step.line);
        match &step.action {
            Action::File(path, body) => write(&self.dir.join(path), body, false).map(|()| vec![]),
            Action::Append(path, body) => write(&self.dir.join(path), body, true).map(|()| vec![]),
            Action::Run(command) | Action::Script(command) => run(&mut self.sh(command))
                .map(|()| vec![])
                .map_err(|e| format!("{at}: {e}")),
            Action::LinesIn(file, block) => {
                let text = fs::read_to_string(self.dir.join(file))
                    .map_err(|e| format!("{at}: {file}: {e}"))?;
                let gone = missing(block, &text);
                Ok(if gone.is_empty() {
                    vec![]
                } else {
                    vec![format!("{at}: not in {file}:\n{}", gone.join("\n"))]
                })
            }
            Action::Transcript { block, fails } => {
                let mut commands: Vec<(String, String)> = Vec::new();
                for line in block.lines() {
                    match line.strip_prefix("$ ") {
                        Some(command) => commands.push((command.to_string(), String::new())),
                        None => match commands.last_mut() {
                            Some((_, expected)) => {
                                expected.push_str(line);
                                expected.push('\n');
                            }
                            None => return Err(format!("{at}: a transcript starts with `$ `")),
                        },
                    }
                }
                let mut differences = Vec::new();
                for (command, expected) in commands {
                    eprintln!("xtask: {at}: $ {command}");
                    let out = self
                        .sh(&command)
                        .output()
                        .map_err(|e| format!("{at}: cannot run `{command}`: {e}"))?;
                    let text = String::from_utf8_lossy(&out.stdout).into_owned()
                        + &String::from_utf8_lossy(&out.stderr);
                    if out.status.success() == *fails {
                        return Err(format!(
                            "{at}: `{command}` {} ({}):\n{text}",
                            if *fails { "should fail" } else { "failed" },
                            out.status
                        ));
                    }
                    let gone = missing(&expected, &text);
                    if !gone.is_empty() {
                        differences.push(format!(
                            "{at}: `{command}` did not print, as the guide shows:\n{}\n\n\
                             it printed:\n{text}",
                            gone.join("\n")
                        ));
                    }
                }
                Ok(differences)
            }
        }
    }
}

fn write(path: &Path, body: &str, append: bool) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let mut text = if append {
        fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))? + "\n"
    } else {
        String::new()
    };
    text.push_str(body);
    fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Follow the guides in a scratch directory; it is removed when they pass and kept (and
/// named) when they do not.
pub fn run_check(root: &Path) -> Result<(), String> {
    let mut all = Vec::new();
    for guide in GUIDES {
        let text = fs::read_to_string(root.join(guide)).map_err(|e| format!("{guide}: {e}"))?;
        all.extend(steps(guide, &text)?);
    }
    if all.is_empty() {
        return Err("the guides mark no steps".into());
    }
    // A stable path, as the new-project check's (`new_project::run_check`).
    let scratch = std::env::temp_dir().join("fireball-guides");
    let _ = fs::remove_dir_all(&scratch);
    let bin = scratch.join("bin");
    fs::create_dir_all(&bin).map_err(|e| format!("{}: {e}", bin.display()))?;
    crate::new_project::install_tool(root, &bin.join("fireball"))?;
    let path = std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .map_err(|e| e.to_string())?;
    let project = Project {
        dir: scratch.join("alarm"),
        path,
        target: crate::new_project::user_projects_target(root),
    };
    let mut new = project.sh("fireball new service alarm");
    new.current_dir(&scratch);
    let outcome = run(&mut new).and_then(|()| {
        let mut differences = Vec::new();
        for late in [false, true] {
            for step in all.iter().filter(|s| s.late == late) {
                differences.extend(project.step(step)?);
            }
        }
        if differences.is_empty() {
            Ok(())
        } else {
            Err(differences.join("\n\n"))
        }
    });
    match outcome {
        Ok(()) => {
            let _ = fs::remove_dir_all(&scratch);
            eprintln!(
                "xtask: the guides ran as written: {} steps of {}",
                all.len(),
                GUIDES.join(" and ")
            );
            Ok(())
        }
        Err(e) => Err(format!(
            "{e}\n(the project is kept in {})",
            scratch.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_take_the_block_after_them() {
        let text = "x\n<!-- guide: file a/b.rs -->\n```rust\nfn a() {}\n```\n\
                    <!-- guide late: transcript fails -->\n```text\n$ cargo test\nFAILED\n```\n\
                    <!-- guide: run mv a b -->\n";
        let found = steps("g", text).unwrap();
        assert_eq!(found.len(), 3);
        assert!(
            matches!(&found[0].action, Action::File(p, b) if p == "a/b.rs" && b == "fn a() {}\n")
        );
        assert!(found[1].late);
        assert!(matches!(
            &found[1].action,
            Action::Transcript { fails: true, .. }
        ));
        assert!(matches!(&found[2].action, Action::Run(c) if c == "mv a b"));
        assert!(steps("g", "<!-- guide: file x -->\nno block\n").is_err());
        assert!(steps("g", "<!-- guide: frobnicate -->\n").is_err());
    }

    #[test]
    fn output_is_compared_line_by_line_without_spacing_or_times() {
        let actual = "a   b\ntest result: ok. 2 passed; finished in 0.31s\nc\n";
        assert!(
            missing(
                "a b\n…\ntest result: ok. 2 passed; finished in 0.00s\n",
                actual
            )
            .is_empty()
        );
        assert_eq!(missing("a b\nd\n", actual), ["d"]);
    }
}
