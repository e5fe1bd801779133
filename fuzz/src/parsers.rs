//! The parsers of untrusted bytes: what a module, a guest's message, a manifest or a package
//! can hand Fireball.

use fireball_abi::{delivery::Header, uri};
use fireball_guests_sdk::route::serve::Delivery;
use fireball_manifest::Manifest;
use fireball_package::{Package, SigningKey};
use fireball_record::{
    Limits, Message, Record, RecordError, RecordView, message, postcard_serde, typed,
};
use fireball_router::{
    from_record,
    table::{RouteTable, reference::ReferenceTable},
    uri::Uri,
};
use fireball_subsystems::hal::NullConsole;
use fireball_vsoc::{Vsoc, VsocConfig};
use serde::{Deserialize, Serialize};

/// A module's bytes into the loader; an accepted module is instantiated and run for a few
/// slices (a short `yield_interval`: an endless loop ends with its slices).
pub fn loader(bytes: &[u8]) {
    let vsoc = Vsoc::new(VsocConfig {
        yield_interval: 1_000,
        ..VsocConfig::default()
    });
    let Ok(module) = vsoc.load("fuzz", bytes) else {
        return;
    };
    if let Ok(mut instance) = vsoc.instantiate(&module, Box::new(NullConsole::default())) {
        for _ in 0..4 {
            let _ = instance.run_slice();
        }
    }
}

/// A struct the serde mapping of records is tried on: options, text, lists, an enum and
/// recursion.
#[derive(Deserialize, Debug)]
#[allow(dead_code)] // only ever built, to exercise the mapping
struct Reading<'a> {
    channel: Option<u8>,
    name: Option<&'a str>,
    samples: Option<Vec<i32>>,
    mode: Option<Mode>,
    nested: Option<Box<Reading<'a>>>,
}

#[derive(Deserialize, Debug)]
#[allow(dead_code)] // only ever built, to exercise the mapping
enum Mode {
    Off,
    Gain(u8),
    Window { from: u16, to: u16 },
}

/// A record's bytes (a message body from a module): the owned decoder, the in-place reader
/// and postcard's serde decoder (the reference) agree, an accepted record obeys the limits
/// and re-encodes to exactly the input (one message, one encoding), and the router's serde
/// mapping of it gives a value or an error.
pub fn record(bytes: &[u8]) {
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
            let _ = from_record::<Reading<'_>>(&record);
        }
    }
}

#[derive(Debug, PartialEq, Serialize, Deserialize, Message)]
struct Inner {
    id: u8,
    seen: Option<u64>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize, Message)]
struct Sample {
    channel: u8,
    raw: i32,
    filtered: f32,
    name: Option<String>,
    samples: Vec<i16>,
    three: [f32; 3],
    inner: Option<Inner>,
    inners: Vec<Inner>,
    #[serde(default)]
    #[message(default)]
    count: u32,
}

/// A message's bytes into a `#[derive(Message)]` struct (the codec of modules): a value
/// or `None`, and the value serde's, unless the bytes hold skipped text that is not UTF-8
/// (the module codec's one leniency, `fireball_record::message`).
///
/// What a module decodes with, the flat read (`message::flat`, the hypervisor's builtin
/// `record_read`), gives exactly what the owned read gives.
pub fn message(bytes: &[u8]) {
    let lean = message::decode::<Sample>(bytes, &Limits::DEFAULT);
    let flat = message::decode_flat::<Sample>(bytes, &Limits::DEFAULT);
    assert_eq!(
        flat.as_ref().map(|v| message::to_vec(v, &Limits::DEFAULT)),
        lean.as_ref().map(|v| message::to_vec(v, &Limits::DEFAULT)),
        "the flat read and the owned read disagree"
    );
    let serde = typed::decode::<Sample>(bytes, &Limits::DEFAULT).ok();
    let lenient = matches!(
        Record::decode(bytes, &Limits::DEFAULT),
        Err(RecordError::BadUtf8)
    );
    // Compared by encoding: NaNs compare by their bits.
    let lean = lean.map(|v| message::to_vec(&v, &Limits::DEFAULT));
    let serde = serde.map(|v| message::to_vec(&v, &Limits::DEFAULT));
    if !(lenient && lean.is_some() && serde.is_none()) {
        assert_eq!(lean, serde);
    }
}

