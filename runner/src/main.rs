//! `fireball` — the host runner.
//!
//! ```text
//! fireball run <module.wasm>...   run guests side by side until all stop
//! fireball inspect <module.wasm>  what a module declares and needs
//! ```

use std::{path::Path, process::ExitCode};

use fireball::{Outcome, run_guests};
use fireball_vsoc::{Vsoc, VsocConfig, loader};

fn usage() -> ExitCode {
    eprintln!("usage:\n  fireball run <module.wasm>...\n  fireball inspect <module.wasm>");
    ExitCode::from(2)
}

fn module_name(path: &Path) -> String {
    path.file_stem()
        .map_or_else(|| "module".into(), |s| s.to_string_lossy().into_owned())
}

fn read(path: &Path) -> Result<Vec<u8>, ExitCode> {
    std::fs::read(path).map_err(|e| {
        eprintln!("fireball: cannot read {}: {e}", path.display());
        ExitCode::from(1)
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.split_first() {
        Some((cmd, paths)) if cmd == "run" && !paths.is_empty() => {
            let mut modules = Vec::new();
            for path in paths.iter().map(Path::new) {
                match read(path) {
                    Ok(bytes) => modules.push((module_name(path), bytes)),
                    Err(code) => return code,
                }
            }
            let vsoc = Vsoc::new(VsocConfig::default());
            let report = run_guests(&vsoc, &modules);
            eprint!("{report}");
            if report
                .outcomes
                .iter()
                .all(|o| matches!(o.1, Outcome::Finished))
            {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Some((cmd, [path])) if cmd == "inspect" => {
            let path = Path::new(path);
            let bytes = match read(path) {
                Ok(bytes) => bytes,
                Err(code) => return code,
            };
            match loader::inspect(&VsocConfig::default(), &module_name(path), &bytes) {
                Ok(info) => {
                    print!("{}", loader::describe(&info));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("fireball: {}: {e}", path.display());
                    ExitCode::from(1)
                }
            }
        }
        _ => usage(),
    }
}
