//! What the instrumenter reads from a debug build's DWARF: the stop locations (the line
//! table's statement rows, [`line_offsets`]) and, per function, the locals a debugger can
//! ask for and where ([`local_spans`]).
//!
//! DWARF code addresses for wasm are offsets into the Code section's contents (LLVM writes
//! them so; LLDB's `ObjectFileWasm` gives the code section file address 0 for that reason).
//! Both turn them into module file offsets by adding where those contents start.

use std::{
    collections::{BTreeMap, BTreeSet},
    ops::Range,
};

use gimli::{EndianSlice, LittleEndian, Reader, SectionId, constants};
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

type Dwarf<'a> = gimli::Dwarf<EndianSlice<'a, LittleEndian>>;

/// The module's DWARF sections (missing ones read as empty).
fn load(module: &[u8]) -> Result<Dwarf<'_>, InstrumentError> {
    let section = |id: SectionId| -> Result<EndianSlice<'_, LittleEndian>, gimli::Error> {
        let data = custom_section(module, id.name()).unwrap_or(&[]);
        Ok(EndianSlice::new(data, LittleEndian))
    };
    gimli::Dwarf::load(section).map_err(bad)
}

fn bad(e: gimli::Error) -> InstrumentError {
    InstrumentError::BadDwarf(e.to_string())
}

/// The file offset of every *statement* row of the line table (all sequences): where LLDB
/// puts breakpoints and where a source-level step ends. Rows that are not statements (a
/// line's later instructions) are no stop locations.
pub fn line_offsets(module: &[u8]) -> Result<BTreeSet<u32>, InstrumentError> {
    if custom_section(module, ".debug_line").is_none() {
        return Err(InstrumentError::NoDebugInfo);
    }
    let Some(code) = code_start(module)? else {
        return Ok(BTreeSet::new());
    };
    let dwarf = load(module)?;
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
            if let (Some(offset), false, true) = (offset, row.end_sequence(), row.is_stmt()) {
                offsets.insert(offset);
            }
        }
    }
    Ok(offsets)
}

/// Where a local holds something a debugger can ask for — a variable, a parameter or the
/// frame base: a span of code, in file offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalSpan {
    /// The local's index (parameters first).
    pub local: u32,
    /// Where it holds it: the span of a location list entry, or for a plain expression its
    /// scope's (the enclosing lexical block, inlined subroutine or subprogram).
    pub span: Range<u32>,
}

/// Per function (keyed by its body start, the file offset its code entry starts at, after
/// its size): where the DWARF locations name its locals, so the only locals a debugger can
/// ask for, and only there.
///
/// Every `DW_TAG_subprogram` with code addresses (`DW_AT_low_pc`/`DW_AT_high_pc` or
/// `DW_AT_ranges`) is mapped to the function whose body holds its start; its
/// `DW_AT_frame_base` and every `DW_AT_frame_base` and `DW_AT_location` below it (lexical
/// blocks, inlined subroutines, parameters, variables), expressions or location lists, are
/// scanned by [`expression_locals`]. A function no subprogram maps to (core or alloc code
/// built without debug info) is absent: the debugger cannot name its locals.
///
/// An error means the DWARF is unreadable somewhere; [`crate::instrument`] then dumps
/// every local of every function everywhere rather than guess.
pub fn local_spans(module: &[u8]) -> Result<BTreeMap<u32, Vec<LocalSpan>>, InstrumentError> {
    let Some(code) = code_start(module)? else {
        return Ok(BTreeMap::new());
    };
    let bodies = body_ranges(module)?;
    let dwarf = load(module)?;
    // DWARF code addresses as file offsets (`None` past `u32`: a tombstone or garbage).
    let file = |address: u64| {
        u32::try_from(address)
            .ok()
            .and_then(|a| a.checked_add(code))
    };
    let mut found: BTreeMap<u32, Vec<LocalSpan>> = BTreeMap::new();
    let mut units = dwarf.units();
    while let Some(header) = units.next().map_err(bad)? {
        let unit = dwarf.unit(header).map_err(bad)?;
        // The subprograms with code around the current entry: depth and the functions
        // (body starts) each maps to. Then the scopes with code: depth and spans.
        let mut owners: Vec<(isize, Vec<u32>)> = Vec::new();
        let mut scopes: Vec<(isize, Vec<Range<u32>>)> = Vec::new();
        let mut depth = 0isize;
        let mut entries = unit.entries();
        while let Some((delta, entry)) = entries.next_dfs().map_err(bad)? {
            depth += delta;
            while owners.last().is_some_and(|(d, _)| *d >= depth) {
                owners.pop();
            }
            while scopes.last().is_some_and(|(d, _)| *d >= depth) {
                scopes.pop();
            }
            let tag = entry.tag();
            if tag == constants::DW_TAG_subprogram
                || tag == constants::DW_TAG_lexical_block
                || tag == constants::DW_TAG_inlined_subroutine
            {
                let mut spans = Vec::new();
                let mut ranges = dwarf.die_ranges(&unit, entry).map_err(bad)?;
                while let Some(range) = ranges.next().map_err(bad)? {
                    if let (Some(start), Some(end)) = (file(range.begin), file(range.end)) {
                        spans.push(start..end);
                    }
                }
                if tag == constants::DW_TAG_subprogram {
                    let functions: Vec<u32> = spans
                        .iter()
                        .filter_map(|s| bodies.iter().find(|b| b.contains(&s.start)))
                        .map(|body| body.start)
                        .collect();
                    for function in &functions {
                        found.entry(*function).or_default();
                    }
                    if !functions.is_empty() {
                        owners.push((depth, functions));
                    }
                }
                if !spans.is_empty() {
                    scopes.push((depth, spans));
                }
            }
            let (Some((_, functions)), Some((_, scope))) = (owners.last(), scopes.last()) else {
                continue;
            };
            let mut spans = Vec::new();
            for name in [constants::DW_AT_frame_base, constants::DW_AT_location] {
                if let Some(value) = entry.attr_value(name).map_err(bad)? {
                    attribute_locals(&dwarf, &unit, value, &mut |local, range| {
                        let span = |span| LocalSpan { local, span };
                        match range {
                            Some(range) => {
                                if let (Some(start), Some(end)) =
                                    (file(range.begin), file(range.end))
                                {
                                    spans.push(span(start..end));
                                }
                            }
                            None => spans.extend(scope.iter().cloned().map(span)),
                        }
                    })
                    .map_err(bad)?;
                }
            }
            for function in functions {
                found
                    .entry(*function)
                    .or_default()
                    .extend(spans.iter().cloned());
            }
        }
    }
    Ok(found)
}

