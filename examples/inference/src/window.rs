//! One sensor's statistics (the seed's `sensor_aggregator_t`): a sliding window of stamped
//! samples, a histogram over the `i16` range, and running min / max / sum / count.
//!
//! The window (1 KiB) is a fixed ring inside the value; the app keeps its three sensors in a
//! `static` (`guests_sdk::buffer::Static`), off its stack and without a heap.

/// Samples the sliding window keeps (the seed's `SAMPLES_PER_WINDOW`).
pub const WINDOW: usize = 128;
/// Histogram bins over the whole `i16` range (the seed's `HISTOGRAM_BINS`).
pub const BINS: usize = 32;

/// One sample and when it was taken.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    /// The converted value.
    pub value: i16,
    /// The time builtin's ticks when it was read (low 32 bits).
    pub timestamp: u32,
}

/// Statistics of one sensor.
#[derive(Clone, Debug)]
pub struct SensorWindow {
    /// Up to [`WINDOW`] samples (the first `len`); once full, a ring whose oldest sample is
    /// at `next`.
    window: [Sample; WINDOW],
    len: usize,
    next: usize,
    histogram: [u16; BINS],
    sum: i32,
    min: i32,
    max: i32,
    count: u32,
}

impl Default for SensorWindow {
    fn default() -> Self {
        Self::new()
    }
}

/// The histogram bin of `value`: bin 0 starts at −32768, bin 31 ends at 32767.
pub fn bin(value: i16) -> usize {
    let offset = (i32::from(value) + 32768) as usize;
    (offset * BINS / 65536).min(BINS - 1)
}

impl SensorWindow {
    /// No samples yet.
    pub const fn new() -> Self {
        Self {
            window: [Sample {
                value: 0,
                timestamp: 0,
            }; WINDOW],
            len: 0,
            next: 0,
            histogram: [0; BINS],
            sum: 0,
            min: 0,
            max: 0,
            count: 0,
        }
    }

    /// Take `value`, read at `timestamp`.
    pub fn update(&mut self, value: i16, timestamp: u32) {
        let sample = Sample { value, timestamp };
        if let Some(slot) = self.window.get_mut(self.next) {
            *slot = sample;
        }
        self.len = (self.len + 1).min(WINDOW);
        self.next = (self.next + 1) % WINDOW;
        let value32 = i32::from(value);
        if self.count == 0 {
            (self.min, self.max) = (value32, value32);
        } else {
            self.min = self.min.min(value32);
            self.max = self.max.max(value32);
        }
        self.sum = self.sum.saturating_add(value32);
        self.count += 1;
        if let Some(bin) = self.histogram.get_mut(bin(value)) {
            *bin = bin.saturating_add(1);
        }
    }

    /// Start the next statistics period: sum and count go back to zero, so the next sample
    /// also restarts min and max. The window and the histogram keep their history (as the
    /// seed does).
    pub fn restart_period(&mut self) {
        self.sum = 0;
        self.count = 0;
    }

    /// Samples taken this period.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Smallest value this period (0 before any sample).
    pub fn min(&self) -> i32 {
        self.min
    }

    /// Largest value this period (0 before any sample).
    pub fn max(&self) -> i32 {
        self.max
    }

    /// Mean this period (0 before any sample).
    pub fn mean(&self) -> f32 {
        if self.count == 0 {
            return 0.0;
        }
        self.sum as f32 / self.count as f32
    }

    /// Mean this period truncated toward zero, as the packet carries it.
    pub fn mean_i16(&self) -> i16 {
        if self.count == 0 {
            return 0;
        }
        saturate(self.sum / self.count as i32)
    }

    /// `[min, mean, max]`, the model's features for this sensor.
    pub fn features(&self) -> [f32; 3] {
        [self.min as f32, self.mean(), self.max as f32]
    }

    /// The fullest histogram bin (the lowest one on a tie; 0 when empty).
    pub fn peak_bin(&self) -> u8 {
        let mut peak = (0, 0);
        for (bin, count) in self.histogram.iter().enumerate() {
            if *count > peak.1 {
                peak = (bin, *count);
            }
        }
        peak.0 as u8
    }

    /// The histogram's counts.
    pub fn histogram(&self) -> &[u16; BINS] {
        &self.histogram
    }

    /// The window's samples, oldest first (fewer than [`WINDOW`] until it has filled).
    pub fn window(&self) -> impl Iterator<Item = &Sample> {
        let window = self.window.get(..self.len).unwrap_or_default();
        let (newer, older) = window.split_at(self.next.min(window.len()));
        older.iter().chain(newer)
    }
}

/// `value` clamped into `i16`.
pub fn saturate(value: i32) -> i16 {
    value.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_split_the_i16_range_in_thirty_two() {
        assert_eq!(bin(i16::MIN), 0);
        assert_eq!(bin(-30721), 0);
        assert_eq!(bin(-30720), 1);
        assert_eq!(bin(0), 16);
        assert_eq!(bin(2047), 16);
        assert_eq!(bin(2048), 17);
        assert_eq!(bin(i16::MAX), 31);
    }

    #[test]
    fn statistics_follow_the_samples_and_restart_per_period() {
        let mut sensor = SensorWindow::new();
        assert_eq!(
            (sensor.mean(), sensor.mean_i16(), sensor.peak_bin()),
            (0.0, 0, 0)
        );
        for (t, value) in [10, -4, 7, 2500].into_iter().enumerate() {
            sensor.update(value, t as u32);
        }
        assert_eq!((sensor.min(), sensor.max(), sensor.count()), (-4, 2500, 4));
        assert_eq!(sensor.mean(), 628.25);
        assert_eq!(sensor.mean_i16(), 628);
        assert_eq!(sensor.features(), [-4.0, 628.25, 2500.0]);
        assert_eq!(sensor.peak_bin(), 16, "two of four in bin 16");
        assert_eq!(sensor.histogram()[15], 1);
        assert_eq!(sensor.histogram()[17], 1);

        sensor.restart_period();
        sensor.update(100, 9);
        assert_eq!(
            (sensor.min(), sensor.max(), sensor.mean()),
            (100, 100, 100.0)
        );
        assert_eq!(
            sensor.histogram().iter().sum::<u16>(),
            5,
            "the histogram keeps history"
        );
        assert_eq!(SensorWindow::new().features(), [0.0; 3]);
    }

    #[test]
    fn the_mean_truncates_toward_zero_like_c() {
        let mut sensor = SensorWindow::new();
        sensor.update(-3, 0);
        sensor.update(-4, 0);
        assert_eq!(sensor.mean_i16(), -3);
        assert_eq!(saturate(70_000), i16::MAX);
        assert_eq!(saturate(-70_000), i16::MIN);
    }

    #[test]
    fn the_window_keeps_the_last_128_samples_oldest_first() {
        let mut sensor = SensorWindow::new();
        sensor.update(1, 100);
        sensor.update(2, 200);
        let early: Vec<Sample> = sensor.window().copied().collect();
        assert_eq!(
            early,
            [
                Sample {
                    value: 1,
                    timestamp: 100
                },
                Sample {
                    value: 2,
                    timestamp: 200
                }
            ]
        );
        for i in 3..=200 {
            sensor.update(i, 100 * i as u32);
        }
        let window: Vec<i16> = sensor.window().map(|s| s.value).collect();
        assert_eq!(window.len(), WINDOW);
        assert_eq!(window[0], 200 - WINDOW as i16 + 1);
        assert_eq!(*window.last().unwrap(), 200);
        assert!(sensor.window().all(|s| s.timestamp == 100 * s.value as u32));
    }
}
