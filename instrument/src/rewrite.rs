//! The rewrite itself: sections are collected in one pass, then written in the canonical
//! order with the probes' imports, types and exports added and every body wrapped (the
//! scheme is in the crate documentation).

use std::{
    collections::{BTreeMap, BTreeSet},
    convert::Infallible,
    ops::RangeInclusive,
};

use fireball_abi::debug;
use wasm_encoder::{
    BlockType, CodeSection, CustomSection, DataCountSection, DataSection, ElementSection,
    EntityType, ExportKind, ExportSection, Function, FunctionSection, GlobalSection, ImportSection,
    Instruction, MemorySection, Module, StartSection, TableSection, TypeSection, ValType,
    reencode::{Error as ReencodeError, Reencode, utils},
};
use wasmparser::{
    DataSectionReader, ElementSectionReader, ExportSectionReader, FunctionBody,
    FunctionSectionReader, GlobalSectionReader, ImportSectionReader, MemorySectionReader, Operator,
    Parser, Payload, TableSectionReader, TypeRef, TypeSectionReader,
};

use crate::{InstrumentError, dwarf::LocalSpan};

/// The probes' positions among the added imports (`debug::ALL`'s order).
const ENTER: u32 = 0;
const LEAVE: u32 = 1;
const LINE: u32 = 2;
const CALL: u32 = 3;
const LOCAL_I32: u32 = 4;
const LOCAL_I64: u32 = 5;
const LOCAL_F32: u32 = 6;
const LOCAL_F64: u32 = 7;
const STOP: u32 = 8;
/// How many probes are imported.
const PROBES: u32 = 9;
const _: () = assert!(debug::ALL.len() == PROBES as usize);

/// Each probe's signature: (parameters, results), in `debug::ALL`'s order.
const SIGNATURES: [(&[ValType], &[ValType]); PROBES as usize] = [
    (&[ValType::I32], &[]),
    (&[], &[]),
    (&[ValType::I32], &[ValType::I32]),
    (&[ValType::I32], &[ValType::I32]),
    (&[ValType::I32, ValType::I32], &[]),
    (&[ValType::I32, ValType::I64], &[]),
    (&[ValType::I32, ValType::F32], &[]),
    (&[ValType::I32, ValType::F64], &[]),
    (&[], &[]),
];

/// wasmparser's limits (`wasmparser::limits`), which wasmi enforces when it parses.
const MAX_TYPES: usize = 1_000_000;
const MAX_FUNCTIONS: usize = 1_000_000;
const MAX_FUNCTION_SIZE: usize = 128 * 1024;

/// Re-encodes everything but the bodies: function indices past the module's imports move up
/// by the nine probes.
#[derive(Clone, Copy)]
struct Shift {
    imported_functions: u32,
}

impl Reencode for Shift {
    type Error = Infallible;

    fn function_index(&mut self, func: u32) -> u32 {
        if func < self.imported_functions {
            func
        } else {
            func.saturating_add(PROBES)
        }
    }
}

/// The input's sections, as readers.
#[derive(Default)]
struct Sections<'a> {
    types: Option<TypeSectionReader<'a>>,
    imports: Option<ImportSectionReader<'a>>,
    functions: Option<FunctionSectionReader<'a>>,
    tables: Option<TableSectionReader<'a>>,
    memories: Option<MemorySectionReader<'a>>,
    globals: Option<GlobalSectionReader<'a>>,
    exports: Option<ExportSectionReader<'a>>,
    start: Option<u32>,
    elements: Option<ElementSectionReader<'a>>,
    data_count: Option<u32>,
    bodies: Vec<FunctionBody<'a>>,
    data: Option<DataSectionReader<'a>>,
}