/// The locals a location attribute names, each with the address range of its location
/// list entry (`None` for a plain expression: wherever its entry's scope is).
fn attribute_locals<R: Reader>(
    dwarf: &gimli::Dwarf<R>,
    unit: &gimli::Unit<R>,
    value: gimli::AttributeValue<R>,
    found: &mut impl FnMut(u32, Option<gimli::Range>),
) -> Result<(), gimli::Error> {
    let mut locals = BTreeSet::new();
    if let gimli::AttributeValue::Exprloc(expression) = value {
        expression_locals(expression, unit.encoding(), &mut locals)?;
        locals.into_iter().for_each(|local| found(local, None));
        return Ok(());
    }
    if let Some(mut list) = dwarf.attr_locations(unit, value)? {
        while let Some(entry) = list.next()? {
            expression_locals(entry.data, unit.encoding(), &mut locals)?;
            for local in std::mem::take(&mut locals) {
                found(local, Some(entry.range));
            }
        }
    }
    Ok(())
}

/// Adds every local a location expression names — `DW_OP_WASM_location 0x0 <index>` —
/// to `locals`. The other kinds (1 and 3 globals, 2 the operand stack) name no local;
/// kind 3's index is a fixed four bytes, which the scan steps over.
pub fn expression_locals<R: Reader>(
    expression: gimli::Expression<R>,
    encoding: gimli::Encoding,
    locals: &mut BTreeSet<u32>,
) -> Result<(), gimli::Error> {
    let mut operations = expression.operations(encoding);
    while let Some(operation) = operations.next()? {
        if let gimli::Operation::WasmLocal { index } = operation {
            locals.insert(index);
        }
    }
    Ok(())
}

/// Each body's file range, from its code entry's start (after its size) to its end.
fn body_ranges(module: &[u8]) -> Result<Vec<Range<u32>>, InstrumentError> {
    let mut bodies = Vec::new();
    for payload in Parser::new(0).parse_all(module) {
        if let Payload::CodeSectionEntry(body) = payload? {
            let range = body.range();
            let start = u32::try_from(range.start).map_err(|_| InstrumentError::TooLarge)?;
            let end = u32::try_from(range.end).map_err(|_| InstrumentError::TooLarge)?;
            bodies.push(start..end);
        }
    }
    Ok(bodies)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(bytes: &[u8]) -> Result<BTreeSet<u32>, gimli::Error> {
        let encoding = gimli::Encoding {
            address_size: 4,
            format: gimli::Format::Dwarf32,
            version: 4,
        };
        let mut locals = BTreeSet::new();
        let expression = gimli::Expression(EndianSlice::new(bytes, LittleEndian));
        expression_locals(expression, encoding, &mut locals)?;
        Ok(locals)
    }

    #[test]
    fn a_local_is_named_by_kind_0() {
        assert_eq!(scan(&[0xED, 0x00, 0x05]).unwrap(), BTreeSet::from([5]));
        // A multi-byte ULEB index, then `DW_OP_stack_value` (a frame base's shape).
        assert_eq!(
            scan(&[0xED, 0x00, 0xAC, 0x02, 0x9F]).unwrap(),
            BTreeSet::from([300])
        );
    }

    #[test]
    fn globals_and_the_operand_stack_name_no_local() {
        assert!(scan(&[0xED, 0x01, 0x00]).unwrap().is_empty());
        assert!(scan(&[0xED, 0x02, 0x07]).unwrap().is_empty());
        assert!(
            scan(&[0xED, 0x03, 0x00, 0x00, 0x00, 0x00])
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn kind_3_has_a_fixed_four_byte_index() {
        // Read as a ULEB, 0x80 0xED 0x00 0x00 would swallow the next operation; as four
        // bytes it leaves `DW_OP_WASM_location 0x0 0x2` to be found.
        let bytes = [0xED, 0x03, 0x80, 0xED, 0x00, 0x00, 0xED, 0x00, 0x02];
        assert_eq!(scan(&bytes).unwrap(), BTreeSet::from([2]));
    }

    #[test]
    fn pieces_name_every_local() {
        // Two pieces: local 1 (4 bytes), local 3 (4 bytes), with `DW_OP_piece 4`.
        let bytes = [0xED, 0x00, 0x01, 0x93, 0x04, 0xED, 0x00, 0x03, 0x93, 0x04];
        assert_eq!(scan(&bytes).unwrap(), BTreeSet::from([1, 3]));
    }

    #[test]
    fn a_truncated_expression_is_an_error() {
        assert!(scan(&[0xED, 0x00]).is_err());
        assert!(scan(&[0xED, 0x03, 0x01, 0x02]).is_err());
    }
}
