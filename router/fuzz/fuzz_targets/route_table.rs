//! Differential: lines starting with `+` are patterns to insert, the others URIs to look up;
//! the `no_std` route table and matchit must agree on every insert and every lookup.
#![no_main]

use fireball_router::table::RouteTable;
use fireball_router::table::reference::ReferenceTable;
use fireball_router::uri::Uri;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let mut ours = RouteTable::new();
    let mut theirs = ReferenceTable::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(pattern) = line.strip_prefix('+') {
            assert_eq!(
                ours.insert(pattern, i),
                theirs.insert(pattern, i),
                "{pattern}"
            );
        } else if let Ok(uri) = Uri::parse(line) {
            let a = ours.lookup(&uri).map(|m| {
                let params: Vec<(String, String)> =
                    m.params().map(|(k, v)| (k.into(), v.into())).collect();
                (m.index(), *m.value(), params)
            });
            let b = theirs.lookup(&uri).map(|(i, v, p)| (i, *v, p));
            assert_eq!(a, b, "{line}");
        }
    }
});
