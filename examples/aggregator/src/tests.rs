//! The app against the guests-sdk host stub: four filter channels with known outputs, a
//! mesh and a statistics service that record what they are given.

use std::{cell::RefCell, rc::Rc};

use filter_messages::Filtered;
use fireball_guests_sdk::{
    device,
    log::{LogLevel, LogLine},
    route::Method,
    stub::router,
};
use mesh_messages::Transmit;

use super::*;
use crate::window::BYTES;

/// What filter channel `ch` answers the `n`th time.
fn filtered(ch: u8, n: u32) -> f32 {
    1000.0 * f32::from(ch) + n as f32 + 0.25
}

fn serve_filters() {
    for ch in 0..SENSORS as u8 {
        let mut n = 0;
        router::serve_typed(&format!("svc://filter/{ch}"), move |method, (): ()| {
            assert_eq!(method, Method::Read);
            let value = filtered(ch, n);
            n += 1;
            Ok(Filtered {
                channel: ch,
                raw: value as i32,
                filtered: value,
            })
        });
    }
}

type Recorded<T> = Rc<RefCell<Vec<T>>>;

fn recording_mesh() -> Recorded<Vec<u8>> {
    let sent: Recorded<Vec<u8>> = Rc::default();
    let log = sent.clone();
    router::serve_typed(TX_ROUTE, move |method, request: Transmit| {
        assert_eq!(method, Method::Write);
        log.borrow_mut().push(request.data);
        Ok(Sent {
            frames: 3,
            bytes: 271,
        })
    });
    sent
}

/// `svc://stats/sensor{ch}` keeping `(ch, value)`.
fn recording_stats() -> Recorded<(usize, f64)> {
    let observed: Recorded<(usize, f64)> = Rc::default();
    for ch in 0..SENSORS {
        let log = observed.clone();
        router::serve_typed(
            &format!("svc://stats/sensor{ch}"),
            move |method, sample: Sample| {
                assert_eq!(method, Method::Write);
                log.borrow_mut().push((ch, sample.value));
                Ok(Summary {
                    count: 1,
                    min: sample.value,
                    max: sample.value,
                    mean: sample.value,
                })
            },
        );
    }
    observed
}

fn expected_window(first: u32) -> Vec<u8> {
    (0..SENSORS as u8)
        .flat_map(|ch| (first..first + SAMPLES as u32).map(move |n| filtered(ch, n)))
        .flat_map(|value| (value as i16).to_le_bytes())
        .collect()
}

fn log_lines() -> Vec<LogLine> {
    router::notified()
        .iter()
        .filter(|n| n.uri == "log://")
        .map(|n| n.decode())
        .collect()
}

#[test]
fn two_windows_of_filtered_samples_are_sent_and_their_means_recorded() {
    serve_filters();
    let sent = recording_mesh();
    let observed = recording_stats();
    router::serve("log://", |_, _| panic!("logging notifies"));
    fb_main();

    let sent = sent.borrow();
    assert_eq!(*sent, [expected_window(0), expected_window(32)]);
    assert!(sent.iter().all(|window| window.len() == BYTES));

    // Window 1 holds n = 0..32 (mean offset 15.5), window 2 n = 32..64 (47.5); the 0.25 the
    // filter adds is rounded away sample by sample.
    let expected: Vec<(usize, f64)> = [15.5, 47.5]
        .into_iter()
        .flat_map(|offset| (0..SENSORS).map(move |ch| (ch, 1000.0 * ch as f64 + offset)))
        .collect();
    assert_eq!(*observed.borrow(), expected);

    assert_eq!(device::now_ticks(), 63 * ROUND_TICKS);
    let lines = log_lines();
    assert!(lines.iter().all(|l| l.level == LogLevel::Info));
    let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "window 1/2: 256 B in 3 frames, means 15 1015 2015 3015",
            "window 2/2: 256 B in 3 frames, means 47 1047 2047 3047",
            "done: 2 windows sent",
        ]
    );
}

#[test]
fn a_filter_that_refuses_stops_the_app_before_anything_is_sent() {
    serve_filters();
    router::serve_typed("svc://filter/2", |_, (): ()| -> Result<Filtered, u16> {
        Err(502)
    });
    let sent = recording_mesh();
    let observed = recording_stats();
    router::serve("log://", |_, _| panic!("logging notifies"));
    fb_main();
    assert!(sent.borrow().is_empty());
    assert!(observed.borrow().is_empty());
    let lines = log_lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(
        (lines[0].level, lines[0].text.as_str()),
        (LogLevel::Error, "stopped: Failed(502)")
    );
}

#[test]
fn without_the_statistics_service_the_first_window_is_sent_then_the_app_stops() {
    serve_filters();
    let sent = recording_mesh();
    router::serve("log://", |_, _| panic!("logging notifies"));
    assert_eq!(run(), Err(Error::NoRoute));
    assert_eq!(sent.borrow().len(), 1);
}
