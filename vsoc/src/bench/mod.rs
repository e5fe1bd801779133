//! Benchmark workloads (feature `bench`), shared by the host bench
//! (`vsoc/benches/vsoc.rs`) and the firmware harness under QEMU.
//!
//! Each [`Workload`] performs its operation `iters` times and returns a
//! checksum; a harness measures `run(2N) - run(N)` so fixed costs (engine,
//! instantiation) cancel out. Modules are committed `.wasm` files built from the
//! `.wat` beside them (checked by `tests/bench_modules.rs`).
//!
//! | workload | one op | baseline |
//! | --- | --- | --- |
//! | `vsoc/compute` | one loop round of `compute.wat` in a vSoC instance, default interval | `wasmi/compute` |
//! | `wasmi/compute` | the same on bare wasmi, same fuel metering, one call | — |
//! | `vsoc/gpio_builtin` | one `gpio_toggle` builtin call | `wasmi/host_call` |
//! | `wasmi/host_call` | one bare wasmi host call of the same signature | — |
//! | `vsoc/task_switch` | one out-of-fuel → other task → resume switch | — |
//! | `vsoc/wasm_route_call` | a guest's `route_call` to a WASM service and its reply ([`route`]) | `wasmi/route_stubs` |
//! | `wasmi/route_stubs` | the same two modules on bare wasmi, every import a stub | — |
//! | `wasmi/route_own_work` | the two modules' loops without their calls: their own work | — |
//! | `vsoc/debug_probe` | one `line` probe of a debug build, nothing armed (feature `debug`) | — |
//! | `debug/breakpoint_check` | the probe's check alone, nothing armed (feature `debug`) | — |
//! | `debug/breakpoint_check_10` | the check with all 10 breakpoints armed elsewhere | — |

use alloc::boxed::Box;

use fireball_subsystems::hal::NullConsole;

use crate::{Instance, Slice, Vsoc, VsocConfig, kernel::sched::Executor};

pub use fireball_kernel::workload::Workload;

pub mod route;

const COMPUTE: &[u8] = include_bytes!("compute.wasm");
const GPIO: &[u8] = include_bytes!("gpio.wasm");
const SPIN: &[u8] = include_bytes!("spin.wasm");
#[cfg(feature = "debug")]
const PROBE: &[u8] = include_bytes!("probe.wasm");

#[cfg(not(feature = "debug"))]
static WORKLOADS: [Workload; 8] = BASE;
#[cfg(feature = "debug")]
static WORKLOADS: [Workload; 11] = {
    let debug = [
        Workload {
            name: "vsoc/debug_probe",
            baseline: None,
            run: vsoc_debug_probe,
        },
        Workload {
            name: "debug/breakpoint_check",
            baseline: None,
            run: |iters| breakpoint_check(iters, 0),
        },
        Workload {
            name: "debug/breakpoint_check_10",
            baseline: None,
            run: |iters| breakpoint_check(iters, 10),
        },
    ];
    let mut all = [debug[0]; 11];
    let mut i = 0;
    while i < 8 {
        all[i] = BASE[i];
        i += 1;
    }
    all[8] = debug[0];
    all[9] = debug[1];
    all[10] = debug[2];
    all
};

const BASE: [Workload; 8] = [
    Workload {
        name: "vsoc/compute",
        baseline: Some("wasmi/compute"),
        run: vsoc_compute,
    },
    Workload {
        name: "wasmi/compute",
        baseline: None,
        run: wasmi_compute,
    },
    Workload {
        name: "vsoc/gpio_builtin",
        baseline: Some("wasmi/host_call"),
        run: vsoc_gpio,
    },
    Workload {
        name: "wasmi/host_call",
        baseline: None,
        run: wasmi_host_call,
    },
    Workload {
        name: "vsoc/task_switch",
        baseline: None,
        run: vsoc_task_switch,
    },
    Workload {
        name: "vsoc/wasm_route_call",
        baseline: Some("wasmi/route_stubs"),
        run: route::vsoc_wasm_route_call,
    },
    Workload {
        name: "wasmi/route_stubs",
        baseline: None,
        run: route::wasmi_route_stubs,
    },
    Workload {
        name: "wasmi/route_own_work",
        baseline: None,
        run: route::wasmi_route_own_work,
    },
];

/// Every workload, baselines included.
pub fn workloads() -> &'static [Workload] {
    &WORKLOADS
}

/// Run `bytes` (a loop of `iters` rounds) in a vSoC instance to the end; the
/// checksum is what it stored at address 4.
fn run_in_vsoc(bytes: &[u8], iters: u32) -> u64 {
    let vsoc = Vsoc::new(VsocConfig::default());
    let Ok(module) = vsoc.load("bench", bytes) else {
        return 0;
    };
    let Ok(mut instance) = vsoc.instantiate(&module, Box::new(NullConsole::default())) else {
        return 0;
    };
    finish(&mut instance, iters)
}

fn finish(instance: &mut Instance, iters: u32) -> u64 {
    if instance.write_memory(0, &iters.to_le_bytes()).is_err() {
        return 0;
    }
    let (Slice::Finished, _) = instance.run_to_completion() else {
        return 0;
    };
    let mut out = [0u8; 4];
    let _ = instance.read_memory(4, &mut out);
    u64::from(u32::from_le_bytes(out))
}

