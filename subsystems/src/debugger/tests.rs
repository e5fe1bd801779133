//! The stub against [`MockDebuggee`]: raw packets in, exact replies out.

use alloc::string::String;
use alloc::vec::Vec;

use proptest::prelude::*;

use super::frame::write_packet;
use super::mock::MockDebuggee;
use super::{Event, Outbox, StopKind, Stub, code_address};

/// `$body#cs`.
fn packet(body: &str) -> Vec<u8> {
    let mut p = Vec::new();
    write_packet(&mut p, body.as_bytes());
    p
}

struct Session {
    stub: Stub<Outbox>,
    mock: MockDebuggee,
}

impl Session {
    /// Attached, no-ack mode, both mock instances paused at their first location.
    fn new() -> Self {
        let mut s = Session {
            stub: Stub::new(Outbox::default()),
            mock: MockDebuggee::two(),
        };
        assert_eq!(s.send("QStartNoAckMode"), "+$OK#9a");
        s.mock.stop(1, StopKind::Interrupted);
        s.mock.stop(2, StopKind::Interrupted);
        s.mock.events.clear();
        s
    }

    fn raw(&mut self, bytes: &[u8]) -> String {
        self.stub.receive(&mut self.mock, bytes).unwrap();
        self.take()
    }

    fn send(&mut self, body: &str) -> String {
        self.raw(&packet(body))
    }

    fn poll(&mut self) -> String {
        self.stub.poll(&mut self.mock).unwrap();
        self.take()
    }

    fn take(&mut self) -> String {
        String::from_utf8_lossy(&core::mem::take(&mut self.stub.transport().0)).into_owned()
    }
}

/// `$body#cs` as text.
fn reply(body: &str) -> String {
    String::from_utf8(packet(body)).unwrap()
}

#[test]
fn q_supported_advertises_libraries_and_packet_size() {
    let mut s = Session::new();
    let r = s.send("qSupported:xmlRegisters=i386,arm,mips,arc;multiprocess+");
    assert!(r.starts_with("$PacketSize=0800;"), "{r}");
    assert!(r.contains("qXfer:libraries:read+"), "{r}");
    assert!(s.mock.attached);
}

#[test]
fn library_list_names_every_instance_at_its_code_address() {
    let mut s = Session::new();
    assert_eq!(
        s.send("qXfer:libraries:read::0,400"),
        reply(
            "m<library-list><library name=\"aggregator.wasm\"><section address=\"0x4000000100000000\"/></library>\
             <library name=\"sensor-buffer.wasm\"><section address=\"0x4000000200000000\"/></library></library-list>"
        )
    );
}

#[test]
fn call_stack_is_little_endian_pcs_innermost_first() {
    let mut s = Session::new();
    let mut body = String::new();
    for off in [0x184, 0x2f0, 0x3a8] {
        for b in code_address(1, off).to_le_bytes() {
            body.push_str(&alloc::format!("{b:02x}"));
        }
    }
    assert_eq!(s.send("qWasmCallStack:1"), reply(&body));
    assert!(body.starts_with("8401000001000040f002"));
}

#[test]
fn locals_globals_and_stack_values() {
    let mut s = Session::new();
    assert_eq!(s.send("Hg2"), reply("OK"));
    assert_eq!(s.send("qWasmLocal:1;3"), reply("67000000")); // 1 * 100 + 3
    assert_eq!(s.send("qWasmGlobal:0;1"), reply("01100000"));
    assert_eq!(s.send("qWasmLocal:0;9"), reply("")); // no such local
    assert_eq!(s.send("qWasmStackValue:0;0"), reply(""));
}

#[test]
fn pc_register_is_frame_zero() {
    let mut s = Session::new();
    assert_eq!(s.send("Hg1"), reply("OK"));
    assert_eq!(s.send("p0"), reply("8401000001000040"));
    assert_eq!(s.send("qRegisterInfo1"), reply("E45"));
}

#[test]
fn memory_reads_linear_memory_and_refuses_code() {
    let mut s = Session::new();
    assert_eq!(s.send("m200000010,4"), reply("10111213"));
    assert_eq!(s.send("m2000000fe,4"), reply("feff"));
    assert_eq!(s.send("m200000100,4"), reply("E0e"));
    assert_eq!(s.send("m4000000200000000,4"), reply("E16"));
    assert_eq!(s.send("m900000000,4"), reply("E03"));
}

#[test]
fn breakpoints_set_and_clear_by_code_address() {
    let mut s = Session::new();
    assert_eq!(s.send("Z0,4000000100000190,1"), reply("OK"));
    assert_eq!(s.mock.get(1).unwrap().breakpoints, [0x190]);
    assert_eq!(s.send("z0,4000000100000190,1"), reply("OK"));
    assert!(s.mock.get(1).unwrap().breakpoints.is_empty());
    assert_eq!(s.send("Z0,4000000700000190,1"), reply("E03")); // no module 7
    assert_eq!(s.send("Z0,100000190,1"), reply("E16")); // memory, not code
    assert_eq!(s.send("Z0,c000000100000190,1"), reply("E16"));
}

