//! The `Message` mapping is serde's: same bytes out, same values in, same refusals.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use proptest::prelude::*;
use serde::{Deserialize, Serialize, Serializer, de::DeserializeOwned};

use super::*;
use crate::system::hal::{AdcSample, Data, I2cTransfer, PinLevel, ReadRequest, TimerNow};
use crate::system::log::{LogLevel, LogLine};
use crate::{Record, Value, typed};

const LIMITS: Limits = Limits {
    max_bytes: 1024,
    ..Limits::DEFAULT
};

fn as_bytes<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_bytes(bytes)
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, Message)]
struct Inner {
    id: u8,
    seen: u64,
}

/// A field of every kind the derive supports.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, Message)]
struct Every {
    a: u8,
    b: u16,
    c: u32,
    d: u64,
    e: i8,
    f: i16,
    g: i32,
    h: i64,
    x: f32,
    y: f64,
    flag: bool,
    name: String,
    maybe: Option<u32>,
    list: Vec<u32>,
    three: [f32; 3],
    inner: Inner,
    inners: Vec<Inner>,
    words: Vec<String>,
    #[serde(serialize_with = "as_bytes")]
    #[message(bytes)]
    blob: Vec<u8>,
    #[serde(default)]
    #[message(default)]
    optional: i32,
}

/// Every field optional, so that random records often decode as one: each scalar
/// conversion (an `I64` read as a `u8`, an `F64` as an `f32`, `Bytes` as a `String`…) is met.
/// (No nested struct: serde also reads a struct from a list, by position, which `Message`
/// refuses — see `a_struct_is_a_record_not_a_list`.)
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, Message)]
struct Loose {
    a: Option<u8>,
    c: Option<u32>,
    g: Option<i32>,
    x: Option<f32>,
    y: Option<f64>,
    name: Option<String>,
    maybe: Option<u64>,
    three: Option<[f32; 3]>,
}

fn inner() -> impl Strategy<Value = Inner> {
    (any::<u8>(), any::<u64>()).prop_map(|(id, seen)| Inner { id, seen })
}

fn every() -> impl Strategy<Value = Every> {
    (
        (any::<u8>(), any::<u16>(), any::<u32>(), any::<u64>()),
        (any::<i8>(), any::<i16>(), any::<i32>(), any::<i64>()),
        (any::<f32>(), any::<f64>(), any::<bool>(), "[a-z]{0,6}"),
        (
            proptest::option::of(any::<u32>()),
            prop::collection::vec(any::<u32>(), 0..4),
            any::<[f32; 3]>(),
        ),
        (
            inner(),
            prop::collection::vec(inner(), 0..3),
            prop::collection::vec("[a-z]{0,4}", 0..3),
            prop::collection::vec(any::<u8>(), 0..6),
            any::<i32>(),
        ),
    )
        .prop_map(
            |((a, b, c, d), (e, f, g, h), (x, y, flag, name), (maybe, list, three), rest)| {
                let (inner, inners, words, blob, optional) = rest;
                Every {
                    a,
                    b,
                    c,
                    d,
                    e,
                    f,
                    g,
                    h,
                    x,
                    y,
                    flag,
                    name,
                    maybe,
                    list,
                    three,
                    inner,
                    inners,
                    words,
                    blob,
                    optional,
                }
            },
        )
}

/// Values of every kind, nested a little.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Unit),
        any::<bool>().prop_map(Value::Bool),
        (-300i64..300).prop_map(Value::I64),
        any::<i64>().prop_map(Value::I64),
        (0u64..300).prop_map(Value::U64),
        any::<u64>().prop_map(Value::U64),
        any::<f32>().prop_map(Value::F32),
        any::<f64>().prop_map(Value::F64),
        prop::collection::vec(any::<u8>(), 0..4).prop_map(Value::Bytes),
        "[a-z]{0,4}".prop_map(Value::Str),
        prop_oneof![Just("error"), Just("warn"), Just("info"), Just("loud")]
            .prop_map(|s| Value::Str(s.into())),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
            prop::collection::vec((key(), inner), 0..3).prop_map(|fields| {
                let mut record = Record::new();
                for (k, v) in fields {
                    record.insert(k, v);
                }
                Value::Record(record)
            }),
        ]
    })
}

/// Keys that some type knows, and some it does not.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a"),
        Just("c"),
        Just("g"),
        Just("x"),
        Just("y"),
        Just("id"),
        Just("seen"),
        Just("name"),
        Just("maybe"),
        Just("three"),
        Just("inner"),
        Just("blob"),
        Just("optional"),
        Just("channel"),
        Just("raw"),
        Just("bits"),
        Just("millivolts"),
        Just("level"),
        Just("text"),
        Just("data"),
        Just("write"),
        Just("read"),
        Just("max"),
        Just("pin"),
        Just("high"),
        Just("now_us"),
        Just("other"),
    ]
    .prop_map(String::from)
}

