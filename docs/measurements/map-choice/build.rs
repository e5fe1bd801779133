//! The Cortex-M33 probe's memory map (QEMU mps2-an505, nRF5340 sizes) and link script.
use std::{env, fs, path::PathBuf};

fn main() {
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("none") {
        return;
    }
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    fs::write(
        out.join("memory.x"),
        "MEMORY { FLASH : ORIGIN = 0x10000000, LENGTH = 1024K\n RAM : ORIGIN = 0x38000000, LENGTH = 512K }\n",
    )
    .unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-arg-examples=-Tlink.x");
}
