//! The trace is a public API: a deployment's router traffic renders to the same text every
//! time, so users snapshot it. This file is also the worked example of doing so.

use std::cell::RefCell;
use std::rc::Rc;

use fireball_kernel::sched::Executor;
use fireball_router::{
    CallError, Delivery, Method, Methods, Record, Registration, Router, RouterConfig, TraceConfig,
};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Sample {
    channel: u8,
    millivolts: u32,
}

/// A small deployment: an ADC subsystem, a log sink, a filter service, an app that uses all
/// three, and a component with no rights at all. Returns the rendered trace.
fn run_deployment() -> String {
    let (router, authority) = Router::new(RouterConfig {
        trace: TraceConfig {
            capacity: 256,
            bodies: true,
        },
        ..RouterConfig::default()
    });
    let adc = router
        .register(Registration::new("hal.adc", &["hal://adc/{channel}"]))
        .unwrap();
    let log = router
        .register(Registration::new("log.sink", &["log://{source}"]).inbox(8))
        .unwrap();
    let filter = router
        .register(Registration::new("svc.filter", &["svc://filter/{op}"]))
        .unwrap();
    let mut app = router.register(Registration::new("app", &[])).unwrap();
    let mut rogue = router.register(Registration::new("rogue", &[])).unwrap();
    authority
        .allow("app", "hal://adc/{channel}", Methods::READ)
        .unwrap();
    authority
        .allow("app", "svc://filter/{op}", Methods::CALL)
        .unwrap();
    authority
        .allow("*", "log://{source}", Methods::WRITE)
        .unwrap();

    let mut executor = Executor::new().unwrap();
    executor
        .spawn("hal.adc", async move {
            while let Some(Delivery::Request(r)) = adc.recv().await {
                let channel: u8 = r.param("channel").unwrap().parse().unwrap();
                let sample = Sample {
                    channel,
                    millivolts: 1000 + u32::from(channel) * 10,
                };
                r.reply(fireball_router::to_record(&sample).unwrap())
                    .unwrap();
            }
        })
        .unwrap();
    let filter_task = executor
        .spawn("svc.filter", async move {
            while let Some(Delivery::Request(r)) = filter.recv().await {
                match r.param("op") {
                    Some("scale") => {
                        let mv = r.body().uint("millivolts").unwrap_or(0);
                        r.reply(Record::new().with("scaled", mv / 2)).unwrap();
                    }
                    _ => r.fail(404).unwrap(),
                }
            }
        })
        .unwrap();
    executor
        .spawn("log.sink", async move {
            while let Some(Delivery::Notification(_)) = log.recv().await {}
        })
        .unwrap();
    let outcome = Rc::new(RefCell::new(Vec::new()));
    let out = outcome.clone();
    executor
        .spawn("app", async move {
            let adc = app.bind("hal://adc/4").unwrap();
            let scale = app.bind("svc://filter/scale").unwrap();
            let bogus = app.bind("svc://filter/median").unwrap();
            let log = app.bind("log://app").unwrap();
            let reply = app.call(&adc, Method::Read, Record::new()).await.unwrap();
            let sample: Sample = fireball_router::from_record(&reply).unwrap();
            let scaled = app.call(&scale, Method::Call, reply).await.unwrap();
            app.notify(
                &log,
                Method::Write,
                Record::new().with("line", format!("ch{} -> {}", sample.channel, scaled)),
            )
            .unwrap();
            let bogus = app.call(&bogus, Method::Call, Record::new()).await;
            out.borrow_mut().push(bogus);
            let gpio = app
                .call_uri("hal://gpio/1", Method::Write, Record::new())
                .await;
            out.borrow_mut().push(gpio);
        })
        .unwrap();
    executor
        .spawn("rogue", async move {
            let adc = rogue.bind("hal://adc/0").unwrap();
            let _ = rogue.call(&adc, Method::Read, Record::new()).await;
            let _ = rogue.bind("HAL://adc/0");
        })
        .unwrap();
    executor.run_until_idle();
    assert_eq!(
        *outcome.borrow(),
        [Err(CallError::Failed(404)), Err(CallError::NoRoute)]
    );
    // The filter service crashes; the runner cancels its task and registers it again.
    executor.cancel(filter_task).unwrap();
    executor.run_until_idle();
    let _filter = router
        .register(Registration::new("svc.filter", &["svc://filter/{op}"]))
        .unwrap();
    router.render_trace()
}

#[test]
fn a_deployments_traffic_renders_deterministically() {
    let first = run_deployment();
    assert_eq!(run_deployment(), first, "same deployment, same text");
    insta::assert_snapshot!("deployment", first);
}

#[test]
fn an_overflowing_trace_says_how_much_it_lost() {
    let (router, _authority) = Router::new(RouterConfig {
        trace: TraceConfig {
            capacity: 2,
            bodies: false,
        },
        ..RouterConfig::default()
    });
    for name in ["a", "b", "c", "d"] {
        std::mem::forget(router.register(Registration::new(name, &[])).unwrap());
    }
    insta::assert_snapshot!(router.render_trace(), @r"
    …  2 events lost
    0003 register   c#1 routes=[] inbox=4
    0004 register   d#1 routes=[] inbox=4
    ");
    assert_eq!(router.render_trace(), "", "rendering drains");
}

#[test]
fn tracing_off_records_nothing() {
    let (router, _authority) = Router::new(RouterConfig {
        trace: TraceConfig {
            capacity: 0,
            bodies: true,
        },
        ..RouterConfig::default()
    });
    let _a = router.register(Registration::new("a", &[])).unwrap();
    assert_eq!(router.drain_trace(), (0, vec![]));
}

/// Refusals coalesce when repeated the same way; different ones past
/// `REPEATABLE_PER_DRAIN` between two drains are counted as lost, not kept.
#[test]
fn repeated_refusals_coalesce_and_alternating_ones_are_capped() {
    let (router, authority) = Router::new(RouterConfig {
        trace: TraceConfig {
            capacity: 4096,
            bodies: false,
        },
        ..RouterConfig::default()
    });
    let _svc = router
        .register(Registration::new("svc", &["svc://x", "svc://y"]))
        .unwrap();
    authority
        .allow("app", "svc://x", fireball_router::Methods::READ)
        .unwrap();
    authority
        .allow("app", "svc://y", fireball_router::Methods::READ)
        .unwrap();
    let app = router.register(Registration::new("app", &[])).unwrap();
    let (x, y) = (app.bind("svc://x").unwrap(), app.bind("svc://y").unwrap());
    let _ = router.render_trace();
    // The same refusal 100 times: one line.
    for _ in 0..100 {
        assert!(
            app.notify(&x, fireball_router::Method::Write, Record::new())
                .is_err()
        );
    }
    let text = router.render_trace();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.ends_with("(+99 more)\n"), "{text}");
    // Two refusals alternating, 1,000 times: 32 lines kept, the rest counted.
    for i in 0..1000 {
        let binding = if i % 2 == 0 { &x } else { &y };
        assert!(
            app.notify(binding, fireball_router::Method::Write, Record::new())
                .is_err()
        );
    }
    let text = router.render_trace();
    assert!(
        text.starts_with("…  ") && text.lines().next().unwrap().ends_with(" events lost"),
        "{text}"
    );
    assert_eq!(
        text.lines().count(),
        1 + fireball_router::trace::REPEATABLE_PER_DRAIN as usize
    );
}
