//! Generations: a restarted component invalidates old bindings (`Restarted`); a stopped one
//! fails everything addressed to it (`DeadPeer`), including what was already queued.

mod common;

use common::{adc_and_app, answer_all, drive, poll_once, traced_router};
use fireball_router::{CallError, Method, Record, Registration, Router, RouterConfig};

#[test]
fn an_old_binding_gets_restarted_until_rebound() {
    let (_router, authority) = Router::new(RouterConfig::default());
    let (adc, mut app) = adc_and_app(&authority);
    let old = app.bind("hal://adc/1").unwrap();
    let adc = authority.restart(adc).unwrap();
    assert_eq!(adc.identity().generation(), 2);
    let r = drive(app.call(&old, Method::Read, Record::new()), || {});
    assert_eq!(r, Err(CallError::Restarted));
    assert_eq!(
        app.notify(&old, Method::Read, Record::new()),
        Err(CallError::Restarted)
    );
    let new = app.bind("hal://adc/1").unwrap();
    assert_eq!(new.generation(), 2);
    let r = drive(app.call(&new, Method::Read, Record::new()), || {
        answer_all(&adc);
    });
    assert!(r.is_ok());
}

#[test]
fn a_stopped_component_is_a_dead_peer() {
    let (router, authority) = Router::new(RouterConfig::default());
    let (adc, mut app) = adc_and_app(&authority);
    let b = app.bind("hal://adc/1").unwrap();
    drop(adc);
    let r = drive(app.call(&b, Method::Read, Record::new()), || {});
    assert_eq!(r, Err(CallError::DeadPeer));
    assert_eq!(app.bind("hal://adc/1").unwrap_err(), CallError::DeadPeer);
    let (pattern, owner) = &router.routes()[0];
    assert_eq!((pattern.as_str(), owner), ("hal://adc/{channel}", &None));
}

#[test]
fn requests_queued_or_waiting_when_the_handler_stops_fail_with_dead_peer() {
    let (router, authority) = traced_router();
    let (adc, mut app) = adc_and_app(&authority);
    let b = app.bind("hal://adc/1").unwrap();
    let mut call = std::pin::pin!(app.call(&b, Method::Read, Record::new()));
    assert!(poll_once(call.as_mut()).is_pending());
    drop(adc); // stops with the request still in its inbox
    assert_eq!(
        poll_once(call.as_mut()),
        std::task::Poll::Ready(Err(CallError::DeadPeer))
    );
    let trace = router.render_trace();
    assert!(trace.contains("reply      #1 err dead-peer"), "{trace}");
    assert!(trace.contains("unregister hal.adc#1"), "{trace}");
}

#[test]
fn a_route_left_behind_can_be_served_again() {
    let (router, authority) = Router::new(RouterConfig::default());
    let (adc, app) = adc_and_app(&authority);
    // Re-registering under the same name without the route leaves it dead.
    drop(adc);
    let adc = router
        .register(Registration::new("hal.adc", &["hal://dac/{channel}"]))
        .unwrap();
    assert_eq!(app.bind("hal://adc/1").unwrap_err(), CallError::DeadPeer);
    // Another component may take over a dead route with the same text; rules are about the
    // route, so `app` may still read it, now from the new server.
    let spare = router
        .register(Registration::new("hal.adc2", &["hal://adc/{channel}"]))
        .unwrap();
    let mut app = app;
    let b = app.bind("hal://adc/1").unwrap();
    let r = drive(
        app.call(&b, Method::Read, Record::new().with("n", 1u8)),
        || {
            assert_eq!(answer_all(&adc), 0);
            assert_eq!(answer_all(&spare), 1);
        },
    );
    assert_eq!(r.unwrap().uint("n"), Some(2));
}

#[test]
fn a_live_route_cannot_be_taken() {
    let (router, authority) = Router::new(RouterConfig::default());
    let (_adc, _app) = adc_and_app(&authority);
    assert!(
        router
            .register(Registration::new("thief", &["hal://adc/{channel}"]))
            .is_err()
    );
}
