//! A trapping guest is stopped with the reason; the others keep running.

use fireball_subsystems::hal::NullConsole;
use fireball_vsoc::{Slice, TrapKind, Vsoc, guest_memory::MemoryFault};

fn trap_of(body: &str) -> TrapKind {
    let wat = format!(
        r#"(module
            (import "fb" "print" (func $print (param i32 i32)))
            (import "fb" "abort" (func $abort (param i32 i32)))
            (memory (export "memory") 1 1)
            (data (i32.const 0) "boom")
            (func $recurse (call $recurse))
            (func (export "fb_main") {body}))"#
    );
    let vsoc = Vsoc::default();
    let module = vsoc.load("trapper", &wat::parse_str(wat).unwrap()).unwrap();
    let mut instance = vsoc
        .instantiate(&module, Box::new(NullConsole::default()))
        .unwrap();
    let (outcome, _) = instance.run_to_completion();
    let Slice::Trapped(trap) = outcome else {
        panic!("expected a trap from `{body}`, got {outcome:?}");
    };
    assert_eq!(trap.module, "trapper");
    assert_eq!(trap.function, "fb_main");
    // A trapped instance stays trapped, with the same reason.
    assert_eq!(instance.run_slice(), Slice::Trapped(trap.clone()));
    assert!(!instance.is_runnable());
    trap.kind
}

#[test]
fn wasm_traps_carry_their_code() {
    use wasmi_trap::*;
    assert_eq!(trap_of("unreachable"), TrapKind::Wasm(UNREACHABLE));
    assert_eq!(
        trap_of("(drop (i32.div_s (i32.const 1) (i32.const 0)))"),
        TrapKind::Wasm(DIV_BY_ZERO)
    );
    assert_eq!(
        trap_of("(drop (i32.load (i32.const 70000)))"),
        TrapKind::Wasm(OUT_OF_BOUNDS)
    );
    assert_eq!(trap_of("(call $recurse)"), TrapKind::Wasm(STACK_OVERFLOW));
}

#[test]
fn a_guest_abort_carries_its_message() {
    assert_eq!(
        trap_of("(call $abort (i32.const 0) (i32.const 4))"),
        TrapKind::Abort("boom".into())
    );
}

#[test]
fn a_builtin_given_foreign_memory_stops_the_guest() {
    assert_eq!(
        trap_of("(call $print (i32.const 65530) (i32.const 10))"),
        TrapKind::Fault(MemoryFault::OutOfBounds {
            ptr: 65530,
            len: 10,
            memory: 65536
        })
    );
    assert_eq!(
        trap_of("(call $print (i32.const 0) (i32.const -1))"),
        TrapKind::Fault(MemoryFault::TooLong {
            len: u32::MAX,
            limit: 1024
        })
    );
}

/// The trap codes the tests expect, by name.
mod wasmi_trap {
    pub use fireball_vsoc::instance::TrapCode;
    pub const UNREACHABLE: TrapCode = TrapCode::UnreachableCodeReached;
    pub const DIV_BY_ZERO: TrapCode = TrapCode::IntegerDivisionByZero;
    pub const OUT_OF_BOUNDS: TrapCode = TrapCode::MemoryOutOfBounds;
    pub const STACK_OVERFLOW: TrapCode = TrapCode::StackOverflow;
}
