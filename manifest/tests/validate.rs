//! A manifest is checked as a whole, and every mistake is named.

use fireball_manifest::{Manifest, ManifestError, Method, ModuleDirs, Restart};

const SYSTEM: &[&str] = &["log://", "hal://adc/{channel}", "hal://gpio/{pin}"];

const GOOD: &str = r#"
[deployment]
name = "sensor-hub"
yield_interval = 20000

[partitions]
services = 32768

[[service]]
name = "filter"
module = "filter"
quota = 16384
routes = ["svc://filter/{op}"]
reach = [{ route = "log://", methods = ["write"] }]

[[service]]
name = "stats"
module = "stats"
quota = 8192
routes = ["svc://stats/{op}"]
# Reaches nothing: it only answers calls.

[[guest]]
name = "aggregator"
module = "aggregator"
reach = [
  { route = "svc://filter/{op}", methods = ["call"] },
  { route = "hal://adc/0", methods = ["read", "subscribe"] },
]
"#;

fn errors(text: &str) -> Vec<ManifestError> {
    Manifest::parse(text)
        .unwrap()
        .validate(SYSTEM, None)
        .unwrap_err()
}

#[test]
fn a_good_manifest_parses_with_defaults_and_validates() {
    let m = Manifest::parse(GOOD).unwrap();
    assert_eq!(m.deployment.yield_interval, 20_000);
    assert_eq!(m.deployment.ram, 512 * 1024);
    assert_eq!(m.partitions.services, 32_768);
    assert_eq!(
        m.partitions.guests,
        64 * 1024,
        "unset partitions keep defaults"
    );
    assert_eq!(m.services.len(), 2);
    assert_eq!(
        m.guests[0].reach[1].methods,
        [Method::Read, Method::Subscribe]
    );
    assert_eq!(m.validate(SYSTEM, None), Ok(()));
    let names: Vec<_> = m.components().map(|c| c.name()).collect();
    assert_eq!(names, ["filter", "stats", "aggregator"]);
}

#[test]
fn syntax_and_shape_errors_say_where() {
    let Err(ManifestError::Parse(why)) = Manifest::parse("[deployment]\nname = 3\n") else {
        panic!("a number for a name must be refused");
    };
    assert!(why.contains("line 2"), "{why}");
    let Err(ManifestError::Parse(why)) =
        Manifest::parse("[deployment]\nname = \"x\"\nyeild_interval = 5\n")
    else {
        panic!("a misspelt field must be refused");
    };
    assert!(why.contains("yeild_interval"), "{why}");
}

#[test]
fn an_unknown_route_in_a_reach_is_named() {
    let text = GOOD.replace(
        r#"route = "svc://filter/{op}""#,
        r#"route = "svc://filtr/{op}""#,
    );
    assert_eq!(
        errors(&text),
        [ManifestError::UnknownRoute {
            component: "aggregator".into(),
            route: "svc://filtr/{op}".into()
        }]
    );
    // A concrete URI outside every served pattern is unknown too.
    let text = GOOD.replace("hal://adc/0", "hal://dac/0");
    assert!(matches!(
        &errors(&text)[..],
        [ManifestError::UnknownRoute { .. }]
    ));
}

#[test]
fn a_value_stack_below_the_interpreters_minimum_is_refused() {
    assert_eq!(
        Manifest::parse(GOOD).unwrap().deployment.value_stack,
        16 * 1024
    );
    let text = GOOD.replace(
        "yield_interval = 20000",
        "yield_interval = 20000\nvalue_stack = 512",
    );
    assert_eq!(
        errors(&text),
        [ManifestError::ValueStackTooSmall {
            bytes: 512,
            minimum: 1024
        }]
    );
}

#[test]
fn quotas_larger_than_the_partition_are_refused() {
    let text = GOOD.replace("quota = 16384", "quota = 30000");
    assert_eq!(
        errors(&text),
        [ManifestError::QuotasExceedPartition {
            total: 38_192,
            partition: 32_768
        }]
    );
    let text = GOOD.replace("quota = 8192", "quota = 0");
    assert_eq!(
        errors(&text),
        [ManifestError::ZeroQuota {
            service: "stats".into()
        }]
    );
}

