//! Records round-trip through postcard exactly, their measured size is their encoded size,
//! and plain Rust structs map to and from records through serde.

use fireball_router::record::{MapError, from_value, to_value};
use fireball_router::{Limits, Record, RecordError, Value, from_record, to_record};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

fn value(depth: u32) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Unit),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::I64),
        any::<u64>().prop_map(Value::U64),
        // Compared bit for bit below, so NaN payloads are fine.
        any::<f32>().prop_map(Value::F32),
        any::<f64>().prop_map(Value::F64),
        prop::collection::vec(any::<u8>(), 0..20).prop_map(Value::Bytes),
        ".{0,12}".prop_map(Value::Str),
    ];
    leaf.prop_recursive(depth, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::List),
            prop::collection::vec(("[a-z]{1,6}", inner), 0..6).prop_map(|fields| {
                let mut r = Record::new();
                for (k, v) in fields {
                    r.insert(k, v);
                }
                Value::Record(r)
            }),
        ]
    })
}

fn record() -> impl Strategy<Value = Record> {
    prop::collection::vec(("[a-z]{1,8}", value(3)), 0..8).prop_map(|fields| {
        let mut r = Record::new();
        for (k, v) in fields {
            r.insert(k, v);
        }
        r
    })
}

const ROOMY: Limits = Limits {
    max_bytes: 1 << 20,
    max_depth: 16,
    max_items: 1024,
};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn round_trip_is_exact_and_measure_is_the_encoded_size(r in record()) {
        let bytes = r.encode(&ROOMY).unwrap();
        prop_assert_eq!(bytes.len(), r.measure().bytes);
        prop_assert_eq!(&postcard::to_allocvec(&r).unwrap(), &bytes);
        let back = Record::decode(&bytes, &ROOMY).unwrap();
        // Bit-exact comparison (floats included) through the encoding itself.
        prop_assert_eq!(back.encode(&ROOMY).unwrap(), bytes);
    }

    #[test]
    fn check_and_decode_agree_on_the_limits(r in record(), depth in 1usize..5, items in 0usize..8) {
        let limits = Limits { max_bytes: 1 << 20, max_depth: depth, max_items: items };
        let bytes = r.encode(&ROOMY).unwrap();
        // Both accept, or both refuse (when several limits are broken, each may name a
        // different one: `check` looks at the whole, the decoder at what it meets first).
        prop_assert_eq!(r.check(&limits).is_ok(), Record::decode(&bytes, &limits).is_ok());
    }

    #[test]
    fn every_prefix_of_a_valid_message_is_an_error_not_a_panic(r in record()) {
        let bytes = r.encode(&ROOMY).unwrap();
        for cut in 0..bytes.len() {
            prop_assert!(Record::decode(&bytes[..cut], &ROOMY).is_err());
        }
    }
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
enum Mode {
    Off,
    Gain(u8),
    Window { from: u16, to: u16 },
    Pair(i8, i8),
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Config {
    name: String,
    enabled: bool,
    rate_hz: u32,
    offset: i16,
    scale: f32,
    threshold: Option<f64>,
    note: Option<String>,
    channels: Vec<u8>,
    modes: Vec<Mode>,
    nested: Inner,
    unit: (),
    pair: (u8, String),
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Inner {
    id: u64,
    tag: char,
}

fn config() -> Config {
    Config {
        name: "adc".into(),
        enabled: true,
        rate_hz: 1000,
        offset: -12,
        scale: 0.5,
        threshold: Some(2.5),
        note: None,
        channels: vec![1, 2, 3],
        modes: vec![
            Mode::Off,
            Mode::Gain(4),
            Mode::Window { from: 1, to: 9 },
            Mode::Pair(-1, 1),
        ],
        nested: Inner { id: 7, tag: 'z' },
        unit: (),
        pair: (5, "five".into()),
    }
}

#[test]
fn a_struct_maps_to_a_record_and_back() {
    let c = config();
    let r = to_record(&c).unwrap();
    assert_eq!(
        r.to_string(),
        "{name: \"adc\", enabled: true, rate_hz: 1000u, offset: -12, scale: 0.5f32, \
         threshold: 2.5, note: (), channels: [1u, 2u, 3u], \
         modes: [\"Off\", {Gain: 4u}, {Window: {from: 1u, to: 9u}}, {Pair: [-1, 1]}], \
         nested: {id: 7u, tag: \"z\"}, unit: (), pair: [5u, \"five\"]}"
    );
    let back: Config = from_record(&r).unwrap();
    assert_eq!(back, c);
    // And through the wire.
    let bytes = r.encode(&Limits::DEFAULT).unwrap();
    let decoded = Record::decode(&bytes, &Limits::DEFAULT).unwrap();
    assert_eq!(from_record::<Config>(&decoded).unwrap(), c);
}

#[test]
fn missing_options_read_as_none_and_mismatches_are_errors() {
    #[derive(Deserialize, Debug, PartialEq)]
    struct Partial<'a> {
        name: &'a str,
        note: Option<String>,
        rate_hz: u16,
    }
    let r = Record::new().with("name", "adc").with("rate_hz", 1000u32);
    let p: Partial<'_> = from_record(&r).unwrap();
    assert_eq!(
        p,
        Partial {
            name: "adc",
            note: None,
            rate_hz: 1000
        }
    );
    let too_big = Record::new().with("name", "adc").with("rate_hz", 70_000u32);
    assert!(matches!(
        from_record::<Partial<'_>>(&too_big),
        Err(MapError::Invalid(_))
    ));
    let wrong = Record::new().with("name", 3u8).with("rate_hz", 1u8);
    assert!(from_record::<Partial<'_>>(&wrong).is_err());
    let missing = Record::new().with("name", "x");
    assert!(from_record::<Partial<'_>>(&missing).is_err());
}

#[test]
fn unsupported_shapes_are_refused() {
    assert_eq!(to_record(&5u8), Err(MapError::NotARecord));
    assert_eq!(to_value(&1u128), Err(MapError::Unsupported("u128")));
    let mut keyed = std::collections::BTreeMap::new();
    keyed.insert(1u8, 2u8);
    assert_eq!(to_record(&keyed), Err(MapError::KeyNotString));
    let mut named = std::collections::BTreeMap::new();
    named.insert("a".to_string(), 2u8);
    assert_eq!(to_record(&named).unwrap(), Record::new().with("a", 2u8));
    // A byte vector stored as bytes reads back as a Vec<u8>.
    let bytes = Value::Bytes(vec![1, 2]);
    assert_eq!(from_value::<Vec<u8>>(&bytes).unwrap(), vec![1, 2]);
}

#[test]
fn limits_are_refusals_with_reasons() {
    let r = to_record(&config()).unwrap();
    let tight = Limits {
        max_bytes: 32,
        ..Limits::DEFAULT
    };
    assert!(matches!(
        r.encode(&tight),
        Err(RecordError::TooLarge { max: 32, .. })
    ));
}
