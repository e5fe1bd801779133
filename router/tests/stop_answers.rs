//! What a caller sees when its handler stops: every request queued for it and every request
//! it had taken and not answered is answered once with its stop answer — `Restarted` while
//! the deployment will restart it, `DeadPeer` by default and once it gives up — whichever
//! order the handler's task drops them in. A handler that is running and drops a request
//! gives `NoReply`.

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use common::{answer_all, count, drive, each_request_answered_once, traced_router};
use fireball_kernel::sched::{Executor, TaskId};
use fireball_router::{
    CallError, Delivery, Endpoint, Method, Methods, Record, Registration, Router, RouterAuthority,
};

type Results = Rc<RefCell<Vec<(u8, Result<Record, CallError>)>>>;

/// `hal.adc` (inbox 4) and `callers` clients allowed to read it.
fn handler_and_callers(authority: &RouterAuthority, callers: u8) -> (Endpoint, Vec<Endpoint>) {
    let router = authority.router();
    let adc = router
        .register(Registration::new("hal.adc", &["hal://adc/{channel}"]))
        .unwrap();
    authority
        .allow("*", "hal://adc/{channel}", Methods::READ)
        .unwrap();
    let clients = (0..callers)
        .map(|c| {
            let name = format!("app{c}");
            router.register(Registration::new(&name, &[])).unwrap()
        })
        .collect();
    (adc, clients)
}

/// A handler task that takes one request and then hangs holding it (as an instance stuck
/// in a loop would, until it is stopped).
fn hangs_holding_one(executor: &mut Executor, adc: Endpoint) -> TaskId {
    executor
        .spawn("adc", async move {
            let held = adc.recv().await;
            std::future::pending::<()>().await;
            drop(held);
        })
        .unwrap()
}

/// One task per client, each making one call and recording how it ended.
fn calling(executor: &mut Executor, clients: Vec<Endpoint>) -> Results {
    let results = Results::default();
    for (c, mut ep) in clients.into_iter().enumerate() {
        let results = results.clone();
        executor
            .spawn("caller", async move {
                let b = ep.bind("hal://adc/1").unwrap();
                let r = ep.call(&b, Method::Read, Record::new()).await;
                results.borrow_mut().push((c as u8, r));
            })
            .unwrap();
    }
    results
}

/// Three calls: one in the handler's hand, two queued, when the handler's task is
/// cancelled (its locals, the request in hand, drop before the endpoint it owns).
fn stopped_with_three_open(router: &Router, authority: &RouterAuthority) -> Vec<CallError> {
    let (adc, clients) = handler_and_callers(authority, 3);
    let mut executor = Executor::new().unwrap();
    let handler = hangs_holding_one(&mut executor, adc);
    let results = calling(&mut executor, clients);
    executor.run_until_idle();
    assert!(results.borrow().is_empty(), "all three wait");
    let trace = router.render_trace();
    assert_eq!(count(&trace, "request"), 3, "{trace}");
    executor.cancel(handler).unwrap();
    executor.run_until_idle();
    let mut results = results.borrow_mut();
    results.sort_by_key(|(c, _)| *c);
    results
        .iter()
        .map(|(_, r)| r.clone().unwrap_err())
        .collect()
}

#[test]
fn a_stopped_handler_answers_what_it_held_and_what_was_queued_with_dead_peer() {
    let (router, authority) = traced_router();
    let answers = stopped_with_three_open(&router, &authority);
    assert_eq!(answers, [CallError::DeadPeer; 3]);
    let trace = router.render_trace();
    assert_eq!(count(&trace, "reply"), 3, "each exactly once:\n{trace}");
    assert_eq!(count(&trace, "discarded"), 0);
    assert_eq!(trace.matches("err dead-peer").count(), 3, "{trace}");
}

