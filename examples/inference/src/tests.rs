//! The app against the guests-sdk host stub: three ADC channels with known sequences, a
//! mesh that records what it is asked to send.

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

/// What channel `channel` reads the `n`th time.
fn reading(channel: u8, n: u32) -> u16 {
    let c = u16::from(channel);
    1000 * c + (n % 10) as u16 * c
}

fn serve_adcs() {
    for channel in CHANNELS {
        let mut n = 0;
        router::serve_typed(&format!("hal://adc/{channel}"), move |method, (): ()| {
            assert_eq!(method, Method::Read);
            let raw = reading(channel, n);
            n += 1;
            Ok(AdcSample {
                channel,
                raw,
                bits: 12,
                millivolts: 0,
            })
        });
    }
}

fn recording_mesh() -> Rc<RefCell<Vec<Vec<u8>>>> {
    let sent = Rc::new(RefCell::new(Vec::new()));
    let log = sent.clone();
    router::serve_typed(TX_ROUTE, move |_, request: Transmit| {
        log.borrow_mut().push(request.data);
        Ok(Sent {
            frames: 1,
            bytes: 32,
        })
    });
    sent
}

/// The packet for the period ending at `iteration`, computed from the sequences directly.
fn expected_packet(iteration: u32) -> Vec<u8> {
    let mut packet = Vec::new();
    let mut features = Vec::new();
    for channel in CHANNELS {
        let values: Vec<i32> = (iteration - PERIOD..iteration)
            .map(|n| i32::from(reading(channel, n)))
            .collect();
        let (min, max) = (*values.iter().min().unwrap(), *values.iter().max().unwrap());
        let sum: i32 = values.iter().sum();
        for v in [min, max, sum / PERIOD as i32] {
            packet.extend_from_slice(&(v as i16).to_le_bytes());
        }
        features.extend([min as f32, sum as f32 / PERIOD as f32, max as f32]);
    }
    let result = 0.5 + features.iter().map(|f| 0.1 * f).sum::<f32>();
    packet.extend_from_slice(&result.to_le_bytes());
    packet.push(16); // channel 1 reads 1000..=1009: bin 16
    packet.extend_from_slice(&iteration.to_le_bytes());
    packet
}

fn log_lines() -> Vec<LogLine> {
    router::notified()
        .iter()
        .filter(|n| n.uri == "log://")
        .map(|n| n.decode())
        .collect()
}

#[test]
fn two_inferences_send_the_seed_packet_every_sixty_four_iterations() {
    serve_adcs();
    let sent = recording_mesh();
    router::serve("log://", |_, _| panic!("logging notifies"));
    fb_main();

    let sent = sent.borrow();
    assert_eq!(sent.len(), 2);
    for (packet, iteration) in sent.iter().zip([64, 128]) {
        let expected = expected_packet(iteration);
        assert_eq!(packet.len(), model::PACKET);
        assert_eq!(packet[..18], expected[..18], "min/max/mean at {iteration}");
        let result = f32::from_le_bytes(packet[18..22].try_into().unwrap());
        let want = f32::from_le_bytes(expected[18..22].try_into().unwrap());
        assert!((result - want).abs() < 1e-2, "result {result} vs {want}");
        assert_eq!(packet[22..], expected[22..], "peak bin and iteration");
    }
    assert_eq!(device::now_ticks(), 127 * ITERATION_TICKS);

    let lines = log_lines();
    assert!(lines.iter().all(|l| l.level == LogLevel::Info));
    let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    // Period 1 reads n = 0..64 (sum of n % 10: 276), period 2 n = 64..128 (292): channel 1's
    // mean is 1004.3 then 1004.6; the result is 0.5 + 0.1 × (18079.875, then 18081.375).
    assert_eq!(
        texts,
        [
            "1/2 at iteration 64: result 1808.5, means 1004 2008 3012, peak bin 16",
            "2/2 at iteration 128: result 1808.6, means 1004 2009 3013, peak bin 16",
            "done: 2 inferences sent",
        ]
    );
}

#[test]
fn a_missing_sensor_stops_the_app_before_anything_is_sent() {
    router::serve_typed("hal://adc/1", |_, (): ()| -> Result<AdcSample, u16> {
        Err(404)
    });
    serve_adcs();
    router::serve_typed("hal://adc/2", |_, (): ()| -> Result<AdcSample, u16> {
        Err(404)
    });
    let sent = recording_mesh();
    router::serve("log://", |_, _| panic!("logging notifies"));
    fb_main();
    assert!(sent.borrow().is_empty());
    let lines = log_lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(
        (lines[0].level, lines[0].text.as_str()),
        (LogLevel::Error, "stopped: Failed(404)")
    );
}

#[test]
fn tenths_round_half_away_from_zero() {
    let shown = |x: f32| Tenths(x).to_string();
    assert_eq!(shown(1808.4875), "1808.5");
    assert_eq!(shown(0.04), "0.0");
    assert_eq!(shown(-0.05), "-0.1");
    assert_eq!(shown(-2.44), "-2.4");
    assert_eq!(shown(12.0), "12.0");
    assert_eq!(shown(f32::NAN), "NaN");
    assert_eq!(shown(f32::INFINITY), "inf");
    assert_eq!(shown(f32::NEG_INFINITY), "-inf");
}

#[test]
fn tenths_show_the_display_text_without_core_fmt() {
    use fireball_guests_sdk::text::Text;
    for value in [
        0.0f32,
        0.04,
        0.05,
        -0.05,
        1.25,
        -7.96,
        123.45,
        1e20,
        -1e20,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
    ] {
        let mut buf = [0u8; 48];
        let mut text = Text::new(&mut buf);
        text.push(&Tenths(value));
        assert_eq!(text.as_str(), Tenths(value).to_string(), "{value}");
    }
}
