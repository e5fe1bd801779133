//! `memcpy` for the Cortex-M33, four words per iteration.
//!
//! Rust moves values with `memcpy`: a request through the router, a suspended wasmi call
//! through the vSoC, a future into its task. compiler-builtins' generic `memcpy` (and its
//! `__aeabi_memcpy4`) copies one word per loop round, five instructions a word; these copy
//! 16 bytes per `ldm`/`stm` pair when both pointers are word-aligned, else a word per
//! `ldr`/`str` (the M33 does unaligned word accesses in hardware; `CCR.UNALIGN_TRP` stays
//! clear), then the last bytes one by one. Measured in `docs/perf.md` ("memcpy"): a vSoC task
//! switch and a router round trip each spend a third of their instructions in `memcpy`
//! without it.
//!
//! The loops are assembly so that the compiler cannot turn them back into a `memcpy` call.
#![allow(unsafe_code)]

use core::arch::asm;

/// Copies `n` bytes from `src` to `dest` (the regions do not overlap).
///
/// Safety: as `memcpy` — `src` valid for reads and `dest` for writes of `n` bytes, not
/// overlapping.
#[inline(always)]
unsafe fn copy(dest: *mut u8, src: *const u8, n: usize) {
    // Safety: the caller's `memcpy` contract; the assembly reads `[src, src + n)` and writes
    // `[dest, dest + n)` only, and clobbers only the registers it declares.
    unsafe {
        asm!(
            // Both word-aligned: 16 bytes a round.
            "orr {t}, {d}, {s}",
            "tst {t}, #3",
            "bne 3f",
            "subs {n}, {n}, #16",
            "blo 2f",
            "1:",
            "ldm {s}!, {{r4, r5, r8, r12}}",
            "stm {d}!, {{r4, r5, r8, r12}}",
            "subs {n}, {n}, #16",
            "bhs 1b",
            "2:",
            "adds {n}, {n}, #16",
            // Words (unaligned accesses are fine on the M33).
            "3:",
            "subs {n}, {n}, #4",
            "blo 5f",
            "4:",
            "ldr {t}, [{s}], #4",
            "str {t}, [{d}], #4",
            "subs {n}, {n}, #4",
            "bhs 4b",
            "5:",
            "adds {n}, {n}, #4",
            // The last bytes.
            "beq 7f",
            "6:",
            "ldrb {t}, [{s}], #1",
            "strb {t}, [{d}], #1",
            "subs {n}, {n}, #1",
            "bne 6b",
            "7:",
            d = inout(reg) dest => _,
            s = inout(reg) src => _,
            n = inout(reg) n => _,
            t = out(reg) _,
            out("r4") _,
            out("r5") _,
            out("r8") _,
            out("r12") _,
            options(nostack),
        );
    }
}

/// Safety: the C `memcpy` contract.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // Safety: forwarded from the caller.
    unsafe { copy(dest, src, n) };
    dest
}

/// Safety: the AEABI `__aeabi_memcpy` contract (as `memcpy`, no return value).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memcpy(dest: *mut u8, src: *const u8, n: usize) {
    // Safety: forwarded from the caller.
    unsafe { copy(dest, src, n) }
}

/// Safety: as [`__aeabi_memcpy`], both pointers 4-byte aligned.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memcpy4(dest: *mut u8, src: *const u8, n: usize) {
    // Safety: forwarded from the caller.
    unsafe { copy(dest, src, n) }
}

/// Safety: as [`__aeabi_memcpy`], both pointers 8-byte aligned.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memcpy8(dest: *mut u8, src: *const u8, n: usize) {
    // Safety: forwarded from the caller.
    unsafe { copy(dest, src, n) }
}