#[test]
fn a_handler_that_will_restart_answers_restarted_and_its_callers_rebind() {
    let (router, authority) = traced_router();
    authority.set_stop_answer("hal.adc", CallError::Restarted);
    let answers = stopped_with_three_open(&router, &authority);
    assert_eq!(answers, [CallError::Restarted; 3]);
    let trace = router.render_trace();
    assert_eq!(count(&trace, "reply"), 3, "each exactly once:\n{trace}");
    assert_eq!(trace.matches("err restarted").count(), 3, "{trace}");

    // It comes back as the next generation: an old binding says so, a new one works.
    let adc = router
        .register(Registration::new("hal.adc", &["hal://adc/{channel}"]))
        .unwrap();
    assert_eq!(adc.identity().generation(), 2);
    let mut app = router.register(Registration::new("late", &[])).unwrap();
    let b = app.bind("hal://adc/1").unwrap();
    let r = drive(app.call(&b, Method::Read, Record::new()), || {
        answer_all(&adc);
    });
    assert!(r.is_ok());

    // The deployment gives up on it: the next stop is final.
    authority.set_stop_answer("hal.adc", CallError::DeadPeer);
    let mut call = std::pin::pin!(app.call(&b, Method::Read, Record::new()));
    assert!(common::poll_once(call.as_mut()).is_pending());
    drop(adc);
    assert_eq!(
        common::poll_once(call.as_mut()),
        std::task::Poll::Ready(Err(CallError::DeadPeer))
    );
    assert_eq!(each_request_answered_once(&router.render_trace()), 2);
}

#[test]
fn dropping_the_endpoint_before_the_requests_it_held_gives_the_same_answer() {
    // The vSoC unloads an instance that way: its endpoint, then the requests it had taken.
    let (router, authority) = traced_router();
    authority.set_stop_answer("hal.adc", CallError::Restarted);
    let (adc, mut clients) = handler_and_callers(&authority, 1);
    let mut app = clients.pop().unwrap();
    let b = app.bind("hal://adc/1").unwrap();
    let mut call = std::pin::pin!(app.call(&b, Method::Read, Record::new()));
    assert!(common::poll_once(call.as_mut()).is_pending());
    let Ok(Delivery::Request(held)) = adc.try_recv() else {
        panic!("the request is queued");
    };
    drop(adc);
    assert!(common::poll_once(call.as_mut()).is_pending(), "still held");
    drop(held);
    assert_eq!(
        common::poll_once(call.as_mut()),
        std::task::Poll::Ready(Err(CallError::Restarted))
    );
    let trace = router.render_trace();
    assert_eq!(each_request_answered_once(&trace), 1);
    assert!(trace.contains("reply      #1 err restarted"), "{trace}");
}

#[test]
fn a_running_handler_that_drops_a_request_gives_no_reply() {
    let (router, authority) = traced_router();
    authority.set_stop_answer("hal.adc", CallError::Restarted);
    let (adc, clients) = handler_and_callers(&authority, 2);
    let mut executor = Executor::new().unwrap();
    executor
        .spawn("adc", async move {
            // Drops the first request unanswered, answers the second, and carries on.
            let first = adc.recv().await;
            drop(first);
            if let Some(Delivery::Request(second)) = adc.recv().await {
                second.reply(Record::new()).unwrap();
            }
            std::future::pending::<()>().await;
        })
        .unwrap();
    let results = calling(&mut executor, clients);
    executor.run_until_idle();
    let mut results = results.borrow_mut();
    results.sort_by_key(|(c, _)| *c);
    assert_eq!(
        *results,
        [(0, Err(CallError::NoReply)), (1, Ok(Record::new()))]
    );
    let trace = router.render_trace();
    assert_eq!(each_request_answered_once(&trace), 2);
    assert!(trace.contains("reply      #1 err no-reply"), "{trace}");
}

#[test]
fn a_caller_that_gave_up_leaves_the_stop_answer_to_the_trace() {
    let (router, authority) = traced_router();
    let (adc, mut clients) = handler_and_callers(&authority, 1);
    let mut app = clients.pop().unwrap();
    let b = app.bind("hal://adc/1").unwrap();
    {
        let mut call = std::pin::pin!(app.call(&b, Method::Read, Record::new()));
        assert!(common::poll_once(call.as_mut()).is_pending());
        let held = adc.try_recv().unwrap();
        drop(held);
        drop(adc);
        // The caller drops its call without looking: the answer is settled and traced.
    }
    let trace = router.render_trace();
    assert_eq!(each_request_answered_once(&trace), 1);
    assert!(trace.contains("reply      #1 err dead-peer"), "{trace}");
}
