//! Call deadlines: a call its handler never answers fails with `Timeout` once
//! `RouterAuthority::expire` sees its deadline pass — exactly once, the late reply discarded —
//! with the deadline of the call, else the binding's policy rule, else the router's default;
//! none at all when there is none.

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use common::{count, each_request_answered_once};
use fireball_kernel::sched::Executor;
use fireball_router::{
    CallError, Delivery, Endpoint, Expiry, Method, Methods, Record, Registration, Request, Router,
    RouterAuthority, RouterConfig, TraceConfig,
};

type Results = Rc<RefCell<Vec<(&'static str, Result<Record, CallError>)>>>;

fn router(call_timeout_us: Option<u64>) -> (Router, RouterAuthority) {
    Router::new(RouterConfig {
        trace: TraceConfig {
            capacity: 1024,
            bodies: false,
        },
        call_timeout_us,
        ..RouterConfig::default()
    })
}

/// `hal.adc` takes every request and keeps it unanswered in the returned list.
fn sitting_on_requests(executor: &mut Executor, adc: Endpoint) -> Rc<RefCell<Vec<Request>>> {
    let held = Rc::new(RefCell::new(Vec::new()));
    let kept = held.clone();
    executor
        .spawn("adc", async move {
            while let Some(Delivery::Request(request)) = adc.recv().await {
                kept.borrow_mut().push(request);
            }
        })
        .unwrap();
    held
}

/// A task that makes one call as `ep` on `uri` (with `timeout` for that call only, when
/// given) and records how it ended.
fn caller(
    executor: &mut Executor,
    results: &Results,
    name: &'static str,
    mut ep: Endpoint,
    uri: &'static str,
    timeout: Option<Option<u64>>,
) {
    let results = results.clone();
    executor
        .spawn(name, async move {
            let b = ep.bind(uri).unwrap();
            let r = match timeout {
                None => ep.call(&b, Method::Read, Record::new()).await,
                Some(t) => {
                    ep.call_with_timeout(&b, Method::Read, Record::new(), t)
                        .await
                }
            };
            results.borrow_mut().push((name, r));
        })
        .unwrap();
}

fn expiry(timed_out: usize, next_deadline_us: Option<u64>) -> Expiry {
    Expiry {
        timed_out,
        next_deadline_us,
    }
}

#[test]
fn a_call_nobody_answers_times_out_once_and_the_late_reply_is_discarded() {
    let (router, authority) = router(Some(1_000));
    let (adc, app) = common::adc_and_app(&authority);
    let mut executor = Executor::new().unwrap();
    let held = sitting_on_requests(&mut executor, adc);
    let results = Results::default();
    caller(&mut executor, &results, "app", app, "hal://adc/1", None);
    executor.run_until_idle();
    assert_eq!(held.borrow().len(), 1, "the handler has the request");
    assert!(results.borrow().is_empty(), "and the caller waits");

    // The first look stamps the call; it fails a timeout later, not before.
    assert_eq!(authority.expire(5_000), expiry(0, Some(6_000)));
    assert_eq!(authority.expire(5_999), expiry(0, Some(6_000)));
    executor.run_until_idle();
    assert!(results.borrow().is_empty());
    assert_eq!(authority.expire(6_000), expiry(1, None));
    executor.run_until_idle();
    assert_eq!(*results.borrow(), [("app", Err(CallError::Timeout))]);
    assert_eq!(authority.expire(60_000), expiry(0, None), "exactly once");

    // The handler answers at last: nobody is waiting, so the reply is dropped, and says so.
    let late = held.borrow_mut().pop().unwrap();
    assert_eq!(late.reply(Record::new()), Err(CallError::DeadPeer));
    executor.run_until_idle();
    assert_eq!(results.borrow().len(), 1, "never delivered twice");

    let trace = router.render_trace();
    assert_eq!(each_request_answered_once(&trace), 1);
    assert_eq!(count(&trace, "timeout"), 1);
    assert_eq!(count(&trace, "discarded"), 1);
    let tail: Vec<&str> = trace.lines().skip(4).collect();
    insta::assert_snapshot!(tail.join("\n"), @r"
    0005 request    #1 app#1 -> hal.adc#1 read hal://adc/1 (1 B)
    0006 timeout    #1 app#1 after 1000us
    0007 unregister app#1
    0008 discarded  #1 (caller no longer waiting)
    ");
}

#[test]
fn the_next_call_on_the_endpoint_gets_a_deadline_of_its_own() {
    let (router, authority) = router(Some(100));
    let (adc, mut app) = common::adc_and_app(&authority);
    let mut executor = Executor::new().unwrap();
    let held = sitting_on_requests(&mut executor, adc);
    let results = Results::default();
    let shared = results.clone();
    // The caller makes its second call when told to.
    let go = Rc::new(fireball_kernel::csp::Channel::<()>::new(1));
    let next = go.clone();
    executor
        .spawn("app", async move {
            let b = app.bind("hal://adc/1").unwrap();
            for name in ["first", "second"] {
                let r = app.call(&b, Method::Read, Record::new()).await;
                shared.borrow_mut().push((name, r));
                next.recv().await;
            }
        })
        .unwrap();
    executor.run_until_idle();
    assert_eq!(authority.expire(0), expiry(0, Some(100)));
    assert_eq!(authority.expire(100), expiry(1, None));
    go.try_send(()).unwrap();
    executor.run_until_idle();
    assert_eq!(held.borrow().len(), 2);
    // Seen first at 100: the second call is new, not already 100 µs old.
    assert_eq!(authority.expire(100), expiry(0, Some(200)));
    assert_eq!(authority.expire(150), expiry(0, Some(200)));
    // Answered in time: nothing left to expire.
    held.borrow_mut()
        .pop()
        .unwrap()
        .reply(Record::new())
        .unwrap();
    executor.run_until_idle();
    assert_eq!(authority.expire(10_000), expiry(0, None));
    let results = results.borrow();
    assert_eq!(results[0], ("first", Err(CallError::Timeout)));
    assert_eq!(results[1], ("second", Ok(Record::new())));
    drop(held.borrow_mut().pop()); // the first request, long abandoned
    let trace = router.render_trace();
    assert_eq!(each_request_answered_once(&trace), 2);
    assert_eq!(count(&trace, "discarded"), 1);
}

#[test]
fn the_call_overrides_the_rule_which_overrides_the_default() {
    let (router, authority) = router(Some(1_000));
    let adc = router
        .register(Registration::new("hal.adc", &["hal://adc/{channel}"]).inbox(8))
        .unwrap();
    let names = ["app", "other", "quick", "patient", "uri"];
    let eps: Vec<Endpoint> = names
        .iter()
        .map(|n| router.register(Registration::new(n, &[])).unwrap())
        .collect();
    authority
        .allow_with_timeout("app", "hal://adc/{channel}", Methods::READ, 300)
        .unwrap();
    authority
        .allow("*", "hal://adc/{channel}", Methods::READ)
        .unwrap();
    // A rule on one concrete URI is more specific than one on the route.
    authority
        .allow_with_timeout("*", "hal://adc/7", Methods::READ, 700)
        .unwrap();
    assert_eq!(
        eps[0].bind("hal://adc/1").unwrap().timeout_us(),
        Some(300),
        "the rule's"
    );
    assert_eq!(
        eps[1].bind("hal://adc/1").unwrap().timeout_us(),
        Some(1_000)
    );
    assert_eq!(eps[4].bind("hal://adc/7").unwrap().timeout_us(), Some(700));
    let mut set = eps[1].bind("hal://adc/1").unwrap();
    set.set_timeout_us(Some(5));
    assert_eq!(set.timeout_us(), Some(5));

    let mut executor = Executor::new().unwrap();
    let _held = sitting_on_requests(&mut executor, adc);
    let results = Results::default();
    let mut eps = eps.into_iter();
    let mut next = || eps.next().unwrap();
    caller(&mut executor, &results, "app", next(), "hal://adc/1", None);
    caller(
        &mut executor,
        &results,
        "other",
        next(),
        "hal://adc/1",
        None,
    );
    caller(
        &mut executor,
        &results,
        "quick",
        next(),
        "hal://adc/1",
        Some(Some(50)),
    );
    caller(
        &mut executor,
        &results,
        "patient",
        next(),
        "hal://adc/1",
        Some(None),
    );
    caller(&mut executor, &results, "uri", next(), "hal://adc/7", None);
    executor.run_until_idle();
    let mut order = Vec::new();
    let mut now = 0;
    loop {
        let expiry = authority.expire(now);
        executor.run_until_idle();
        order.extend(results.borrow_mut().drain(..).map(|(name, r)| {
            assert_eq!(r, Err(CallError::Timeout));
            (name, now)
        }));
        match expiry.next_deadline_us {
            Some(at) => now = at,
            None => break,
        }
    }
    assert_eq!(
        order,
        [("quick", 50), ("app", 300), ("uri", 700), ("other", 1_000)],
        "`patient` asked for no deadline"
    );
    let trace = router.render_trace();
    assert!(
        trace.contains("allow      app -> hal://adc/{channel} read timeout=300us"),
        "{trace}"
    );
    assert_eq!(count(&trace, "request"), 5);
    assert_eq!(count(&trace, "timeout"), 4);
}

#[test]
fn without_a_deadline_a_call_waits_as_long_as_it_takes() {
    let (router, authority) = router(None);
    let (adc, app) = common::adc_and_app(&authority);
    assert_eq!(app.bind("hal://adc/1").unwrap().timeout_us(), None);
    let mut executor = Executor::new().unwrap();
    let held = sitting_on_requests(&mut executor, adc);
    let results = Results::default();
    caller(&mut executor, &results, "app", app, "hal://adc/1", None);
    executor.run_until_idle();
    for now in [0, 1_000_000, u64::MAX] {
        assert_eq!(authority.expire(now), expiry(0, None));
    }
    executor.run_until_idle();
    assert!(results.borrow().is_empty());
    held.borrow_mut()
        .pop()
        .unwrap()
        .reply(Record::new().with("n", 1u8))
        .unwrap();
    executor.run_until_idle();
    assert_eq!(
        *results.borrow(),
        [("app", Ok(Record::new().with("n", 1u8)))]
    );
    assert_eq!(each_request_answered_once(&router.render_trace()), 1);
}
