//! No delivery the router accepts can kill a service by its size. A service built with the
//! SDK takes deliveries into a fixed buffer (`Service::BUFFER`, a static array, no heap): a
//! request larger than it, at the router's maximum message size, is answered 413 without
//! reaching a handler, a notification that large is dropped, and the service goes on serving.
//! `counter` (the smallest service) is the module under test.

use crate::subsystems_common;

use fireball_abi::{limits::MAX_ROUTE_MESSAGE, status};
use fireball_router::{Limits, Method, Methods, Record, RouterConfig, Value};
use fireball_subsystems::host::BufferConsole;
use fireball_vsoc::VsocEvent;
use subsystems_common::{Rig, guest_call, rig_with, spawn_service};

const ROUTE: &str = "svc://counter/{n}";

/// The router at the largest messages a module may send (`route_call` takes up to
/// `MAX_ROUTE_MESSAGE` bytes), `app` allowed on the counter, the counter running.
fn with_counter() -> (Rig, BufferConsole) {
    let mut rig = rig_with(RouterConfig {
        limits: Limits {
            max_bytes: MAX_ROUTE_MESSAGE,
            ..Limits::default()
        },
        ..RouterConfig::default()
    });
    rig.authority
        .allow("app", ROUTE, Methods::READ | Methods::WRITE)
        .unwrap();
    let bytes = fireball_tests::module("counter");
    let console = spawn_service(&mut rig, "counter", &bytes, &[ROUTE]);
    (rig, console)
}

fn count(value: u64) -> Record {
    Record::new().with("value", Value::U64(value))
}

/// A `Count` padded with a field the counter does not store, to `bytes` encoded bytes.
fn padded(value: u64, bytes: usize) -> Record {
    let unbounded = Limits {
        max_bytes: usize::MAX,
        ..Limits::default()
    };
    let mut pad = bytes;
    loop {
        let record = count(value).with("pad", Value::Bytes(vec![0xA5; pad]));
        match record.encode(&unbounded).unwrap().len() {
            len if len == bytes => return record,
            len if len > bytes => pad -= len - bytes,
            _ => pad += 1,
        }
    }
}

#[test]
fn a_request_larger_than_the_service_buffer_is_answered_413_and_serving_goes_on() {
    let (mut rig, _) = with_counter();
    let limits = Limits {
        max_bytes: MAX_ROUTE_MESSAGE,
        ..Limits::default()
    };
    let big = padded(7, MAX_ROUTE_MESSAGE);
    assert_eq!(big.encode(&limits).unwrap().len(), MAX_ROUTE_MESSAGE);
    assert_eq!(
        guest_call(&mut rig, "app", "svc://counter/1", Method::Write, big),
        Err(status::failed(413)),
        "the router's largest message does not fit the counter's buffer"
    );
    // A request that fits, padded with what the counter does not store: served.
    assert_eq!(
        guest_call(
            &mut rig,
            "app",
            "svc://counter/1",
            Method::Write,
            padded(2, 200)
        ),
        Ok(count(2))
    );
    assert_eq!(
        guest_call(&mut rig, "app", "svc://counter/1", Method::Write, count(3)),
        Ok(count(5)),
        "the total kept counting: the refused request changed nothing"
    );
    assert_eq!(
        guest_call(
            &mut rig,
            "app",
            "svc://counter/1",
            Method::Read,
            Record::new()
        ),
        Ok(count(5))
    );
    while let Some(event) = rig.vsoc.pop_event() {
        assert!(
            !matches!(event, VsocEvent::Stopped { .. }),
            "nothing stopped: {event:?}"
        );
    }
}
