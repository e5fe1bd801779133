//! Requests reach the component serving the URI, stamped with the caller's identity.

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use common::{adc_and_app, answer_all, drive, traced_router};
use fireball_kernel::sched::Executor;
use fireball_router::table::InsertError;
use fireball_router::uri::UriError;
use fireball_router::{
    CallError, Delivery, Limits, Method, Methods, Record, RecordError, RegisterError, Registration,
    Router, RouterConfig,
};

#[test]
fn a_call_reaches_the_handler_with_stamped_identity_and_params() {
    let (_router, authority) = traced_router();
    let (adc, mut app) = adc_and_app(&authority);
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    let mut executor = Executor::new().unwrap();
    executor
        .spawn("adc", async move {
            while let Some(Delivery::Request(request)) = adc.recv().await {
                log.borrow_mut().push(format!(
                    "{} {} {:?} {}",
                    request.caller(),
                    request.method(),
                    request.envelope().params(),
                    request.envelope().uri()
                ));
                let channel: u64 = request.param("channel").unwrap().parse().unwrap();
                request
                    .reply(Record::new().with("mv", 1000 + channel))
                    .unwrap();
            }
        })
        .unwrap();
    let results = Rc::new(RefCell::new(Vec::new()));
    let out = results.clone();
    executor
        .spawn("app", async move {
            for uri in ["hal://adc/3", "hal://adc/7"] {
                let binding = app.bind(uri).unwrap();
                let reply = app.call(&binding, Method::Read, Record::new()).await;
                out.borrow_mut().push(reply.map(|r| r.uint("mv")));
            }
        })
        .unwrap();
    executor.run_until_idle();
    assert_eq!(*results.borrow(), [Ok(Some(1003)), Ok(Some(1007))]);
    assert_eq!(
        *seen.borrow(),
        [
            "app#1 read {\"channel\": \"3\"} hal://adc/3",
            "app#1 read {\"channel\": \"7\"} hal://adc/7"
        ]
    );
}

#[test]
fn bind_refuses_malformed_and_unserved_uris() {
    let (_router, authority) = Router::new(RouterConfig::default());
    let (_adc, app) = adc_and_app(&authority);
    assert_eq!(
        app.bind("adc/3").unwrap_err(),
        CallError::BadUri(UriError::MissingScheme)
    );
    assert_eq!(app.bind("hal://dac/3").unwrap_err(), CallError::NoRoute);
    assert_eq!(app.bind("hal://adc").unwrap_err(), CallError::NoRoute);
    let b = app.bind("hal://adc/0").unwrap();
    assert_eq!(b.params().get("channel"), Some("0"));
    assert_eq!(b.uri(), "hal://adc/0");
    assert_eq!(b.generation(), 1);
}

#[test]
fn registration_is_checked_and_all_or_nothing() {
    let (router, _authority) = Router::new(RouterConfig::default());
    let _adc = router
        .register(Registration::new("hal.adc", &["hal://adc/{channel}"]))
        .unwrap();
    let reg = |name, routes| {
        router
            .register(Registration::new(name, routes))
            .unwrap_err()
    };
    assert_eq!(reg("Bad Name", &[]), RegisterError::BadName);
    assert_eq!(reg("", &[]), RegisterError::BadName);
    assert_eq!(reg("hal.adc", &[]), RegisterError::NameTaken);
    assert_eq!(
        reg("other", &["hal://gpio/{pin}", "hal://adc/{n}"]),
        RegisterError::RouteTaken { index: 1 }
    );
    assert_eq!(
        reg("other", &["x://a/{b}", "x://a/{c}"]),
        RegisterError::RouteTaken { index: 1 }
    );
    assert!(matches!(
        reg("other", &["hal://gpio/{pin}", "hal:/x"]),
        RegisterError::BadRoute {
            index: 1,
            error: InsertError::Uri(UriError::MissingScheme)
        }
    ));
    assert_eq!(
        router
            .register(Registration::new("other", &[]).inbox(0))
            .unwrap_err(),
        RegisterError::ZeroInbox
    );
    // Nothing of the failed registrations was kept.
    let routes: Vec<String> = router.routes().into_iter().map(|(p, _)| p).collect();
    assert_eq!(routes, ["hal://adc/{channel}"]);
    assert!(
        router
            .register(Registration::new("other", &["hal://gpio/{pin}"]))
            .is_ok()
    );
}

