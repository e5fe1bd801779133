use super::*;
use crate::hal::Console;

#[derive(Default)]
struct Lines(String);

impl Console for Lines {
    fn write(&mut self, bytes: &[u8]) {
        self.0.push_str(core::str::from_utf8(bytes).unwrap());
    }
}

#[test]
fn events_and_messages_drain_in_time_order() {
    let mut log = Logger::<8>::new(Level::Info);
    log.event(Event::new(5, Level::Info, EventKind::TaskSpawned, 3));
    log.message(7, Level::Warn, "filter", "coefficients reset");
    log.event(Event::new(9, Level::Error, EventKind::DeadPeer, 12));
    log.event(Event::new(10, Level::Debug, EventKind::ChannelSend, 1));
    let mut out = Lines::default();
    assert_eq!(log.drain(&mut out), 3);
    assert_eq!(
        out.0,
        "[     0.005] INFO  sched: task spawned 3\n\
         [     0.007] WARN  filter: coefficients reset\n\
         [     0.009] ERROR router: dead peer on route 12\n"
    );
    assert_eq!(log.filtered(), 1, "the debug event is below the filter");
    assert_eq!(log.drain(&mut out), 0, "drained means empty");
}

#[test]
fn overflow_is_counted_and_reported_once() {
    let mut log = Logger::<256>::new(Level::Debug);
    for n in 0..10_000u32 {
        log.event(Event::new(n, Level::Debug, EventKind::ChannelRecv, 0));
    }
    for n in 0..20 {
        log.message(n, Level::Info, "guest", "hello");
    }
    let mut out = Lines::default();
    assert_eq!(log.drain(&mut out), 256 + MESSAGE_SLOTS + 1);
    assert!(
        out.0
            .ends_with("[logger] overflow: 9744 event(s) overwritten, 4 message(s) dropped\n")
    );
    let mut again = Lines::default();
    assert_eq!(log.drain(&mut again), 0, "overflow is reported once");
}

#[test]
fn long_messages_are_cut_at_a_character_boundary() {
    let mut log = Logger::<4>::new(Level::Info);
    let text = "é".repeat(60); // 120 bytes
    log.message(0, Level::Info, "a-component-with-a-very-long-name", &text);
    let mut out = Lines::default();
    log.drain(&mut out);
    assert!(out.0.contains(&"é".repeat(40)));
    assert!(!out.0.contains(&"é".repeat(41)));
    assert!(out.0.contains("a-component-with-a-very-: "), "{}", out.0);
}
