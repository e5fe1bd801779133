//! Put `memory.x` where cortex-m-rt's `link.x` finds it, and link with it; write `ram.rs`,
//! the RAM the image links against (`heap::RAM`).
//!
//! Every image links against the nRF5340's 512 KB of RAM, except the QEMU `gdb` image
//! (feature `gdb`): a debug session's instrumented modules need more
//! (`examples/sensor-hub/debug.toml` asks 896 KiB), so it links against the manifest's
//! `deployment.ram`, which `cargo xtask` passes as `FIREBALL_RAM`. QEMU's mps2-an505 has 4 MB
//! of SSRAM at the RAM's origin; the nRF5340-DK's `gdb` image has the chip's 512 KB, and a
//! manifest that asks more is refused when the image is built.
//!
//! The nRF5340-DK image (feature `nrf5340dk`) links against the chip's own memory map,
//! `memory-nrf5340.x` (flash at 0x0000_0000, RAM at 0x2000_0000), the same sizes.

use std::{env, fs, path::PathBuf};

/// The RAM `memory.x` gives every image but the `gdb` one.
const RAM: &str = "LENGTH = 512K";
/// The most the `gdb` image may ask: QEMU mps2-an505's SSRAM at 0x3800_0000 (Secure alias of
/// SSRAM1 and SSRAM2, 2 MB each).
const QEMU_SSRAM: u64 = 4 << 20;

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let nrf5340 = env::var_os("CARGO_FEATURE_NRF5340DK").is_some();
    let memory = if nrf5340 {
        include_str!("memory-nrf5340.x")
    } else {
        include_str!("memory.x")
    };
    let mut ram: u64 = 512 * 1024;
    let memory = if env::var_os("CARGO_FEATURE_GDB").is_some() {
        let asked = env::var("FIREBALL_RAM")
            .expect("the `gdb` image needs FIREBALL_RAM (bytes: the manifest's deployment.ram)");
        ram = asked
            .parse()
            .expect("FIREBALL_RAM is a number of bytes (the manifest's deployment.ram)");
        assert!(
            !nrf5340 || ram <= 512 * 1024,
            "FIREBALL_RAM={ram}: the manifest's deployment.ram is more than the nRF5340's \
             512 KiB; debug a smaller deployment on the DK (or under QEMU, which has 4 MiB)"
        );
        assert!(
            (512 * 1024..=QEMU_SSRAM).contains(&ram) && ram.is_multiple_of(1024),
            "FIREBALL_RAM={ram}: the `gdb` image takes 512 KiB to 4 MiB, in whole KiB"
        );
        assert!(memory.contains(RAM), "memory.x's RAM is not `{RAM}`");
        memory.replacen(RAM, &format!("LENGTH = {}K", ram / 1024), 1)
    } else {
        memory.to_string()
    };
    fs::write(out.join("memory.x"), memory).expect("OUT_DIR is writable");
    if !nrf5340 {
        // cortex-m-rt's `device` feature includes `device.x`, where a PAC would name its
        // interrupt handlers; QEMU's table points every line at `DefaultHandler`
        // (`firmware/src/lib.rs`, `vectors`), so it names none. The nRF5340's PAC brings its own.
        fs::write(
            out.join("device.x"),
            "/* every interrupt: DefaultHandler */\n",
        )
        .expect("OUT_DIR is writable");
    }
    fs::write(out.join("ram.rs"), ram.to_string()).expect("OUT_DIR is writable");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=memory-nrf5340.x");
    println!("cargo:rerun-if-env-changed=FIREBALL_MODULES_DIR");
    println!("cargo:rerun-if-env-changed=FIREBALL_BENCH_PACKAGES");
    println!("cargo:rerun-if-env-changed=FIREBALL_RAM");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        println!("cargo:rustc-link-arg-bins=-Tlink.x");
        // defmt's table of interned strings: a section the ELF keeps and the chip never
        // loads (the host's decoder reads it).
        if env::var_os("CARGO_FEATURE_DEFMT").is_some() {
            println!("cargo:rustc-link-arg-bins=-Tdefmt.x");
        }
    }
}