/// Text: lines starting with `+` are route patterns to insert (a manifest's), the others
/// URIs to look up (a guest's `route_bind`). The no_std route table and matchit agree on
/// every insert and lookup, and the pattern a URI is routed by matches it as the SDKs'
/// byte matcher reads it.
pub fn route_table(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let mut ours = RouteTable::new();
    let mut theirs = ReferenceTable::new();
    let mut patterns = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(pattern) = line.strip_prefix('+') {
            let inserted = ours.insert(pattern, i);
            assert_eq!(inserted, theirs.insert(pattern, i), "{pattern}");
            patterns.push((i, pattern));
        } else if let Ok(parsed) = Uri::parse(line) {
            let a = ours.lookup(&parsed).map(|m| {
                let params: Vec<(String, String)> =
                    m.params().map(|(k, v)| (k.into(), v.into())).collect();
                (m.index(), *m.value(), params)
            });
            let b = theirs.lookup(&parsed).map(|(i, v, p)| (i, *v, p));
            assert_eq!(a, b, "{line}");
            if let Some((_, at, params)) = a {
                let (_, pattern) = patterns.iter().find(|(i, _)| *i == at).unwrap();
                assert!(
                    uri::matches_bytes(pattern, line.as_bytes()),
                    "{pattern} {line}"
                );
                for (name, value) in params {
                    assert_eq!(
                        uri::param_bytes(pattern, line.as_bytes(), &name),
                        Some(value.as_bytes()),
                        "{pattern} {line}"
                    );
                }
            }
        }
    }
}

/// A delivery as a service module reads it (what `route_take` copied into its memory): the
/// header, its parts and the SDK's reader agree, and nothing they return lies outside the
/// bytes.
pub fn delivery(bytes: &[u8]) {
    let header = Header::decode(bytes);
    let parsed = Delivery::parse(bytes);
    let Some(header) = header else {
        assert!(parsed.is_none());
        return;
    };
    assert!(header.total_len() <= bytes.len());
    // Bytes 10..12 are padding: the encoding writes zeros there.
    let mut front = [0; fireball_abi::delivery::HEADER_LEN];
    front.copy_from_slice(&bytes[..fireball_abi::delivery::HEADER_LEN]);
    front[10..12].fill(0);
    assert_eq!(header.encode(), front);
    let (uri, caller, body) = header.parts(bytes).expect("a decoded header's parts");
    assert_eq!(uri.len(), usize::from(header.uri_len));
    assert_eq!(caller.len(), usize::from(header.caller_len));
    assert_eq!(body.len(), header.body_len as usize);
    if let Some(d) = parsed {
        assert_eq!((d.token, d.body), (header.token, body));
        assert_eq!((d.uri.as_bytes(), d.caller.as_bytes()), (uri, caller));
    }
}

/// Manifest text (a user's file, or a package's manifest excerpt): parsed, then validated
/// against the runner's system routes (modules not looked up).
pub fn manifest(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let Ok(manifest) = Manifest::parse(text) else {
        return;
    };
    let _ = manifest.validate(&fireball::deploy::system_routes(), None);
    for component in manifest.components() {
        let _ = (
            component.lifecycle(),
            component.watchdog_ms(),
            component.reach(),
        );
    }
}

/// A package (a signed module, from the control port or `sys://modules`): a package or a
/// typed error, a parsed package's module lies inside the input, and nothing the parser
/// refuses is ever verified.
pub fn package(bytes: &[u8]) {
    let key = SigningKey::from_seed(&[1; 32]).public_key();
    let parsed = Package::parse(bytes);
    let verified = Package::verify(bytes, &[key]);
    match parsed {
        Ok(p) => {
            assert!(p.module().is_empty() || bytes.as_ptr_range().contains(&p.module().as_ptr()))
        }
        Err(_) => assert!(verified.is_err()),
    }
}
