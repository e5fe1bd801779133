//! Instrumented hand-written modules run in plain wasmi, the probes recording what they are
//! told: the results match the original's, frames balance, and the offsets and locals the
//! probes report are the original module's.

use std::collections::BTreeSet;

use fireball_abi::debug;
use fireball_instrument::{InstrumentError, instrument_at, validate};
use wasmi::{Caller, Engine, Linker, Module, Store, Val};
use wasmparser::{Operator, Parser, Payload};

/// Calls, `call_indirect`, returns inside nested blocks, a branch to the function label,
/// multi-value results, i64/f32/f64 locals, globals (one imported), an imported function,
/// a start function, element segments and a tail call.
const MODULE: &str = r#"
(module
  (import "env" "twice" (func $twice (param i32) (result i32)))
  (import "env" "base" (global $base i32))
  (type $bin (func (param i32 i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $add $sub)
  (global $g (mut i32) (i32.const 0))
  (global $h i64 (i64.const -3))
  (start $init)
  (func $init (global.set $g (i32.const 7)))
  (func $add (type $bin) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $bin) (i32.sub (local.get 0) (local.get 1)))
  (func (export "pick") (param $which i32) (param $a i32) (param $b i32) (result i32)
    (call_indirect (type $bin) (local.get $a) (local.get $b) (local.get $which)))
  (func (export "early") (param $x i32) (result i32)
    block $out
      loop $again
        (if (i32.gt_s (local.get $x) (i32.const 10))
          (then (return (i32.mul (local.get $x) (i32.const 100)))))
        (br_if $out (i32.eq (local.get $x) (i32.const 3)))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        br $again
      end
    end
    (i32.add (call $add (local.get $x) (i32.const 1000)) (global.get $g)))
  (func (export "label") (param i32) (result i32)
    block
      (br_if 0 (i32.eqz (local.get 0)))
      (i32.const 9)
      br 1
    end
    (i32.add (global.get $base) (i32.const 8)))
  (func $divmod (export "divmod") (param i32 i32) (result i32 i32)
    (i32.div_u (local.get 0) (local.get 1))
    (i32.rem_u (local.get 0) (local.get 1))
    return)
  (func (export "sum_divmod") (param i32 i32) (result i32)
    (call $divmod (local.get 0) (local.get 1))
    i32.add)
  (func (export "imported") (param i32) (result i32)
    (call $twice (local.get 0)))
  (func (export "tail") (param i32) (result i32)
    (return_call $add (local.get 0) (i32.const 1)))
  (func (export "locals") (param $p i32) (result f64)
    (local $a i64) (local $b f32) (local $c f64) (local $r externref)
    (local.set $a (i64.extend_i32_s (local.get $p)))
    (local.set $a (i64.mul (local.get $a) (i64.const -3)))
    (local.set $b (f32.const 1.5))
    (local.set $c (f64.const 2.25))
    nop
    (f64.add (local.get $c) (f64.convert_i64_s (local.get $a))))
)
"#;

/// What the probes saw.
#[derive(Debug, Clone, PartialEq)]
enum Event {
    Enter(u32),
    Leave,
    Line(u32),
    Call(u32),
    Local(u32, Num),
    Stop,
}

/// A local's value as a probe reports it (floats by their bits, so NaNs compare).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Num {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
}

/// The store's data: the events, and where `line` says stop.
#[derive(Default)]
struct Recorder {
    events: Vec<Event>,
    breakpoints: BTreeSet<u32>,
}

fn val_eq(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::I32(a), Val::I32(b)) => a == b,
        (Val::I64(a), Val::I64(b)) => a == b,
        (Val::F32(a), Val::F32(b)) => a.to_bits() == b.to_bits(),
        (Val::F64(a), Val::F64(b)) => a.to_bits() == b.to_bits(),
        _ => false,
    }
}

/// The value of the imported global `env.base`.
const BASE: i32 = 5;

