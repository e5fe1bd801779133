//! The builtins are described once, in `fireball_abi::builtin::SIGNATURES`: the vSoC links
//! each exactly so, and every module built (the Rust SDKs' and the C guest's) imports each
//! exactly so.

use fireball_abi::builtin::{ALL, SIGNATURES, Signature, ValType, signature};
use fireball_subsystems::hal::NullConsole;
use fireball_vsoc::{Vsoc, VsocConfig};

fn wat_type(ty: ValType) -> &'static str {
    match ty {
        ValType::I32 => "i32",
        ValType::I64 => "i64",
    }
}

/// A module that imports every builtin with `signature(builtin)`.
fn importing_all(signature: impl Fn(&Signature) -> (Vec<ValType>, Vec<ValType>)) -> String {
    let mut wat = String::from("(module\n");
    for builtin in SIGNATURES {
        let (params, results) = signature(builtin);
        let params: Vec<_> = params.into_iter().map(wat_type).collect();
        let results: Vec<_> = results.into_iter().map(wat_type).collect();
        wat += &format!(
            "  (import \"fb\" \"{}\" (func (param {}) (result {})))\n",
            builtin.name,
            params.join(" "),
            results.join(" ")
        );
    }
    wat += "  (memory (export \"memory\") 1 1)\n  (func (export \"fb_main\")))";
    wat
}

fn links(wat: &str) -> bool {
    let vsoc = Vsoc::new(VsocConfig::default());
    let module = vsoc.load("all", &wat::parse_str(wat).unwrap()).unwrap();
    vsoc.instantiate(&module, Box::new(NullConsole::default()))
        .is_ok()
}

#[test]
fn the_table_names_every_builtin_once() {
    let names: Vec<_> = SIGNATURES.iter().map(|s| s.name).collect();
    assert_eq!(names, ALL);
    for (i, name) in names.iter().enumerate() {
        assert!(!names[..i].contains(name), "{name} twice");
    }
}

#[test]
fn the_vsoc_links_every_builtin_with_the_tables_signature() {
    assert!(links(&importing_all(|s| (
        s.params.to_vec(),
        s.results.to_vec()
    ))));
    // And the check can fail: one parameter too many is refused.
    assert!(!links(&importing_all(|s| {
        let mut params = s.params.to_vec();
        if s.name == "gpio_read" {
            params.push(ValType::I32);
        }
        (params, s.results.to_vec())
    })));
}

#[test]
fn every_module_imports_builtins_with_the_tables_signatures() {
    let dir = fireball_tests::modules_dir();
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "wasm") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let mut types = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
            match payload.unwrap() {
                wasmparser::Payload::TypeSection(reader) => {
                    for group in reader {
                        for sub in group.unwrap().into_types() {
                            types.push(sub.unwrap_func().clone());
                        }
                    }
                }
                wasmparser::Payload::ImportSection(reader) => {
                    for import in reader {
                        let import = import.unwrap();
                        assert_eq!(import.module, "fb", "{}: {}", path.display(), import.name);
                        let wasmparser::TypeRef::Func(index) = import.ty else {
                            panic!("{}: `{}` is not a function", path.display(), import.name);
                        };
                        let ty = &types[index as usize];
                        let expected = signature(import.name).unwrap_or_else(|| {
                            panic!("{}: no builtin `{}`", path.display(), import.name)
                        });
                        let wasm = |t: &ValType| match t {
                            ValType::I32 => wasmparser::ValType::I32,
                            ValType::I64 => wasmparser::ValType::I64,
                        };
                        let params: Vec<_> = expected.params.iter().map(wasm).collect();
                        let results: Vec<_> = expected.results.iter().map(wasm).collect();
                        assert_eq!(
                            (ty.params(), ty.results()),
                            (params.as_slice(), results.as_slice()),
                            "{}: `{}`",
                            path.display(),
                            import.name
                        );
                        checked += 1;
                    }
                }
                _ => {}
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} imports checked in {}",
        dir.display()
    );
}