impl<'a> Sections<'a> {
    fn parse(module: &'a [u8]) -> Result<Self, InstrumentError> {
        let mut s = Sections::default();
        for payload in Parser::new(0).parse_all(module) {
            match payload? {
                Payload::Version { .. } | Payload::CustomSection(_) | Payload::End(_) => {}
                Payload::TypeSection(r) => s.types = Some(r),
                Payload::ImportSection(r) => s.imports = Some(r),
                Payload::FunctionSection(r) => s.functions = Some(r),
                Payload::TableSection(r) => s.tables = Some(r),
                Payload::MemorySection(r) => s.memories = Some(r),
                Payload::GlobalSection(r) => s.globals = Some(r),
                Payload::ExportSection(r) => s.exports = Some(r),
                Payload::StartSection { func, .. } => s.start = Some(func),
                Payload::ElementSection(r) => s.elements = Some(r),
                Payload::DataCountSection { count, .. } => s.data_count = Some(count),
                Payload::CodeSectionStart { .. } => {}
                Payload::CodeSectionEntry(body) => s.bodies.push(body),
                Payload::DataSection(r) => s.data = Some(r),
                _ => {
                    return Err(InstrumentError::Unsupported(
                        "a section other than core wasm's",
                    ));
                }
            }
        }
        Ok(s)
    }
}

/// What a body's rewrite needs to know about the module.
struct Context<'s> {
    shift: Shift,
    /// Every function type, by type index.
    types: Vec<wasmparser::FuncType>,
    /// For each type index: the block type of a body of that type (multi-value results
    /// name a type added for it).
    block_types: Vec<BlockType>,
    stops: &'s BTreeSet<u32>,
    /// Per function (by body start), where its locals hold what a debugger can ask for;
    /// `None`: every local of every function, everywhere.
    locals: Option<&'s BTreeMap<u32, Vec<LocalSpan>>>,
}

impl Context<'_> {
    /// The function index of a probe.
    fn probe(&self, probe: u32) -> u32 {
        self.shift.imported_functions + probe
    }
}