/// A linker for `store`: `env`'s imports and the probes, recording into the store.
fn linker(store: &mut Store<Recorder>) -> Linker<Recorder> {
    let mut linker = Linker::new(store.engine());
    let m = debug::MODULE;
    linker.func_wrap("env", "twice", |x: i32| x * 2).unwrap();
    let base = wasmi::Global::new(&mut *store, Val::I32(BASE), wasmi::Mutability::Const);
    linker.define("env", "base", base).unwrap();
    linker
        .func_wrap(m, debug::ENTER, |mut c: Caller<'_, Recorder>, body: i32| {
            c.data_mut().events.push(Event::Enter(body as u32));
        })
        .unwrap();
    linker
        .func_wrap(m, debug::LEAVE, |mut c: Caller<'_, Recorder>| {
            c.data_mut().events.push(Event::Leave);
        })
        .unwrap();
    linker
        .func_wrap(m, debug::LINE, |mut c: Caller<'_, Recorder>, at: i32| {
            c.data_mut().events.push(Event::Line(at as u32));
            i32::from(c.data().breakpoints.contains(&(at as u32)))
        })
        .unwrap();
    linker
        .func_wrap(m, debug::CALL, |mut c: Caller<'_, Recorder>, ret: i32| {
            c.data_mut().events.push(Event::Call(ret as u32));
            0
        })
        .unwrap();
    linker
        .func_wrap(
            m,
            debug::LOCAL_I32,
            |mut c: Caller<'_, Recorder>, i: i32, v: i32| {
                c.data_mut()
                    .events
                    .push(Event::Local(i as u32, Num::I32(v)));
            },
        )
        .unwrap();
    linker
        .func_wrap(
            m,
            debug::LOCAL_I64,
            |mut c: Caller<'_, Recorder>, i: i32, v: i64| {
                c.data_mut()
                    .events
                    .push(Event::Local(i as u32, Num::I64(v)));
            },
        )
        .unwrap();
    linker
        .func_wrap(
            m,
            debug::LOCAL_F32,
            |mut c: Caller<'_, Recorder>, i: i32, v: f32| {
                c.data_mut()
                    .events
                    .push(Event::Local(i as u32, Num::F32(v.to_bits())));
            },
        )
        .unwrap();
    linker
        .func_wrap(
            m,
            debug::LOCAL_F64,
            |mut c: Caller<'_, Recorder>, i: i32, v: f64| {
                c.data_mut()
                    .events
                    .push(Event::Local(i as u32, Num::F64(v.to_bits())));
            },
        )
        .unwrap();
    linker
        .func_wrap(m, debug::STOP, |mut c: Caller<'_, Recorder>| {
            c.data_mut().events.push(Event::Stop);
        })
        .unwrap();
    linker
}

/// Runs export `name` of `module` with `args`: its results and every probe event (from
/// instantiation on).
fn run(module: &[u8], breakpoints: &[u32], name: &str, args: &[Val]) -> (Vec<Val>, Vec<Event>) {
    let engine = Engine::default();
    let mut store = Store::new(&engine, Recorder::default());
    store.data_mut().breakpoints = breakpoints.iter().copied().collect();
    let linker = linker(&mut store);
    let module = Module::new(&engine, module).unwrap();
    let instance = linker.instantiate_and_start(&mut store, &module).unwrap();
    let func = instance.get_func(&store, name).unwrap();
    let mut results = vec![Val::I32(0); func.ty(&store).results().len()];
    func.call(&mut store, args, &mut results).unwrap();
    (results, store.into_data().events)
}

/// What the original module says about itself.
struct Layout {
    /// Each defined function's body start.
    bodies: Vec<u32>,
    /// Every instruction's offset, with its operator's name.
    instructions: Vec<(u32, String)>,
    /// The offset after every `call` and `call_indirect`.
    returns: BTreeSet<u32>,
}