fn record() -> impl Strategy<Value = Record> {
    prop::collection::vec((key(), value()), 0..6).prop_map(|fields| {
        let mut record = Record::new();
        for (k, v) in fields {
            record.insert(k, v);
        }
        record
    })
}

/// What each mapping makes of `bytes`, as the lean encoding of the value (so that NaNs
/// compare by their bits).
///
/// The one difference allowed: text the type skips is not checked to be UTF-8, so bytes the
/// record decoder refuses for that reason alone may still decode here.
fn agree<T: Message + DeserializeOwned>(bytes: &[u8]) {
    let lean = decode::<T>(bytes, &LIMITS).map(|v| to_vec(&v, &Limits::DEFAULT_UNBOUNDED));
    let serde = typed::decode::<T>(bytes, &LIMITS)
        .ok()
        .map(|v| to_vec(&v, &Limits::DEFAULT_UNBOUNDED));
    let flat =
        flat::decode_flat::<T>(bytes, &LIMITS).map(|v| to_vec(&v, &Limits::DEFAULT_UNBOUNDED));
    assert_eq!(
        flat,
        lean,
        "flat read, {}: {bytes:02x?}",
        core::any::type_name::<T>()
    );
    if lean.is_some() && serde.is_none() && skipped_text_is_bad(bytes) {
        return;
    }
    assert_eq!(lean, serde, "{}: {bytes:02x?}", core::any::type_name::<T>());
}

/// Whether `bytes` are a record but for text that is not UTF-8.
fn skipped_text_is_bad(bytes: &[u8]) -> bool {
    matches!(
        Record::decode(bytes, &LIMITS),
        Err(crate::RecordError::BadUtf8)
    )
}

fn agree_all(bytes: &[u8]) {
    agree::<Every>(bytes);
    agree::<Loose>(bytes);
    agree::<Inner>(bytes);
    agree::<AdcSample>(bytes);
    agree::<LogLine>(bytes);
    agree::<Data>(bytes);
    agree::<I2cTransfer>(bytes);
    agree::<ReadRequest>(bytes);
    agree::<PinLevel>(bytes);
    agree::<TimerNow>(bytes);
    agree::<()>(bytes);
    assert_eq!(
        flat::decode_flat::<Skip>(bytes, &LIMITS).is_some(),
        is_record(bytes, &LIMITS),
        "flat read of any record: {bytes:02x?}"
    );
    let checked = Record::decode(bytes, &LIMITS).is_ok() || typed::wire::is_record(bytes, &LIMITS);
    if !(is_record(bytes, &LIMITS) && skipped_text_is_bad(bytes)) {
        assert_eq!(is_record(bytes, &LIMITS), checked, "{bytes:02x?}");
    }
}

impl Limits {
    const DEFAULT_UNBOUNDED: Limits = Limits {
        max_bytes: usize::MAX,
        ..Limits::DEFAULT
    };
}

