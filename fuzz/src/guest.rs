//! The structure-aware target: the fuzzer's bytes drive wasm-smith into a *valid* module
//! that imports Fireball's builtins (the `abi` crate's table, every one with its signature)
//! and calls them with whatever arguments its generated code computes; that guest runs in a
//! host deployment beside a healthy guest and a service it may reach. The hypervisor must
//! not panic, and the healthy guest must finish with its usual output, whatever the
//! generated one did (trapped, spun, flooded the service, slept forever, handed out
//! forged pointers and handles).
//!
//! Every run ends: wasm-smith's `ensure_termination` bounds the guest's loops and
//! recursion with a fuel global, and the deployment stops at [`MAX_TIME_US`] of virtual
//! time whatever still waits.

use std::{cell::RefCell, fmt::Write as _, path::Path, sync::OnceLock};

use arbitrary::Unstructured;
use fireball::deploy::{self, BootError, Output, RunOptions, State};
use fireball_abi::builtin::{SIGNATURES, ValType};
use fireball_manifest::{Manifest, ModuleDirs};
use fireball_subsystems::host::BufferConsole;
use wasm_encoder::reencode::{Error, Reencode, utils};

/// The deployment: the generated guest `fuzz` may call the service `echo`, as `healthy`
/// never does; they share only the hypervisor.
const MANIFEST: &str = r#"
[deployment]
name = "fuzz"
yield_interval = 2000

# Room for the largest guest wasm-smith makes (64 KiB of memory) beside the healthy one: a
# guest the vSoC would load is never refused for want of it.
[partitions]
kernel = 16384
runtime = 196608
subsystems = 28672
services = 40960
guests = 196608
reserve = 4096

[[service]]
name = "echo"
module = "echo.wasm"
quota = 32768
routes = ["svc://echo/{x}"]

[[guest]]
name = "healthy"
module = "healthy.wasm"

[[guest]]
name = "fuzz"
module = "fuzz.wasm"
reach = [{ route = "svc://echo/{x}", methods = ["read", "write"] }]
"#;

/// Answers every request with its body, ignores the rest.
const ECHO: &str = r#"(module
    (import "fb" "route_next" (func $next (result i32)))
    (import "fb" "route_take" (func $take (param i32 i32) (result i32)))
    (import "fb" "route_respond" (func $respond (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 8192 8192 (pagesize 1))
    (func (export "fb_main")
        (loop $serve
            (if (i32.lt_s (call $next) (i32.const 0)) (then (return)))
            (if (i32.lt_s (call $take (i32.const 0) (i32.const 8192)) (i32.const 0))
                (then (drop (call $respond (i32.const 0) (i32.const 413) (i32.const 0) (i32.const 0)))
                      (br $serve)))
            (if (i32.eqz (i32.load8_u (i32.const 0)))
                (then (drop (call $respond (i32.load (i32.const 4)) (i32.const 0)
                    (i32.add (i32.const 16)
                        (i32.add (i32.load16_u (i32.const 2)) (i32.load16_u (i32.const 8))))
                    (i32.load (i32.const 12))))))
            (br $serve))))"#;

/// Prints `start`, sleeps 2 ms (the generated guest runs meanwhile), sums the squares of
/// 1..=1000 and prints `ok` if it is 333,833,500, `bad` if not.
const HEALTHY: &str = r#"(module
    (import "fb" "print" (func $print (param i32 i32)))
    (import "fb" "sleep_ticks" (func $sleep (param i64)))
    (memory (export "memory") 1024 1024 (pagesize 1))
    (data (i32.const 0) "start\nok\nbad\n")
    (func (export "fb_main") (local $i i32) (local $sum i32)
        (call $print (i32.const 0) (i32.const 6))
        (call $sleep (i64.const 2000))
        (loop $add
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (local.set $sum (i32.add (local.get $sum) (i32.mul (local.get $i) (local.get $i))))
            (br_if $add (i32.lt_u (local.get $i) (i32.const 1000))))
        (if (i32.eq (local.get $sum) (i32.const 333833500))
            (then (call $print (i32.const 6) (i32.const 3)))
            (else (call $print (i32.const 9) (i32.const 4))))))"#;

/// The healthy guest's output in every run.
const HEALTHY_OUTPUT: [&str; 2] = ["[healthy] start", "[healthy] ok"];

/// Virtual time after which a run stops, µs: the healthy guest needs ~2 ms.
pub const MAX_TIME_US: u64 = 200_000;

/// Fuel of the generated guest's loops and calls (wasm-smith's `ensure_termination`).
const LOOP_FUEL: u32 = 2_000;

/// Generate a guest from `bytes` and run it beside the healthy one.
pub fn run(bytes: &[u8]) {
    if let Some(module) = generate(bytes) {
        run_beside_healthy(&module);
    }
}

