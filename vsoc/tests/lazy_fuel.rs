//! Lazy translation under fuel slices: a function is translated on its first call, and a
//! call that reaches an untranslated function when its slice's fuel runs out must be
//! suspended and resumed like any other — never lost.
//!
//! wasmi 2.0 charges a lazy translation to the caller's fuel and, when that fuel is short,
//! ends the whole resumable call with a non-resumable out-of-fuel error (its executor does
//! not keep the caller's frame: wasmi PR 2032). The vSoC charges translation no fuel, so it
//! can never run short there. The guest below first calls each of its callees at every
//! possible point of a slice, over every budget from 1 to 4 000 fuel: with wasmi's default
//! translation fuel the call is lost (the first test shows it, on bare wasmi), with the
//! vSoC's configuration every run finishes with the right result.

use std::{cell::RefCell, rc::Rc};

use fireball_subsystems::hal::Console;
use fireball_vsoc::{Slice, Vsoc, VsocConfig};

/// What the guest printed.
#[derive(Clone, Default)]
struct BufferConsole(Rc<RefCell<Vec<u8>>>);

impl BufferConsole {
    fn new() -> Self {
        Self::default()
    }

    fn contents(&self) -> String {
        String::from_utf8_lossy(&self.0.borrow()).into_owned()
    }
}

impl Console for BufferConsole {
    fn write(&mut self, bytes: &[u8]) {
        self.0.borrow_mut().extend_from_slice(bytes);
    }
}

/// Callees of the guest, each called once, in order.
const CALLEES: u32 = 24;

/// `fb_main` calls `$f0` … `$f23` once each; `$fi` adds `i + 1` to `$sum` through a chain of
/// 40 additions (a ~250-byte body: ~1 750 fuel to translate at wasmi's default 7 per byte, a
/// few dozen to run). `fb_main` then prints "ok" if `$sum` is 1 + 2 + … + 24, and traps if not.
fn guest() -> Vec<u8> {
    let mut funcs = String::new();
    let mut calls = String::new();
    for i in 0..CALLEES {
        let mut body = String::from("(local.get $x)");
        for k in 0..40 {
            body = format!("(i32.add {body} (i32.const {}))", k * 7 + i);
        }
        // (sum of (k*7 + i) over k) is subtracted again: only the `i + 1` remains.
        let noise: u32 = (0..40).map(|k| k * 7 + i).sum();
        funcs += &format!(
            "(func $f{i} (local $x i32)
                (local.set $x (i32.const 0))
                (local.set $x {body})
                (global.set $sum (i32.add (global.get $sum)
                    (i32.add (i32.sub (local.get $x) (i32.const {noise})) (i32.const {})))))\n",
            i + 1
        );
        calls += &format!("(call $f{i})\n");
    }
    let expected: u32 = (1..=CALLEES).sum();
    wat::parse_str(format!(
        r#"(module
            (import "fb" "print" (func $print (param i32 i32)))
            (memory (export "memory") 1 1)
            (global $sum (mut i32) (i32.const 0))
            (data (i32.const 0) "ok")
            {funcs}
            (func (export "fb_main")
                {calls}
                (if (i32.ne (global.get $sum) (i32.const {expected})) (then unreachable))
                (call $print (i32.const 0) (i32.const 2))))"#
    ))
    .unwrap()
}

/// The hazard, on bare wasmi: lazy translation with its default translation fuel loses the
/// call for some budgets (the resumable call fails instead of running out of fuel).
#[test]
fn bare_wasmi_with_translation_fuel_loses_the_call() {
    let bytes = guest();
    let mut lost = Vec::new();
    for budget in 1..=4_000_u64 {
        let mut config = wasmi::Config::default();
        config
            .consume_fuel(true)
            .compilation_mode(wasmi::CompilationMode::LazyTranslation);
        let engine = wasmi::Engine::new(&config);
        let module = wasmi::Module::new(&engine, &bytes[..]).unwrap();
        let mut store = wasmi::Store::new(&engine, ());
        let mut linker = wasmi::Linker::<()>::new(&engine);
        linker
            .func_wrap("fb", "print", |_: i32, _: i32| {})
            .unwrap();
        store.set_fuel(budget).unwrap();
        let instance = linker.instantiate_and_start(&mut store, &module).unwrap();
        let main = instance
            .get_typed_func::<(), ()>(&store, "fb_main")
            .unwrap();
        let mut call = main.call_resumable(&mut store, ());
        loop {
            match call {
                Ok(wasmi::TypedResumableCall::Finished(())) => break,
                Ok(wasmi::TypedResumableCall::OutOfFuel(suspended)) => {
                    store
                        .set_fuel(budget.max(suspended.required_fuel()))
                        .unwrap();
                    call = suspended.resume(&mut store);
                }
                Ok(wasmi::TypedResumableCall::HostTrap(_)) => unreachable!("print never traps"),
                Err(e) => {
                    lost.push((budget, e.as_trap_code()));
                    break;
                }
            }
        }
    }
    assert!(
        !lost.is_empty(),
        "translation fuel no longer loses calls in this wasmi: re-measure and revisit"
    );
    assert!(
        lost.iter()
            .all(|(_, code)| *code == Some(wasmi::TrapCode::OutOfFuel)),
        "{lost:?}"
    );
}

/// The vSoC's configuration: every budget runs the guest to the end, with the right sum.
#[test]
fn no_call_is_lost_when_a_callee_is_first_called_as_fuel_runs_out() {
    let bytes = guest();
    for budget in 1..=4_000_u64 {
        let vsoc = Vsoc::new(VsocConfig {
            yield_interval: budget,
            ..VsocConfig::default()
        });
        let module = vsoc.load("lazy", &bytes).unwrap();
        let console = BufferConsole::new();
        let mut instance = vsoc
            .instantiate(&module, Box::new(console.clone()))
            .unwrap();
        let (outcome, slices) = instance.run_to_completion();
        assert_eq!(outcome, Slice::Finished, "budget {budget}");
        assert_eq!(console.contents(), "ok", "budget {budget}");
        // Translation is free: the fuel is what the guest's own instructions cost, the same
        // for every budget (a slice may end a little past its budget, never short of it).
        assert!(slices >= 1);
    }
}

/// Translation costs no fuel: the guest burns the same fuel in one big slice as in many
/// small ones, and as an eagerly translated module would (its instructions only).
#[test]
fn translation_is_not_charged_to_the_guest() {
    let bytes = guest();
    let fuel = |budget| {
        let vsoc = Vsoc::new(VsocConfig {
            yield_interval: budget,
            ..VsocConfig::default()
        });
        let module = vsoc.load("lazy", &bytes).unwrap();
        let mut instance = vsoc
            .instantiate(&module, Box::new(BufferConsole::new()))
            .unwrap();
        assert_eq!(instance.run_to_completion().0, Slice::Finished);
        instance.stats().fuel_consumed
    };
    let whole = fuel(1_000_000);
    // 24 callees of ~250 bytes: wasmi's default would charge ~40 000 fuel to translate them.
    assert!(whole < 5_000, "{whole}");
    for budget in [1, 7, 50, 333, 1_000] {
        assert_eq!(fuel(budget), whole, "budget {budget}");
    }
}
