//! The service through the SDK's host stub.

use fireball_services_sdk::{guests::route::Method, stub};

use super::*;

fn add(stats: &mut stub::Service<Stats>, key: &str, value: f64) -> Result<Summary, Failure> {
    stats.write(&format!("svc://stats/{key}"), &Sample { value })
}

#[test]
fn samples_are_summarised_per_key() {
    let mut stats = stub::Service::<Stats>::new();
    add(&mut stats, "temp", 20.0).unwrap();
    add(&mut stats, "temp", 22.0).unwrap();
    let after = add(&mut stats, "temp", 27.0).unwrap();
    let expected = Summary {
        count: 3,
        min: 20.0,
        max: 27.0,
        mean: 23.0,
    };
    assert_eq!(after, expected);
    assert_eq!(stats.read::<Summary>("svc://stats/temp"), Ok(expected));
    add(&mut stats, "rh", 40.5).unwrap();
    assert_eq!(
        stats.read::<Keys>("svc://stats"),
        Ok(Keys {
            keys: vec!["temp".into(), "rh".into()]
        })
    );
}

#[test]
fn a_full_table_refuses_new_keys_and_a_removal_frees_a_slot() {
    let mut stats = stub::Service::<Stats>::new();
    let longest = "k".repeat(MAX_KEY_LEN - 2);
    for i in 0..MAX_KEYS {
        add(&mut stats, &format!("{longest}{i:02}"), 1.0).unwrap();
    }
    assert_eq!(
        add(&mut stats, "one-more", 1.0),
        Err(Failure::INSUFFICIENT_STORAGE)
    );
    let keys: Keys = stats.read("svc://stats").unwrap();
    assert_eq!(
        keys.keys.len(),
        MAX_KEYS,
        "the longest listing fits a message"
    );
    let removed: Summary = stats
        .call(&format!("svc://stats/{longest}00/remove"), &())
        .unwrap();
    assert_eq!(removed.count, 1);
    assert_eq!(
        stats.call::<_, Summary>(&format!("svc://stats/{longest}00/remove"), &()),
        Err(Failure::NOT_FOUND)
    );
    assert!(add(&mut stats, "one-more", 1.0).is_ok());
}

#[test]
fn bad_samples_keys_and_methods_are_refused_with_codes() {
    let mut stats = stub::Service::<Stats>::new();
    assert_eq!(add(&mut stats, "x", f64::NAN), Err(Failure::UNPROCESSABLE));
    assert_eq!(
        add(&mut stats, &"x".repeat(MAX_KEY_LEN + 1), 1.0),
        Err(Failure::BAD_REQUEST)
    );
    assert_eq!(
        stats.read::<Summary>("svc://stats/x"),
        Err(Failure::NOT_FOUND)
    );
    assert_eq!(
        stats.write::<_, Summary>("svc://stats/x", &Keys::default()),
        Err(Failure::BAD_REQUEST),
        "not a sample"
    );
    assert_eq!(
        stats.request_bytes(Method::Write, "svc://stats/x", b"\x01\x05value"),
        Err(Failure::BAD_REQUEST),
        "a truncated record"
    );
    assert_eq!(
        stats.write::<_, Summary>("svc://stats", &Sample { value: 1.0 }),
        Err(Failure::METHOD_NOT_ALLOWED)
    );
    assert_eq!(
        stats.read::<Summary>("svc://stats/x/y"),
        Err(Failure::NOT_FOUND)
    );
    assert!(stats.state().table.is_empty());
}

#[test]
fn a_write_notification_feeds_without_an_answer() {
    let mut stats = stub::Service::<Stats>::new();
    stats.notify(Method::Write, "svc://stats/feed", &Sample { value: 4.0 });
    stats.notify(
        Method::Write,
        "svc://stats/feed",
        &Sample {
            value: f64::INFINITY,
        },
    );
    assert_eq!(
        stats.read::<Summary>("svc://stats/feed").map(|s| s.count),
        Ok(1)
    );
}
