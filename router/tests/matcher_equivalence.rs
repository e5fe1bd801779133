//! The `no_std` route table agrees with matchit (0.9, the `std` reference) on every insert
//! (accepted, or refused as a conflict with the same route) and every lookup (same route,
//! same parameters, or both no match).

use fireball_router::table::RouteTable;
use fireball_router::table::reference::ReferenceTable;
use fireball_router::uri::Uri;
use proptest::prelude::*;

/// A small alphabet, so that overlaps, shared prefixes and conflicts are common.
fn literal() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["x", "y", "z", "xy", "x-1", "_"]).prop_map(String::from)
}

fn pattern() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        3 => literal(),
        2 => prop::sample::select(vec!["a", "b", "c"]).prop_map(|n| format!("{{{n}}}")),
    ];
    (
        prop::sample::select(vec!["hal", "svc"]),
        prop::collection::vec(segment, 0..5),
    )
        .prop_map(|(scheme, segs)| {
            // Parameter names must be unique within one pattern: number them.
            let mut n = 0;
            let segs: Vec<String> = segs
                .into_iter()
                .map(|s| {
                    if s.starts_with('{') {
                        n += 1;
                        format!("{{{}{n}}}", &s[1..s.len() - 1])
                    } else {
                        s
                    }
                })
                .collect();
            format!("{scheme}://{}", segs.join("/"))
        })
}

fn uri() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        3 => literal(),
        1 => prop::sample::select(vec!["7", "q", "x2"]).prop_map(String::from),
    ];
    (
        prop::sample::select(vec!["hal", "svc", "log"]),
        prop::collection::vec(segment, 0..6),
    )
        .prop_map(|(scheme, segs)| format!("{scheme}://{}", segs.join("/")))
}

/// A URI made from a pattern by filling its parameters: a likely hit.
fn filled(pattern: &str, fill: &str) -> String {
    let (scheme, path) = pattern.split_once("://").unwrap();
    let segs: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| if s.starts_with('{') { fill } else { s })
        .collect();
    format!("{scheme}://{}", segs.join("/"))
}

type Found = Option<(usize, u32, Vec<(String, String)>)>;

fn ours(table: &RouteTable<u32>, text: &str) -> Found {
    let uri = Uri::parse(text).unwrap();
    let m = table.lookup(&uri)?;
    let params = m.params().map(|(k, v)| (k.into(), v.into())).collect();
    Some((m.index(), *m.value(), params))
}

fn theirs(table: &ReferenceTable<u32>, text: &str) -> Found {
    let uri = Uri::parse(text).unwrap();
    let (index, value, params) = table.lookup(&uri)?;
    Some((index, *value, params))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn inserts_and_lookups_agree_with_matchit(
        patterns in prop::collection::vec(pattern(), 1..24),
        uris in prop::collection::vec(uri(), 0..24),
        fill in prop::sample::select(vec!["x", "7", "zz"]),
    ) {
        let mut mine = RouteTable::new();
        let mut reference = ReferenceTable::new();
        let mut inserted = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            let a = mine.insert(p, i as u32);
            let b = reference.insert(p, i as u32);
            prop_assert_eq!(a, b, "insert {}", p);
            if a.is_ok() {
                inserted.push(p.clone());
            }
            prop_assert_eq!(mine.find_shape(p).is_some(), true);
        }
        let probes = uris.iter().cloned().chain(inserted.iter().map(|p| filled(p, fill)));
        for u in probes {
            prop_assert_eq!(ours(&mine, &u), theirs(&reference, &u), "lookup {}", u);
        }
    }
}

#[test]
fn known_tricky_cases_agree() {
    let cases: &[(&[&str], &[&str])] = &[
        // Backtracking out of a literal branch two levels down.
        (
            &["hal://a/{x}/q", "hal://{y}/b/c"],
            &["hal://a/b/c", "hal://a/b/q"],
        ),
        // Literal beats parameter; parameter names differ by position.
        (
            &["hal://{x}/a", "hal://{y}/b", "hal://x/a"],
            &["hal://x/a", "hal://x/b", "hal://q/a"],
        ),
        // Scheme-only routes.
        (
            &["log://", "log://{level}"],
            &["log://", "log://warn", "log://warn/x"],
        ),
        // Same shape with other names is a conflict in both.
        (&["hal://adc/{ch}", "hal://adc/{n}"], &["hal://adc/1"]),
    ];
    for (patterns, uris) in cases {
        let mut mine = RouteTable::new();
        let mut reference = ReferenceTable::new();
        for (i, p) in patterns.iter().enumerate() {
            assert_eq!(
                mine.insert(p, i as u32),
                reference.insert(p, i as u32),
                "{p}"
            );
        }
        for u in *uris {
            assert_eq!(ours(&mine, u), theirs(&reference, u), "{u}");
        }
    }
}
