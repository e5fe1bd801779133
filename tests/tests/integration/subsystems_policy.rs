//! A guest the policy does not allow never reaches the `hal`: its request is
//! refused with `DENIED` before delivery, the pin does not move, the router
//! traces the denial, and the logger records it as a router warning naming the
//! caller, the method and the URI.

use crate::subsystems_common;

use fireball_abi::status;
use fireball_router::{Method, to_record};
use fireball_subsystems::{
    hal_service::SetPin, host::BufferConsole, log_service::EventLog, logger::Level, sim::SimClock,
};
use subsystems_common::{guest_call, rig};

#[test]
fn a_denied_guest_request_never_reaches_the_hal() {
    let mut rig = rig();
    let high = to_record(&SetPin { high: true }).unwrap();
    // `rogue` has no grant at all; `app` may only read and write, not toggle (call).
    let denied = guest_call(
        &mut rig,
        "rogue",
        "hal://gpio/3",
        Method::Write,
        high.clone(),
    );
    assert_eq!(denied, Err(status::DENIED));
    assert_eq!(rig.gpio.levels(), 0, "the pin did not move");
    assert!(rig.gpio.history().is_empty(), "the hal saw nothing");

    let trace = rig.router.render_trace();
    assert!(
        trace
            .lines()
            .any(|l| l.contains("denied") && l.contains("rogue#1") && l.contains("hal://gpio/3")),
        "{trace}"
    );
    assert!(
        !trace
            .lines()
            .any(|l| l.contains("request") && l.contains("rogue")),
        "{trace}"
    );

    // The same request from an allowed guest does reach it.
    guest_call(&mut rig, "app", "hal://gpio/3", Method::Write, high.clone()).unwrap();
    assert_eq!(rig.gpio.levels(), 1 << 3);

    // The logger turns router denials into warnings that say who asked for what.
    let log: EventLog = EventLog::new(Level::Debug, Box::new(SimClock::new()));
    assert_eq!(
        guest_call(&mut rig, "rogue", "hal://gpio/3", Method::Write, high),
        Err(status::DENIED)
    );
    assert_eq!(log.absorb_router_trace(&rig.router), 1);
    assert_eq!(log.inspect(|l| l.events().peek().copied()), None);
    let console = BufferConsole::new();
    assert_eq!(log.drain(&mut console.clone()), 1);
    assert_eq!(
        console.contents(),
        "[     0.000] WARN  router: request denied: rogue#2 -> hal#1 write hal://gpio/3\n",
    );
}
