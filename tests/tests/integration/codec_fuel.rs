//! What the SDK's record codec costs inside a module, in fuel (`examples/codec-probe`):
//! decoding and encoding a 4-field record. Fuel is deterministic, so these are budgets, not
//! timings; `docs/perf.md` quotes the figures this prints.

use fireball_subsystems::hal::NullConsole;
use fireball_vsoc::{Slice, Vsoc, VsocConfig};

/// Rounds per phase (`codec_probe::ROUNDS`).
const ROUNDS: u64 = 50;

/// Most fuel one decode of a 4-field record may take: today's figure and a little room
/// (140 since the hypervisor reads records for modules, builtin `record_read`; 1,700 with
/// the reader in the module, through wasm-opt; 1,952 before; the goal is 2,000).
const DECODE_BUDGET: u64 = 150;
/// Most fuel one encode of it may take (today's figure, 988, and a little room).
const ENCODE_BUDGET: u64 = 1_020;

#[test]
fn a_four_field_record_decodes_and_encodes_within_budget() {
    let vsoc = Vsoc::new(VsocConfig {
        // Only the probe's own yields end a slice.
        yield_interval: 50_000_000,
        ..VsocConfig::default()
    });
    let bytes = fireball_tests::module("codec-probe");
    let module = vsoc.load("codec-probe", &bytes).unwrap();
    let mut probe = vsoc
        .instantiate(&module, Box::new(NullConsole::default()))
        .unwrap();
    let mut at_yields = Vec::new();
    loop {
        match probe.run_slice() {
            Slice::Yielded => at_yields.push(probe.stats().fuel_consumed),
            Slice::Finished => break,
            Slice::Trapped(trap) => panic!("the probe trapped: {trap:?}"),
        }
    }
    let [d1, d2, e1, e2] = at_yields[..] else {
        panic!("expected four phases, saw yields at {at_yields:?}");
    };
    let decode = (d2 - d1) / ROUNDS;
    let encode_first = (e1 - d2) / ROUNDS;
    let encode = (e2 - e1) / ROUNDS;
    assert_eq!(encode_first, encode, "two identical phases cost the same");
    println!("codec fuel per round: decode {decode}, encode {encode} (AdcSample, 4 fields)");
    assert!(decode <= DECODE_BUDGET, "decode takes {decode} fuel");
    assert!(encode <= ENCODE_BUDGET, "encode takes {encode} fuel");
}
