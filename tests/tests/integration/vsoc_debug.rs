//! The vSoC's debug port: an instrumented module (its probes written by hand here, as
//! `fireball-instrument` writes them) stops at a code breakpoint, shows its shadow frames,
//! locals, globals and memory, steps, and finishes — while another guest keeps running.

use fireball_subsystems::{
    debugger::{DebugError, Debuggee, Event, Resume, StopKind},
    host::BufferConsole,
};
use fireball_vsoc::{Vsoc, VsocConfig, kernel::sched::Executor, loader::ModuleInfo};

/// `fb_main` loops three times: `i = helper(i)`, `g = i`. Stop locations: 110 (the loop's
/// first line), 210 (the helper's line); the call returns to 125.
const DEBUGGEE: &str = r#"(module
  (import "fireball_dbg" "enter" (func $enter (param i32)))
  (import "fireball_dbg" "leave" (func $leave))
  (import "fireball_dbg" "line" (func $line (param i32) (result i32)))
  (import "fireball_dbg" "call" (func $call (param i32) (result i32)))
  (import "fireball_dbg" "local_i32" (func $li32 (param i32 i32)))
  (import "fireball_dbg" "local_i64" (func $li64 (param i32 i64)))
  (import "fireball_dbg" "stop" (func $stop))
  (memory (export "memory") 1 1)
  (global $g (mut i32) (i32.const 7))
  (export "__fb_global_0" (global $g))
  (data (i32.const 16) "hello")
  (func $helper (param $x i32) (result i32) (local $wide i64)
    (call $enter (i32.const 200))
    (local.set $wide (i64.const -2))
    (if (call $line (i32.const 210))
      (then (call $li32 (i32.const 0) (local.get $x))
            (call $li64 (i32.const 1) (local.get $wide))
            (call $stop)))
    (i32.add (local.get $x) (i32.const 1))
    (call $leave))
  (func (export "fb_main") (local $i i32)
    (call $enter (i32.const 100))
    (loop $l
      (if (call $line (i32.const 110))
        (then (call $li32 (i32.const 0) (local.get $i)) (call $stop)))
      (if (call $call (i32.const 125))
        (then (call $li32 (i32.const 0) (local.get $i))))
      (local.set $i (call $helper (local.get $i)))
      (global.set $g (local.get $i))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 3))))
    (call $leave))
  (@custom "fireball.debug" "/src/debuggee.wasm"))"#;

/// A plain guest: yields `n` times, printing a dot after each.
fn sleeper(n: u32) -> String {
    format!(
        r#"(module
      (import "fb" "print" (func $print (param i32 i32)))
      (import "fb" "yield" (func $yield))
      (memory (export "memory") 1 1)
      (data (i32.const 0) ".")
      (func (export "fb_main") (local $n i32)
        (loop $l
          (call $yield)
          (call $print (i32.const 0) (i32.const 1))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $n) (i32.const {n}))))))"#
    )
}

/// Load `wat` as `name`, spawn it with `console`; what the loader saw of it.
fn spawn(
    vsoc: &Vsoc,
    executor: &mut Executor,
    name: &str,
    wat: &str,
    console: BufferConsole,
) -> ModuleInfo {
    let module = vsoc.load(name, &wat::parse_str(wat).unwrap()).unwrap();
    let instance = vsoc.instantiate(&module, Box::new(console)).unwrap();
    vsoc.spawn(executor, instance).unwrap();
    module.info().clone()
}

fn stack(port: &impl Debuggee, id: u32) -> Vec<u32> {
    let mut pcs = Vec::new();
    port.call_stack(id, &mut |pc| pcs.push(pc)).unwrap();
    pcs
}

fn local(port: &impl Debuggee, id: u32, frame: usize, index: u32) -> Vec<u8> {
    let mut buf = [0u8; 16];
    let n = port.read_local(id, frame, index, &mut buf).unwrap();
    buf[..n].to_vec()
}

