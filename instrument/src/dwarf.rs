//! Stop locations from a debug build's DWARF line table.
//!
//! DWARF code addresses for wasm are offsets into the Code section's contents (LLVM writes
//! them so; LLDB's `ObjectFileWasm` gives the code section file address 0 for that reason).
//! [`line_offsets`] turns them into module file offsets by adding where those contents
//! start.

use std::collections::BTreeSet;

use gimli::{EndianSlice, LittleEndian, SectionId};
use wasmparser::{Parser, Payload};

use crate::InstrumentError;

/// The contents of the first custom section called `name`, or `None` (also for a module
/// that does not parse).
pub fn custom_section<'a>(module: &'a [u8], name: &str) -> Option<&'a [u8]> {
    for payload in Parser::new(0).parse_all(module) {
        match payload.ok()? {
            Payload::CustomSection(section) if section.name() == name => {
                return Some(section.data());
            }
            _ => {}
        }
    }
    None
}

/// Where the Code section's contents start in the file, or `None` without one.
pub fn code_start(module: &[u8]) -> Result<Option<u32>, InstrumentError> {
    for payload in Parser::new(0).parse_all(module) {
        if let Payload::CodeSectionStart { range, .. } = payload? {
            return u32::try_from(range.start)
                .map(Some)
                .map_err(|_| InstrumentError::TooLarge);
        }
    }
    Ok(None)
}

/// The file offset of every line-table row address (all sequences, statements or not).
pub fn line_offsets(module: &[u8]) -> Result<BTreeSet<u32>, InstrumentError> {
    if custom_section(module, ".debug_line").is_none() {
        return Err(InstrumentError::NoDebugInfo);
    }
    let Some(code) = code_start(module)? else {
        return Ok(BTreeSet::new());
    };
    let load = |id: SectionId| -> Result<EndianSlice<'_, LittleEndian>, gimli::Error> {
        let data = custom_section(module, id.name()).unwrap_or(&[]);
        Ok(EndianSlice::new(data, LittleEndian))
    };
    let bad = |e: gimli::Error| InstrumentError::BadDwarf(e.to_string());
    let dwarf = gimli::Dwarf::load(load).map_err(bad)?;
    let mut offsets = BTreeSet::new();
    let mut units = dwarf.units();
    while let Some(header) = units.next().map_err(bad)? {
        let unit = dwarf.unit(header).map_err(bad)?;
        let Some(program) = unit.line_program.clone() else {
            continue;
        };
        let mut rows = program.rows();
        while let Some((_, row)) = rows.next_row().map_err(bad)? {
            // Addresses past the code (a linker's tombstones for dropped functions) start no
            // instruction; the rewrite ignores them, and these are dropped here already.
            let offset = u32::try_from(row.address())
                .ok()
                .and_then(|a| a.checked_add(code));
            if let (Some(offset), false) = (offset, row.end_sequence()) {
                offsets.insert(offset);
            }
        }
    }
    Ok(offsets)
}