fn layout(module: &[u8]) -> Layout {
    let mut layout = Layout {
        bodies: Vec::new(),
        instructions: Vec::new(),
        returns: BTreeSet::new(),
    };
    for payload in Parser::new(0).parse_all(module) {
        let Payload::CodeSectionEntry(body) = payload.unwrap() else {
            continue;
        };
        layout.bodies.push(body.range().start as u32);
        let mut ops = body.get_operators_reader().unwrap();
        while !ops.eof() {
            let (op, at) = ops.read_with_offset().unwrap();
            if matches!(op, Operator::Call { .. } | Operator::CallIndirect { .. }) {
                layout.returns.insert(ops.original_position() as u32);
            }
            let name = format!("{op:?}");
            let name = name
                .split([' ', '{'])
                .next()
                .unwrap_or_default()
                .to_string();
            layout.instructions.push((at as u32, name));
        }
    }
    layout
}

fn original() -> Vec<u8> {
    wat::parse_str(MODULE).unwrap()
}

/// Every instruction start is a stop location.
fn everywhere(module: &[u8]) -> Vec<u8> {
    let stops = layout(module)
        .instructions
        .iter()
        .map(|(at, _)| *at)
        .collect();
    instrument_at(module, &stops, "test.wasm").unwrap()
}

/// Every call to compare, with its arguments.
fn cases() -> Vec<(&'static str, Vec<Val>)> {
    let i = Val::I32;
    vec![
        ("pick", vec![i(0), i(7), i(3)]),
        ("pick", vec![i(1), i(7), i(3)]),
        ("early", vec![i(0)]),
        ("early", vec![i(5)]),
        ("early", vec![i(-4)]),
        ("label", vec![i(0)]),
        ("label", vec![i(1)]),
        ("divmod", vec![i(17), i(5)]),
        ("sum_divmod", vec![i(17), i(5)]),
        ("imported", vec![i(21)]),
        ("tail", vec![i(41)]),
        ("locals", vec![i(4)]),
    ]
}

#[test]
fn the_output_validates_and_carries_the_section_and_global_exports() {
    let out = everywhere(&original());
    validate(&out).unwrap();
    let mut exports = Vec::new();
    let mut section = None;
    let mut probes = Vec::new();
    for payload in Parser::new(0).parse_all(&out) {
        match payload.unwrap() {
            Payload::ExportSection(r) => exports.extend(r.into_iter().map(|e| e.unwrap().name)),
            Payload::CustomSection(c) => section = Some((c.name(), c.data())),
            Payload::ImportSection(r) => probes.extend(
                r.into_iter()
                    .map(|i| i.unwrap())
                    .filter(|i| i.module == debug::MODULE)
                    .map(|i| i.name),
            ),
            _ => {}
        }
    }
    assert_eq!(section, Some((debug::SECTION, &b"test.wasm"[..])));
    assert_eq!(probes, debug::ALL);
    for global in ["__fb_global_0", "__fb_global_1", "__fb_global_2"] {
        assert!(exports.contains(&global), "{global} in {exports:?}");
    }
    assert!(!exports.contains(&"__fb_global_3"));
}

#[test]
fn instrumented_modules_compute_what_the_originals_do() {
    let module = original();
    let out = everywhere(&module);
    for (name, args) in cases() {
        let (want, _) = run(&module, &[], name, &args);
        let (got, _) = run(&out, &[], name, &args);
        assert_eq!(want.len(), got.len(), "{name}{args:?}");
        for (w, g) in want.iter().zip(&got) {
            assert!(val_eq(w, g), "{name}{args:?}: {want:?} != {got:?}");
        }
    }
}

#[test]
fn frames_balance_and_enter_names_a_body() {
    let module = original();
    let layout = layout(&module);
    let out = everywhere(&module);
    for (name, args) in cases() {
        let (_, events) = run(&out, &[], name, &args);
        let mut depth = 0usize;
        let mut entered = 0;
        for event in &events {
            match event {
                Event::Enter(body) => {
                    assert!(layout.bodies.contains(body), "{name}: enter({body})");
                    depth += 1;
                    entered += 1;
                }
                Event::Leave => {
                    assert!(depth > 0, "{name}: leave without enter in {events:?}");
                    depth -= 1;
                }
                _ => {}
            }
        }
        assert_eq!(depth, 0, "{name}: unbalanced {events:?}");
        // The start function, the export, and whatever it calls.
        assert!(entered >= 2, "{name}: {events:?}");
    }
}

