//! Untrusted bytes -> `Record`: a typed error or a record that obeys the limits and
//! re-encodes to exactly the input (one message, one encoding).
#![no_main]

use fireball_router::{Limits, Record};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let tight = Limits {
        max_bytes: 256,
        max_depth: 4,
        max_items: 8,
    };
    for limits in [Limits::DEFAULT, tight] {
        if let Ok(record) = Record::decode(bytes, &limits) {
            assert!(record.check(&limits).is_ok());
            assert_eq!(record.encode(&limits).unwrap(), bytes);
        }
    }
});
