//! Arbitrary bytes into the loader (and, when accepted, instantiation and a
//! few slices): typed errors or success, never a panic.
#![no_main]

use fireball_vsoc::{Vsoc, VsocConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let vsoc = Vsoc::new(VsocConfig {
        yield_interval: 1_000,
        ..VsocConfig::default()
    });
    if let Ok(module) = vsoc.load("fuzz", data) {
        let console = Box::new(fireball_subsystems::hal::NullConsole::default());
        if let Ok(mut instance) = vsoc.instantiate(&module, console) {
            for _ in 0..4 {
                let _ = instance.run_slice();
            }
        }
    }
});
