//! The service through the SDK's host stub: `hal://adc/{ch}` is served by the guest SDK's
//! stub router with known samples.

use std::{cell::RefCell, collections::VecDeque, rc::Rc};

use fireball_services_sdk::{
    abi::status,
    guests::{
        hal::AdcSample,
        log::{LogLevel, LogLine},
        stub::router,
    },
    stub,
};

use super::*;

/// Serve `hal://adc/{channel}` with `raws`, one per read, then 404.
fn adc(channel: u8, raws: &[u16]) {
    let mut raws: VecDeque<u16> = raws.iter().copied().collect();
    router::serve_typed(&format!("hal://adc/{channel}"), move |method, (): ()| {
        assert_eq!(method, Method::Read);
        let raw = raws.pop_front().ok_or(404u16)?;
        Ok(AdcSample {
            channel,
            raw,
            bits: 12,
            millivolts: 0,
        })
    });
}

#[test]
fn read_samples_the_adc_and_runs_the_cascade() {
    adc(0, &[1000, 1000, 2000]);
    let mut filter = stub::Service::<Filter>::new();
    let mut read = || filter.read::<Filtered>("svc://filter/0").unwrap();
    // 0.1·1000 = 100 → 0.3·100 = 30 → 0.5·30 = 15 (in f32).
    assert_eq!(
        read(),
        Filtered {
            channel: 0,
            raw: 1000,
            filtered: 15.000001
        }
    );
    // 190 → 0.3·190 + 0.7·30 = 78 → 0.5·78 + 0.5·15 = 46.5 (46.500004 in f32).
    assert_eq!(read().filtered, 46.500004);
    // 0.1·2000 + 0.9·190 = 371 → 0.3·371 + 0.7·78 = 165.9 → 0.5·165.9 + 0.5·46.5 = 106.2.
    let third = read();
    assert_eq!((third.raw, third.filtered), (2000, 106.200005));
    assert_eq!(
        filter.read::<Filtered>("svc://filter/0"),
        Err(Failure::NOT_FOUND),
        "hal's own failure passes through"
    );
}

#[test]
fn channels_have_their_own_state() {
    adc(1, &[1000]);
    let mut filter = stub::Service::<Filter>::new();
    let called: Filtered = filter
        .call("svc://filter/2", &Sample { raw: 1000 })
        .unwrap();
    assert_eq!(called.filtered, 15.000001);
    let read: Filtered = filter.read("svc://filter/1").unwrap();
    assert_eq!(read.filtered, 15.000001, "channel 1 starts from rest");
    let state: ChannelState = filter.read("svc://filter/2/state").unwrap();
    assert_eq!(
        state,
        ChannelState {
            channel: 2,
            alphas: cascade::DEFAULT_ALPHAS,
            prev: [100.0, 30.000002, 15.000001],
            samples: 1,
        }
    );
}

#[test]
fn retuning_changes_the_coefficients_and_keeps_the_state() {
    router::serve(fireball_services_sdk::guests::log::ROUTE, |_, _| {
        panic!("logging notifies")
    });
    let mut filter = stub::Service::<Filter>::new().caller("app");
    let _: Filtered = filter
        .call("svc://filter/0", &Sample { raw: 1000 })
        .unwrap();
    let alphas = Alphas {
        alphas: [1.0, 1.0, 1.0],
    };
    let state: ChannelState = filter.write("svc://filter/0/alpha", &alphas).unwrap();
    assert_eq!(state.alphas, [1.0; 3]);
    assert_eq!(state.prev, [100.0, 30.000002, 15.000001]);
    let passed: Filtered = filter.call("svc://filter/0", &Sample { raw: 7 }).unwrap();
    assert_eq!(passed.filtered, 7.0, "alpha 1 passes samples through");
    let lines: Vec<LogLine> = router::notified().iter().map(|n| n.decode()).collect();
    assert_eq!(
        lines,
        [LogLine {
            level: LogLevel::Info,
            text: "channel 0 retuned by app".into()
        }]
    );

    let bad = Alphas {
        alphas: [0.5, 0.0, 0.5],
    };
    assert_eq!(
        filter.write::<_, ChannelState>("svc://filter/0/alpha", &bad),
        Err(Failure::UNPROCESSABLE)
    );
    assert_eq!(
        filter.write::<_, ChannelState>("svc://filter/0/alpha", &Sample { raw: 1 }),
        Err(Failure::BAD_REQUEST),
        "not an `Alphas`"
    );
}

#[test]
fn channels_methods_and_routes_outside_the_table_are_refused() {
    let mut filter = stub::Service::<Filter>::new();
    let read = |filter: &mut stub::Service<Filter>, uri| filter.read::<Filtered>(uri);
    assert_eq!(read(&mut filter, "svc://filter/4"), Err(Failure::NOT_FOUND));
    assert_eq!(
        read(&mut filter, "svc://filter/x"),
        Err(Failure::BAD_REQUEST)
    );
    assert_eq!(
        read(&mut filter, "svc://filter/0/nope"),
        Err(Failure::NOT_FOUND)
    );
    assert_eq!(
        filter.write::<_, Filtered>("svc://filter/0", &Sample { raw: 1 }),
        Err(Failure::METHOD_NOT_ALLOWED)
    );
    assert_eq!(
        read(&mut filter, "svc://filter/3"),
        Err(Failure::BAD_GATEWAY),
        "nobody serves hal://adc/3 on the stub"
    );
}

#[test]
fn a_notification_filters_without_answering() {
    let mut filter = stub::Service::<Filter>::new();
    filter.notify(Method::Call, "svc://filter/1", &Sample { raw: 1000 });
    assert_eq!(filter.state().cascades[1].samples(), 1);
}

#[test]
fn a_restarted_hal_is_bound_again() {
    let answers = Rc::new(RefCell::new(VecDeque::from([
        Err(status::RESTARTED),
        Ok(1000u16),
    ])));
    let queue = answers.clone();
    router::serve("hal://adc/2", move |_, _| {
        let raw = queue.borrow_mut().pop_front().expect("two reads")?;
        Ok(fireball_services_sdk::guests::codec::encode(&AdcSample {
            channel: 2,
            raw,
            bits: 12,
            millivolts: 0,
        })
        .unwrap())
    });
    let mut filter = stub::Service::<Filter>::new();
    let read: Filtered = filter.read("svc://filter/2").unwrap();
    assert_eq!((read.raw, read.filtered), (1000, 15.000001));
    assert!(answers.borrow().is_empty());
}
