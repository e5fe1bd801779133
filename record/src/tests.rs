use alloc::vec;
use alloc::vec::Vec;

use super::*;

fn sample() -> Record {
    Record::new()
        .with("unit", ())
        .with("ok", true)
        .with("neg", -300i32)
        .with("big", u64::MAX)
        .with("f", 1.5f32)
        .with("d", -2.25f64)
        .with("raw", &[1u8, 2, 3][..])
        .with("name", "adc")
        .with("list", vec![Value::from(1u8), Value::from("x")])
        .with("nested", Record::new().with("k", 7u8))
}

#[test]
fn round_trips_every_kind_and_measures_exactly() {
    let record = sample();
    let bytes = record.encode(&Limits::DEFAULT).unwrap();
    assert_eq!(bytes.len(), record.measure().bytes);
    assert_eq!(
        postcard::to_allocvec(&record).unwrap(),
        bytes,
        "encode is postcard"
    );
    assert_eq!(Record::decode(&bytes, &Limits::DEFAULT).unwrap(), record);
    assert_eq!(Record::new().encode(&Limits::DEFAULT).unwrap(), [0]);
}

#[test]
fn the_wire_format_is_as_documented() {
    let record = Record::new().with("a", 1u8).with("b", -1i8).with("c", "hi");
    let bytes = record.encode(&Limits::DEFAULT).unwrap();
    #[rustfmt::skip]
    assert_eq!(bytes, [
        3,                       // three fields
        1, b'a', 3, 1,           // "a": U64(1)
        1, b'b', 2, 1,           // "b": I64(-1), zigzag
        1, b'c', 7, 2, b'h', b'i', // "c": Str("hi")
    ]);
}

#[test]
fn typed_getters_convert_only_when_exact() {
    let r = sample();
    assert_eq!(r.int("neg"), Some(-300));
    assert_eq!(r.uint("neg"), None);
    assert_eq!(r.int("big"), None);
    assert_eq!(r.uint("big"), Some(u64::MAX));
    assert_eq!(r.float("f"), Some(1.5));
    assert_eq!(r.str("name"), Some("adc"));
    assert_eq!(r.bytes("raw"), Some(&[1, 2, 3][..]));
    assert_eq!(r.bool("ok"), Some(true));
    assert_eq!(r.str("ok"), None);
    assert_eq!(r.get("missing"), None);
}

