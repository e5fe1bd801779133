//! Build-time limits of the kernel.
//!
//! Every limit is a `const` with a default that fits an nRF5340-class board. Any of them can be
//! overridden when the crate is compiled by setting an environment variable of the same name
//! prefixed with `FIREBALL_`, for example:
//!
//! ```sh
//! FIREBALL_MAX_TASKS=64 FIREBALL_P5_GUEST_BYTES=131072 cargo build -p fireball-firmware
//! ```
//!
//! Values are decimal integers (`_` separators allowed). A malformed value, or one outside the
//! limit's documented range, stops the build with a `const` evaluation error naming the variable:
//! a bad configuration never reaches the board. Cargo does not track these variables; after
//! changing one run `cargo clean -p fireball-kernel` (the xtask does this for you).
//!
//! Partition sizes are the *defaults* for [`crate::mem::PartitionPlan::from_config`]; the
//! firmware hands each partition its memory region at init, so a deployment manifest may also
//! choose sizes at run time.

/// Parses a decimal `usize` from an optional build-time string, or returns `default`.
///
/// Panics at compile time (it is only called in `const` items) on an empty, non-decimal or
/// overflowing value, and when the result lies outside `min..=max`.
const fn parse_or(value: Option<&str>, default: usize, min: usize, max: usize) -> usize {
    let parsed = match value {
        None => default,
        Some(text) => {
            let bytes = text.as_bytes();
            assert!(!bytes.is_empty(), "FIREBALL_* config value is empty");
            let mut acc: usize = 0;
            let mut i = 0;
            while i < bytes.len() {
                let b = bytes[i];
                if b != b'_' {
                    assert!(
                        b.is_ascii_digit(),
                        "FIREBALL_* config value is not a decimal number"
                    );
                    acc = match acc.checked_mul(10) {
                        Some(v) => match v.checked_add((b - b'0') as usize) {
                            Some(v) => v,
                            None => panic!("FIREBALL_* config value overflows usize"),
                        },
                        None => panic!("FIREBALL_* config value overflows usize"),
                    };
                }
                i += 1;
            }
            acc
        }
    };
    assert!(
        parsed >= min && parsed <= max,
        "FIREBALL_* config value is out of range"
    );
    parsed
}

/// Most tasks one executor holds at once (`FIREBALL_MAX_TASKS`, 1..=1024, default 32).
///
/// The seed plans 8–16 coroutines; stackless tasks are cheap enough to allow more. A power of
/// two wastes nothing: the wake board's tables round up to one, so that the scheduler's hot
/// paths index them with masks instead of bounds checks.
pub const MAX_TASKS: usize = parse_or(option_env!("FIREBALL_MAX_TASKS"), 32, 1, 1024);

/// Most executors alive at once (`FIREBALL_MAX_EXECUTORS`, 1..=64).
///
/// Each executor owns one static wake board of `MAX_TASKS` entries (6 B per entry; the board
/// count and the entries round up to powers of two, see `sched::board`).
/// The firmware runs one executor; host builds default to 32 so that parallel tests (each with
/// its own executor) never run out.
pub const MAX_EXECUTORS: usize = parse_or(
    option_env!("FIREBALL_MAX_EXECUTORS"),
    if cfg!(target_os = "none") { 2 } else { 32 },
    1,
    64,
);

/// Capacity of a [`crate::value::HandleTable`] created with `HandleTable::from_config`
/// (`FIREBALL_MAX_HANDLES`, 1..=65535, default 64 — the seed's "64 tracked values").
pub const MAX_HANDLES: usize = parse_or(option_env!("FIREBALL_MAX_HANDLES"), 64, 1, 65_535);

/// Capacity of the memory-event queue (`FIREBALL_MEM_EVENTS`, 2..=256, default 16). Events
/// beyond it are counted as dropped; a fatal exhaustion is never dropped (it is also latched).
pub const MEM_EVENTS: usize = parse_or(option_env!("FIREBALL_MEM_EVENTS"), 16, 2, 256);

/// P1, COOS kernel heap, bytes (`FIREBALL_P1_KERNEL_BYTES`, default 5.7 KB, seed §1.2.2).
pub const P1_KERNEL_BYTES: usize =
    parse_or(option_env!("FIREBALL_P1_KERNEL_BYTES"), 5_836, 512, 1 << 24);
/// P2, WASM runtime heap, bytes (`FIREBALL_P2_RUNTIME_BYTES`, default 4.7 KB, seed §1.2.2;
/// wasmi needs far more — the firmware manifest sets the real figure).
pub const P2_RUNTIME_BYTES: usize = parse_or(
    option_env!("FIREBALL_P2_RUNTIME_BYTES"),
    4_812,
    512,
    1 << 24,
);
/// P3, subsystems heap, bytes (`FIREBALL_P3_SUBSYSTEMS_BYTES`, default 8.8 KB, seed §1.2.2).
pub const P3_SUBSYSTEMS_BYTES: usize = parse_or(
    option_env!("FIREBALL_P3_SUBSYSTEMS_BYTES"),
    9_011,
    512,
    1 << 24,
);
/// P4, services heap, bytes (`FIREBALL_P4_SERVICES_BYTES`, default 8 KB, seed §1.2.5).
pub const P4_SERVICES_BYTES: usize = parse_or(
    option_env!("FIREBALL_P4_SERVICES_BYTES"),
    8_192,
    512,
    1 << 24,
);
/// P5, guest module heap, bytes (`FIREBALL_P5_GUEST_BYTES`, default 48 KB, seed §1.2.2).
pub const P5_GUEST_BYTES: usize =
    parse_or(option_env!("FIREBALL_P5_GUEST_BYTES"), 49_152, 512, 1 << 26);
/// P6, system reserve, bytes (`FIREBALL_P6_RESERVE_BYTES`, default 4 KB, seed §1.2.2).
pub const P6_RESERVE_BYTES: usize = parse_or(
    option_env!("FIREBALL_P6_RESERVE_BYTES"),
    4_096,
    512,
    1 << 24,
);

#[cfg(test)]
mod tests {
    use super::parse_or;

    #[test]
    fn parses_decimal_with_separators() {
        assert_eq!(parse_or(Some("1_024"), 7, 0, usize::MAX), 1024);
        assert_eq!(parse_or(None, 7, 0, usize::MAX), 7);
    }

    #[test]
    #[should_panic(expected = "not a decimal")]
    fn rejects_garbage() {
        parse_or(Some("12k"), 7, 0, usize::MAX);
    }

    #[test]
    #[should_panic(expected = "out of range")]
    fn rejects_out_of_range() {
        parse_or(Some("0"), 7, 1, 10);
    }
}