/// Instruments `module` (see the crate documentation).
pub(crate) fn rewrite(
    module: &[u8],
    stops: &BTreeSet<u32>,
    locals: Option<&BTreeMap<u32, Vec<LocalSpan>>>,
    name: &str,
) -> Result<Vec<u8>, InstrumentError> {
    crate::validate(module)?;
    let sections = Sections::parse(module)?;

    // Types: the module's own, then the probes' signatures, then `[] -> results` for each
    // multi-value function type (a wrapper block's type).
    let mut types = Vec::new();
    if let Some(reader) = sections.types.clone() {
        for ty in reader.into_iter_err_on_gc_types() {
            types.push(ty?);
        }
    }
    let probe_types = u32::try_from(types.len()).map_err(|_| InstrumentError::TooLarge)?;
    let mut added_types: Vec<(Vec<ValType>, Vec<ValType>)> = SIGNATURES
        .iter()
        .map(|(params, results)| (params.to_vec(), results.to_vec()))
        .collect();
    let mut shift = Shift {
        imported_functions: 0,
    };
    let mut block_types = Vec::with_capacity(types.len());
    for ty in &types {
        let results = ty
            .results()
            .iter()
            .map(|&t| shift.val_type(t))
            .collect::<Result<Vec<_>, _>>()
            .map_err(reencode_error)?;
        block_types.push(match results[..] {
            [] => BlockType::Empty,
            [one] => BlockType::Result(one),
            _ => {
                added_types.push((Vec::new(), results));
                BlockType::FunctionType(probe_types + added_types.len() as u32 - 1)
            }
        });
    }
    if types.len() + added_types.len() > MAX_TYPES {
        return Err(InstrumentError::TooLarge);
    }

    // Imports: the module's, then the probes. Count functions and globals on the way.
    let mut function_types = Vec::new();
    let mut globals = 0u32;
    let mut imports = ImportSection::new();
    if let Some(reader) = sections.imports.clone() {
        for import in reader {
            let import = import?;
            match import.ty {
                TypeRef::Func(ty) => function_types.push(ty),
                TypeRef::Global(_) => globals += 1,
                _ => {}
            }
            utils::parse_import(&mut shift, &mut imports, import).map_err(reencode_error)?;
        }
    }
    shift.imported_functions =
        u32::try_from(function_types.len()).map_err(|_| InstrumentError::TooLarge)?;
    for (probe, name) in debug::ALL.iter().enumerate() {
        imports.import(
            debug::MODULE,
            name,
            EntityType::Function(probe_types + probe as u32),
        );
    }
    if let Some(reader) = sections.functions.clone() {
        for ty in reader {
            function_types.push(ty?);
        }
    }
    if function_types.len() + PROBES as usize > MAX_FUNCTIONS {
        return Err(InstrumentError::TooLarge);
    }
    if let Some(reader) = sections.globals.clone() {
        globals += reader.count();
    }

    let mut out = Module::new();
    let mut type_section = TypeSection::new();
    if let Some(reader) = sections.types.clone() {
        utils::parse_type_section(&mut shift, &mut type_section, reader).map_err(reencode_error)?;
    }
    for (params, results) in added_types {
        type_section.ty().function(params, results);
    }
    out.section(&type_section);
    out.section(&imports);
    macro_rules! copy {
        ($field:ident, $section:ty, $parse:ident) => {
            if let Some(reader) = sections.$field.clone() {
                let mut section = <$section>::new();
                utils::$parse(&mut shift, &mut section, reader).map_err(reencode_error)?;
                out.section(&section);
            }
        };
    }
    copy!(functions, FunctionSection, parse_function_section);
    copy!(tables, TableSection, parse_table_section);
    copy!(memories, MemorySection, parse_memory_section);
    copy!(globals, GlobalSection, parse_global_section);

    // Exports: the module's, then every global as `__fb_global_N`.
    let mut exports = ExportSection::new();
    let mut names = BTreeSet::new();
    if let Some(reader) = sections.exports.clone() {
        for export in reader {
            let export = export?;
            names.insert(export.name);
            utils::parse_export(&mut shift, &mut exports, export);
        }
    }
    for global in 0..globals {
        let export = format!("{}{global}", debug::GLOBAL_EXPORT);
        if names.contains(export.as_str()) {
            return Err(InstrumentError::Unsupported(
                "an export named like the debugger's global exports (__fb_global_N)",
            ));
        }
        exports.export(&export, ExportKind::Global, global);
    }
    if !exports.is_empty() {
        out.section(&exports);
    }
    if let Some(start) = sections.start {
        out.section(&StartSection {
            function_index: shift.function_index(start),
        });
    }
    copy!(elements, ElementSection, parse_element_section);
    if let Some(count) = sections.data_count {
        out.section(&DataCountSection { count });
    }

    let imported = shift.imported_functions as usize;
    let mut context = Context {
        shift,
        types,
        block_types,
        stops,
        locals,
    };
    if !sections.bodies.is_empty() {
        let mut code = CodeSection::new();
        for (index, body) in sections.bodies.iter().enumerate() {
            let ty = function_types
                .get(imported + index)
                .copied()
                .ok_or(InstrumentError::Unsupported("a body without a function"))?;
            let function = instrument_body(&mut context, ty, body)?;
            if function.byte_len() > MAX_FUNCTION_SIZE {
                return Err(InstrumentError::TooLarge);
            }
            code.function(&function);
        }
        out.section(&code);
    }
    copy!(data, DataSection, parse_data_section);
    out.section(&CustomSection {
        name: debug::SECTION.into(),
        data: name.as_bytes().into(),
    });

    let bytes = out.finish();
    crate::validate(&bytes).map_err(|e| InstrumentError::Internal(e.to_string()))?;
    Ok(bytes)
}