#[test]
fn a_debugged_instance_stops_alone_and_shows_frames_locals_globals_and_memory() {
    let vsoc = Vsoc::new(VsocConfig::default());
    let mut executor = Executor::new().unwrap();
    let mut port = vsoc.debug_port();
    let dots = BufferConsole::new();
    assert!(
        spawn(
            &vsoc,
            &mut executor,
            "debuggee",
            DEBUGGEE,
            BufferConsole::new()
        )
        .is_debug_build()
    );
    spawn(&vsoc, &mut executor, "sleeper", &sleeper(5), dots.clone());

    // Only the instrumented instance is listed, under its library name.
    let mut ids = Vec::new();
    port.instances(&mut |id| ids.push(id));
    assert_eq!(ids.len(), 1);
    let id = ids[0];
    let mut names = (String::new(), String::new());
    port.names(id, &mut |n, l| names = (n.into(), l.into()))
        .unwrap();
    assert_eq!(names, ("debuggee".into(), "/src/debuggee.wasm".into()));

    port.attach(true);
    port.set_breakpoint(id, 210).unwrap();
    assert_eq!(
        port.read_local(id, 0, 0, &mut [0; 8]),
        Err(DebugError::Running)
    );
    vsoc.run_until_idle(&mut executor);
    assert_eq!(
        port.poll_event(),
        Some(Event::Stopped(id, StopKind::Breakpoint))
    );
    assert_eq!(port.poll_event(), None, "reported once");
    assert!(port.is_paused(id).unwrap());
    // Innermost first: the helper at its line, `fb_main` at the call's return address.
    assert_eq!(stack(&port, id), [210, 125]);
    assert_eq!(local(&port, id, 0, 0), 0i32.to_le_bytes());
    assert_eq!(local(&port, id, 0, 1), (-2i64).to_le_bytes());
    assert_eq!(local(&port, id, 1, 0), 0i32.to_le_bytes());
    assert_eq!(
        port.read_local(id, 2, 0, &mut [0; 8]),
        Err(DebugError::OutOfRange)
    );
    let mut global = [0u8; 8];
    assert_eq!(port.read_global(id, 0, &mut global), Ok(4));
    assert_eq!(global[..4], 7i32.to_le_bytes());
    let mut hello = [0u8; 5];
    assert_eq!(port.read_memory(id, 16, &mut hello), Ok(5));
    assert_eq!(&hello, b"hello");
    assert_eq!(
        port.read_memory(id, 70_000, &mut hello),
        Err(DebugError::OutOfRange)
    );
    assert_eq!(port.set_breakpoint(99, 1), Err(DebugError::NoInstance));

    // The plain guest is not held up by the paused one: it runs to its end.
    vsoc.run_until_idle(&mut executor);
    assert_eq!(dots.contents(), ".....");
    assert!(port.is_paused(id).unwrap());

    // A first step moves inside the statement without running (frame 0 one byte on)...
    port.resume(id, Resume::Step).unwrap();
    assert_eq!(port.poll_event(), Some(Event::Stopped(id, StopKind::Step)));
    assert_eq!(stack(&port, id), [211, 125]);
    // ... the next one runs to the next stop location: the loop's line in the next round.
    port.resume(id, Resume::Step).unwrap();
    vsoc.run_until_idle(&mut executor);
    assert_eq!(port.poll_event(), Some(Event::Stopped(id, StopKind::Step)));
    assert_eq!(stack(&port, id), [110]);
    assert_eq!(local(&port, id, 0, 0), 1i32.to_le_bytes());
    port.read_global(id, 0, &mut global).unwrap();
    assert_eq!(global[..4], 1i32.to_le_bytes());

    // Continue: the breakpoint hits again in the second round; cleared, the guest finishes.
    port.resume(id, Resume::Continue).unwrap();
    vsoc.run_until_idle(&mut executor);
    assert_eq!(
        port.poll_event(),
        Some(Event::Stopped(id, StopKind::Breakpoint))
    );
    assert_eq!(local(&port, id, 0, 0), 1i32.to_le_bytes());
    assert_eq!(port.clear_breakpoint(id, 210), Ok(true));
    assert_eq!(port.clear_breakpoint(id, 210), Ok(false));
    // A breakpoint on the helper's body start (where LLDB breaks on a function it does not
    // skip the prologue of): it stops at the helper's first line, shown at the body start.
    port.set_breakpoint(id, 200).unwrap();
    port.resume(id, Resume::Continue).unwrap();
    vsoc.run_until_idle(&mut executor);
    assert_eq!(
        port.poll_event(),
        Some(Event::Stopped(id, StopKind::Breakpoint))
    );
    assert_eq!(stack(&port, id), [200, 125]);
    assert_eq!(local(&port, id, 0, 0), 2i32.to_le_bytes());
    assert!(port.clear_breakpoint(id, 200).unwrap());
    port.resume(id, Resume::Continue).unwrap();
    vsoc.run_until_idle(&mut executor);
    assert_eq!(port.poll_event(), Some(Event::Finished(id)));
    assert!(executor.is_empty());
    assert_eq!(port.is_paused(id), Err(DebugError::NoInstance));
}

