//! The linear model and the packet it is sent in (the seed's `ml_model_t`, `ml_inference`
//! and packet layout).

use fireball_guests_sdk::device;

use crate::window::{SensorWindow, saturate};

/// Sensors the model reads (the seed's `NUM_SENSORS`).
pub const SENSORS: usize = 3;
/// Features: min, mean and max per sensor.
pub const FEATURES: usize = SENSORS * 3;
/// Every weight of the seed's demonstration model.
pub const WEIGHT: f32 = 0.1;
/// The model's bias.
pub const BIAS: f32 = 0.5;

/// Bytes of one packet: min, max, mean as `i16` per sensor, the result as `f32`, the peak
/// histogram bin of sensor 0 as `u8`, the iteration as `u32`; all little-endian.
pub const PACKET: usize = SENSORS * 3 * 2 + 4 + 1 + 4;

/// A linear model over the sensors' features.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Model {
    weights: [f32; FEATURES],
    bias: f32,
}

impl Default for Model {
    fn default() -> Self {
        Self::seed()
    }
}

impl Model {
    /// The seed's demonstration model: every weight [`WEIGHT`], bias [`BIAS`].
    pub const fn seed() -> Self {
        Self {
            weights: [WEIGHT; FEATURES],
            bias: BIAS,
        }
    }

    /// `bias + weights · features`; the dot product runs on the vOffloader (`matmul_f32`,
    /// a 1×9 by 9×1 product).
    pub fn infer(&self, features: &[f32; FEATURES]) -> f32 {
        let mut product = [0.0f32; 1];
        // The sizes are this function's constants, so the offloader always takes them.
        let computed = device::matmul_f32(features, &self.weights, &mut product, 1, FEATURES, 1);
        debug_assert!(
            computed,
            "1×{FEATURES} by {FEATURES}×1 matches the operands"
        );
        self.bias + product[0]
    }
}

/// The model's input: `[min, mean, max]` of each sensor in turn.
pub fn features(sensors: &[SensorWindow; SENSORS]) -> [f32; FEATURES] {
    let mut features = [0.0; FEATURES];
    for (out, sensor) in features.chunks_exact_mut(3).zip(sensors) {
        out.copy_from_slice(&sensor.features());
    }
    features
}

/// The packet the seed transmits after an inference.
pub fn packet(sensors: &[SensorWindow; SENSORS], result: f32, iteration: u32) -> [u8; PACKET] {
    let mut packet = [0u8; PACKET];
    let mut at = 0;
    let mut put = |bytes: &[u8]| {
        packet[at..at + bytes.len()].copy_from_slice(bytes);
        at += bytes.len();
    };
    for sensor in sensors {
        put(&saturate(sensor.min()).to_le_bytes());
        put(&saturate(sensor.max()).to_le_bytes());
        put(&sensor.mean_i16().to_le_bytes());
    }
    put(&result.to_le_bytes());
    put(&[sensors[0].peak_bin()]);
    put(&iteration.to_le_bytes());
    packet
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sensors() -> [SensorWindow; SENSORS] {
        let mut sensors: [SensorWindow; SENSORS] = core::array::from_fn(|_| SensorWindow::new());
        for (i, sensor) in sensors.iter_mut().enumerate() {
            let base = 1000 * (i as i16 + 1);
            for value in [base - 10, base, base + 40] {
                sensor.update(value, 0);
            }
        }
        sensors
    }

    #[test]
    fn the_model_is_bias_plus_a_tenth_of_the_feature_sum() {
        let features = features(&sensors());
        assert_eq!(
            features,
            [
                990.0, 1010.0, 1040.0, 1990.0, 2010.0, 2040.0, 2990.0, 3010.0, 3040.0
            ]
        );
        let result = Model::seed().infer(&features);
        let expected = BIAS + features.iter().map(|f| WEIGHT * f).sum::<f32>();
        assert!((result - expected).abs() < 1e-3, "{result} vs {expected}");
        assert!((result - 1812.5).abs() < 1e-2);
        assert_eq!(Model::seed().infer(&[0.0; FEATURES]), BIAS);
    }

    #[test]
    fn the_packet_has_the_seed_layout() {
        let packet = packet(&sensors(), 1.5, 64);
        assert_eq!(packet.len(), 27);
        let i16_at = |at: usize| i16::from_le_bytes([packet[at], packet[at + 1]]);
        assert_eq!(
            (0..9).map(|i| i16_at(2 * i)).collect::<Vec<_>>(),
            [990, 1040, 1010, 1990, 2040, 2010, 2990, 3040, 3010]
        );
        assert_eq!(packet[18..22], 1.5f32.to_le_bytes());
        assert_eq!(packet[22], 16, "sensor 0's values all fall in bin 16");
        assert_eq!(packet[23..], 64u32.to_le_bytes());
    }
}