/// One body, wrapped and with its probes.
fn instrument_body(
    cx: &mut Context<'_>,
    ty: u32,
    body: &FunctionBody<'_>,
) -> Result<Function, InstrumentError> {
    let func_type = cx
        .types
        .get(ty as usize)
        .ok_or(InstrumentError::Unsupported(
            "a function of a non-function type",
        ))?;
    let block_type = cx.block_types[ty as usize];

    // Locals: parameters first, then the declared ones.
    let mut declared = Vec::new();
    let mut all: Vec<wasmparser::ValType> = func_type.params().to_vec();
    for pair in body.get_locals_reader()? {
        let (count, t) = pair?;
        declared.push((count, cx.shift.val_type(t).map_err(reencode_error)?));
        all.extend(std::iter::repeat_n(t, count as usize));
    }
    let body_start = offset(body.range().start)?;
    let spans = cx
        .locals
        .map(|m| m.get(&body_start).map_or(&[][..], Vec::as_slice));

    let mut f = Function::new(declared);
    f.instruction(&Instruction::I32Const(body_start as i32));
    f.instruction(&Instruction::Call(cx.probe(ENTER)));
    f.instruction(&Instruction::Block(block_type));

    let mut ops = body.get_operators_reader()?;
    // Control frames open inside the body; the function's own label is the wrapper block.
    let mut depth = 0u32;
    let mut return_address = None;
    while !ops.eof() {
        let (op, at) = ops.read_with_offset()?;
        let at = offset(at)?;
        let next = offset(ops.original_position())?;
        if cx.stops.contains(&at) || return_address == Some(at) {
            f.instruction(&Instruction::I32Const(at as i32));
            f.instruction(&Instruction::Call(cx.probe(LINE)));
            f.instruction(&Instruction::If(BlockType::Empty));
            for i in locals_dump(cx, &all, spans, at..=at) {
                f.instruction(&i);
            }
            f.instruction(&Instruction::Call(cx.probe(STOP)));
            f.instruction(&Instruction::End);
        }
        return_address = None;
        match op {
            Operator::Call { .. } | Operator::CallIndirect { .. } => {
                f.instruction(&Instruction::I32Const(next as i32));
                f.instruction(&Instruction::Call(cx.probe(CALL)));
                // The caller's pc is the return address, or just before it for LLDB's
                // symbolication of a frame that is not the innermost: the whole call.
                let dump = locals_dump(cx, &all, spans, at..=next);
                if dump.is_empty() {
                    f.instruction(&Instruction::Drop);
                } else {
                    f.instruction(&Instruction::If(BlockType::Empty));
                    for i in &dump {
                        f.instruction(i);
                    }
                    f.instruction(&Instruction::End);
                }
                return_address = Some(next);
            }
            Operator::ReturnCall { .. } | Operator::ReturnCallIndirect { .. } => {
                f.instruction(&Instruction::Call(cx.probe(LEAVE)));
            }
            Operator::Return => {
                f.instruction(&Instruction::Br(depth));
                continue;
            }
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => depth += 1,
            Operator::End if depth == 0 => {
                f.instruction(&Instruction::End);
                f.instruction(&Instruction::Call(cx.probe(LEAVE)));
            }
            Operator::End => depth -= 1,
            Operator::Try { .. }
            | Operator::TryTable { .. }
            | Operator::CallRef { .. }
            | Operator::ReturnCallRef { .. } => {
                return Err(InstrumentError::Unsupported(
                    "exceptions or typed function references",
                ));
            }
            _ => {}
        }
        f.instruction(&cx.shift.instruction(op).map_err(reencode_error)?);
    }
    Ok(f)
}

/// `i32.const i; local.get i; call local_<type>` for each numeric local, in index order,
/// that holds something a debugger can ask for somewhere in `pcs` (every local without
/// `spans`, the function's [`LocalSpan`]s).
fn locals_dump(
    cx: &Context<'_>,
    locals: &[wasmparser::ValType],
    spans: Option<&[LocalSpan]>,
    pcs: RangeInclusive<u32>,
) -> Vec<Instruction<'static>> {
    use wasmparser::ValType as V;
    let wanted: Option<BTreeSet<u32>> = spans.map(|spans| {
        spans
            .iter()
            .filter(|s| s.span.start <= *pcs.end() && *pcs.start() < s.span.end)
            .map(|s| s.local)
            .collect()
    });
    let mut dump = Vec::new();
    for (index, ty) in (0u32..).zip(locals) {
        if wanted.as_ref().is_some_and(|w| !w.contains(&index)) {
            continue;
        }
        let probe = match ty {
            V::I32 => LOCAL_I32,
            V::I64 => LOCAL_I64,
            V::F32 => LOCAL_F32,
            V::F64 => LOCAL_F64,
            V::V128 | V::Ref(_) => continue,
        };
        dump.push(Instruction::I32Const(index as i32));
        dump.push(Instruction::LocalGet(index));
        dump.push(Instruction::Call(cx.probe(probe)));
    }
    dump
}

/// A file offset as the probes pass it.
fn offset(at: usize) -> Result<u32, InstrumentError> {
    u32::try_from(at).map_err(|_| InstrumentError::TooLarge)
}

fn reencode_error(err: ReencodeError<Infallible>) -> InstrumentError {
    match err {
        ReencodeError::ParseError(e) => e.into(),
        other => InstrumentError::Internal(other.to_string()),
    }
}