/// wasm-smith's settings: one memory of at most 64 KiB with 1-byte pages allowed (as
/// Fireball's guests declare theirs), one table, and only the proposals the vSoC's wasmi
/// takes; imports drawn from every builtin, and `fb_main` exported.
fn config() -> &'static wasm_smith::Config {
    static CONFIG: OnceLock<wasm_smith::Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let mut imports = String::from("(module\n");
        for builtin in SIGNATURES {
            let types = |list: &[ValType]| {
                list.iter()
                    .map(|t| match t {
                        ValType::I32 => " i32",
                        ValType::I64 => " i64",
                    })
                    .collect::<String>()
            };
            let _ = writeln!(
                imports,
                "(import \"{}\" \"{}\" (func (param{}) (result{})))",
                fireball_abi::MODULE,
                builtin.name,
                types(builtin.params),
                types(builtin.results)
            );
        }
        imports.push(')');
        let exports = format!("(module (func (export \"{}\")))", fireball_abi::ENTRY);
        wasm_smith::Config {
            available_imports: Some(wat::parse_str(imports).expect("the builtins as WAT")),
            exports: Some(wat::parse_str(exports).expect("the entry as WAT")),
            min_memories: 1,
            max_memories: 1,
            memory64_enabled: false,
            custom_page_sizes_enabled: true,
            max_memory32_bytes: 64 * 1024,
            memory_max_size_required: true,
            max_tables: 1,
            max_table_elements: 1024,
            max_funcs: 64,
            max_instructions: 200,
            threads_enabled: false,
            simd_enabled: false,
            relaxed_simd_enabled: false,
            exceptions_enabled: false,
            gc_enabled: false,
            tail_call_enabled: false,
            wide_arithmetic_enabled: false,
            shared_everything_threads_enabled: false,
            ..wasm_smith::Config::default()
        }
    })
}

/// The module wasm-smith builds from `bytes`, its loops bounded and its memory exported as
/// `memory` (where the builtins look for it); `None` when the bytes run out first.
pub fn generate(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut u = Unstructured::new(bytes);
    let mut module = wasm_smith::Module::new(config().clone(), &mut u).ok()?;
    module.ensure_termination(LOOP_FUEL).ok()?;
    Some(export_memory(&module.to_bytes()))
}

/// Re-encodes a module with an export `memory` of its memory 0 added.
struct ExportMemory;

impl Reencode for ExportMemory {
    type Error = std::convert::Infallible;

    fn parse_export_section(
        &mut self,
        exports: &mut wasm_encoder::ExportSection,
        section: wasmparser::ExportSectionReader<'_>,
    ) -> Result<(), Error<Self::Error>> {
        utils::parse_export_section(self, exports, section)?;
        exports.export("memory", wasm_encoder::ExportKind::Memory, 0);
        Ok(())
    }
}

fn export_memory(module: &[u8]) -> Vec<u8> {
    let mut out = wasm_encoder::Module::new();
    ExportMemory
        .parse_core_module(&mut out, wasmparser::Parser::new(0), module)
        .expect("wasm-smith's module re-encodes");
    out.finish()
}

thread_local! {
    /// Each thread's scratch directory: the manifest's modules are read from files.
    static DIR: RefCell<Option<tempfile::TempDir>> = const { RefCell::new(None) };
}

/// Run `module` as the guest `fuzz` of [`MANIFEST`]: a module the loader refuses is not
/// run (the `loader` target covers refusals); one it accepts must boot, and the healthy
/// guest must finish with [`HEALTHY_OUTPUT`].
pub fn run_beside_healthy(module: &[u8]) {
    let manifest = Manifest::parse(MANIFEST).expect("the fuzz deployment's manifest");
    if deploy::check_module(&manifest, "fuzz", module.to_vec()).is_err() {
        return;
    }
    DIR.with_borrow_mut(|dir| {
        let dir = dir.get_or_insert_with(|| {
            let dir = tempfile::tempdir().expect("a scratch directory");
            write(dir.path(), "echo", &wat::parse_str(ECHO).unwrap());
            write(dir.path(), "healthy", &wat::parse_str(HEALTHY).unwrap());
            dir
        });
        write(dir.path(), "fuzz", module);
        let out = BufferConsole::new();
        let options = RunOptions {
            max_time_us: MAX_TIME_US,
            output: Output::Buffer(out.clone()),
            ..RunOptions::default()
        };
        let dirs = ModuleDirs {
            manifest_dir: dir.path().to_path_buf(),
            modules_dir: dir.path().to_path_buf(),
        };
        let system = match deploy::boot(&manifest, &dirs, options) {
            Ok(system) => system,
            // Instantiation runs the module's start function and data segments: a trap
            // there refuses the deployment, with the guest named.
            Err(BootError::Boot(fireball_deploy::BootError::Instantiate { component, .. }))
                if &*component == "fuzz" =>
            {
                return;
            }
            Err(e) => panic!("a deployment whose modules all load boots: {e:?}"),
        };
        let report = system.run();
        let output = out.contents();
        let healthy: Vec<&str> = output
            .lines()
            .filter(|l| l.starts_with("[healthy] "))
            .collect();
        assert_eq!(healthy, HEALTHY_OUTPUT, "{output}\n{report}");
        let state = &report.components.iter().find(|c| c.name == "healthy");
        assert!(
            state.is_some_and(|c| c.state == State::Finished),
            "{output}\n{report}"
        );
    });
}

fn write(dir: &Path, name: &str, module: &[u8]) {
    std::fs::write(dir.join(format!("{name}.wasm")), module).expect("a module written");
}
