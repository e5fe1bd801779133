//! One aggregation window (the seed's `aggregator_t`): 32 samples of each of 4 sensors and
//! each sensor's min / max / sum / count.

/// Sensors aggregated (the seed's `NUM_SENSORS`).
pub const SENSORS: usize = 4;
/// Samples per sensor in one window (the seed's `SAMPLES_PER_SENSOR`).
pub const SAMPLES: usize = 32;
/// Bytes of a window on the wire: the samples as `i16` little-endian, sensor after sensor
/// (the seed's `int16_t samples[NUM_SENSORS][SAMPLES_PER_SENSOR]`).
pub const BYTES: usize = SENSORS * SAMPLES * 2;

/// Running statistics of one sensor (the seed's `stats_t`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SensorStats {
    min: i32,
    max: i32,
    sum: i32,
    count: u32,
}

impl SensorStats {
    /// No samples yet.
    pub const fn new() -> Self {
        Self {
            min: 0,
            max: 0,
            sum: 0,
            count: 0,
        }
    }

    /// Take `sample`.
    pub fn update(&mut self, sample: i16) {
        let sample = i32::from(sample);
        if self.count == 0 {
            (self.min, self.max) = (sample, sample);
        } else {
            self.min = self.min.min(sample);
            self.max = self.max.max(sample);
        }
        self.sum = self.sum.saturating_add(sample);
        self.count += 1;
    }

    /// Smallest sample (0 before any).
    pub fn min(&self) -> i32 {
        self.min
    }

    /// Largest sample (0 before any).
    pub fn max(&self) -> i32 {
        self.max
    }

    /// Sum of the samples.
    pub fn sum(&self) -> i32 {
        self.sum
    }

    /// Samples taken.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The mean, if there was a sample.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| f64::from(self.sum) / f64::from(self.count))
    }
}

/// Samples of the current window and their statistics.
#[derive(Clone, Debug)]
pub struct Window {
    samples: [[i16; SAMPLES]; SENSORS],
    len: usize,
    stats: [SensorStats; SENSORS],
}

impl Default for Window {
    fn default() -> Self {
        Self::new()
    }
}

impl Window {
    /// An empty window.
    pub const fn new() -> Self {
        Self {
            samples: [[0; SAMPLES]; SENSORS],
            len: 0,
            stats: [SensorStats::new(); SENSORS],
        }
    }

    /// Take one round (a sample of every sensor); whether the window is now full. A full
    /// window takes nothing more until [`restart`](Self::restart).
    pub fn push(&mut self, round: [i16; SENSORS]) -> bool {
        if self.is_full() {
            return true;
        }
        let len = self.len;
        for ((samples, stats), sample) in self.samples.iter_mut().zip(&mut self.stats).zip(round) {
            if let Some(slot) = samples.get_mut(len) {
                *slot = sample;
            }
            stats.update(sample);
        }
        self.len += 1;
        self.is_full()
    }

    /// Whether every sensor has [`SAMPLES`] samples.
    pub fn is_full(&self) -> bool {
        self.len == SAMPLES
    }

    /// Rounds taken.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no round was taken.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Each sensor's statistics.
    pub fn stats(&self) -> &[SensorStats; SENSORS] {
        &self.stats
    }

    /// The window on the wire (see [`BYTES`]); samples not yet taken are 0.
    pub fn bytes(&self) -> [u8; BYTES] {
        let mut bytes = [0u8; BYTES];
        let samples = self.samples.iter().flatten();
        for (out, sample) in bytes.chunks_exact_mut(2).zip(samples) {
            out.copy_from_slice(&sample.to_le_bytes());
        }
        bytes
    }

    /// Start the next window: no samples, fresh statistics. (The seed keeps its statistics
    /// over 256 samples; here they describe one window, whose means go to the statistics
    /// service.)
    pub fn restart(&mut self) {
        *self = Self::new();
    }
}

/// A filtered value as a sample: rounded half away from zero, saturated to `i16` (NaN is 0).
pub fn to_sample(value: f32) -> i16 {
    (if value < 0.0 {
        value - 0.5
    } else {
        value + 0.5
    }) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_fills_after_thirty_two_rounds_with_per_sensor_statistics() {
        let mut window = Window::new();
        for i in 0..SAMPLES as i16 - 1 {
            assert!(!window.push([i, -i, 100, 1000 + 2 * i]));
        }
        assert!(window.push([31, -31, 100, 1062]));
        assert!(
            window.push([7, 7, 7, 7]),
            "a full window takes nothing more"
        );
        let stats = window.stats();
        assert_eq!(
            (stats[0].min(), stats[0].max(), stats[0].sum()),
            (0, 31, 496)
        );
        assert_eq!((stats[1].min(), stats[1].max()), (-31, 0));
        assert_eq!(stats[2].mean(), Some(100.0));
        assert_eq!(stats[3].mean(), Some(1031.0));
        assert!(stats.iter().all(|s| s.count() == SAMPLES as u32));

        let bytes = window.bytes();
        assert_eq!(bytes[..4], [0, 0, 1, 0], "sensor 0: 0, 1, …");
        assert_eq!(bytes[62..64], 31i16.to_le_bytes());
        assert_eq!(bytes[64..68], [0, 0, 0xFF, 0xFF], "sensor 1: 0, -1, …");
        assert_eq!(bytes[BYTES - 2..], 1062i16.to_le_bytes());

        window.restart();
        assert!(window.is_empty());
        assert_eq!(window.stats()[0].mean(), None);
        assert_eq!(window.bytes(), [0; BYTES]);
    }

    #[test]
    fn statistics_start_from_the_first_sample() {
        let mut stats = SensorStats::new();
        stats.update(-5);
        assert_eq!((stats.min(), stats.max()), (-5, -5));
        stats.update(3);
        assert_eq!(
            (stats.min(), stats.max(), stats.mean()),
            (-5, 3, Some(-1.0))
        );
    }

    #[test]
    fn filtered_values_round_and_saturate() {
        assert_eq!(to_sample(2047.5), 2048);
        assert_eq!(to_sample(2047.49), 2047);
        assert_eq!(to_sample(-1.5), -2);
        assert_eq!(to_sample(40_000.0), i16::MAX);
        assert_eq!(to_sample(-40_000.0), i16::MIN);
        assert_eq!(to_sample(f32::NAN), 0);
    }
}
