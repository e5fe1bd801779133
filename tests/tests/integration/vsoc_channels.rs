//! Blocking host calls: a guest blocked on receive resumes with the value
//! another guest sends, in plain synchronous guest code.

use fireball_subsystems::{hal::NullConsole, host::BufferConsole};
use fireball_vsoc::{
    Vsoc, VsocConfig, builtins::Pending, kernel::sched::Executor, monitor::RunState,
};

/// Receives one i64 on `handle` into memory[8..16], prints its 4 low bytes,
/// then the status as "0" / other.
fn receiver(handle: u32) -> String {
    format!(
        r#"(module
            (import "fb" "chan_recv" (func $recv (param i32 i32) (result i32)))
            (import "fb" "print" (func $print (param i32 i32)))
            (memory (export "memory") 1 1)
            (data (i32.const 32) "status ok\n")
            (func (export "fb_main")
                (if (i32.ne (call $recv (i32.const {handle}) (i32.const 8)) (i32.const 0))
                    (then unreachable))
                (call $print (i32.const 32) (i32.const 10))
                (call $print (i32.const 8) (i32.const 4))))"#
    )
}

/// Spins `delay` iterations, then sends "ok!!" (as a little-endian i64) on `handle`.
fn sender(handle: u32, delay: u32) -> String {
    format!(
        r#"(module
            (import "fb" "chan_send" (func $send (param i32 i64) (result i32)))
            (memory (export "memory") 1 1)
            (func (export "fb_main") (local $i i32)
                (loop $l
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br_if $l (i32.lt_u (local.get $i) (i32.const {delay}))))
                (if (i32.ne (call $send (i32.const {handle}) (i64.const 0x21216b6f)) (i32.const 0))
                    (then unreachable))))"#
    )
}

fn setup() -> (Vsoc, Executor) {
    let vsoc = Vsoc::new(VsocConfig {
        yield_interval: 1_000,
        ..VsocConfig::default()
    });
    (vsoc, Executor::new().unwrap())
}

#[test]
fn a_blocked_receiver_resumes_with_the_value_sent() {
    let (vsoc, mut executor) = setup();
    let chan = vsoc.open_channel(0).unwrap().to_raw();
    let console = BufferConsole::new();
    let rx_module = vsoc
        .load("rx", &wat::parse_str(receiver(chan)).unwrap())
        .unwrap();
    let tx_module = vsoc
        .load("tx", &wat::parse_str(sender(chan, 20_000)).unwrap())
        .unwrap();
    let rx = vsoc
        .instantiate(&rx_module, Box::new(console.clone()))
        .unwrap();
    let tx = vsoc
        .instantiate(&tx_module, Box::new(NullConsole::default()))
        .unwrap();
    let rx = vsoc.spawn(&mut executor, rx).unwrap();
    let tx = vsoc.spawn(&mut executor, tx).unwrap();

    // A few polls in: the receiver waits on the channel, the sender still spins.
    vsoc.run_for(&mut executor, 6);
    assert!(matches!(
        rx.monitor.state(),
        RunState::Blocked(Pending::Recv { .. })
    ));
    assert_eq!(rx.monitor.stats().slices, 1, "a blocked task is not polled");
    assert_eq!(tx.monitor.state(), RunState::Running);

    vsoc.run_until_idle(&mut executor);
    assert_eq!(rx.monitor.state(), RunState::Finished);
    assert_eq!(tx.monitor.state(), RunState::Finished);
    assert_eq!(console.contents(), "status ok\nok!!");
    assert!(executor.is_empty());
}

#[test]
fn a_sender_blocks_on_a_rendezvous_until_the_receiver_arrives() {
    let (vsoc, mut executor) = setup();
    let chan = vsoc.open_channel(0).unwrap().to_raw();
    let console = BufferConsole::new();
    // The sender goes first and waits; the receiver starts late (it spins first).
    let tx = vsoc
        .instantiate(
            &vsoc
                .load("tx", &wat::parse_str(sender(chan, 0)).unwrap())
                .unwrap(),
            Box::new(NullConsole::default()),
        )
        .unwrap();
    let tx = vsoc.spawn(&mut executor, tx).unwrap();
    vsoc.run_for(&mut executor, 3);
    assert!(matches!(
        tx.monitor.state(),
        RunState::Blocked(Pending::Send { .. })
    ));
    let rx = vsoc
        .instantiate(
            &vsoc
                .load("rx", &wat::parse_str(receiver(chan)).unwrap())
                .unwrap(),
            Box::new(console.clone()),
        )
        .unwrap();
    vsoc.spawn(&mut executor, rx).unwrap();
    vsoc.run_until_idle(&mut executor);
    assert_eq!(console.contents(), "status ok\nok!!");
    assert!(executor.is_empty());
}

#[test]
fn stale_and_forged_handles_are_a_typed_status_and_closing_wakes_the_receiver() {
    let (vsoc, mut executor) = setup();
    let stale = vsoc.open_channel(1).unwrap();
    assert!(vsoc.close_channel(stale));
    let live = vsoc.open_channel(1).unwrap();
    // Same slot, new generation: the old handle must not reach the new channel.
    assert_eq!(stale.index(), live.index());
    let console = BufferConsole::new();
    let wat = format!(
        r#"(module
            (import "fb" "chan_recv" (func $recv (param i32 i32) (result i32)))
            (import "fb" "chan_send" (func $send (param i32 i64) (result i32)))
            (import "fb" "print" (func $print (param i32 i32)))
            (memory (export "memory") 1 1)
            (data (i32.const 0) "bad-handle\n")
            (data (i32.const 16) "closed\n")
            (func (export "fb_main")
                (if (i32.eq (call $recv (i32.const {stale}) (i32.const 64)) (i32.const -2))
                    (then (call $print (i32.const 0) (i32.const 11))))
                (if (i32.eq (call $send (i32.const 0x7fff1234) (i64.const 1)) (i32.const -2))
                    (then (call $print (i32.const 0) (i32.const 11))))
                ;; blocks: nothing is ever sent on `live`; the host closes it
                (if (i32.eq (call $recv (i32.const {live}) (i32.const 64)) (i32.const -1))
                    (then (call $print (i32.const 16) (i32.const 7))))))"#,
        stale = stale.to_raw(),
        live = live.to_raw(),
    );
    let module = vsoc.load("handles", &wat::parse_str(wat).unwrap()).unwrap();
    let instance = vsoc
        .instantiate(&module, Box::new(console.clone()))
        .unwrap();
    let task = vsoc.spawn(&mut executor, instance).unwrap();
    vsoc.run_until_idle(&mut executor);
    assert!(matches!(
        task.monitor.state(),
        RunState::Blocked(Pending::Recv { .. })
    ));
    assert!(vsoc.close_channel(live));
    vsoc.run_until_idle(&mut executor);
    assert_eq!(console.contents(), "bad-handle\nbad-handle\nclosed\n");
    assert_eq!(task.monitor.state(), RunState::Finished);
}
