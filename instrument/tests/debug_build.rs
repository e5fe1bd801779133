//! A real debug build (`cargo xtask wasm` writes them): the aggregator guest, instrumented
//! from its DWARF line table. Looked for in `$FIREBALL_MODULES_DEBUG_DIR`, else in
//! `target/fireball/modules-debug/`; skipped, saying so, when neither has it.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
};

use fireball_abi::debug;
use fireball_instrument::{dwarf, has_debug_info, instrument, validate};
use gimli::{EndianSlice, LittleEndian};
use wasmparser::{Operator, Parser, Payload};

fn aggregator() -> Option<Vec<u8>> {
    let dir = std::env::var_os("FIREBALL_MODULES_DEBUG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/fireball/modules-debug")
        });
    let path = dir.join("aggregator.wasm");
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            eprintln!(
                "skipped: no debug build at {} ({e}); run `cargo xtask wasm`",
                path.display()
            );
            None
        }
    }
}

/// Body starts, instruction starts, and the code section's contents.
fn code(module: &[u8]) -> (BTreeSet<u32>, BTreeSet<u32>, std::ops::Range<u32>) {
    let (mut bodies, mut instructions, mut range) = (BTreeSet::new(), BTreeSet::new(), 0..0);
    for payload in Parser::new(0).parse_all(module) {
        match payload.unwrap() {
            Payload::CodeSectionStart { range: r, .. } => range = r.start as u32..r.end as u32,
            Payload::CodeSectionEntry(body) => {
                bodies.insert(body.range().start as u32);
                let mut ops = body.get_operators_reader().unwrap();
                while !ops.eof() {
                    instructions.insert(ops.read_with_offset().unwrap().1 as u32);
                }
            }
            _ => {}
        }
    }
    (bodies, instructions, range)
}

#[test]
fn the_line_table_names_instructions_of_the_original_file() {
    let Some(module) = aggregator() else { return };
    assert!(has_debug_info(&module));
    let lines = dwarf::line_offsets(&module).unwrap();
    let (bodies, instructions, range) = code(&module);
    assert!(lines.len() > 100, "{} rows", lines.len());
    // Converted with the code section's start, every row is a body start (a function's
    // first row, at its locals) or an instruction start: the convention is right.
    let stray: Vec<_> = lines
        .iter()
        .filter(|at| !bodies.contains(at) && !instructions.contains(at))
        .collect();
    assert!(stray.is_empty(), "rows off any instruction: {stray:?}");
    assert!(lines.iter().all(|at| range.contains(at)));
    // Many bodies start on a row (the others are the dependencies' code, built without
    // DWARF: `[profile.wasm-debug.package."*"]` — of the aggregator's 88 bodies, 34 are the
    // SDK's and 24 the record crate's, its flat-block loads among them, not inlined at
    // opt-level 1), which an offset off by anything would not give.
    assert!(bodies.iter().filter(|b| lines.contains(b)).count() > bodies.len() / 3);
}

/// In each instrumented body (by position), every stop location (`i32.const x; call line`)
/// and the locals dumped there (the `local.get`s up to `call stop`).
fn stops(out: &[u8]) -> Vec<BTreeMap<u32, BTreeSet<u32>>> {
    let mut line = None;
    let mut bodies = Vec::new();
    for payload in Parser::new(0).parse_all(out) {
        match payload.unwrap() {
            Payload::ImportSection(imports) => {
                let functions = imports
                    .into_iter()
                    .map(|i| i.unwrap())
                    .filter(|i| matches!(i.ty, wasmparser::TypeRef::Func(_)));
                line = functions
                    .enumerate()
                    .find(|(_, i)| i.module == debug::MODULE && i.name == debug::LINE)
                    .map(|(index, _)| index as u32);
            }
            Payload::CodeSectionEntry(body) => {
                let line = line.expect("the probes are imported");
                let stop = line + 6; // `debug::ALL`'s order: line, call, 4 × local_*, stop
                let mut stops: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
                let (mut previous, mut current) = (None, None);
                for op in body.get_operators_reader().unwrap() {
                    let op = op.unwrap();
                    match (&previous, &op) {
                        (Some(Operator::I32Const { value }), Operator::Call { function_index })
                            if *function_index == line =>
                        {
                            stops.insert(*value as u32, BTreeSet::new());
                            current = Some(*value as u32);
                        }
                        (_, Operator::Call { function_index }) if *function_index == stop => {
                            current = None;
                        }
                        (_, Operator::LocalGet { local_index }) => {
                            if let Some(at) = current {
                                stops.get_mut(&at).unwrap().insert(*local_index);
                            }
                        }
                        _ => {}
                    }
                    previous = Some(op);
                }
                bodies.push(stops);
            }
            _ => {}
        }
    }
    bodies
}

fn load(module: &[u8]) -> gimli::Dwarf<EndianSlice<'_, LittleEndian>> {
    gimli::Dwarf::load(|id| -> Result<_, gimli::Error> {
        let data = dwarf::custom_section(module, id.name()).unwrap_or(&[]);
        Ok(EndianSlice::new(data, LittleEndian))
    })
    .unwrap()
}

