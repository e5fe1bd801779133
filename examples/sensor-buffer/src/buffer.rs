//! The sample buffer: 64 ADC samples, handed over as 128 little-endian bytes when full.

/// Samples one buffer holds (the seed's `BUFFER_SIZE`).
pub const SAMPLES: usize = 64;
/// Bytes of one full buffer on the wire: `SAMPLES` × `i16`, little-endian.
pub const BYTES: usize = SAMPLES * 2;

/// Samples collected so far.
#[derive(Clone, Debug)]
pub struct SampleBuffer {
    samples: [i16; SAMPLES],
    len: usize,
}

impl Default for SampleBuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl SampleBuffer {
    /// An empty buffer.
    pub const fn new() -> Self {
        Self {
            samples: [0; SAMPLES],
            len: 0,
        }
    }

    /// Add a raw ADC conversion (saturated to `i16`). When that fills the buffer, its bytes
    /// are returned and the buffer starts over empty.
    pub fn push(&mut self, raw: u16) -> Option<[u8; BYTES]> {
        self.samples[self.len] = i16::try_from(raw).unwrap_or(i16::MAX);
        self.len += 1;
        if self.len < SAMPLES {
            return None;
        }
        self.len = 0;
        let mut bytes = [0u8; BYTES];
        for (out, sample) in bytes.chunks_exact_mut(2).zip(&self.samples) {
            out.copy_from_slice(&sample.to_le_bytes());
        }
        Some(bytes)
    }

    /// Samples waiting for the buffer to fill.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no sample waits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixty_fourth_sample_hands_over_the_buffer_as_little_endian_bytes() {
        let mut buffer = SampleBuffer::new();
        for raw in 0..SAMPLES as u16 - 1 {
            assert_eq!(buffer.push(0x0100 + raw), None);
        }
        assert_eq!(buffer.len(), SAMPLES - 1);
        let bytes = buffer.push(0xFFFF).expect("full");
        assert!(buffer.is_empty());
        assert_eq!(bytes[..4], [0x00, 0x01, 0x01, 0x01]);
        assert_eq!(bytes[BYTES - 2..], i16::MAX.to_le_bytes(), "saturated");
        assert_eq!(buffer.push(7), None, "starts over");
        assert_eq!(buffer.len(), 1);
    }
}
