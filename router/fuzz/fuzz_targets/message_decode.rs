//! Untrusted bytes -> a `#[derive(Message)]` struct (the codec inside modules): a value or
//! `None`, never a panic; and the value is the native side's (the record decoder, then serde),
//! unless the record decoder refuses the bytes only for what the module codec does not check
//! in what it skips (text that is not UTF-8, a repeated key): `fireball_record::message`.
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
    let record = Record::decode(bytes, &Limits::DEFAULT);
    let lenient = matches!(
        record,
        Err(RecordError::BadUtf8 | RecordError::DuplicateKey)
    );
    let serde = record
        .ok()
        .and_then(|record| typed::from_record::<Reading>(&record).ok());
    // Compare by encoding (NaNs compare by their bits).
    let lean = lean.map(|v| message::to_vec(&v, &Limits::DEFAULT));
    let serde = serde.map(|v| message::to_vec(&v, &Limits::DEFAULT));
    if !(lenient && lean.is_some() && serde.is_none()) {
        assert_eq!(lean, serde);
    }
});
