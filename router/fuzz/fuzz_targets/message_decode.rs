//! Untrusted bytes -> a `#[derive(Message)]` struct (the codec inside modules): a value or
//! `None`, never a panic; and the value is serde's, unless the bytes hold skipped text that
//! is not UTF-8 (the one leniency of the module codec, `fireball_record::message`).
#![no_main]

use fireball_record::{Limits, Message, Record, RecordError, message, typed};
use libfuzzer_sys::fuzz_target;
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Serialize, Deserialize, Message)]
struct Inner {
    id: u8,
    seen: Option<u64>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize, Message)]
struct Reading {
    channel: u8,
    raw: i32,
    filtered: f32,
    name: Option<String>,
    samples: Vec<i16>,
    three: [f32; 3],
    inner: Option<Inner>,
    inners: Vec<Inner>,
    #[serde(default)]
    #[message(default)]
    count: u32,
}

fuzz_target!(|bytes: &[u8]| {
    let lean = message::decode::<Reading>(bytes, &Limits::DEFAULT);
    let serde = typed::decode::<Reading>(bytes, &Limits::DEFAULT).ok();
    let lenient = matches!(
        Record::decode(bytes, &Limits::DEFAULT),
        Err(RecordError::BadUtf8)
    );
    // Compare by encoding (NaNs compare by their bits).
    let lean = lean.map(|v| message::to_vec(&v, &Limits::DEFAULT));
    let serde = serde.map(|v| message::to_vec(&v, &Limits::DEFAULT));
    if !(lenient && lean.is_some() && serde.is_none()) {
        assert_eq!(lean, serde);
    }
});
