//! The app against the guests-sdk host stub: an ADC that counts, a mesh that records.

use std::{cell::RefCell, rc::Rc};

use fireball_guests_sdk::{
    device,
    hal::AdcSample,
    log::{LogLevel, LogLine},
    route::Method,
    stub::router,
};
use mesh_messages::{Sent, Transmit};

use super::*;

/// `hal://adc/0` answering 1000, 1001, …; returns how many conversions were asked.
fn counting_adc() -> Rc<RefCell<u16>> {
    let reads = Rc::new(RefCell::new(0u16));
    let counter = reads.clone();
    router::serve_typed("hal://adc/0", move |method, (): ()| {
        assert_eq!(method, Method::Read);
        let mut n = counter.borrow_mut();
        let raw = 1000 + *n;
        *n += 1;
        Ok(AdcSample {
            channel: 0,
            raw,
            bits: 12,
            millivolts: 0,
        })
    });
    reads
}

/// `svc://mesh/tx` keeping every message; `fail` answers with that code instead.
fn recording_mesh(fail: Option<u16>) -> Rc<RefCell<Vec<Vec<u8>>>> {
    let sent = Rc::new(RefCell::new(Vec::new()));
    let log = sent.clone();
    router::serve_typed(TX_ROUTE, move |method, request: Transmit| {
        assert_eq!(method, Method::Write);
        if let Some(code) = fail {
            return Err(code);
        }
        let frames = request.data.len().div_ceil(122) as u32;
        let bytes = request.data.len() as u32 + 5 * frames;
        log.borrow_mut().push(request.data);
        Ok(Sent { frames, bytes })
    });
    sent
}

fn log_lines() -> Vec<LogLine> {
    router::notified()
        .iter()
        .filter(|n| n.uri == "log://")
        .map(|n| n.decode())
        .collect()
}

fn expected_buffer(first: u16) -> Vec<u8> {
    (first..first + SAMPLES as u16)
        .flat_map(|raw| (raw as i16).to_le_bytes())
        .collect()
}

#[test]
fn two_buffers_of_sixty_four_samples_are_sent_and_logged() {
    let reads = counting_adc();
    let sent = recording_mesh(None);
    router::serve("log://", |_, _| panic!("logging notifies"));
    fb_main();

    assert_eq!(*reads.borrow(), 2 * SAMPLES as u16);
    assert_eq!(
        *sent.borrow(),
        [expected_buffer(1000), expected_buffer(1064)]
    );
    assert_eq!(
        device::now_ticks(),
        (2 * SAMPLES as u64 - 1) * SAMPLE_PERIOD_TICKS,
        "one period between consecutive samples, none after the last"
    );
    let lines = log_lines();
    let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "buffer 1/2: 64 samples, 128 B in 2 frames (138 B on air)",
            "buffer 2/2: 64 samples, 128 B in 2 frames (138 B on air)",
            "done: 2 buffers sent",
        ]
    );
    assert!(lines.iter().all(|l| l.level == LogLevel::Info));
}

#[test]
fn a_refused_transmission_is_logged_and_the_app_returns() {
    let reads = counting_adc();
    let sent = recording_mesh(Some(502));
    router::serve("log://", |_, _| panic!("logging notifies"));
    fb_main();

    assert_eq!(*reads.borrow(), SAMPLES as u16, "stops at the first buffer");
    assert!(sent.borrow().is_empty());
    let lines = log_lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].level, LogLevel::Error);
    assert_eq!(lines[0].text, "stopped: Failed(502)");
}

#[test]
fn without_a_mesh_nothing_is_sampled() {
    let reads = counting_adc();
    router::serve("log://", |_, _| panic!("logging notifies"));
    assert_eq!(run(), Err(Error::NoRoute));
    assert_eq!(*reads.borrow(), 0);
}