proptest! {
    #[test]
    fn writes_what_serde_writes_and_reads_it_back(value in every()) {
        let lean = to_vec(&value, &LIMITS);
        let serde = typed::encode(&value, &LIMITS).ok();
        prop_assert_eq!(&lean, &serde);
        if let Some(bytes) = lean {
            prop_assert_eq!(encoded_len(&value), bytes.len());
            let back: Every = decode(&bytes, &LIMITS).unwrap();
            prop_assert_eq!(to_vec(&back, &LIMITS), Some(bytes));
        }
    }

    #[test]
    fn reads_records_as_serde_does(record in record()) {
        if let Ok(bytes) = record.encode(&LIMITS) {
            agree_all(&bytes);
        }
    }

    #[test]
    fn refuses_damaged_bytes_as_serde_does(
        record in record(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        cut in any::<prop::sample::Index>(),
    ) {
        if let Ok(mut bytes) = record.encode(&LIMITS) {
            let i = at.index(bytes.len());
            bytes[i] = byte;
            agree_all(&bytes);
            bytes.truncate(cut.index(bytes.len() + 1));
            agree_all(&bytes);
        }
    }

    #[test]
    fn system_messages_write_what_serde_writes(
        channel in any::<u8>(),
        raw in any::<u16>(),
        text in "[ -~]{0,20}",
        data in prop::collection::vec(any::<u8>(), 0..8),
        read in any::<u32>(),
    ) {
        fn same<T: Message + Serialize>(value: &T) {
            assert_eq!(to_vec(value, &LIMITS), typed::encode(value, &LIMITS).ok());
        }
        same(&AdcSample { channel, raw, bits: 12, millivolts: u32::from(raw) * 3 });
        for level in [LogLevel::Error, LogLevel::Warn, LogLevel::Info, LogLevel::Debug] {
            same(&LogLine { level, text: text.clone() });
        }
        same(&Data { data: data.clone() });
        same(&I2cTransfer { write: data, read });
        same(&ReadRequest { max: Some(read) });
        same(&ReadRequest { max: None });
        same(&());
    }
}

#[test]
fn a_small_buffer_or_the_size_limit_refuses_and_tells_the_size() {
    let value = Data { data: vec![7; 40] };
    let mut small = [0u8; 8];
    assert_eq!(encode(&value, &mut small, &LIMITS), None);
    let need = encoded_len(&value);
    let mut exact = vec![0u8; need];
    assert_eq!(encode(&value, &mut exact, &LIMITS), Some(need));
    let tight = Limits {
        max_bytes: need - 1,
        ..LIMITS
    };
    assert_eq!(encode(&value, &mut exact, &tight), None);
    assert_eq!(decode::<Data>(&exact, &tight), None);
    assert_eq!(decode::<Data>(&exact, &LIMITS), Some(value));
}

#[test]
fn what_the_type_does_not_store_is_skipped_and_its_structure_checked() {
    let bytes = Record::new()
        .with("other", Value::List(vec![Value::Str("x".into()); 3]))
        .with("value", 5u8)
        .encode(&LIMITS)
        .unwrap();
    #[derive(Debug, PartialEq, Message)]
    struct Count {
        value: u32,
    }
    assert_eq!(decode::<Count>(&bytes, &LIMITS), Some(Count { value: 5 }));
    let mut bad = bytes.clone();
    let at = bad.iter().position(|b| *b == b'x').unwrap();
    bad[at] = 0xFF;
    assert_eq!(
        decode::<Count>(&bad, &LIMITS),
        Some(Count { value: 5 }),
        "skipped text is not read, so not checked"
    );
    #[derive(Debug, PartialEq, Message)]
    struct Named {
        name: String,
    }
    let named = Record::new().with("name", "x").encode(&LIMITS).unwrap();
    let mut bad = named.clone();
    *bad.last_mut().unwrap() = 0xFF;
    assert_eq!(decode::<Named>(&bad, &LIMITS), None, "stored text is UTF-8");
    assert_eq!(
        decode::<Named>(&named, &LIMITS),
        Some(Named { name: "x".into() })
    );
    let deep = Limits {
        max_depth: 1,
        ..LIMITS
    };
    assert_eq!(decode::<Count>(&bytes, &deep), None, "and within the depth");
    assert_eq!(
        decode::<Count>(&[bytes.as_slice(), &[0]].concat(), &LIMITS),
        None
    );
}

#[test]
fn a_struct_is_a_record_not_a_list() {
    // serde reads a struct from a list too, by position; `Message` wants the record every
    // encoder writes for a struct, and refuses the list.
    let list = Record::new()
        .with("inner", Value::List(vec![Value::U64(7), Value::U64(9)]))
        .encode(&LIMITS)
        .unwrap();
    #[derive(Debug, PartialEq, Serialize, Deserialize, Message)]
    struct Outer {
        inner: Inner,
    }
    assert_eq!(decode::<Outer>(&list, &LIMITS), None);
    assert_eq!(
        typed::decode::<Outer>(&list, &LIMITS).ok(),
        Some(Outer {
            inner: Inner { id: 7, seen: 9 }
        }),
        "serde's reading, which the native side keeps"
    );
}

#[test]
fn every_scalar_conversion_reads_as_serde_reads() {
    let values = [
        Value::Unit,
        Value::Bool(true),
        Value::I64(-3),
        Value::I64(200),
        Value::I64(70_000),
        Value::U64(5),
        Value::U64(300),
        Value::U64(u64::MAX),
        Value::F32(1.5),
        Value::F64(-2.25),
        Value::F64(1e300),
        Value::Str("seven".into()),
        Value::Bytes(b"bytes".to_vec()),
        Value::Bytes(vec![0xFF]),
        Value::List(vec![Value::F32(1.0), Value::F64(2.0), Value::U64(3)]),
        Value::List(vec![Value::F32(1.0)]),
    ];
    for key in ["a", "c", "g", "x", "y", "name", "maybe", "three"] {
        for value in &values {
            let bytes = Record::new()
                .with(key, value.clone())
                .encode(&LIMITS)
                .unwrap();
            agree::<Loose>(&bytes);
        }
    }
}
