//! Compile wasm3 (vendored C sources in `wasm3/`, see `wasm3/PROVENANCE.md`) and
//! Fireball's wrapper `c/fireball_wasm3.c` into a static library.
//!
//! On the host: the system C compiler (`cc`, gcc on CI). On the Cortex-M33
//! (`thumbv8m.main-none-eabihf`): Debian's clang-19 with newlib's headers from the
//! `libnewlib-arm-none-eabi` package (`cargo xtask` installs it), and newlib's
//! `libc_nano.a` for the few string functions wasm3 calls (`strcmp`, …).
//!
//! Options (`d_m3…`, see `docs/peers.md`): no logging, tracing, profiling, backtraces
//! or WASI (the vendored core has none); short error messages; 1 KiB code pages (4 KiB
//! by default).

use std::{env, path::PathBuf};

/// wasm3's translation units; `m3_core.c` is compiled through `c/fireball_wasm3.c`.
const SOURCES: &[&str] = &[
    "m3_bind.c",
    "m3_code.c",
    "m3_compile.c",
    "m3_emit.c",
    "m3_env.c",
    "m3_exec.c",
    "m3_function.c",
    "m3_info.c",
    "m3_module.c",
    "m3_parse.c",
];

/// Configuration, the same on every target.
const DEFINES: &[(&str, &str)] = &[
    ("d_m3LogOutput", "0"),
    ("d_m3VerboseErrorMessages", "0"),
    ("d_m3RecordBacktraces", "0"),
    ("d_m3CodePageAlignSize", "1024"),
    ("NDEBUG", "1"),
];

/// Debian's newlib for arm-none-eabi (headers; libraries under `newlib/<multilib>`).
const ARM_SYSROOT: &str = "/usr/lib/arm-none-eabi";
/// newlib's build for ARMv8-M Mainline with the single-precision FPU, hard-float ABI:
/// the multilib that matches `thumbv8m.main-none-eabihf`.
const ARM_MULTILIB: &str = "newlib/thumb/v8-m.main+fp/hard";

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let source = manifest.join("wasm3");
    let target = env::var("TARGET").expect("set by cargo");

    let mut build = cc::Build::new();
    build
        .include(&source)
        .file(manifest.join("c/fireball_wasm3.c"))
        .files(SOURCES.iter().map(|f| source.join(f)))
        .warnings(false)
        .extra_warnings(false);
    for (name, value) in DEFINES {
        build.define(name, Some(*value));
    }
    if target == "thumbv8m.main-none-eabihf" {
        let sysroot = env::var("FIREBALL_ARM_SYSROOT").unwrap_or_else(|_| ARM_SYSROOT.into());
        build
            .compiler(env::var("FIREBALL_CLANG").unwrap_or_else(|_| "clang-19".into()))
            .archiver("ar")
            .no_default_flags(true)
            .flag("--target=thumbv8m.main-none-eabihf")
            .flag("-mfloat-abi=hard")
            .flag("-mfpu=fpv5-sp-d16")
            .flag("-mthumb")
            .flag(format!("--sysroot={sysroot}"))
            .flag("-ffunction-sections")
            .flag("-fdata-sections")
            .flag("-fno-common")
            // As wasm3's own builds do (pywasm3's setup.py): one instruction less per op
            // on the M33, where clang cannot turn wasm3's op-to-op calls into tail calls.
            .flag("-fomit-frame-pointer")
            .flag(opt_flag());
        if env::var("DEBUG").is_ok_and(|d| d != "false" && d != "0") {
            build.flag("-g");
        }
        println!("cargo:rustc-link-search=native={sysroot}/{ARM_MULTILIB}");
        println!("cargo:rustc-link-lib=static=c_nano");
        println!("cargo:rerun-if-env-changed=FIREBALL_ARM_SYSROOT");
        println!("cargo:rerun-if-env-changed=FIREBALL_CLANG");
    }
    build.compile("fireball_wasm3");
    println!("cargo:rerun-if-changed=wasm3");
    println!("cargo:rerun-if-changed=c");
}

/// `-O<level>` from the profile (`[profile.*.package.fireball-peer-wasm3]`).
fn opt_flag() -> String {
    match env::var("OPT_LEVEL").as_deref() {
        Ok("0") => "-O0".into(),
        Ok(level @ ("1" | "2" | "3" | "s" | "z")) => format!("-O{level}"),
        _ => "-Os".into(),
    }
}
