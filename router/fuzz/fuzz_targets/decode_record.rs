//! Untrusted bytes -> `Record`: a typed error or a record that obeys the limits and
//! re-encodes to exactly the input (one message, one encoding); the in-place view, the owned
//! decoder and serde's postcard decoder (the reference) agree on every input.
#![no_main]

use fireball_router::record::{RecordView, postcard_serde};
use fireball_router::{Limits, Record};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let tight = Limits {
        max_bytes: 256,
        max_depth: 4,
        max_items: 8,
    };
    for limits in [Limits::DEFAULT, tight] {
        let owned = Record::decode(bytes, &limits);
        let view = RecordView::new(bytes, &limits);
        let reference = postcard_serde::decode_postcard(bytes, &limits);
        assert_eq!(owned.is_ok(), reference.is_ok());
        assert_eq!(owned.as_ref().err(), view.as_ref().err());
        if let (Ok(record), Ok(view)) = (owned, view) {
            assert!(record.check(&limits).is_ok());
            assert_eq!(record.encode(&limits).unwrap(), bytes);
            assert_eq!(view.to_record().encode(&limits).unwrap(), bytes);
            assert_eq!(reference.unwrap().encode(&limits).unwrap(), bytes);
        }
    }
});