#[test]
fn lines_are_requested_stops_or_return_addresses() {
    let module = original();
    let layout = layout(&module);
    // Every other instruction, plus offsets that start none (ignored).
    let mut stops: BTreeSet<u32> = layout
        .instructions
        .iter()
        .step_by(2)
        .map(|(at, _)| *at)
        .collect();
    stops.insert(0);
    stops.insert(u32::MAX);
    let out = instrument_at(&module, &stops, "test.wasm").unwrap();
    let mut lines = BTreeSet::new();
    for (name, args) in cases() {
        let (_, events) = run(&out, &[], name, &args);
        let calls: BTreeSet<u32> = events
            .iter()
            .filter_map(|e| {
                if let Event::Call(r) = e {
                    Some(*r)
                } else {
                    None
                }
            })
            .collect();
        for event in &events {
            if let Event::Line(at) = event {
                assert!(
                    stops.contains(at) || calls.contains(at),
                    "{name}: line({at}) neither requested nor after a call"
                );
                lines.insert(*at);
            }
        }
        for r in &calls {
            assert!(
                layout.returns.contains(r),
                "{name}: call({r}) is no return address"
            );
        }
    }
    assert!(lines.len() > 10, "{lines:?}");
}

#[test]
fn calls_report_the_return_address_and_stop_there() {
    let module = original();
    let layout = layout(&module);
    let out = instrument_at(&module, &BTreeSet::new(), "test.wasm").unwrap();
    // `pick`'s call_indirect is followed by the body's final `end`.
    let (_, events) = run(&out, &[], "pick", &[Val::I32(1), Val::I32(7), Val::I32(3)]);
    let pick = layout.bodies[3];
    let end = layout
        .instructions
        .iter()
        .filter(|(at, _)| *at > pick)
        .find(|(_, name)| name == "End")
        .unwrap()
        .0;
    let call = events.iter().position(|e| *e == Event::Call(end)).unwrap();
    // The callee runs between the call probe and the stop location at the return address.
    assert!(matches!(events[call + 1], Event::Enter(_)), "{events:?}");
    let back = events.iter().position(|e| *e == Event::Line(end)).unwrap();
    assert!(
        back > call + 1 && events[back - 1] == Event::Leave,
        "{events:?}"
    );
}

#[test]
fn a_stop_records_the_frames_locals() {
    let module = original();
    let layout = layout(&module);
    let nop = layout
        .instructions
        .iter()
        .find(|(_, n)| n == "Nop")
        .unwrap()
        .0;
    let out = instrument_at(&module, &BTreeSet::from([nop]), "test.wasm").unwrap();
    let (_, events) = run(&out, &[nop], "locals", &[Val::I32(4)]);
    let line = events.iter().position(|e| *e == Event::Line(nop)).unwrap();
    // The externref local (4) is skipped.
    let want = [
        Event::Local(0, Num::I32(4)),
        Event::Local(1, Num::I64(-12)),
        Event::Local(2, Num::F32(1.5f32.to_bits())),
        Event::Local(3, Num::F64(2.25f64.to_bits())),
        Event::Stop,
    ];
    assert_eq!(events[line + 1..line + 1 + want.len()], want);
    // Without a breakpoint the line probe is all there is.
    let (_, events) = run(&out, &[], "locals", &[Val::I32(4)]);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::Local(..) | Event::Stop))
    );
}

#[test]
fn a_clashing_export_name_is_refused() {
    let module =
        wat::parse_str(r#"(module (global (export "__fb_global_0") i32 (i32.const 1)))"#).unwrap();
    let err = instrument_at(&module, &BTreeSet::new(), "x").unwrap_err();
    assert!(matches!(err, InstrumentError::Unsupported(_)), "{err}");
}

#[test]
fn an_empty_module_gets_the_imports_and_the_section() {
    let module = wat::parse_str("(module)").unwrap();
    let out = instrument_at(&module, &BTreeSet::new(), "empty.wasm").unwrap();
    validate(&out).unwrap();
}
