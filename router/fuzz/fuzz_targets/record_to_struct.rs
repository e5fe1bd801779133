//! Untrusted bytes -> `Record` -> a serde struct: values or errors, never a panic.
#![no_main]

use fireball_router::{Limits, Record, from_record};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct Reading<'a> {
    channel: Option<u8>,
    name: Option<&'a str>,
    samples: Option<Vec<i32>>,
    mode: Option<Mode>,
    nested: Option<Box<Reading<'a>>>,
}

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
enum Mode {
    Off,
    Gain(u8),
    Window { from: u16, to: u16 },
}

fuzz_target!(|bytes: &[u8]| {
    if let Ok(record) = Record::decode(bytes, &Limits::DEFAULT) {
        let _ = from_record::<Reading<'_>>(&record);
    }
});
