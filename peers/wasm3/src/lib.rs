//! wasm3, the C WebAssembly interpreter people would pick instead of Fireball, run on the
//! same workloads as bare wasmi and the vSoC (`fireball_vsoc::bench`) in the same bench
//! run: on the Cortex-M33 (the firmware's `bench` image under QEMU `-icount`) and on the
//! host (`cargo bench -p fireball-peer-wasm3`).
//!
//! wasm3 0.5.0's C sources are vendored in `wasm3/` (from a registry package, see
//! `wasm3/PROVENANCE.md`) and compiled by `build.rs`; this crate declares by hand the few
//! functions of wasm3's API it calls (no bindgen) and routes wasm3's allocations to
//! Rust's global allocator ([`alloc_shims`]). `docs/peers.md` has the how and the figures.
//!
//! | workload | one op | baseline |
//! | --- | --- | --- |
//! | `wasm3/compute` | one loop round of `compute.wat` on wasm3, one call | `wasmi/compute` |
//! | `wasm3/host_call` | one wasm3 host call of `fb.gpio_toggle`'s signature (`gpio.wat`) | `wasmi/host_call` |
//!
//! The modules are the vSoC's, byte for byte, except for one rewrite wasm3 needs: it
//! predates the custom-page-sizes proposal, so [`pages::standard_pages`] re-encodes their
//! 256 one-byte pages as one 64 KiB page and caps what wasm3 allocates for it at the 256
//! bytes they declare (`M3Runtime::memoryLimit`). The code section is untouched.
#![no_std]

extern crate alloc;

mod alloc_shims;
pub mod pages;

use core::{
    ffi::{CStr, c_char, c_void},
    ptr,
};

use alloc::vec::Vec;

pub use fireball_kernel::workload::Workload;

/// The vSoC's benchmark modules, the same bytes `fireball_vsoc::bench` runs.
const COMPUTE: &[u8] = include_bytes!("../../../vsoc/src/bench/compute.wasm");
const GPIO: &[u8] = include_bytes!("../../../vsoc/src/bench/gpio.wasm");

/// wasm3's value stack per runtime, in bytes (the workloads need a few slots).
const STACK_BYTES: u32 = 2048;

static WORKLOADS: [Workload; 2] = [
    Workload {
        name: "wasm3/compute",
        baseline: Some("wasmi/compute"),
        run: wasm3_compute,
    },
    Workload {
        name: "wasm3/host_call",
        baseline: Some("wasmi/host_call"),
        run: wasm3_host_call,
    },
];

/// The wasm3 workloads. Their baselines (`wasmi/…`) are in `fireball_vsoc::bench`; a
/// harness that runs both lists shows the ratios.
pub fn workloads() -> &'static [Workload] {
    &WORKLOADS
}

fn wasm3_compute(iters: u32) -> u64 {
    run_in_wasm3(COMPUTE, false, iters)
}

fn wasm3_host_call(iters: u32) -> u64 {
    run_in_wasm3(GPIO, true, iters)
}

/// wasm3's API, the part used here (`wasm3/wasm3.h`).
mod ffi {
    use core::ffi::{c_char, c_void};

    /// `M3Result`: null on success, else a static error string.
    pub type M3Result = *const c_char;

    /// Opaque wasm3 objects.
    #[repr(C)]
    pub struct M3Environment {
        _opaque: [u8; 0],
    }
    #[repr(C)]
    pub struct M3Runtime {
        _opaque: [u8; 0],
    }
    #[repr(C)]
    pub struct M3Module {
        _opaque: [u8; 0],
    }
    #[repr(C)]
    pub struct M3Function {
        _opaque: [u8; 0],
    }

    /// `M3ImportContext`: what a raw host function gets besides its stack.
    #[repr(C)]
    pub struct M3ImportContext {
        pub userdata: *mut c_void,
        pub function: *mut M3Function,
    }

    /// `M3RawCall`: arguments and results are 64-bit slots at `sp`, results first.
    pub type M3RawCall = unsafe extern "C" fn(
        runtime: *mut M3Runtime,
        ctx: *mut M3ImportContext,
        sp: *mut u64,
        mem: *mut c_void,
    ) -> *const c_void;

    unsafe extern "C" {
        pub fn m3_NewEnvironment() -> *mut M3Environment;
        pub fn m3_FreeEnvironment(env: *mut M3Environment);
        pub fn m3_NewRuntime(
            env: *mut M3Environment,
            stack_bytes: u32,
            userdata: *mut c_void,
        ) -> *mut M3Runtime;
        pub fn m3_FreeRuntime(runtime: *mut M3Runtime);
        pub fn m3_GetMemory(runtime: *mut M3Runtime, size: *mut u32, index: u32) -> *mut u8;
        pub fn m3_ParseModule(
            env: *mut M3Environment,
            module: *mut *mut M3Module,
            bytes: *const u8,
            len: u32,
        ) -> M3Result;
        pub fn m3_FreeModule(module: *mut M3Module);
        pub fn m3_LoadModule(runtime: *mut M3Runtime, module: *mut M3Module) -> M3Result;
        pub fn m3_LinkRawFunctionEx(
            module: *mut M3Module,
            module_name: *const c_char,
            function_name: *const c_char,
            signature: *const c_char,
            function: M3RawCall,
            userdata: *const c_void,
        ) -> M3Result;
        pub fn m3_FindFunction(
            function: *mut *mut M3Function,
            runtime: *mut M3Runtime,
            name: *const c_char,
        ) -> M3Result;
        pub fn m3_Call(
            function: *mut M3Function,
            argc: u32,
            argv: *const *const c_void,
        ) -> M3Result;
        /// Ours (`c/fireball_wasm3.c`): sets `M3Runtime::memoryLimit`.
        pub fn fireball_wasm3_set_memory_limit(runtime: *mut M3Runtime, bytes: u32);
    }
}

