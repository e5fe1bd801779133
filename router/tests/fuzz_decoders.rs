//! Property-driven fuzzing of every parser of untrusted input: record bytes (from WASM
//! guests), URIs and patterns (from guests and manifests), and the record → struct mapping.
//! Whatever the input, the answer is a value or a typed error — never a panic, a runaway
//! recursion or an allocation sized by the input's claims.
//!
//! The same properties run coverage-guided under libFuzzer as the `record` and `route_table`
//! targets of `fuzz/` (`cargo xtask fuzz`); this file runs in every `cargo test`.

use fireball_router::record::RecordView;
use fireball_router::table::RouteTable;
use fireball_router::uri::{Pattern, Uri};
use fireball_router::{Limits, Record, RecordError, Value, from_record};
use proptest::prelude::*;
use serde::Deserialize;

/// Valid encodings to mutate: mutants of real messages reach deeper than random bytes.
fn seeds() -> Vec<Vec<u8>> {
    let nested = Record::new().with("k", Record::new().with("l", vec![1u8, 2, 3]));
    [
        Record::new(),
        Record::new()
            .with("a", 1u8)
            .with("b", "text")
            .with("c", -5i32),
        Record::new()
            .with("f", 1.5f64)
            .with("g", 2.5f32)
            .with("u", ()),
        Record::new()
            .with("raw", &[0u8, 255, 7][..])
            .with("t", true),
        nested,
    ]
    .iter()
    .map(|r| r.encode(&Limits::DEFAULT).unwrap())
    .collect()
}

#[derive(Clone, Debug)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Remove(usize),
    Truncate(usize),
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len().max(1);
        match *m {
            Mutation::Flip(at, x) if !bytes.is_empty() => bytes[at % len] ^= x,
            Mutation::Insert(at, x) => bytes.insert(at % (bytes.len() + 1), x),
            Mutation::Remove(at) if !bytes.is_empty() => {
                bytes.remove(at % len);
            }
            Mutation::Truncate(at) => bytes.truncate(at % len),
            _ => {}
        }
    }
    bytes
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(a, x)| Mutation::Flip(a, x)),
        (any::<usize>(), any::<u8>()).prop_map(|(a, x)| Mutation::Insert(a, x)),
        any::<usize>().prop_map(Mutation::Remove),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn tight() -> Limits {
    Limits {
        max_bytes: 256,
        max_depth: 4,
        max_items: 8,
    }
}

/// Decoding either fails with a reason, or yields a record that obeys the limits and
/// re-encodes to exactly the input; the in-place view, the owned decoder and the serde
/// reference decoder (postcard) agree on every input. (On a refusal the reasons may differ:
/// the reference finds an overlong varint only after the whole message, the parser where
/// it is.)
fn decode_is_sound(bytes: &[u8], limits: &Limits) -> Result<(), TestCaseError> {
    let owned = Record::decode(bytes, limits);
    let view = RecordView::new(bytes, limits);
    let reference = fireball_router::record::postcard_serde::decode_postcard(bytes, limits);
    match (&owned, &reference) {
        // Compared through their encodings: bit for bit, NaNs included.
        (Ok(a), Ok(b)) => prop_assert_eq!(a.encode(limits), b.encode(limits)),
        (a, b) => prop_assert_eq!(a.is_ok(), b.is_ok()),
    }
    match (&owned, &view) {
        (Ok(record), Ok(view)) => {
            prop_assert_eq!(record.len(), view.len());
            prop_assert_eq!(view.to_record().encode(limits), record.encode(limits));
            let bits = |v: &Value| Record::new().with("v", v.clone()).encode(&Limits::DEFAULT);
            for ((key, value), (k, v)) in record.iter().zip(view.iter()) {
                prop_assert_eq!(key, k);
                prop_assert_eq!(bits(&v.to_value()), bits(value));
                let got = view.get(key).map(|v| bits(&v.to_value()));
                prop_assert_eq!(got, record.get(key).map(bits));
            }
        }
        (Err(a), Err(b)) => prop_assert_eq!(a, b),
        _ => prop_assert!(false, "view {:?} and decoder {:?} disagree", view, owned),
    }
    match owned {
        Ok(r) => {
            prop_assert!(r.check(limits).is_ok());
            prop_assert_eq!(&r.encode(limits).unwrap(), bytes);
        }
        Err(RecordError::TooLarge { bytes: n, .. }) => {
            prop_assert!(n as usize > limits.max_bytes || bytes.len() > limits.max_bytes)
        }
        Err(_) => {}
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn random_bytes_decode_soundly(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        decode_is_sound(&bytes, &Limits::DEFAULT)?;
        decode_is_sound(&bytes, &tight())?;
    }

    #[test]
    fn mutated_messages_decode_soundly(
        seed in 0usize..5,
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let bytes = mutate(seeds()[seed].clone(), &mutations);
        decode_is_sound(&bytes, &Limits::DEFAULT)?;
        decode_is_sound(&bytes, &tight())?;
    }

    #[test]
    fn arbitrary_text_parses_or_is_refused(text in "\\PC{0,40}", uri_like in "[a-z{}/:.~_-]{0,30}") {
        for t in [text.as_str(), uri_like.as_str()] {
            if let Ok(uri) = Uri::parse(t) {
                prop_assert_eq!(uri.as_str(), t);
                prop_assert!(uri.segments().iter().all(|s| !s.is_empty()));
            }
            if let Ok(p) = Pattern::parse(t) {
                prop_assert_eq!(p.as_str(), t);
                // A valid pattern goes into a table, and its own filled-in form finds it.
                let mut table = RouteTable::new();
                prop_assert!(table.insert(t, ()).is_ok());
            }
        }
    }

    #[test]
    fn decoded_records_map_to_structs_or_fail_cleanly(
        seed in 0usize..5,
        mutations in prop::collection::vec(mutation(), 0..4),
    ) {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Anything {
            a: Option<u8>,
            b: Option<String>,
            k: Option<Inner>,
        }
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Inner {
            l: Vec<u16>,
        }
        if let Ok(r) = Record::decode(&mutate(seeds()[seed].clone(), &mutations), &Limits::DEFAULT) {
            let _ = from_record::<Anything>(&r);
        }
    }
}

#[test]
fn only_the_shortest_encoding_is_accepted() {
    // postcard itself reads these overlong varints as 1, 0 and 0.
    for bytes in [
        vec![1u8, 1, b'a', 3, 0x81, 0x00],
        vec![1u8, 1, b'a', 7, 0x80, 0x00],
        vec![0x80u8, 0x00],
    ] {
        assert_eq!(
            Record::decode(&bytes, &Limits::DEFAULT),
            Err(RecordError::BadVarint),
            "{bytes:?}"
        );
    }
}