#[test]
fn interrupting_stops_at_the_next_line_and_detaching_resumes() {
    let vsoc = Vsoc::new(VsocConfig::default());
    let mut executor = Executor::new().unwrap();
    let mut port = vsoc.debug_port();
    spawn(
        &vsoc,
        &mut executor,
        "debuggee",
        DEBUGGEE,
        BufferConsole::new(),
    );
    port.attach(true);
    let mut id = 0;
    port.instances(&mut |i| id = i);
    port.interrupt(id).unwrap();
    vsoc.run_until_idle(&mut executor);
    assert_eq!(
        port.poll_event(),
        Some(Event::Stopped(id, StopKind::Interrupted))
    );
    assert_eq!(stack(&port, id), [110]);
    // Ten breakpoints per instance, the seed's number.
    for offset in 0..10 {
        port.set_breakpoint(id, 1000 + offset).unwrap();
    }
    assert_eq!(
        port.set_breakpoint(id, 2000),
        Err(DebugError::BreakpointsFull)
    );
    // Detaching forgets the breakpoints and lets it run to its end.
    port.attach(false);
    vsoc.run_until_idle(&mut executor);
    assert_eq!(port.poll_event(), Some(Event::Finished(id)));
}

#[test]
fn a_release_build_cannot_import_probes_it_does_not_declare() {
    // An instrumented module's probes are only accepted from `fireball_dbg`.
    let vsoc = Vsoc::new(VsocConfig::default());
    let bad = r#"(module (import "fireball_dbg" "peek" (func)) (memory (export "memory") 1)
        (func (export "fb_main")))"#;
    assert!(vsoc.load("bad", &wat::parse_str(bad).unwrap()).is_err());
}

/// `$body#checksum`.
fn packet(body: &str) -> Vec<u8> {
    let sum = body.bytes().fold(0u8, |s, b| s.wrapping_add(b));
    format!("${body}#{sum:02x}").into_bytes()
}

#[test]
fn bad_packets_get_error_replies_and_stop_no_one() {
    use fireball_subsystems::debugger::{Outbox, Stub, code_address, memory_address};

    let vsoc = Vsoc::new(VsocConfig::default());
    let mut executor = Executor::new().unwrap();
    let mut port = vsoc.debug_port();
    spawn(
        &vsoc,
        &mut executor,
        "debuggee",
        DEBUGGEE,
        BufferConsole::new(),
    );
    let dots = BufferConsole::new();
    spawn(&vsoc, &mut executor, "sleeper", &sleeper(3), dots.clone());
    let mut id = 0;
    port.instances(&mut |i| id = i);
    // Stopped at its first line, as `fireball run --gdb` leaves a debugged component.
    port.interrupt(id).unwrap();
    vsoc.run_until_idle(&mut executor);

    let mut stub = Stub::new(Outbox::default());
    let send =
        |stub: &mut Stub<Outbox>, port: &mut fireball_vsoc::debug::DebugPort, bytes: &[u8]| {
            stub.receive(port, bytes).unwrap();
            String::from_utf8_lossy(&std::mem::take(&mut stub.transport().0)).into_owned()
        };
    assert_eq!(
        send(&mut stub, &mut port, &packet("QStartNoAckMode")),
        "+$OK#9a"
    );
    let is_error = |reply: &str| reply.starts_with("$E") && reply.len() == 7;
    // A memory read past the instance's linear memory (64 KiB).
    let far = memory_address(id, 0x1_0000);
    let reply = send(&mut stub, &mut port, &packet(&format!("m{far:x},10")));
    assert!(is_error(&reply), "{reply}");
    // A breakpoint in a module that does not exist.
    let nowhere = code_address(id + 40, 0x10);
    let reply = send(&mut stub, &mut port, &packet(&format!("Z0,{nowhere:x},1")));
    assert!(is_error(&reply), "{reply}");
    // A packet that is not one gdbstub knows how to parse, and a malformed one.
    let reply = send(&mut stub, &mut port, &packet("m-1,zz"));
    assert!(is_error(&reply), "{reply}");
    let reply = send(&mut stub, &mut port, b"$qSupported#00");
    assert!(is_error(&reply), "bad checksum: {reply}");
    // An oversized packet.
    let huge = format!("m{}", "0".repeat(8192));
    let reply = send(&mut stub, &mut port, &packet(&huge));
    assert!(is_error(&reply), "{reply}");
    // Code cannot be read through memory (LLDB loads the module file).
    let code = code_address(id, 0);
    let reply = send(&mut stub, &mut port, &packet(&format!("m{code:x},4")));
    assert!(is_error(&reply), "{reply}");
    // A good read still works: the debugged instance's memory at 16.
    let reply = send(
        &mut stub,
        &mut port,
        &packet(&format!("m{:x},5", memory_address(id, 16))),
    );
    assert_eq!(reply, String::from_utf8(packet("68656c6c6f")).unwrap());

    // The plain guest ran on through all of it; the debugged one is still stopped.
    vsoc.run_until_idle(&mut executor);
    assert_eq!(dots.contents(), "...");
    assert!(port.is_paused(id).unwrap());
    // Detaching lets it finish.
    send(&mut stub, &mut port, &packet("D"));
    vsoc.run_until_idle(&mut executor);
    assert!(executor.is_empty());
}