/// An environment and a runtime, freed in the right order.
struct Wasm3 {
    env: *mut ffi::M3Environment,
    runtime: *mut ffi::M3Runtime,
}

impl Drop for Wasm3 {
    fn drop(&mut self) {
        // Safety: both were created by wasm3 and are freed once, the runtime (which owns
        // the loaded module) before its environment; null is skipped.
        unsafe {
            if !self.runtime.is_null() {
                ffi::m3_FreeRuntime(self.runtime);
            }
            if !self.env.is_null() {
                ffi::m3_FreeEnvironment(self.env);
            }
        }
    }
}

fn ok(result: ffi::M3Result) -> Option<()> {
    result.is_null().then_some(())
}

fn c(name: &CStr) -> *const c_char {
    name.as_ptr()
}

/// `fb.gpio_toggle(pin) -> level` with the bare-wasmi baseline's semantics: flip bit
/// `pin` of the levels (the `u32` behind `userdata`) and return the new level.
unsafe extern "C" fn gpio_toggle(
    _runtime: *mut ffi::M3Runtime,
    ctx: *mut ffi::M3ImportContext,
    sp: *mut u64,
    _mem: *mut c_void,
) -> *const c_void {
    // Safety: wasm3 calls this with its import context, whose `userdata` is the `u32`
    // `run_in_wasm3` linked it with (alive for the whole run), and with `sp` pointing at
    // the `i(i)` signature's slots: the result's, then the argument's.
    unsafe {
        let levels = &mut *(*ctx).userdata.cast::<u32>();
        let pin = sp.add(1).cast::<u32>().read_unaligned() & 31;
        *levels ^= 1 << pin;
        sp.cast::<i32>()
            .write_unaligned(i32::from(*levels & (1 << pin) != 0));
    }
    ptr::null()
}

/// Run `bytes` (a loop of `iters` rounds, `fb_main`) on wasm3 with the same memory
/// layout as the wasmi baseline: `iters` at address 0, the checksum read from address 4.
/// `gpio`: link `fb.gpio_toggle` (wasm3 refuses to link a function a module does not
/// import). Zero if anything failed.
fn run_in_wasm3(bytes: &[u8], gpio: bool, iters: u32) -> u64 {
    run(bytes, gpio, iters).map_or(0, u64::from)
}

fn run(bytes: &[u8], gpio: bool, iters: u32) -> Option<u32> {
    // Declared before the runtime so they outlive it: wasm3 reads the module's bytes
    // while it compiles lazily, and the host function writes `levels`.
    let (wasm, memory_limit): (Vec<u8>, u32) = pages::standard_pages(bytes)?;
    let mut levels = 0u32;
    let len = u32::try_from(wasm.len()).ok()?;
    // Safety: wasm3's API used as documented in wasm3.h: every pointer passed is live
    // (the bytes and `levels` outlive the runtime, see above), the module is freed by us
    // only if the runtime did not take it, and `Wasm3` frees the rest once.
    unsafe {
        let mut m3 = Wasm3 {
            env: ffi::m3_NewEnvironment(),
            runtime: ptr::null_mut(),
        };
        if m3.env.is_null() {
            return None;
        }
        m3.runtime = ffi::m3_NewRuntime(m3.env, STACK_BYTES, ptr::null_mut());
        if m3.runtime.is_null() {
            return None;
        }
        ffi::fireball_wasm3_set_memory_limit(m3.runtime, memory_limit);
        let mut module = ptr::null_mut();
        ok(ffi::m3_ParseModule(m3.env, &mut module, wasm.as_ptr(), len))?;
        if ok(ffi::m3_LoadModule(m3.runtime, module)).is_none() {
            ffi::m3_FreeModule(module);
            return None;
        }
        if gpio {
            ok(ffi::m3_LinkRawFunctionEx(
                module,
                c(c"fb"),
                c(c"gpio_toggle"),
                c(c"i(i)"),
                gpio_toggle,
                (&raw mut levels).cast(),
            ))?;
        }
        let mut main = ptr::null_mut();
        ok(ffi::m3_FindFunction(&mut main, m3.runtime, c(c"fb_main")))?;
        let memory = linear_memory(m3.runtime)?;
        memory[..4].copy_from_slice(&iters.to_le_bytes());
        ok(ffi::m3_Call(main, 0, ptr::null()))?;
        // wasm3 may have moved the memory; look it up again.
        let memory = linear_memory(m3.runtime)?;
        Some(u32::from_le_bytes([
            memory[4], memory[5], memory[6], memory[7],
        ]))
    }
}

/// The runtime's linear memory, at least the 8 bytes the workloads' layout uses.
///
/// # Safety
///
/// `runtime` is a live wasm3 runtime with a loaded module; the slice must be dropped
/// before wasm3 runs again (it may resize the memory).
unsafe fn linear_memory<'a>(runtime: *mut ffi::M3Runtime) -> Option<&'a mut [u8]> {
    let mut size = 0u32;
    // Safety: `runtime` is live (the caller's contract).
    let data = unsafe { ffi::m3_GetMemory(runtime, &mut size, 0) };
    if data.is_null() || size < 8 {
        return None;
    }
    // Safety: wasm3 owns `size` bytes at `data` until the memory is resized or freed,
    // neither of which happens while the slice is alive (the caller's contract).
    Some(unsafe { core::slice::from_raw_parts_mut(data, size as usize) })
}
