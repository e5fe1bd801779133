//! A user's own project: `fireball new` makes one from the templates in `runner/templates/`,
//! `fireball build` builds its modules (with [`fireball_tooling`], as `cargo xtask wasm`
//! builds this repository's).
//!
//! A new project is a cargo workspace of its own, outside this repository, depending on the
//! SDK by path (this repository, where the tool was built from, by default) or by git. Its
//! deployment's traffic snapshot is recorded when it is made, by building its modules and
//! running its `fireball.toml` on the host simulator once: `cargo test` passes in a project
//! nobody has touched, and fails with a diff once its traffic changes.

use std::{
    fs,
    path::{Path, PathBuf},
};

use fireball_tooling::{
    modules::{self, Build},
    toolchain::Cross,
};

/// What `fireball new` makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A service (`services-sdk`), its messages crate and a guest that calls it.
    Service,
    /// A guest (`guests-sdk`).
    Guest,
}

/// Where a project takes the SDK from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sdk {
    /// A checkout of this repository.
    Path(PathBuf),
    /// This repository by git, at `rev` (a commit, tag or branch) or its default branch.
    Git {
        /// The repository's URL.
        url: String,
        /// What to check out.
        rev: Option<String>,
    },
}

impl Sdk {
    /// The repository this tool was built from: the default SDK.
    pub fn this_checkout() -> Result<Self, String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        if root.join("services-sdk/Cargo.toml").is_file() {
            Ok(Self::Path(root))
        } else {
            Err(format!(
                "the Fireball checkout this tool was built from ({}) is gone: give --sdk-path \
                 DIR (a checkout) or --sdk-git URL",
                root.display()
            ))
        }
    }

    /// Where the SDK's crate in directory `dir` comes from, as a dependency's TOML keys: its
    /// path in a checkout, or the SDK's git source (cargo finds the crate in the repository).
    fn source(&self, dir: &str) -> String {
        match self {
            Self::Path(root) => {
                format!("path = {}", toml_string(&root.join(dir).to_string_lossy()))
            }
            Self::Git { url, rev: None } => format!("git = {}", toml_string(url)),
            Self::Git {
                url,
                rev: Some(rev),
            } => format!("git = {}, rev = {}", toml_string(url), toml_string(rev)),
        }
    }

    /// The `[patch.crates-io]` lines that build the SDK's dependencies as the SDK does: its
    /// patched `wasmi_collections` (`third_party/`).
    fn patches(&self) -> String {
        let source = self.source("third_party/wasmi_collections");
        format!("wasmi_collections = {{ {source} }}")
    }

    /// The `[workspace.dependencies]` lines for the SDK's crates.
    fn dependencies(&self) -> String {
        const CRATES: [(&str, &str); 4] = [
            ("fireball-services-sdk", "services-sdk"),
            ("fireball-guests-sdk", "guests-sdk"),
            ("fireball-record", "record"),
            ("fireball", "runner"),
        ];
        let mut lines = String::new();
        for (name, dir) in CRATES {
            lines.push_str(&format!("{name} = {{ {} }}\n", self.source(dir)));
        }
        lines.trim_end().to_string()
    }
}

