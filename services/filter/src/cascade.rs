//! The filter itself: a cascade of one-pole IIR low-pass stages (pure logic, no I/O).

pub use filter_messages::STAGES;

/// The seed's coefficients, from the heaviest smoothing to the lightest.
pub const DEFAULT_ALPHAS: [f32; STAGES] = [0.1, 0.3, 0.5];

/// Why a coefficient was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadAlpha {
    /// The stage (from 0) whose coefficient is not in `(0, 1]`.
    pub stage: usize,
}

/// [`STAGES`] one-pole low-pass filters in series: each stage computes
/// `prev = alpha · x + (1 − alpha) · prev` and hands `prev` to the next. All stages start
/// at 0, as in the seed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cascade {
    alphas: [f32; STAGES],
    prev: [f32; STAGES],
    samples: u32,
}

impl Cascade {
    /// A cascade at rest with `alphas`.
    ///
    /// # Errors
    ///
    /// A coefficient outside `(0, 1]` (or not a number).
    pub fn new(alphas: [f32; STAGES]) -> Result<Self, BadAlpha> {
        check(&alphas)?;
        Ok(Self {
            alphas,
            prev: [0.0; STAGES],
            samples: 0,
        })
    }

    /// Filter one sample; the last stage's output.
    pub fn step(&mut self, x: f32) -> f32 {
        let mut value = x;
        for (alpha, prev) in self.alphas.iter().zip(&mut self.prev) {
            *prev = alpha * value + (1.0 - alpha) * *prev;
            value = *prev;
        }
        self.samples = self.samples.saturating_add(1);
        value
    }

    /// Change the coefficients; each stage keeps its state.
    ///
    /// # Errors
    ///
    /// A coefficient outside `(0, 1]`: nothing changes.
    pub fn set_alphas(&mut self, alphas: [f32; STAGES]) -> Result<(), BadAlpha> {
        check(&alphas)?;
        self.alphas = alphas;
        Ok(())
    }

    /// The coefficients.
    pub fn alphas(&self) -> [f32; STAGES] {
        self.alphas
    }

    /// Each stage's last output.
    pub fn prev(&self) -> [f32; STAGES] {
        self.prev
    }

    /// Samples filtered so far (saturating).
    pub fn samples(&self) -> u32 {
        self.samples
    }
}

impl Default for Cascade {
    fn default() -> Self {
        Self {
            alphas: DEFAULT_ALPHAS,
            prev: [0.0; STAGES],
            samples: 0,
        }
    }
}

fn check(alphas: &[f32; STAGES]) -> Result<(), BadAlpha> {
    match alphas.iter().position(|a| !(*a > 0.0 && *a <= 1.0)) {
        Some(stage) => Err(BadAlpha { stage }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_stage_smooths_the_one_before() {
        let mut cascade = Cascade::default();
        // Stage by stage from rest: 0.1·1000 = 100, 0.3·100 = 30, 0.5·30 = 15.
        assert_eq!(cascade.step(1000.0), 15.000001);
        assert_eq!(cascade.prev(), [100.0, 30.000002, 15.000001]);
        // 0.1·1000 + 0.9·100 = 190, 0.3·190 + 0.7·30 = 78, 0.5·78 + 0.5·15 = 46.5 (in f32: 46.500004).
        assert_eq!(cascade.step(1000.0), 46.500004);
        assert_eq!(cascade.samples(), 2);
    }

    #[test]
    fn a_constant_input_is_approached_from_below_and_never_overshot() {
        let mut cascade = Cascade::default();
        let mut last = 0.0;
        for _ in 0..200 {
            let out = cascade.step(1000.0);
            assert!(out >= last && out <= 1000.0);
            last = out;
        }
        assert!(last > 999.0, "settled at {last}");
    }

    #[test]
    fn alpha_one_passes_the_input_through() {
        let mut cascade = Cascade::new([1.0; STAGES]).unwrap();
        assert_eq!(cascade.step(-42.0), -42.0);
    }

    #[test]
    fn coefficients_outside_0_1_are_refused_and_change_nothing() {
        let mut cascade = Cascade::default();
        for (bad, stage) in [
            ([0.0, 0.5, 0.5], 0),
            ([0.5, 1.5, 0.5], 1),
            ([0.5, 0.5, f32::NAN], 2),
        ] {
            assert_eq!(cascade.set_alphas(bad), Err(BadAlpha { stage }));
            assert_eq!(Cascade::new(bad), Err(BadAlpha { stage }));
        }
        assert_eq!(cascade.alphas(), DEFAULT_ALPHAS);
    }
}
