//! Instruments a WASM debug build with the `fireball_dbg` probes, so a stock LLDB can debug
//! it at source level through the hypervisor.
//!
//! wasmi exposes no frames, program counters or locals, so the module reports them itself:
//! before it runs, [`instrument`] rewrites it to call the host at the points a debugger
//! needs (the contract is [`fireball_abi::debug`]; `docs/debugger.md` has the whole picture).
//! Every offset a probe passes is a byte offset into the *original* module file, which is
//! what DWARF (through LLDB's `ObjectFileWasm`) and LLDB's wasm addresses
//! (`0x4000_0000_0000_0000 | module_id << 32 | offset`) use.
//!
//! # The rewrite
//!
//! - The nine probes are imported (in [`fireball_abi::debug::ALL`]'s order) after the
//!   module's own imports: `enter(i32)`, `leave()`, `line(i32) -> i32`, `call(i32) -> i32`,
//!   `local_i32(i32, i32)`, `local_i64(i32, i64)`, `local_f32(i32, f32)`,
//!   `local_f64(i32, f64)`, `stop()`. Every defined function's index moves up by nine
//!   (calls, `ref.func`, exports, the start function and element segments follow).
//! - A body becomes `i32.const <body offset>; call enter; block (result …) <body> end;
//!   call leave`. The body offset is where the function's code entry starts (after its
//!   size, at its locals), as wasmparser and LLDB count it. A `return` becomes a `br` to
//!   the wrapper block; a branch to the function's label already lands there. A tail call
//!   (`return_call*`) runs `call leave` first.
//! - A *stop location* — a requested offset that starts an instruction, and the instruction
//!   after every call (its return address) — gets `i32.const <offset>; call line; if;
//!   <locals>; call stop; end` in front of it.
//! - A call gets `i32.const <return offset>; call call; if; <locals>; end` in front of it.
//! - `<locals>` is `i32.const i; local.get i; call local_<type>` for each numeric local
//!   the debugger can ask for there, in index order (vector and reference locals are
//!   skipped). With DWARF ([`instrument`]) those are the locals the function's debug info
//!   entries name as a variable's, a parameter's or the frame base's location valid at
//!   the stop location, or anywhere in the call instruction up to its return address
//!   ([`dwarf::local_spans`]); a function without such entries dumps nothing (and a call
//!   gets `call call; drop`). Without DWARF ([`instrument_at`]) every local is dumped.
//! - Global `N` is also exported as `__fb_global_N`.
//! - Custom sections (DWARF, `name`, `producers` …) are dropped; `fireball.debug` names the
//!   original module for the debugger.
//!
//! [`instrument`] takes its stop locations from the DWARF line table ([`dwarf`]): every
//! statement row (`is_stmt`, where LLDB puts breakpoints), from every sequence. DWARF code addresses for wasm count from the start of the
//! Code section's contents (its function count), so a row's file offset is that start plus
//! the address. (A function's first row is its body start, at the locals, which starts no
//! instruction; LLDB breaks after the prologue, on a later row, and `enter` reports the
//! body start anyway.)
//!
//! The crate is host-only (`std`): `xtask` and the host runner instrument modules before
//! they are loaded; nothing here runs on the board.
#![forbid(unsafe_code)]

use std::{collections::BTreeSet, fmt};

pub mod dwarf;
mod rewrite;

/// Why a module could not be instrumented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstrumentError {
    /// The input is not a valid module (for wasmi's default features plus custom page
    /// sizes): the caller's bytes are at fault.
    Malformed {
        /// Byte offset of the problem in the input.
        offset: usize,
        /// What the parser or validator said.
        message: String,
    },
    /// The module is valid but uses something the instrumenter does not handle.
    Unsupported(&'static str),
    /// The module has no `.debug_line` section: build it with debug info
    /// (`cargo xtask wasm` writes debug builds to `target/fireball/modules-debug/`).
    NoDebugInfo,
    /// The DWARF sections could not be read.
    BadDwarf(String),
    /// The instrumented module would exceed a limit of the format (an index or an offset
    /// past `u32`).
    TooLarge,
    /// The instrumented module did not validate: a bug in this crate, not the input.
    Internal(String),
}

impl fmt::Display for InstrumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed { offset, message } => {
                write!(f, "malformed module at byte {offset}: {message}")
            }
            Self::Unsupported(what) => write!(f, "cannot instrument a module that uses {what}"),
            Self::NoDebugInfo => {
                f.write_str("the module has no DWARF line table (.debug_line): use a debug build")
            }
            Self::BadDwarf(why) => write!(f, "unreadable DWARF: {why}"),
            Self::TooLarge => f.write_str("the instrumented module would be too large"),
            Self::Internal(why) => write!(f, "instrumented module is invalid (a bug): {why}"),
        }
    }
}

impl std::error::Error for InstrumentError {}

impl From<wasmparser::BinaryReaderError> for InstrumentError {
    fn from(err: wasmparser::BinaryReaderError) -> Self {
        Self::Malformed {
            offset: err.offset(),
            message: err.message().to_string(),
        }
    }
}

/// Whether `module` carries DWARF line info (a `.debug_line` custom section).
pub fn has_debug_info(module: &[u8]) -> bool {
    dwarf::custom_section(module, ".debug_line").is_some()
}

/// Instrument a debug build: stop locations from its DWARF line table. `name` goes into the
/// `fireball.debug` custom section (the path LLDB should load the original module from).
///
/// Each locals dump covers only the locals the function's DWARF locations name there
/// ([`dwarf::local_spans`]); a function DWARF does not describe gets none. When the
/// debug info entries cannot be read, every function dumps every local instead (bigger,
/// but the debugger still sees everything), and instrumenting goes on.
pub fn instrument(module: &[u8], name: &str) -> Result<Vec<u8>, InstrumentError> {
    let stops = dwarf::line_offsets(module)?;
    let locals = dwarf::local_spans(module).ok();
    rewrite::rewrite(module, &stops, locals.as_ref(), name)
}

/// Same with explicit stop locations (file offsets of instruction starts; offsets that
/// start no instruction are ignored) and no DWARF: every function dumps all its numeric
/// locals — used by tests with hand-written modules.
pub fn instrument_at(
    module: &[u8],
    stops: &BTreeSet<u32>,
    name: &str,
) -> Result<Vec<u8>, InstrumentError> {
    rewrite::rewrite(module, stops, None, name)
}

/// The features modules are validated with, before and after the rewrite: wasmi 2.0's
/// defaults plus custom page sizes (the vSoC enables them; modules use 1-byte pages).
pub fn features() -> wasmparser::WasmFeatures {
    use wasmparser::WasmFeatures as F;
    F::MUTABLE_GLOBAL
        | F::MULTI_VALUE
        | F::MULTI_MEMORY
        | F::SATURATING_FLOAT_TO_INT
        | F::SIGN_EXTENSION
        | F::BULK_MEMORY
        | F::REFERENCE_TYPES
        | F::GC_TYPES
        | F::TAIL_CALL
        | F::EXTENDED_CONST
        | F::FLOATS
        | F::CUSTOM_PAGE_SIZES
}

/// Validates `module` with [`features`].
pub fn validate(module: &[u8]) -> Result<(), InstrumentError> {
    wasmparser::Validator::new_with_features(features()).validate_all(module)?;
    Ok(())
}