#[test]
fn handler_errors_and_dropped_requests_reach_the_caller() {
    let (_router, authority) = Router::new(RouterConfig::default());
    let (adc, mut app) = adc_and_app(&authority);
    let b = app.bind("hal://adc/1").unwrap();
    let failed = drive(app.call(&b, Method::Read, Record::new()), || {
        if let Ok(Delivery::Request(r)) = adc.try_recv() {
            r.fail(42).unwrap();
        }
    });
    assert_eq!(failed, Err(CallError::Failed(42)));
    let dropped = drive(app.call(&b, Method::Read, Record::new()), || {
        drop(adc.try_recv());
    });
    assert_eq!(dropped, Err(CallError::NoReply));
    let ok = drive(
        app.call(&b, Method::Read, Record::new().with("n", 1u8)),
        || {
            answer_all(&adc);
        },
    );
    assert_eq!(ok.unwrap().uint("n"), Some(2));
}

#[test]
fn oversized_messages_are_refused_both_ways() {
    let (_router, authority) = Router::new(RouterConfig {
        limits: Limits {
            max_bytes: 16,
            ..Limits::DEFAULT
        },
        ..RouterConfig::default()
    });
    let (adc, mut app) = adc_and_app(&authority);
    let b = app.bind("hal://adc/1").unwrap();
    let big = Record::new().with("blob", vec![0u8; 32]);
    let err = drive(app.call(&b, Method::Read, big.clone()), || {});
    assert!(matches!(
        err,
        Err(CallError::Message(RecordError::TooLarge { max: 16, .. }))
    ));
    assert!(adc.try_recv().is_err(), "the handler never saw it");
    let mut handler_saw = None;
    let err = drive(app.call(&b, Method::Read, Record::new()), || {
        if let Ok(Delivery::Request(r)) = adc.try_recv() {
            handler_saw = Some(r.reply(big.clone()));
        }
    });
    assert!(matches!(
        err,
        Err(CallError::Message(RecordError::TooLarge { .. }))
    ));
    assert!(matches!(handler_saw, Some(Err(CallError::Message(_)))));
}

#[test]
fn notifications_are_one_way() {
    let (router, authority) = Router::new(RouterConfig::default());
    let log = router
        .register(Registration::new("log.sink", &["log://{source}"]))
        .unwrap();
    let app = router.register(Registration::new("app", &[])).unwrap();
    authority
        .allow("*", "log://{source}", Methods::WRITE)
        .unwrap();
    let b = app.bind("log://app").unwrap();
    app.notify(&b, Method::Write, Record::new().with("line", "hello"))
        .unwrap();
    match log.try_recv().unwrap() {
        Delivery::Notification(n) => {
            assert_eq!(n.caller().name(), "app");
            assert_eq!(n.envelope().param("source"), Some("app"));
            assert_eq!(n.into_body().str("line"), Some("hello"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_abandoned_call_does_not_confuse_the_next_one() {
    let (router, authority) = traced_router();
    let (adc, mut app) = adc_and_app(&authority);
    let b = app.bind("hal://adc/1").unwrap();
    {
        let mut first = std::pin::pin!(app.call(&b, Method::Read, Record::new().with("n", 10u8)));
        assert!(common::poll_once(first.as_mut()).is_pending());
    } // dropped: the caller stopped waiting
    let second = drive(
        app.call(&b, Method::Read, Record::new().with("n", 20u8)),
        || {
            answer_all(&adc);
        },
    );
    assert_eq!(second.unwrap().uint("n"), Some(21));
    let trace = router.render_trace();
    assert!(trace.contains("discarded  #1"), "{trace}");
}
