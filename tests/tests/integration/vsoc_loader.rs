//! Malformed or unsupported modules get typed errors, never a panic.

use fireball_vsoc::{LoadError, Vsoc, VsocConfig};

fn load(bytes: &[u8]) -> Result<(), LoadError> {
    Vsoc::default().load("m", bytes).map(drop)
}

/// Load a module made of `fields` plus an entry point.
fn load_wat(fields: &str) -> Result<(), LoadError> {
    load(&wat::parse_str(format!(r#"(module {fields} (func (export "fb_main")))"#)).unwrap())
}

#[test]
fn garbage_is_malformed() {
    assert!(matches!(load(b""), Err(LoadError::Malformed { .. })));
    assert!(matches!(
        load(b"\0asX\x01\0\0\0"),
        Err(LoadError::Malformed { .. })
    ));
    assert!(matches!(
        load(b"not wasm at all"),
        Err(LoadError::Malformed { .. })
    ));
}

#[test]
fn truncations_of_the_hello_guest_are_refused_unless_cut_at_a_section_boundary() {
    let hello = fireball_tests::module("hello");
    let vsoc = Vsoc::default();
    let mut accepted = Vec::new();
    for len in 0..hello.len() {
        let Ok(module) = vsoc.load("hello", &hello[..len]) else {
            continue;
        };
        // A cut exactly between sections can leave a valid module (say,
        // without its data section). It must still run to a typed outcome.
        let mut instance = vsoc
            .instantiate(
                &module,
                Box::new(fireball_subsystems::hal::NullConsole::default()),
            )
            .unwrap();
        instance.run_to_completion();
        accepted.push(len);
    }
    // Only section boundaries can be valid cut points; a module has a dozen at most.
    assert!(accepted.len() <= 12, "accepted truncations: {accepted:?}");
    assert!(vsoc.load("hello", &hello[..hello.len() / 2]).is_err());
}

#[test]
fn a_module_without_an_entry_point_is_refused() {
    assert_eq!(load(b"\0asm\x01\0\0\0"), Err(LoadError::MissingEntry));
    assert_eq!(
        load(&wat::parse_str(r#"(module (func (export "main")))"#).unwrap()),
        Err(LoadError::MissingEntry)
    );
}

#[test]
fn invalid_code_is_refused_by_validation() {
    // Well-formed sections, but the function returns an i64 where it declares i32.
    let err = load_wat("(func (result i32) (i64.const 1))").unwrap_err();
    assert!(matches!(err, LoadError::Invalid { .. }), "{err:?}");
    // An opcode that does not exist (0xFF) inside a function body.
    let mut bytes = wat::parse_str(r#"(module (func (export "fb_main") nop))"#).unwrap();
    let nop = bytes.iter().rposition(|&b| b == 0x01).unwrap();
    bytes[nop] = 0xFF;
    assert!(load(&bytes).is_err());
}

#[test]
fn imports_outside_the_builtins_are_refused() {
    assert_eq!(
        load_wat(r#"(import "env" "open" (func))"#),
        Err(LoadError::UnknownImport {
            module: "env".into(),
            name: "open".into()
        })
    );
    assert!(matches!(
        load_wat(r#"(import "fb" "memory" (memory 1))"#),
        Err(LoadError::UnknownImport { .. })
    ));
}

#[test]
fn oversized_memories_and_tables_are_refused() {
    let limit = VsocConfig::default().max_memory_bytes;
    assert_eq!(
        load_wat("(memory 1)"),
        Err(LoadError::MemoryTooLarge {
            bytes: u64::MAX,
            limit
        }),
        "a memory without a maximum may grow without bound"
    );
    assert!(matches!(
        load_wat("(memory 2 2)"),
        Err(LoadError::MemoryTooLarge { bytes: 131_072, .. })
    ));
    assert!(load_wat("(memory 1 1)").is_ok());
    assert!(matches!(
        load_wat("(table 100000 funcref)"),
        Err(LoadError::TableTooLarge { .. })
    ));
    assert!(matches!(
        load_wat("(table 1 funcref) (table 1 funcref)"),
        Err(LoadError::TooManyTables { count: 2, limit: 1 })
    ));
}

#[test]
fn modules_over_the_size_limit_are_refused_before_parsing() {
    let vsoc = Vsoc::new(VsocConfig {
        max_module_bytes: 16,
        ..VsocConfig::default()
    });
    assert_eq!(
        vsoc.load("m", &[0; 17]).map(drop),
        Err(LoadError::TooLarge {
            size: 17,
            limit: 16
        })
    );
}

#[test]
fn inspect_names_the_role_and_the_builtins() {
    let wat = r#"(module
        (import "fb" "route_next" (func (result i32)))
        (import "fb" "route_bind" (func (param i32 i32) (result i32)))
        (memory (export "memory") 1 1)
        (data (i32.const 0) "\00hal://adc/0\07svc://filter/{ch}\ff and log://")
        (func (export "fb_main")))"#;
    let (info, text) = inspect_svc(wat);
    assert!(info.is_service());
    assert!(text.contains("service (imports route_next)"), "{text}");
    assert!(text.contains("builtins: route_next, route_bind"), "{text}");
    // The strings in its data are not its routes: those are what it declares when it runs
    // (`fireball::served_routes`, tests/tests/integration/served_routes.rs).
    assert!(!text.contains("hal://adc"), "{text}");
}

/// What the loader sees of `wat` as module `svc`, and what `fireball inspect` prints of it.
fn inspect_svc(wat: &str) -> (fireball_vsoc::loader::ModuleInfo, String) {
    let info = fireball_vsoc::loader::inspect(
        &VsocConfig::default(),
        "svc",
        &wat::parse_str(wat).unwrap(),
    )
    .unwrap();
    let text = fireball_vsoc::loader::describe(&info);
    (info, text)
}

/// The SDKs' services wait in `route_respond_next`: that import makes a service too.
#[test]
fn a_module_waiting_in_route_respond_next_is_a_service() {
    let wat = r#"(module
        (import "fb" "route_respond_next"
            (func (param i32 i32 i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 1 1)
        (func (export "fb_main")))"#;
    let (info, text) = inspect_svc(wat);
    assert!(info.is_service());
    assert!(
        text.contains("service (imports route_respond_next)"),
        "{text}"
    );
}

#[test]
fn a_value_stack_cap_below_wasmis_minimum_is_raised_not_a_panic() {
    let vsoc = Vsoc::new(VsocConfig {
        max_value_stack: 0,
        ..VsocConfig::default()
    });
    assert_eq!(
        vsoc.config().max_value_stack,
        fireball_vsoc::config::MIN_VALUE_STACK
    );
    // And it still runs a module.
    let module = vsoc
        .load(
            "tiny",
            &wat::parse_str(r#"(module (func (export "fb_main")))"#).unwrap(),
        )
        .unwrap();
    let mut instance = vsoc
        .instantiate(
            &module,
            Box::new(fireball_subsystems::hal::NullConsole::default()),
        )
        .unwrap();
    assert_eq!(instance.run_slice(), fireball_vsoc::Slice::Finished);
}
