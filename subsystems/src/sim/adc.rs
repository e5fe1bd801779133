//! A simulated ADC whose channels follow reproducible waveforms.

use alloc::vec::Vec;

use super::SimClock;
use crate::hal::{Adc, Clock, HalError, IrqLine};

/// What a channel's input does over time, in ADC counts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Waveform {
    /// Always `level`.
    Constant {
        /// The reading, in counts.
        level: u16,
    },
    /// `offset + amplitude · sin(2π · t / period_us)`.
    Sine {
        /// The mid level, in counts.
        offset: u16,
        /// The swing either side of `offset`, in counts.
        amplitude: u16,
        /// One cycle, in µs.
        period_us: u64,
    },
    /// Uniform noise in `base ± spread`, from a seeded generator: each
    /// conversion draws the next value, so the sequence depends only on the seed.
    Noise {
        /// The mid level, in counts.
        base: u16,
        /// The greatest distance from `base`, in counts.
        spread: u16,
        /// The generator's seed.
        seed: u32,
    },
    /// Cycles through `levels`, holding each for `dwell_us`.
    Steps {
        /// The levels, in counts, in order.
        levels: [u16; 4],
        /// How long each is held, in µs.
        dwell_us: u64,
    },
}

struct Channel {
    waveform: Waveform,
    rng: u32,
}

/// A simulated ADC on the virtual clock.
pub struct SimAdc {
    clock: SimClock,
    bits: u8,
    channels: Vec<Channel>,
    conversions: u64,
    done: Option<IrqLine>,
}

impl SimAdc {
    /// An ADC of `bits` resolution (at most 16) with one channel per waveform.
    pub fn new(clock: SimClock, bits: u8, waveforms: &[Waveform]) -> Self {
        Self {
            clock,
            bits: bits.min(16),
            channels: waveforms
                .iter()
                .map(|&waveform| Channel {
                    waveform,
                    rng: match waveform {
                        Waveform::Noise { seed, .. } => seed.max(1),
                        _ => 1,
                    },
                })
                .collect(),
            conversions: 0,
            done: None,
        }
    }

    /// Raise `line` at the end of every conversion ("conversion done").
    #[must_use]
    pub fn with_irq(mut self, line: IrqLine) -> Self {
        self.done = Some(line);
        self
    }

    /// Conversions done so far (all channels).
    pub fn conversions(&self) -> u64 {
        self.conversions
    }

    fn max(&self) -> i64 {
        (1i64 << self.bits) - 1
    }
}

/// xorshift32: tiny, fast, and the same everywhere.
fn next(state: &mut u32) -> u32 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    x
}

impl Adc for SimAdc {
    fn channels(&self) -> u8 {
        u8::try_from(self.channels.len()).unwrap_or(u8::MAX)
    }

    fn resolution_bits(&self) -> u8 {
        self.bits
    }

    fn read(&mut self, channel: u8) -> Result<u16, HalError> {
        let now = self.clock.now_us();
        let max = self.max();
        let ch = self
            .channels
            .get_mut(usize::from(channel))
            .ok_or(HalError::InvalidArgument)?;
        let value: i64 = match ch.waveform {
            Waveform::Constant { level } => level.into(),
            Waveform::Sine {
                offset,
                amplitude,
                period_us,
            } => {
                let phase = (now % period_us.max(1)) as f32 / period_us.max(1) as f32;
                let s = libm::sinf(core::f32::consts::TAU * phase);
                i64::from(offset) + libm::roundf(f32::from(amplitude) * s) as i64
            }
            Waveform::Noise { base, spread, .. } => {
                let span = u32::from(spread) * 2 + 1;
                i64::from(base) - i64::from(spread) + i64::from(next(&mut ch.rng) % span)
            }
            Waveform::Steps { levels, dwell_us } => {
                levels[((now / dwell_us.max(1)) % 4) as usize].into()
            }
        };
        self.conversions += 1;
        if let Some(line) = self.done {
            line.raise();
        }
        Ok(value.clamp(0, max) as u16)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_follows_the_virtual_clock() {
        let clock = SimClock::new();
        let mut adc = SimAdc::new(
            clock.clone(),
            12,
            &[Waveform::Sine {
                offset: 2048,
                amplitude: 1000,
                period_us: 1000,
            }],
        );
        assert_eq!(adc.read(0), Ok(2048));
        clock.advance(250);
        assert_eq!(adc.read(0), Ok(3048));
        clock.advance(500);
        assert_eq!(adc.read(0), Ok(1048));
        assert_eq!(adc.read(1), Err(HalError::InvalidArgument));
    }

    #[test]
    fn noise_is_reproducible_from_its_seed_and_stays_in_range() {
        let noise = [Waveform::Noise {
            base: 100,
            spread: 20,
            seed: 7,
        }];
        let mut a = SimAdc::new(SimClock::new(), 12, &noise);
        let mut b = SimAdc::new(SimClock::new(), 12, &noise);
        let xs: Vec<u16> = (0..100).map(|_| a.read(0).unwrap()).collect();
        let ys: Vec<u16> = (0..100).map(|_| b.read(0).unwrap()).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|&x| (80..=120).contains(&x)));
        assert!(xs.windows(2).any(|w| w[0] != w[1]), "noise must vary");
    }

    #[test]
    fn steps_cycle_and_values_clamp_to_the_resolution() {
        let clock = SimClock::new();
        let mut adc = SimAdc::new(
            clock.clone(),
            10,
            &[Waveform::Steps {
                levels: [0, 500, 5000, 7],
                dwell_us: 10,
            }],
        );
        let mut seen = Vec::new();
        for _ in 0..5 {
            seen.push(adc.read(0).unwrap());
            clock.advance(10);
        }
        assert_eq!(seen, [0, 500, 1023, 7, 0]);
        assert_eq!(adc.conversions(), 5);
    }
}