/// A TOML basic string holding `text`.
fn toml_string(text: &str) -> String {
    let mut quoted = String::from('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// The longest project name: `<name>-client` must still be a component name (32 bytes).
pub const MAX_NAME: usize = 25;

/// Whether `name` can name a project: a crate, a component and a URI segment at once
/// (`a-z`, `0-9` and `-`, starting with a letter, at most [`MAX_NAME`] bytes).
pub fn check_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= MAX_NAME
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{name}` cannot name a project: use 1 to {MAX_NAME} of a-z, 0-9 and -, starting \
             with a letter (it names the crate, the component and its routes)"
        ))
    }
}

/// One template file: its path in the project and its text, both with placeholders.
struct Template {
    path: &'static str,
    text: &'static str,
}

macro_rules! templates {
    ($kind:literal: $($path:literal),+ $(,)?) => {
        &[$(Template {
            path: $path,
            text: include_str!(concat!("../templates/", $kind, "/", $path)),
        }),+]
    };
}

const SERVICE: &[Template] = templates!("service":
    "Cargo.toml",
    "README.md",
    "gitignore",
    "fireball.toml",
    "messages/Cargo.toml",
    "messages/src/lib.rs",
    "service/Cargo.toml",
    "service/src/lib.rs",
    "service/tests/deployment.rs",
    "client/Cargo.toml",
    "client/src/lib.rs",
);

const GUEST: &[Template] = templates!("guest":
    "Cargo.toml",
    "README.md",
    "gitignore",
    "fireball.toml",
    "src/lib.rs",
    "tests/deployment.rs",
);

/// `name` with its placeholders filled in: `{{name}}`, `{{crate}}` (the name as a Rust
/// identifier), `{{Type}}` (in CamelCase), `{{sdk}}` (the SDK's dependency lines) and
/// `{{patch}}` (its `[patch.crates-io]` lines).
fn render(text: &str, name: &str, sdk: &Sdk) -> String {
    let camel: String = name
        .split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect();
    text.replace("{{sdk}}", &sdk.dependencies())
        .replace("{{patch}}", &sdk.patches())
        .replace("{{name}}", name)
        .replace("{{crate}}", &name.replace('-', "_"))
        .replace("{{Type}}", &camel)
}

/// Where the traffic snapshot of a project of `kind` lives, and the test file it belongs to
/// (insta's names: `<test file>__<snapshot>.snap`).
fn snapshot_paths(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Service => (
            "service/tests/snapshots/deployment__traffic.snap",
            "service/tests/deployment.rs",
        ),
        Kind::Guest => (
            "tests/snapshots/deployment__traffic.snap",
            "tests/deployment.rs",
        ),
    }
}

/// Make a `kind` project called `name` in `parent/name` taking the SDK from `sdk`; returns
/// its directory. Refuses a directory that exists and is not empty.
pub fn create(kind: Kind, name: &str, parent: &Path, sdk: &Sdk) -> Result<PathBuf, String> {
    check_name(name)?;
    let dir = parent.join(name);
    if fs::read_dir(&dir).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(format!("{} exists and is not empty", dir.display()));
    }
    let templates = match kind {
        Kind::Service => SERVICE,
        Kind::Guest => GUEST,
    };
    for template in templates {
        let relative = match template.path {
            "gitignore" => ".gitignore",
            path => path,
        };
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        fs::write(&path, render(template.text, name, sdk))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    // The versions this SDK was tested with: its lock file, which cargo trims to what the
    // project uses.
    if let Sdk::Path(root) = sdk {
        let lock = root.join("Cargo.lock");
        if lock.is_file() {
            fs::copy(&lock, dir.join("Cargo.lock"))
                .map_err(|e| format!("{}: {e}", lock.display()))?;
        }
    }
    Ok(dir)
}

/// Build the project's modules, run its deployment once on the host simulator and keep its
/// traffic as the project's accepted snapshot.
pub fn record_snapshot(kind: Kind, dir: &Path) -> Result<(), String> {
    let run = crate::testing::run_project(&dir.join("fireball.toml"))?;
    if !run.all_guests_finished() {
        return Err(format!(
            "the new project's deployment did not finish:\n{}\n{}",
            run.output, run.report
        ));
    }
    let (snapshot, source) = snapshot_paths(kind);
    let path = dir.join(snapshot);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let text = format!(
        "---\nsource: {source}\nexpression: run.traffic()\n---\n{}",
        run.traffic()
    );
    fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// `fireball build`: the modules of the cargo workspace `dir` is in, the way boards load
/// them (`target/fireball/modules`), and unless `release_only` their debug builds with
/// DWARF (`target/fireball/modules-debug`, for `fireball run --gdb`). Sets up the cross
/// toolchain first (installing it as root, as `cargo xtask setup` does).
///
/// `only` names the modules to build (package names); all of them when it is empty.
pub fn build(dir: &Path, release_only: bool, only: &[String]) -> Result<Vec<PathBuf>, String> {
    let root = modules::workspace_root(dir)?;
    let cross = Cross::setup_wasm(true)?;
    let mut dirs = vec![modules::build_packages(
        &cross,
        &root,
        Build::Release,
        only,
    )?];
    if !release_only {
        dirs.push(modules::build_packages(&cross, &root, Build::Debug, only)?);
    }
    Ok(dirs)
}

/// The `deploy` image of `manifest` for `board` (`fireball run|deploy --board`): its modules
/// from `modules`, or else those of the cargo project the manifest is in, built (as `fireball
/// build --release` does); the image built from the Fireball checkout this tool comes from,
/// in that checkout's target directory (where every project's firmware builds share the
/// compiled SDK), as `cargo xtask deploy` builds it. The ELF goes to the project's
/// `target/fireball/`.
pub fn build_image(
    manifest: &Path,
    modules: Option<PathBuf>,
    board: crate::image::Board,
) -> Result<PathBuf, String> {
    let Sdk::Path(sdk) = Sdk::this_checkout()? else {
        return Err("a board image is built from a Fireball checkout".into());
    };
    let cross = Cross::setup(true)?;
    let dir = manifest
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let project = modules::workspace_root(dir).ok();
    let modules = match (modules, &project) {
        (Some(dir), _) => dir,
        (None, Some(root)) => modules::build(&cross, root, Build::Release)?,
        (None, None) => {
            return Err(format!(
                "{} is not in a cargo project: give --modules DIR",
                manifest.display()
            ));
        }
    };
    let out_dir = project
        .unwrap_or_else(|| dir.to_path_buf())
        .join("target/fireball");
    let place = crate::image::Place {
        target_dir: sdk.join("target"),
        debug_modules: modules.with_file_name("modules-debug"),
        sdk,
        out_dir,
        modules,
    };
    crate::image::build(&cross, &place, manifest, &board.deploy_image(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_serve_as_crate_component_and_segment() {
        for good in [
            "alarm",
            "watcher",
            "a",
            "temp-sensor2",
            "abcdefghijklmnopqrstuvwxy",
        ] {
            assert_eq!(check_name(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "Alarm",
            "2alarm",
            "-alarm",
            "alarm-",
            "al_arm",
            "al arm",
            "alarm/x",
            "abcdefghijklmnopqrstuvwxyz",
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn placeholders_are_filled_in() {
        let sdk = Sdk::Path(PathBuf::from("/opt/fire\"ball"));
        let text = render(
            "{{name}} {{crate}} {{Type}}\n{{sdk}}\n{{patch}}",
            "temp-sensor",
            &sdk,
        );
        assert!(
            text.starts_with("temp-sensor temp_sensor TempSensor\n"),
            "{text}"
        );
        assert!(
            text.contains(r#"fireball-services-sdk = { path = "/opt/fire\"ball/services-sdk" }"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"wasmi_collections = { path = "/opt/fire\"ball/third_party/wasmi_collections" }"#
            ),
            "{text}"
        );
        let git = Sdk::Git {
            url: "https://example.org/fireball.git".into(),
            rev: Some("v1".into()),
        };
        assert!(
            render("{{sdk}}", "x", &git)
                .contains(r#"fireball = { git = "https://example.org/fireball.git", rev = "v1" }"#)
        );
        assert_eq!(
            render("{{patch}}", "x", &git),
            r#"wasmi_collections = { git = "https://example.org/fireball.git", rev = "v1" }"#
        );
    }

    #[test]
    fn a_directory_in_use_is_refused() {
        let parent = std::env::temp_dir().join(format!("fireball-new-{}", std::process::id()));
        fs::create_dir_all(parent.join("taken")).unwrap();
        fs::write(parent.join("taken/file"), "").unwrap();
        let sdk = Sdk::Path(PathBuf::from("/nowhere"));
        assert!(create(Kind::Guest, "taken", &parent, &sdk).is_err());
        let made = create(Kind::Service, "fresh", &parent, &sdk).unwrap();
        assert!(made.join("service/src/lib.rs").is_file());
        assert!(made.join(".gitignore").is_file());
        let lib = fs::read_to_string(made.join("service/src/lib.rs")).unwrap();
        assert!(!lib.contains("{{"), "{lib}");
        fs::remove_dir_all(&parent).unwrap();
    }
}
