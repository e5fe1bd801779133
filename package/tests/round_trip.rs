//! Build → sign → verify gives back every field; the reach check is the manifest's.

mod common;

use common::{MODULE, key, package};
use fireball_package::{Contents, Field, Methods, Package, PackageError, Reach, Version, sign};
use sha2::{Digest, Sha256};

#[test]
fn fields_survive_the_round_trip() {
    let key = key(1);
    let bytes = package(&key);
    let p = Package::verify(&bytes, &[common::key(9).public_key(), key.public_key()]).unwrap();
    assert_eq!(p.name(), "filter");
    assert_eq!(
        p.version(),
        Version {
            major: 1,
            minor: 2,
            patch: 3
        }
    );
    assert_eq!(p.routes(), ["svc://filter/{op}", "svc://filter/stats"]);
    assert_eq!(
        p.reach(),
        [
            Reach {
                route: "log://",
                methods: Methods::WRITE
            },
            Reach {
                route: "hal://adc/{channel}",
                methods: Methods::READ | Methods::SUBSCRIBE
            },
        ]
    );
    assert_eq!(p.module(), MODULE);
    assert_eq!(p.digest().as_slice(), Sha256::digest(MODULE).as_slice());
    assert_eq!(p.signer(), key.public_key().to_bytes());
    // Borrowed, not copied.
    assert!(bytes.as_ptr_range().contains(&p.module().as_ptr()));
    // `parse` reads the same fields.
    assert_eq!(Package::parse(&bytes).unwrap(), *p);
}

#[test]
fn a_guest_with_no_routes_and_no_reach_round_trips() {
    let key = key(2);
    let contents = Contents {
        name: "g",
        version: Version::default(),
        routes: &[],
        reach: &[],
    };
    let bytes = sign(&contents, &[], &key).unwrap();
    let p = Package::verify(&bytes, &[key.public_key()]).unwrap();
    assert!(p.routes().is_empty() && p.reach().is_empty() && p.module().is_empty());
}

#[test]
fn reach_is_held_to_the_manifest() {
    let key = key(1);
    let bytes = package(&key);
    let p = Package::verify(&bytes, &[key.public_key()]).unwrap();
    assert_eq!(p.check_reach(|_, _| true), Ok(()));
    // The manifest grants only `write` on `log://`: the ADC entry is refused.
    let only_log = |route: &str, methods: Methods| route == "log://" && methods == Methods::WRITE;
    assert_eq!(
        p.check_reach(only_log),
        Err(PackageError::ReachNotGranted {
            entry: 1,
            methods: Methods::READ | Methods::SUBSCRIBE
        })
    );
    assert!(matches!(
        p.check_reach(|_, _| false),
        Err(PackageError::ReachNotGranted { entry: 0, .. })
    ));
}

#[test]
fn signing_refuses_what_parsing_would() {
    let key = key(1);
    let long = "x".repeat(65);
    let contents = Contents {
        name: &long,
        version: Version::default(),
        routes: &[],
        reach: &[],
    };
    assert_eq!(
        sign(&contents, &[], &key),
        Err(PackageError::Oversized {
            field: Field::Name,
            len: 65,
            limit: 64
        })
    );
    let routes = ["svc://a"; 33];
    let contents = Contents {
        name: "a",
        version: Version::default(),
        routes: &routes,
        reach: &[],
    };
    assert!(matches!(
        sign(&contents, &[], &key),
        Err(PackageError::Oversized {
            field: Field::Route,
            ..
        })
    ));
}

#[test]
fn versions_parse_as_three_numbers() {
    assert_eq!(
        Version::parse("1.22.333"),
        Some(Version {
            major: 1,
            minor: 22,
            patch: 333
        })
    );
    assert_eq!(Version::parse("1.2.3").unwrap().to_string(), "1.2.3");
    for bad in [
        "",
        "1",
        "1.2",
        "1.2.3.4",
        "1.2.x",
        "1.2.-3",
        "1.2.+3",
        "1.2.65536",
        "1..3",
    ] {
        assert_eq!(Version::parse(bad), None, "{bad:?}");
    }
}

#[test]
fn the_error_stays_small() {
    assert!(
        size_of::<PackageError>() <= 12,
        "{}",
        size_of::<PackageError>()
    );
}
