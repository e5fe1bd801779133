//! Inboxes are bounded, and a full one is an error to the sender — never a silent drop.

mod common;

use common::{answer_all, drive, traced_router};
use fireball_kernel::sched::Executor;
use fireball_router::{CallError, Delivery, Method, Methods, Record, Registration};
use std::cell::RefCell;
use std::rc::Rc;

#[test]
fn a_full_inbox_refuses_and_says_so() {
    let (router, authority) = traced_router();
    let sink = router
        .register(Registration::new("log.sink", &["log://{source}"]).inbox(2))
        .unwrap();
    let mut app = router.register(Registration::new("app", &[])).unwrap();
    authority
        .allow("app", "log://{source}", Methods::WRITE | Methods::CALL)
        .unwrap();
    let b = app.bind("log://app").unwrap();
    router.render_trace();
    for i in 0..2u8 {
        app.notify(&b, Method::Write, Record::new().with("i", i))
            .unwrap();
    }
    assert_eq!(
        app.notify(&b, Method::Write, Record::new().with("i", 2u8)),
        Err(CallError::QueueFull)
    );
    let call = drive(app.call(&b, Method::Call, Record::new()), || {});
    assert_eq!(call, Err(CallError::QueueFull));
    // Exactly the accepted ones are there, in order.
    let got: Vec<u64> = std::iter::from_fn(|| sink.try_recv().ok())
        .map(|d| match d {
            Delivery::Notification(n) => n.body().uint("i").unwrap(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(got, [0, 1]);
    insta::assert_snapshot!(router.render_trace(), @r"
    0005 notify     app#1 -> log.sink#1 write log://app (5 B) {i: 0u}
    0006 notify     app#1 -> log.sink#1 write log://app (5 B) {i: 1u}
    0007 failed     app#1 notify log://app: queue-full
    0008 failed     app#1 call log://app: queue-full
    ");
}

#[test]
fn a_slow_handler_back_pressures_its_callers_on_the_executor() {
    // Three callers, an inbox of one: the callers that find it full see QueueFull and retry
    // after yielding; every request is answered exactly once.
    let (router, authority) = traced_router();
    let adc = router
        .register(Registration::new("hal.adc", &["hal://adc/{channel}"]).inbox(1))
        .unwrap();
    authority
        .allow("*", "hal://adc/{channel}", Methods::READ)
        .unwrap();
    let mut executor = Executor::new().unwrap();
    let answers = Rc::new(RefCell::new(Vec::new()));
    let full = Rc::new(RefCell::new(0));
    for c in 0..3u8 {
        let mut ep = router
            .register(Registration::new(["a", "b", "c"][usize::from(c)], &[]))
            .unwrap();
        let answers = answers.clone();
        let full = full.clone();
        executor
            .spawn("caller", async move {
                let b = ep.bind("hal://adc/1").unwrap();
                loop {
                    match ep.call(&b, Method::Read, Record::new().with("n", c)).await {
                        Ok(r) => {
                            answers.borrow_mut().push(r.uint("n").unwrap());
                            break;
                        }
                        Err(CallError::QueueFull) => {
                            *full.borrow_mut() += 1;
                            fireball_kernel::sched::yield_now().await;
                        }
                        Err(e) => panic!("{e}"),
                    }
                }
            })
            .unwrap();
    }
    executor
        .spawn("adc", async move {
            for _ in 0..3 {
                let Some(Delivery::Request(r)) = adc.recv().await else {
                    panic!("inbox closed");
                };
                let n = r.body().uint("n").unwrap();
                r.reply(Record::new().with("n", n + 1)).unwrap();
            }
        })
        .unwrap();
    executor.run_until_idle();
    let mut got = answers.borrow().clone();
    got.sort();
    assert_eq!(got, [1, 2, 3]);
    assert!(
        *full.borrow() > 0,
        "the inbox of one was full at least once"
    );
    let trace = router.render_trace();
    assert_eq!(
        trace.matches("queue-full").count(),
        *full.borrow(),
        "every refusal is traced:\n{trace}"
    );
    let _ = answer_all;
}
