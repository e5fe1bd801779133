//! Conversions a board's backends share: a narrow hardware counter extended to 64 bits, ticks
//! to microseconds, a converter's raw result to the `hal://adc` reading. Pure functions, so
//! the hardware-facing code stays thin and these are tested on the host.

/// Extend a `bits`-wide counter that reads `raw` now, given the 64-bit value `last` it was
/// extended to at the previous read: the result is the smallest value `>= last` whose low
/// `bits` bits are `raw`. Exact as long as the counter is read at least once per wrap
/// (an nRF RTC at 32,768 Hz wraps its 24 bits every 512 s).
pub const fn extend_counter(last: u64, raw: u32, bits: u32) -> u64 {
    let modulus = 1u64 << bits;
    let mask = modulus - 1;
    let raw = raw as u64 & mask;
    let base = last & !mask;
    if raw >= last & mask {
        base + raw
    } else {
        base + modulus + raw
    }
}

/// Microseconds in `ticks` of a clock at `hz` (rounded down), without overflowing for any
/// count a 64-bit microsecond clock can hold.
pub const fn ticks_to_us(ticks: u64, hz: u64) -> u64 {
    let whole = ticks / hz;
    let part = ticks % hz;
    whole * 1_000_000 + part * 1_000_000 / hz
}

/// A signed converter result (an nRF SAADC's single-ended sample, which may dip a little
/// below zero with noise) as the `hal://adc` reading: `0..2^bits`, clamped.
pub const fn adc_reading(raw: i16, bits: u8) -> u16 {
    let max = ((1u32 << bits) - 1) as i32;
    let raw = raw as i32;
    if raw < 0 {
        0
    } else if raw > max {
        max as u16
    } else {
        raw as u16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_that_has_not_wrapped_reads_as_is() {
        assert_eq!(extend_counter(0, 0, 24), 0);
        assert_eq!(extend_counter(10, 500, 24), 500);
        assert_eq!(extend_counter(500, 500, 24), 500);
    }

    #[test]
    fn a_wrap_adds_the_modulus() {
        let top = (1u64 << 24) - 1;
        assert_eq!(extend_counter(top, 3, 24), (1 << 24) + 3);
        // The third wrap, from a value already extended twice.
        let last = (2u64 << 24) + 0x00FF_FFF0;
        assert_eq!(extend_counter(last, 0x10, 24), (3 << 24) + 0x10);
    }

    #[test]
    fn bits_above_the_counter_width_are_ignored() {
        assert_eq!(extend_counter(0, 0xFF00_0005, 24), 5);
    }

    #[test]
    fn rtc_ticks_convert_to_microseconds() {
        assert_eq!(ticks_to_us(0, 32_768), 0);
        assert_eq!(ticks_to_us(1, 32_768), 30);
        assert_eq!(ticks_to_us(32_768, 32_768), 1_000_000);
        // One wrap of the nRF RTC's 24-bit counter: 512 s.
        assert_eq!(ticks_to_us(1 << 24, 32_768), 512_000_000);
        // Far past 2^64 / 10^6 ticks' worth of naive multiplication.
        assert_eq!(
            ticks_to_us(u64::MAX / 1_000, 32_768),
            (u64::MAX / 1_000 / 32_768) * 1_000_000
                + (u64::MAX / 1_000 % 32_768) * 1_000_000 / 32_768
        );
    }

    #[test]
    fn adc_readings_are_clamped_to_the_resolution() {
        assert_eq!(adc_reading(-3, 12), 0);
        assert_eq!(adc_reading(0, 12), 0);
        assert_eq!(adc_reading(2048, 12), 2048);
        assert_eq!(adc_reading(4095, 12), 4095);
        assert_eq!(adc_reading(4200, 12), 4095);
        assert_eq!(adc_reading(i16::MAX, 14), 16_383);
    }
}
