//! The policy decides before delivery: a denial is a typed error plus an audit event, and the
//! handler never sees the request.

mod common;

use common::{adc_and_app, answer_all, drive, traced_router};
use fireball_router::policy::{Caller, Rule};
use fireball_router::{
    CallError, Method, Methods, Record, Registration, Router, RouterConfig, TraceEvent,
};

#[test]
fn a_denied_request_never_reaches_the_handler_and_is_audited() {
    let (router, authority) = traced_router();
    let (adc, mut app) = adc_and_app(&authority);
    let b = app.bind("hal://adc/2").unwrap();
    router.render_trace();
    let denied = drive(app.call(&b, Method::Write, Record::new()), || {});
    assert_eq!(denied, Err(CallError::Denied));
    assert_eq!(
        app.notify(&b, Method::Call, Record::new()),
        Err(CallError::Denied)
    );
    assert!(adc.try_recv().is_err(), "the handler saw nothing");
    let (_, events) = router.drain_trace();
    assert_eq!(events.len(), 2);
    for (event, method) in events.iter().zip([Method::Write, Method::Call]) {
        match &event.event {
            TraceEvent::Denied {
                caller,
                target,
                method: m,
                uri,
                pattern,
            } => {
                assert_eq!(caller.name(), "app");
                assert_eq!(target.name(), "hal.adc");
                assert_eq!(*m, method);
                assert_eq!(&**uri, "hal://adc/2");
                assert_eq!(&**pattern, "hal://adc/{channel}");
            }
            other => panic!("{other:?}"),
        }
    }
    // The granted method still works.
    let ok = drive(app.call(&b, Method::Read, Record::new()), || {
        answer_all(&adc);
    });
    assert!(ok.is_ok());
}

#[test]
fn a_binding_is_not_a_capability() {
    let (router, authority) = Router::new(RouterConfig::default());
    let (adc, app) = adc_and_app(&authority);
    let mut rogue = router.register(Registration::new("rogue", &[])).unwrap();
    let stolen = app.bind("hal://adc/1").unwrap();
    let r = drive(rogue.call(&stolen, Method::Read, Record::new()), || {});
    assert_eq!(r, Err(CallError::Denied));
    assert_eq!(rogue.may(&stolen, Method::Read), Err(CallError::Denied));
    assert_eq!(app.may(&stolen, Method::Read), Ok(()));
    assert!(adc.try_recv().is_err());
}

#[test]
fn no_one_is_allowed_by_default_not_even_the_owner() {
    let (router, _authority) = Router::new(RouterConfig::default());
    let adc = router
        .register(Registration::new("hal.adc", &["hal://adc/{channel}"]))
        .unwrap();
    let b = adc.bind("hal://adc/1").unwrap();
    for m in Method::ALL {
        assert_eq!(adc.may(&b, m), Err(CallError::Denied), "{m}");
    }
}

#[test]
fn rules_follow_names_wildcards_and_shapes() {
    let (router, authority) = Router::new(RouterConfig::default());
    // Declared before anyone registers, with other parameter names than the registration.
    authority
        .allow("app", "hal://adc/{ch}", Methods::READ | Methods::CALL)
        .unwrap();
    authority
        .allow("*", "hal://adc/{x}", Methods::SUBSCRIBE)
        .unwrap();
    assert!(
        authority
            .allow("app", "not a pattern", Methods::READ)
            .is_err()
    );
    let _adc = router
        .register(Registration::new("hal.adc", &["hal://adc/{channel}"]))
        .unwrap();
    let app = router.register(Registration::new("app", &[])).unwrap();
    let other = router.register(Registration::new("other", &[])).unwrap();
    let b = app.bind("hal://adc/1").unwrap();
    assert_eq!(app.may(&b, Method::Read), Ok(()));
    assert_eq!(app.may(&b, Method::Call), Ok(()));
    assert_eq!(app.may(&b, Method::Write), Err(CallError::Denied));
    assert_eq!(app.may(&b, Method::Subscribe), Ok(()));
    assert_eq!(other.may(&b, Method::Subscribe), Ok(()));
    assert_eq!(other.may(&b, Method::Read), Err(CallError::Denied));
    assert_eq!(
        router.policy().rules()[0],
        Rule {
            caller: Caller::Named("app".into()),
            route: "hal://adc/{ch}".into(),
            methods: Methods::READ | Methods::CALL,
            timeout_us: None,
        }
    );
}

#[test]
fn denial_is_decided_before_liveness_so_it_leaks_nothing() {
    let (router, authority) = Router::new(RouterConfig::default());
    let (adc, app) = adc_and_app(&authority);
    let rogue = router.register(Registration::new("rogue", &[])).unwrap();
    let b = app.bind("hal://adc/1").unwrap();
    drop(adc);
    assert_eq!(app.may(&b, Method::Read), Err(CallError::DeadPeer));
    assert_eq!(rogue.may(&b, Method::Read), Err(CallError::Denied));
}

#[test]
fn grants_survive_a_restart() {
    let (_router, authority) = Router::new(RouterConfig::default());
    let (_adc, app) = adc_and_app(&authority);
    let app = authority.restart(app).unwrap();
    assert_eq!(app.identity().generation(), 2);
    let b = app.bind("hal://adc/1").unwrap();
    assert_eq!(app.may(&b, Method::Read), Ok(()));
}

#[test]
fn a_rule_on_a_concrete_uri_grants_that_uri_only() {
    let (router, authority) = Router::new(RouterConfig::default());
    let adc = router
        .register(Registration::new("hal.adc", &["hal://adc/{channel}"]))
        .unwrap();
    let mut app = router.register(Registration::new("app", &[])).unwrap();
    let mut other = router.register(Registration::new("other", &[])).unwrap();
    authority
        .allow("app", "hal://adc/0", Methods::READ)
        .unwrap();
    let zero = app.bind("hal://adc/0").unwrap();
    let one = app.bind("hal://adc/1").unwrap();
    let ok = drive(app.call(&zero, Method::Read, Record::new()), || {
        answer_all(&adc);
    });
    assert!(ok.is_ok());
    assert_eq!(app.may(&zero, Method::Write), Err(CallError::Denied));
    assert_eq!(app.may(&one, Method::Read), Err(CallError::Denied));
    let theirs = other.bind("hal://adc/0").unwrap();
    assert_eq!(
        drive(other.call(&theirs, Method::Read, Record::new()), || {}),
        Err(CallError::Denied),
        "the grant names app only"
    );
    // For everyone, on one URI.
    authority.allow("*", "hal://adc/3", Methods::READ).unwrap();
    let three = other.bind("hal://adc/3").unwrap();
    assert_eq!(other.may(&three, Method::Read), Ok(()));
    assert_eq!(other.may(&zero, Method::Read), Err(CallError::Denied));
}
