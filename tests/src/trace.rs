//! Reading a router trace (`fireball_router::trace`, rendered) in tests.

use std::collections::BTreeMap;

/// Every request in `trace` (a router trace, rendered) answered exactly once: a `reply` (a
/// reply or a typed failure) or a `timeout` per `request` id, and nothing answered that was
/// not asked. Returns the requests and how many of them failed or timed out.
pub fn each_request_answered_once(trace: &str) -> (usize, usize) {
    let mut asked = BTreeMap::<&str, u32>::new();
    let mut answered = BTreeMap::<&str, u32>::new();
    let mut failures = 0;
    for line in trace.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        match f.as_slice() {
            [_, "request", id, ..] => *asked.entry(id).or_default() += 1,
            [_, "reply", id, outcome, ..] => {
                *answered.entry(id).or_default() += 1;
                failures += usize::from(*outcome != "ok");
            }
            [_, "timeout", id, ..] => {
                *answered.entry(id).or_default() += 1;
                failures += 1;
            }
            _ => {}
        }
    }
    assert!(!trace.contains(" events lost"), "the whole trace is kept");
    assert!(!asked.is_empty(), "no requests in the trace");
    let unanswered: Vec<_> = asked
        .keys()
        .filter(|id| !answered.contains_key(*id))
        .collect();
    assert!(
        unanswered.is_empty(),
        "requests never answered: {unanswered:?}"
    );
    let unasked: Vec<_> = answered
        .keys()
        .filter(|id| !asked.contains_key(*id))
        .collect();
    assert!(unasked.is_empty(), "answers to nothing asked: {unasked:?}");
    assert!(
        answered.values().all(|&n| n == 1),
        "a request answered twice"
    );
    (asked.len(), failures)
}