#[test]
fn duplicate_names_and_doubly_served_routes_are_refused() {
    let text = GOOD.replace(r#"name = "stats""#, r#"name = "filter""#);
    assert_eq!(
        errors(&text),
        [ManifestError::DuplicateName {
            name: "filter".into()
        }]
    );
    let text = GOOD.replace("svc://stats/{op}", "svc://filter/{op}");
    assert_eq!(
        errors(&text),
        [ManifestError::RouteTaken {
            route: "svc://filter/{op}".into(),
            first: "filter".into(),
            second: "stats".into()
        }]
    );
}

#[test]
fn bad_routes_empty_methods_and_oversized_partitions_are_all_reported_together() {
    let text = GOOD
        .replace(
            r#"routes = ["svc://stats/{op}"]"#,
            r#"routes = ["stats/{op}"]"#,
        )
        .replace(r#"methods = ["write"]"#, "methods = []")
        .replace("[partitions]", "[partitions]\nguests = 1000000");
    let all = errors(&text);
    assert_eq!(all.len(), 3, "{all:?}");
    assert!(matches!(&all[0], ManifestError::BadRoute { component, .. } if component == "stats"));
    assert!(matches!(&all[1], ManifestError::NoMethods { component, .. } if component == "filter"));
    assert!(matches!(all[2], ManifestError::PartitionsExceedRam { .. }));
    for e in &all {
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn missing_modules_are_found_on_disk() {
    let dir = std::env::temp_dir().join(format!("fireball-manifest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("filter.wasm"), b"\0asm").unwrap();
    std::fs::write(dir.join("stats.wasm"), b"\0asm").unwrap();
    let dirs = ModuleDirs {
        manifest_dir: dir.clone(),
        modules_dir: dir.clone(),
    };
    let result = Manifest::parse(GOOD).unwrap().validate(SYSTEM, Some(&dirs));
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        result,
        Err(vec![ManifestError::MissingModule {
            component: "aggregator".into(),
            path: dir.join("aggregator.wasm")
        }])
    );
}

#[test]
fn restart_policies_watchdogs_and_call_timeouts_parse_with_defaults() {
    let text = GOOD
        .replace(
            "yield_interval = 20000",
            "yield_interval = 20000\ncall_timeout_ms = 500",
        )
        .replace(
            "routes = [\"svc://filter/{op}\"]",
            "routes = [\"svc://filter/{op}\"]\nrestart = \"on-failure\"\nmax_restarts = 3\n\
             restart_window_ms = 10000\nrestart_backoff_ms = 20\nwatchdog_ms = 50",
        )
        .replace(
            "{ route = \"svc://filter/{op}\", methods = [\"call\"] }",
            "{ route = \"svc://filter/{op}\", methods = [\"call\"], timeout_ms = 100 }",
        )
        .replace(
            "module = \"aggregator\"",
            "module = \"aggregator\"\nrestart = \"always\"",
        );
    let m = Manifest::parse(&text).unwrap();
    assert_eq!(m.validate(SYSTEM, None), Ok(()));
    assert_eq!(m.deployment.call_timeout_ms, Some(500));
    let filter = fireball_manifest::Component::Service(&m.services[0]);
    let policy = filter.lifecycle();
    assert_eq!(policy.restart, Restart::OnFailure);
    assert_eq!(
        (
            policy.max_restarts(),
            policy.window_ms(),
            policy.backoff_ms()
        ),
        (3, 10_000, 20)
    );
    assert_eq!(filter.watchdog_ms(), Some(50));
    assert_eq!(m.guests[0].reach[0].timeout_ms, Some(100));
    let guest = fireball_manifest::Component::Guest(&m.guests[0]);
    assert_eq!(guest.lifecycle().restart, Restart::Always);
    assert_eq!(
        (
            guest.lifecycle().max_restarts(),
            guest.lifecycle().window_ms()
        ),
        (3, 10_000),
        "omitted tuning keys take their defaults"
    );
    // Without the keys, nothing changes: never restarted, no watchdog, no timeouts.
    let plain = Manifest::parse(GOOD).unwrap();
    let stats = fireball_manifest::Component::Service(&plain.services[1]);
    assert_eq!(stats.lifecycle().restart, Restart::Never);
    assert_eq!(stats.watchdog_ms(), None);
    assert_eq!(plain.deployment.call_timeout_ms, None);
    let bad = Manifest::parse(&GOOD.replace(
        "module = \"aggregator\"",
        "module = \"aggregator\"\nrestart = \"sometimes\"",
    ));
    assert!(matches!(bad, Err(ManifestError::Parse(why)) if why.contains("on-failure")));
    // A watchdog is a service's: a guest's is an unknown key.
    assert!(
        Manifest::parse(&GOOD.replace(
            "module = \"aggregator\"",
            "module = \"aggregator\"\nwatchdog_ms = 5"
        ))
        .is_err()
    );
}

#[test]
fn every_lifecycle_mistake_is_named() {
    let text = GOOD
        .replace(
            "yield_interval = 20000",
            "yield_interval = 20000\ncall_timeout_ms = 0",
        )
        .replace(
            "routes = [\"svc://filter/{op}\"]",
            "routes = [\"svc://filter/{op}\"]\nmax_restarts = 2\nrestart_backoff_ms = 5\n\
             watchdog_ms = 0",
        )
        .replace(
            "routes = [\"svc://stats/{op}\"]",
            "routes = [\"svc://stats/{op}\"]\nrestart = \"on-failure\"\nmax_restarts = 0\n\
             restart_window_ms = 100\nrestart_backoff_ms = 100",
        )
        .replace(
            "{ route = \"svc://filter/{op}\", methods = [\"call\"] }",
            "{ route = \"svc://filter/{op}\", methods = [\"call\"], timeout_ms = 0 }",
        )
        .replace(
            "module = \"aggregator\"",
            "module = \"aggregator\"\nrestart = \"always\"\nrestart_window_ms = 0",
        );
    let found = errors(&text);
    let want = [
        ManifestError::ZeroCallTimeout {
            component: None,
            route: None,
        },
        ManifestError::RestartKeysWithoutRestart {
            component: "filter".into(),
            keys: vec!["max_restarts", "restart_backoff_ms"],
        },
        ManifestError::ZeroWatchdog {
            service: "filter".into(),
        },
        ManifestError::ZeroMaxRestarts {
            component: "stats".into(),
        },
        ManifestError::BackoffExceedsWindow {
            component: "stats".into(),
            backoff_ms: 100,
            window_ms: 100,
        },
        ManifestError::ZeroCallTimeout {
            component: Some("aggregator".into()),
            route: Some("svc://filter/{op}".into()),
        },
        ManifestError::ZeroRestartWindow {
            component: "aggregator".into(),
        },
    ];
    for error in &want {
        assert!(found.contains(error), "{error:?} missing from {found:#?}");
    }
    assert_eq!(found.len(), want.len(), "{found:#?}");
    let text = ManifestError::RestartKeysWithoutRestart {
        component: "filter".into(),
        keys: vec!["max_restarts", "restart_backoff_ms"],
    }
    .to_string();
    assert!(
        text.contains("`max_restarts`, `restart_backoff_ms` are set"),
        "{text}"
    );
}
