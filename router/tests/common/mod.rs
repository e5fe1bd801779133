//! Helpers shared by the router's integration tests.
#![allow(dead_code)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use fireball_router::{
    Delivery, Endpoint, Methods, Record, Registration, Router, RouterAuthority, RouterConfig,
    TraceConfig,
};

/// A router that keeps every trace event (and renders bodies), and its authority.
pub fn traced_router() -> (Router, RouterAuthority) {
    Router::new(RouterConfig {
        trace: TraceConfig {
            capacity: 1024,
            bodies: true,
        },
        ..RouterConfig::default()
    })
}

/// `hal.adc` serving `hal://adc/{channel}`, `app` allowed to read it.
pub fn adc_and_app(authority: &RouterAuthority) -> (Endpoint, Endpoint) {
    let router = authority.router();
    let adc = router
        .register(Registration::new("hal.adc", &["hal://adc/{channel}"]))
        .unwrap();
    let app = router.register(Registration::new("app", &[])).unwrap();
    authority
        .allow("app", "hal://adc/{channel}", Methods::READ)
        .unwrap();
    (adc, app)
}

/// Polls `future` once with a no-op waker.
pub fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

/// Runs `future` to completion, calling `between` whenever it is pending (at most 16 times).
pub fn drive<F: Future>(future: F, mut between: impl FnMut()) -> F::Output {
    let mut future = pin!(future);
    for _ in 0..16 {
        if let Poll::Ready(out) = poll_once(future.as_mut()) {
            return out;
        }
        between();
    }
    panic!("future did not complete");
}

/// Answers every queued request with `{n: its n + 1}`; returns how many it answered.
pub fn answer_all(endpoint: &Endpoint) -> usize {
    let mut answered = 0;
    while let Ok(delivery) = endpoint.try_recv() {
        if let Delivery::Request(request) = delivery {
            let n = request.body().uint("n").unwrap_or(0);
            let _ = request.reply(Record::new().with("n", n + 1));
            answered += 1;
        }
    }
    answered
}

/// How many lines of a rendered trace are events of `kind` (`request`, `reply`, `timeout`,
/// `discarded`…).
pub fn count(trace: &str, kind: &str) -> usize {
    trace
        .lines()
        .filter(|line| line.split_whitespace().nth(1) == Some(kind))
        .count()
}

/// Checks that every request in a rendered trace was answered exactly once — by a reply or
/// a timeout — and returns how many there were.
pub fn each_request_answered_once(trace: &str) -> usize {
    let ids = |kind: &str| -> Vec<String> {
        let mut ids: Vec<String> = trace
            .lines()
            .filter(|line| line.split_whitespace().nth(1) == Some(kind))
            .map(|line| line.split_whitespace().nth(2).unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let requests = ids("request");
    let mut answers = ids("reply");
    answers.extend(ids("timeout"));
    answers.sort();
    assert_eq!(requests, answers, "requests = replies + failures:\n{trace}");
    assert_eq!(
        count(trace, "request"),
        count(trace, "reply") + count(trace, "timeout")
    );
    requests.len()
}
