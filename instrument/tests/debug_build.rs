//! A real debug build (`cargo xtask wasm` writes them): the aggregator guest, instrumented
//! from its DWARF line table. Looked for in `$FIREBALL_MODULES_DEBUG_DIR`, else in
//! `target/fireball/modules-debug/`; skipped, saying so, when neither has it.

use std::{collections::BTreeSet, path::PathBuf};

use fireball_abi::debug;
use fireball_instrument::{dwarf, has_debug_info, instrument, validate};
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
    assert!(bodies.iter().filter(|b| lines.contains(b)).count() > bodies.len() / 2);
}

#[test]
fn the_aggregator_instruments_and_validates() {
    let Some(module) = aggregator() else { return };
    let out = instrument(&module, "aggregator.wasm").unwrap();
    validate(&out).unwrap();
    // Every `i32.const x; call line` passes an offset inside the original's code section.
    let (_, _, range) = code(&module);
    let mut line = None;
    let mut lines = 0;
    for payload in Parser::new(0).parse_all(&out) {
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
                let mut previous = None;
                for op in body.get_operators_reader().unwrap() {
                    let op = op.unwrap();
                    if let (Some(Operator::I32Const { value }), Operator::Call { function_index }) =
                        (&previous, &op)
                        && Some(*function_index) == line
                    {
                        assert!(range.contains(&(*value as u32)), "line({value})");
                        lines += 1;
                    }
                    previous = Some(op);
                }
            }
            _ => {}
        }
    }
    assert!(lines > 100, "{lines} stop locations");
    eprintln!(
        "aggregator debug build: {} -> {} bytes",
        module.len(),
        out.len()
    );
}