fn vsoc_compute(iters: u32) -> u64 {
    run_in_vsoc(COMPUTE, iters)
}

fn vsoc_gpio(iters: u32) -> u64 {
    run_in_vsoc(GPIO, iters)
}

/// Bare wasmi with the vSoC's engine settings (fuel on, eager compilation),
/// fuel set once, one plain call; same checksum layout as [`finish`].
fn run_in_wasmi(bytes: &[u8], iters: u32) -> u64 {
    let config = VsocConfig::default();
    let mut wasm = wasmi::Config::default();
    wasm.consume_fuel(true)
        .compilation_mode(wasmi::CompilationMode::Eager)
        .wasm_custom_page_sizes(true)
        .set_max_recursion_depth(config.max_call_depth)
        .set_max_stack_height(config.max_value_stack);
    let engine = wasmi::Engine::new(&wasm);
    let Ok(module) = wasmi::Module::new(&engine, bytes) else {
        return 0;
    };
    let mut store = wasmi::Store::new(&engine, 0u32);
    let mut linker = wasmi::Linker::<u32>::new(&engine);
    let linked = linker.func_wrap(
        "fb",
        "gpio_toggle",
        |mut caller: wasmi::Caller<'_, u32>, pin: i32| -> i32 {
            let levels = caller.data_mut();
            *levels ^= 1 << (pin as u32 & 31);
            i32::from(*levels & (1 << (pin as u32 & 31)) != 0)
        },
    );
    if linked.is_err() || store.set_fuel(u64::MAX / 2).is_err() {
        return 0;
    }
    let Ok(instance) = linker.instantiate_and_start(&mut store, &module) else {
        return 0;
    };
    let (Some(memory), Ok(main)) = (
        instance.get_memory(&store, "memory"),
        instance.get_typed_func::<(), ()>(&store, "fb_main"),
    ) else {
        return 0;
    };
    memory.data_mut(&mut store)[..4].copy_from_slice(&iters.to_le_bytes());
    if main.call(&mut store, ()).is_err() {
        return 0;
    }
    let data = memory.data(&store);
    u64::from(u32::from_le_bytes([data[4], data[5], data[6], data[7]]))
}

fn wasmi_compute(iters: u32) -> u64 {
    run_in_wasmi(COMPUTE, iters)
}

fn wasmi_host_call(iters: u32) -> u64 {
    run_in_wasmi(GPIO, iters)
}

/// A debug build's `line` probe with no debugger attached, `iters` times.
#[cfg(feature = "debug")]
fn vsoc_debug_probe(iters: u32) -> u64 {
    run_in_vsoc(PROBE, iters)
}

/// The probe's decision at a stop location with `armed` breakpoints set elsewhere (0:
/// nothing to check but one flag), `iters` times; the stops found (none) + `iters`.
#[cfg(feature = "debug")]
fn breakpoint_check(iters: u32, armed: u32) -> u64 {
    let probes = crate::probes::Probes::new(1, alloc::string::String::new());
    for offset in 0..armed {
        probes.arm(0x1000 + offset);
    }
    let mut stops = 0u64;
    for i in 0..iters {
        let offset = core::hint::black_box(i & 0xfff);
        stops += u64::from(probes.stop_at(offset).is_some());
    }
    stops + u64::from(iters)
}

/// Two spinning instances as kernel tasks, one fuel unit per slice: each poll
/// is a switch (out of fuel → the other task → resume).
fn vsoc_task_switch(iters: u32) -> u64 {
    let vsoc = Vsoc::new(VsocConfig {
        yield_interval: 1,
        ..VsocConfig::default()
    });
    let Ok(mut executor) = Executor::with_capacity(2) else {
        return 0;
    };
    let Ok(module) = vsoc.load("spin", SPIN) else {
        return 0;
    };
    for _ in 0..2 {
        let Ok(instance) = vsoc.instantiate(&module, Box::new(NullConsole::default())) else {
            return 0;
        };
        if vsoc.spawn(&mut executor, instance).is_err() {
            return 0;
        }
    }
    let polls = executor.run_for(iters as usize);
    let yields: u64 = executor.tasks().map(|t| u64::from(t.yields)).sum();
    polls as u64 | yields << 32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every workload runs (so none can rot), and each baseline computes the
    /// same result as the vSoC workload measured against it.
    #[test]
    fn workloads_run_and_agree_with_their_baselines() {
        for workload in workloads() {
            // 20 000 compute rounds span several 30 000-fuel slices.
            for iters in [1, 10, 20_000] {
                let checksum = (workload.run)(iters);
                assert_ne!(checksum, 0, "{} failed at {iters}", workload.name);
                if let Some(baseline) = workload.baseline {
                    let base = workloads().iter().find(|w| w.name == baseline).unwrap();
                    assert_eq!(
                        checksum,
                        (base.run)(iters),
                        "{} vs {baseline}",
                        workload.name
                    );
                }
            }
        }
        // 100 polls, each a switch: every one ended with the task re-queueing itself.
        assert_eq!((workloads()[4].run)(100), 100 | 100 << 32);
    }
}