#[test]
fn the_aggregator_instruments_and_validates() {
    let Some(module) = aggregator() else { return };
    let out = instrument(&module, "aggregator.wasm").unwrap();
    validate(&out).unwrap();
    // Every `i32.const x; call line` passes an offset inside the original's code section.
    let (_, _, range) = code(&module);
    let lines: Vec<u32> = stops(&out).iter().flat_map(|s| s.keys().copied()).collect();
    assert!(lines.iter().all(|at| range.contains(at)), "{lines:?}");
    assert!(lines.len() > 100, "{} stop locations", lines.len());
}

#[test]
fn every_statement_row_that_starts_an_instruction_is_a_stop_location() {
    let Some(module) = aggregator() else { return };
    let out = instrument(&module, "aggregator.wasm").unwrap();
    let (_, instructions, range) = code(&module);
    let lines: BTreeSet<u32> = stops(&out).iter().flat_map(|s| s.keys().copied()).collect();
    // The line table, read here independently of `dwarf::line_offsets`.
    let dwarf = load(&module);
    let (mut statements, mut others) = (0, 0);
    let mut units = dwarf.units();
    while let Some(header) = units.next().unwrap() {
        let unit = dwarf.unit(header).unwrap();
        let Some(program) = unit.line_program.clone() else {
            continue;
        };
        let mut rows = program.rows();
        while let Some((_, row)) = rows.next_row().unwrap() {
            let at = range.start as u64 + row.address();
            let Ok(at) = u32::try_from(at) else { continue };
            if row.end_sequence() || !instructions.contains(&at) {
                continue;
            }
            if row.is_stmt() {
                statements += 1;
                assert!(
                    lines.contains(&at),
                    "statement row at {at} is no stop location"
                );
            } else {
                others += 1;
            }
        }
    }
    assert!(statements > 100, "{statements} statement rows");
    eprintln!(
        "{statements} statement rows, {others} other rows; {} stop locations",
        lines.len()
    );
}

#[test]
fn the_instrumented_aggregator_is_small() {
    let Some(module) = aggregator() else { return };
    let out = instrument(&module, "aggregator.wasm").unwrap();
    let percent = out.len() as f64 * 100.0 / module.len() as f64;
    eprintln!(
        "aggregator debug build: {} -> {} bytes instrumented ({percent:.1} %)",
        module.len(),
        out.len()
    );
    assert!(percent < LIMIT_PERCENT, "{percent:.1} % of the debug build");
}

/// The instrumented aggregator's size bound, in percent of the debug build's (all its
/// DWARF included).
const LIMIT_PERCENT: f64 = 35.0;

#[test]
fn every_stop_in_fb_main_dumps_its_frame_base() {
    let Some(module) = aggregator() else { return };
    // `fb_main`'s code address and frame base local, from its DIE.
    let dwarf = load(&module);
    let mut found = None;
    let mut units = dwarf.units();
    while let Some(header) = units.next().unwrap() {
        let unit = dwarf.unit(header).unwrap();
        let mut entries = unit.entries();
        while let Some((_, entry)) = entries.next_dfs().unwrap() {
            let Some(name) = entry.attr_value(gimli::DW_AT_name).unwrap() else {
                continue;
            };
            let name = dwarf.attr_string(&unit, name).unwrap();
            if entry.tag() != gimli::DW_TAG_subprogram || name.slice() != b"fb_main" {
                continue;
            }
            let Some(gimli::AttributeValue::Addr(low_pc)) =
                entry.attr_value(gimli::DW_AT_low_pc).unwrap()
            else {
                continue;
            };
            let Some(gimli::AttributeValue::Exprloc(base)) =
                entry.attr_value(gimli::DW_AT_frame_base).unwrap()
            else {
                panic!("fb_main's frame base is no expression");
            };
            let mut ops = base.operations(unit.encoding());
            let Some(gimli::Operation::WasmLocal { index }) = ops.next().unwrap() else {
                panic!("fb_main's frame base is no local");
            };
            found = Some((low_pc, index));
        }
    }
    let (low_pc, frame_base) = found.expect("a subprogram fb_main with code");
    let (bodies, _, range) = code(&module);
    let body = range.start + low_pc as u32;
    let position = bodies
        .iter()
        .position(|b| *b == body)
        .expect("fb_main's body");
    let out = instrument(&module, "aggregator.wasm").unwrap();
    let stops = &stops(&out)[position];
    assert!(stops.len() > 10, "{} stops in fb_main", stops.len());
    for (at, locals) in stops {
        assert!(locals.contains(&frame_base), "stop {at}: {locals:?}");
    }
    let all: BTreeSet<u32> = stops.values().flatten().copied().collect();
    eprintln!("fb_main: frame base local {frame_base}, locals dumped at its stops: {all:?}");
}
