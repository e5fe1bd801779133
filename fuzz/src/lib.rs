//! The bodies of Fireball's fuzz targets: every parser of untrusted bytes, and a
//! structure-aware target that runs generated guests beside a healthy one.
//!
//! Each target is a plain function of the fuzzer's bytes in [`TARGETS`]. It calls the real
//! public entry point, accepts any answer the parser may give (a value or a typed error) and
//! panics only when a property of that answer fails: a panic is a bug in Fireball, never in
//! the target. Two drivers run them:
//!
//! - `cargo xtask fuzz` builds `fuzz/libfuzzer` (cargo-fuzz, one binary per target, each
//!   one line calling the function here) and runs libFuzzer from the seeds in `fuzz/seeds/`.
//! - `cargo test -p fireball-fuzz` (CI) replays every target over its seeds and up to a
//!   thousand generated inputs (`tests/replay.rs`): the short run that keeps them from rotting.
//!
//! Modules: [`parsers`] (module loader, records, URIs, delivery header, manifest, package),
//! [`protocols`] (the control port's SMP, the debugger's GDB remote packets), [`guest`] (the
//! generated guests). The results of the campaign: `docs/reliability.md`, "Fuzzing".
#![forbid(unsafe_code)]

pub mod guest;
pub mod parsers;
pub mod protocols;

/// One fuzz target.
#[derive(Clone, Copy)]
pub struct Target {
    /// Its name: the libFuzzer binary's, the seed directory's (`fuzz/seeds/NAME`).
    pub name: &'static str,
    /// The public entry point it drives.
    pub entry: &'static str,
    /// The body: any bytes, a panic only on a bug.
    pub run: fn(&[u8]),
}

/// Every target, in the order `cargo xtask fuzz` runs them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "loader",
        entry: "fireball_vsoc::Vsoc::load, then instantiate and run",
        run: parsers::loader,
    },
    Target {
        name: "record",
        entry: "fireball_record::Record::decode, RecordView::new, fireball_router::from_record",
        run: parsers::record,
    },
    Target {
        name: "message",
        entry: "fireball_record::message::decode and decode_flat (#[derive(Message)])",
        run: parsers::message,
    },
    Target {
        name: "route_table",
        entry: "fireball_router::uri::Uri::parse, RouteTable::insert / lookup",
        run: parsers::route_table,
    },
    Target {
        name: "delivery",
        entry: "fireball_abi::delivery::Header::decode, guests-sdk Delivery::parse",
        run: parsers::delivery,
    },
    Target {
        name: "manifest",
        entry: "fireball_manifest::Manifest::parse, then validate",
        run: parsers::manifest,
    },
    Target {
        name: "package",
        entry: "fireball_package::Package::parse, Package::verify",
        run: parsers::package,
    },
    Target {
        name: "smp",
        entry: "fireball_smp::Server::handle, FrameDecoder::push",
        run: protocols::smp,
    },
    Target {
        name: "debugger",
        entry: "fireball_subsystems::debugger::Stub::receive",
        run: protocols::debugger,
    },
    Target {
        name: "guest",
        entry: "fireball::deploy::boot + run (wasm-smith guest beside a healthy one)",
        run: guest::run,
    },
];

/// The target called `name`.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}