#[test]
fn continue_then_breakpoint_stop() {
    let mut s = Session::new();
    s.send("Z0,4000000100000190,1");
    assert_eq!(s.send("vCont;c"), "");
    assert!(!s.mock.get(1).unwrap().paused && !s.mock.get(2).unwrap().paused);
    s.mock.tick();
    assert_eq!(s.poll(), "");
    s.mock.tick();
    assert_eq!(
        s.poll(),
        reply("T05thread:01;swbreak:;00:9001000001000040;reason:breakpoint;")
    );
    // Instance 2 ran on and finished meanwhile; 1 is what is left.
    s.mock.tick();
    assert_eq!(s.poll(), "");
    assert_eq!(s.send("qfThreadInfo"), reply("m01"));
}

#[test]
fn step_reports_sigtrap_on_the_stepped_thread() {
    let mut s = Session::new();
    assert_eq!(s.send("vCont;s:p1.1"), "");
    assert!(!s.mock.get(1).unwrap().paused && s.mock.get(2).unwrap().paused);
    s.mock.tick();
    assert_eq!(
        s.poll(),
        reply("T05thread:01;00:8a01000001000040;reason:trace;")
    );
    assert_eq!(
        s.send("qWasmCallStack:1")[1..17].to_owned(),
        "8a01000001000040"
    );
}

#[test]
fn ctrl_c_interrupts_all_and_reports_sigint() {
    let mut s = Session::new();
    s.send("vCont;c");
    assert_eq!(s.raw(&[0x03]), "");
    assert!(s.mock.get(1).unwrap().interrupting && s.mock.get(2).unwrap().interrupting);
    s.mock.tick();
    assert_eq!(s.poll(), reply("T02thread:01;00:8a01000001000040;"));
}

#[test]
fn question_mark_interrupts_when_nothing_is_paused() {
    let mut s = Session {
        stub: Stub::new(Outbox::default()),
        mock: MockDebuggee::two(),
    };
    assert_eq!(s.send("?"), "");
    assert!(s.mock.get(1).unwrap().interrupting);
    s.mock.tick();
    assert_eq!(s.poll(), "+".to_owned() + &reply("T05thread:01;"));
}

#[test]
fn last_instance_gone_exits_the_process() {
    let mut s = Session::new();
    s.send("vCont;c");
    for _ in 0..5 {
        s.mock.tick();
    }
    assert_eq!(s.poll(), reply("W00"));
    assert!(!s.stub.is_attached());
}

#[test]
fn pending_stop_is_reported_at_the_next_resume() {
    let mut s = Session::new();
    s.mock
        .events
        .push_back(Event::Stopped(2, StopKind::Breakpoint));
    assert_eq!(s.poll(), "");
    assert_eq!(
        s.send("vCont;c"),
        reply("T05thread:02;swbreak:;00:1002000002000040;reason:breakpoint;")
    );
    assert!(s.mock.get(2).unwrap().paused);
}

#[test]
fn detach_leaves_instances_running_and_a_new_session_attaches() {
    let mut s = Session::new();
    s.send("Z0,4000000100000190,1");
    assert_eq!(s.send("D"), reply("OK"));
    assert!(!s.stub.is_attached() && !s.mock.attached);
    assert!(s.mock.get(1).unwrap().breakpoints.is_empty());
    assert!(!s.mock.get(1).unwrap().paused);
    assert_eq!(s.send("qC").chars().next(), Some('+')); // ack mode again
    assert!(s.stub.is_attached() && s.mock.attaches == 2);
}

#[test]
fn bad_packets_get_error_replies() {
    let mut s = Session::new();
    let mut bad = packet("qC");
    *bad.last_mut().unwrap() ^= 1;
    assert_eq!(s.raw(&bad), reply("E22"));
    let long = "m".repeat(super::PACKET_SIZE);
    assert_eq!(s.send(&long), reply("E22"));
    assert_eq!(s.send("vCont;s"), reply("E01"));
    assert_eq!(s.send("Z0,zz,1"), reply("E01"));
    // The session survives, still in no-ack mode.
    assert_eq!(s.send("qWasmCallStack:2")[..5].to_owned(), "$1002");
    assert_eq!(s.raw(b"noise+-"), "");
}

#[test]
fn monitor_ps_lists_instances() {
    let mut s = Session::new();
    // `ps`: the debuggee's table of every component.
    let r = s.send("qRcmd,7073");
    assert!(r.contains(&hex("aggregator   paused\n")), "{r}");
    // `threads`: the debuggable ones, by thread id.
    let r = s.send(&alloc::format!("qRcmd,{}", hex("threads")));
    assert!(r.contains(&hex("   1  paused   aggregator\n")), "{r}");
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| alloc::format!("{b:02x}")).collect()
}

proptest! {
    #[test]
    fn random_bytes_never_panic(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..16)) {
        let mut s = Session { stub: Stub::new(Outbox::default()), mock: MockDebuggee::two() };
        for chunk in chunks {
            s.stub.receive(&mut s.mock, &chunk).unwrap();
            s.mock.tick();
            s.stub.poll(&mut s.mock).unwrap();
        }
    }

    #[test]
    fn random_packets_never_panic(bodies in proptest::collection::vec("[ -~]{0,40}", 0..16)) {
        let mut s = Session::new();
        for body in bodies {
            s.send(&body);
            s.mock.tick();
            s.poll();
        }
    }
}
