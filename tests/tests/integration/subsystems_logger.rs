//! The `logger` subsystem on `log://`: lines from native components and guests
//! reach the console attributed to their stamped identity; 10 000 lines at once
//! give counted refusals and drops, never a panic or a silent loss; scheduler
//! events enter the ring through the executor's observer hook; guests' channel traffic
//! through the channels' observer hook.

use crate::subsystems_common;

use std::rc::Rc;

use fireball_abi::status;
use fireball_router::{CallError, Method, Methods, Registration, Router, RouterConfig, to_record};
use fireball_subsystems::logger::EventKind;
use fireball_subsystems::{
    host::BufferConsole,
    log_service::{EventLog, LogLevel, LogLine, LogService, ROUTE},
    logger::{Level, MESSAGE_SLOTS},
    sim::SimClock,
};
use fireball_vsoc::kernel::sched::Executor;
use fireball_vsoc::{Vsoc, VsocConfig};
use subsystems_common::{guest_call, rig};

fn line(text: &str) -> fireball_router::Record {
    to_record(&LogLine {
        level: LogLevel::Warn,
        text: text.into(),
    })
    .unwrap()
}

#[test]
fn ten_thousand_lines_give_counted_refusals_and_drops() {
    let (router, authority) = Router::new(RouterConfig::default());
    let clock = SimClock::new();
    let log: Rc<EventLog> = Rc::new(EventLog::new(Level::Debug, Box::new(clock.clone())));
    let service = LogService::register(&router, "logger", 64, log.clone()).unwrap();
    authority.allow("app", ROUTE, Methods::WRITE).unwrap();
    let app = router.register(Registration::new("app", &[])).unwrap();
    let binding = app.bind("log://").unwrap();
    let (mut sent, mut refused) = (0u32, 0u32);
    for i in 0..10_000 {
        match app.notify(&binding, Method::Write, line(&format!("line {i}"))) {
            Ok(()) => sent += 1,
            Err(CallError::QueueFull) => refused += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(
        (sent, refused),
        (64, 9_936),
        "the inbox bounds the burst; the sender counts"
    );
    assert_eq!(service.serve_ready(), 64);
    let dropped = log.inspect(|l| l.messages_dropped());
    assert_eq!(
        dropped,
        64 - MESSAGE_SLOTS as u64,
        "the message queue counts what it drops"
    );
    let console = BufferConsole::new();
    let lines = log.drain(&mut console.clone());
    assert_eq!(lines, MESSAGE_SLOTS + 1);
    let text = console.contents();
    assert!(
        text.starts_with("[     0.000] WARN  app: line 0\n"),
        "{text}"
    );
    assert!(
        text.ends_with("[logger] overflow: 0 event(s) overwritten, 48 message(s) dropped\n"),
        "{text}"
    );
}

#[test]
fn a_guest_logs_under_its_own_name_and_the_task_drains_to_the_console() {
    let mut rig = rig();
    let log: Rc<EventLog> = Rc::new(EventLog::new(Level::Info, Box::new(rig.clock.clone())));
    let service = LogService::register(&rig.router, "logger", 4, log.clone()).unwrap();
    rig.authority
        .allow("sensor", ROUTE, Methods::WRITE)
        .unwrap();
    let console = BufferConsole::new();
    rig.executor
        .spawn("logger", service.run(Box::new(console.clone())))
        .unwrap();
    rig.clock.advance(2_500_000);
    let reply = guest_call(
        &mut rig,
        "sensor",
        "log://",
        Method::Write,
        line("hello from wasm"),
    );
    assert!(reply.unwrap().is_empty());
    let debug = to_record(&LogLine {
        level: LogLevel::Debug,
        text: "filtered".into(),
    })
    .unwrap();
    guest_call(&mut rig, "sensor", "log://", Method::Write, debug).unwrap();
    assert_eq!(
        console.contents(),
        "[     2.500] WARN  sensor: hello from wasm\n"
    );
    assert_eq!(log.inspect(|l| l.filtered()), 1);
    // Not a log line; not a write; not allowed.
    let bad = fireball_router::Record::new().with("text", 5u32);
    assert_eq!(
        guest_call(&mut rig, "sensor", "log://", Method::Write, bad),
        Err(status::failed(400))
    );
    assert_eq!(
        guest_call(&mut rig, "app", "log://", Method::Write, line("x")),
        Err(status::DENIED)
    );
}

#[test]
fn scheduler_events_enter_the_ring_and_overflow_is_counted() {
    let log: Rc<EventLog> = Rc::new(EventLog::new(Level::Debug, Box::new(SimClock::new())));
    let mut executor = Executor::with_capacity(4).unwrap();
    executor.set_observer(log.clone());
    executor.spawn("a", async {}).unwrap();
    executor.run_until_idle();
    let console = BufferConsole::new();
    log.drain(&mut console.clone());
    assert_eq!(
        console.contents(),
        "[     0.000] INFO  sched: spawned a (P1/0)\n\
         [     0.000] DEBUG sched: resumed a (P1/0)\n\
         [     0.000] INFO  sched: completed a (P1/0)\n"
    );
    for _ in 0..10_000 {
        executor.spawn("b", async {}).unwrap();
        executor.run_until_idle();
    }
    assert_eq!(
        log.inspect(|l| (
            l.events().pushed(),
            l.events().overwritten(),
            l.events().len()
        )),
        (30_003, 30_003 - 3 - 256, 256)
    );
    assert_eq!(log.contended(), 0);
}

#[test]
fn guest_channel_traffic_enters_the_ring() {
    let log: Rc<EventLog> = Rc::new(EventLog::new(Level::Debug, Box::new(SimClock::new())));
    let vsoc = Vsoc::new(VsocConfig::default());
    vsoc.observe_channels(log.clone());
    let _unused = vsoc.open_channel(1).unwrap();
    let chan = vsoc.open_channel(0).unwrap();
    let raw = chan.to_raw();
    // One guest sends two values on a rendezvous, the other receives both.
    let sender = format!(
        r#"(module
            (import "fb" "chan_send" (func $send (param i32 i64) (result i32)))
            (memory (export "memory") 1 1)
            (func (export "fb_main")
                (drop (call $send (i32.const {raw}) (i64.const 1)))
                (drop (call $send (i32.const {raw}) (i64.const 2)))))"#
    );
    let receiver = format!(
        r#"(module
            (import "fb" "chan_recv" (func $recv (param i32 i32) (result i32)))
            (memory (export "memory") 1 1)
            (func (export "fb_main")
                (drop (call $recv (i32.const {raw}) (i32.const 8)))
                (drop (call $recv (i32.const {raw}) (i32.const 8)))))"#
    );
    let mut executor = Executor::new().unwrap();
    for (name, wat) in [("tx", sender), ("rx", receiver)] {
        let module = vsoc.load(name, &wat::parse_str(wat).unwrap()).unwrap();
        let instance = vsoc
            .instantiate(
                &module,
                Box::new(fireball_subsystems::hal::NullConsole::default()),
            )
            .unwrap();
        vsoc.spawn(&mut executor, instance).unwrap();
    }
    vsoc.run_until_idle(&mut executor);
    assert!(vsoc.close_channel(chan));

    let channel_events: Vec<(EventKind, u16)> = log.inspect(|l| {
        l.events()
            .iter()
            .filter_map(|e| {
                e.kind()
                    .filter(|k| k.source() == "csp")
                    .map(|k| (k, e.arg()))
            })
            .collect()
    });
    let id = chan.index();
    assert_eq!(id, 1, "the subject is the handle's slot");
    let count = |kind| channel_events.iter().filter(|e| **e == (kind, id)).count();
    assert_eq!(count(EventKind::ChannelSend), 2, "{channel_events:?}");
    assert_eq!(count(EventKind::ChannelRecv), 2, "{channel_events:?}");
    assert_eq!(channel_events.last(), Some(&(EventKind::ChannelClosed, id)));
    assert_eq!(channel_events.len(), 5);
}