#[test]
fn insert_replaces_in_place_and_remove_removes() {
    let mut r = Record::new().with("a", 1u8).with("b", 2u8);
    assert_eq!(r.insert("a", 3u8), Some(Value::U64(1)));
    assert_eq!(r.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(r.remove("a"), Some(Value::U64(3)));
    assert_eq!(r.len(), 1);
}

#[test]
fn limits_refuse_size_depth_and_width() {
    let tight = Limits {
        max_bytes: 8,
        max_depth: 2,
        max_items: 2,
    };
    let big = Record::new().with("s", "0123456789");
    assert_eq!(
        big.check(&tight),
        Err(RecordError::TooLarge { bytes: 15, max: 8 })
    );
    let deep = Record::new().with("a", vec![Value::List(vec![])]);
    assert_eq!(deep.check(&tight), Err(RecordError::TooDeep { max: 2 }));
    let wide = Record::new().with("a", 1u8).with("b", 1u8).with("c", 1u8);
    assert_eq!(
        wide.check(&tight),
        Err(RecordError::TooManyItems { max: 2 })
    );
    // Decoding applies the same limits to bytes that were made without them.
    let loose = Limits {
        max_bytes: 100,
        ..Limits::DEFAULT
    };
    let bytes = deep.encode(&loose).unwrap();
    let tight_but_big = Limits {
        max_bytes: 100,
        ..tight
    };
    assert_eq!(
        Record::decode(&bytes, &tight_but_big),
        Err(RecordError::TooDeep { max: 2 })
    );
    let bytes = wide.encode(&loose).unwrap();
    assert_eq!(
        Record::decode(&bytes, &tight_but_big),
        Err(RecordError::TooManyItems { max: 2 })
    );
    assert_eq!(
        Record::decode(&bytes, &tight),
        Err(RecordError::TooLarge { bytes: 13, max: 8 })
    );
}

#[test]
fn malformed_bytes_are_typed_errors() {
    let l = Limits::DEFAULT;
    assert_eq!(Record::decode(&[], &l), Err(RecordError::Truncated));
    assert_eq!(
        Record::decode(&[1, 1, b'a'], &l),
        Err(RecordError::Truncated)
    );
    assert_eq!(
        Record::decode(&[1, 1, b'a', 10], &l),
        Err(RecordError::BadTag)
    );
    assert_eq!(
        Record::decode(&[1, 1, b'a', 1, 2], &l),
        Err(RecordError::BadTag)
    );
    assert_eq!(
        Record::decode(&[1, 1, 0xff, 0], &l),
        Err(RecordError::BadUtf8)
    );
    assert_eq!(Record::decode(&[0, 0], &l), Err(RecordError::TrailingBytes));
    assert_eq!(
        Record::decode(
            &[
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
            ],
            &l
        ),
        Err(RecordError::BadVarint)
    );
    assert_eq!(
        Record::decode(&[2, 1, b'a', 0, 1, b'a', 0], &l),
        Err(RecordError::DuplicateKey)
    );
    // A huge announced length is refused before anything is reserved.
    assert_eq!(
        Record::decode(&[0xff, 0xff, 0xff, 0x7f], &l),
        Err(RecordError::TooManyItems { max: 64 })
    );
    assert_eq!(
        Record::decode(&[1, 1, b'a', 6, 0xff, 0xff, 0x03], &l),
        Err(RecordError::Truncated)
    );
}

#[test]
fn deep_nesting_is_refused_without_recursing_far() {
    // 10 000 nested lists: a naive decoder would overflow the stack.
    let mut bytes = vec![1, 1, b'a'];
    for _ in 0..10_000 {
        bytes.extend_from_slice(&[8, 1]);
    }
    bytes.extend_from_slice(&[0]);
    let limits = Limits {
        max_bytes: usize::MAX,
        ..Limits::DEFAULT
    };
    assert_eq!(
        Record::decode(&bytes, &limits),
        Err(RecordError::TooDeep { max: 8 })
    );
}

#[test]
fn encode_into_a_small_buffer_is_too_large() {
    let mut buf = [0u8; 4];
    assert!(matches!(
        sample().encode_into(&mut buf),
        Err(RecordError::TooLarge { max: 4, .. })
    ));
}

#[test]
fn display_is_compact_and_deterministic() {
    use alloc::string::ToString;
    assert_eq!(
        sample().to_string(),
        "{unit: (), ok: true, neg: -300, big: 18446744073709551615u, f: 1.5f32, d: -2.25, \
         raw: 0x010203, name: \"adc\", list: [1u, \"x\"], nested: {k: 7u}}"
    );
}

#[test]
fn duplicate_keys_are_found_in_wide_records_too() {
    // Hand-written bytes (a record refuses to hold a duplicate): `n` unit fields named
    // k0, k1, …, then a repeat of field `dup`.
    let wide = |n: usize, dup: Option<usize>| {
        let total = n + usize::from(dup.is_some());
        let mut bytes = alloc::vec![total as u8];
        for k in (0..n).chain(dup) {
            let key = alloc::format!("k{k}");
            bytes.push(key.len() as u8);
            bytes.extend_from_slice(key.as_bytes());
            bytes.push(0);
        }
        bytes
    };
    let l = Limits::DEFAULT;
    for n in [1, 7, 8, 9, 20, 40] {
        assert_eq!(Record::decode(&wide(n, None), &l).map(|r| r.len()), Ok(n));
        for dup in [0, n / 2, n - 1] {
            assert_eq!(
                crate::RecordView::new(&wide(n, Some(dup)), &l),
                Err(RecordError::DuplicateKey),
                "{n} fields, field {dup} repeated"
            );
        }
    }
}
