//! SMP's serial ("console") framing: how a packet travels as text lines over a UART or a
//! shell, as Zephyr's mcumgr serial transport and smpclient's `SMPSerialTransport` do it.
//!
//! ```text
//! frame  = len (u16 BE: packet + CRC) | packet | CRC16-XMODEM of the packet (u16 BE)
//! lines  = base64(frame) (standard alphabet, padded), cut into lines:
//!          0x06 0x09 <base64> '\n'    the first line
//!          0x04 0x14 <base64> '\n'    each continuation line
//! ```
//!
//! [`encode`] writes lines of at most [`MAX_LINE`] bytes (MCUmgr's default 127), each
//! holding a whole number of base64 quads, as smp's `packet.encode` (line length 128) does:
//! a receiver may decode every line on its own, as Zephyr and smp's `packet.decode` do.
//!
//! [`FrameDecoder`] takes bytes one at a time. Bytes outside a frame (console text, log
//! lines between continuation lines) are skipped; a damaged frame is refused with a
//! [`FrameError`] and the decoder looks for the next frame start. Its buffer is bounded by
//! the largest packet it was built for.

use alloc::vec::Vec;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use core::fmt;

/// The longest line [`encode`] writes, delimiter and newline included (MCUmgr's default
/// serial MTU).
pub const MAX_LINE: usize = 127;

/// Base64 characters per line: the most whole quads that fit beside the 2-byte delimiter
/// and the newline.
const LINE_CHARS: usize = (MAX_LINE - 3) / 4 * 4;
/// Frame bytes per line (3 per quad).
const LINE_BYTES: usize = LINE_CHARS / 4 * 3;

const START: [u8; 2] = [0x06, 0x09];
const CONTINUE: [u8; 2] = [0x04, 0x14];

/// The CRC the serial transport uses: CRC16-XMODEM (CCITT polynomial 0x1021, initial 0).
const CRC: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_XMODEM);

/// The frame's CRC over `packet`.
pub fn crc16(packet: &[u8]) -> u16 {
    CRC.checksum(packet)
}

/// Why bytes were refused as a frame (or a packet could not be framed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// A byte inside a line that is not base64 (nor `\r` or `\n`).
    NotBase64 {
        /// The byte.
        byte: u8,
    },
    /// Four characters that are not a base64 quad (padding in the wrong place, say).
    BadQuad,
    /// A line that does not hold a whole number of base64 quads.
    PartialQuad,
    /// The frame's length field is below 2 (it counts the CRC).
    LengthTooShort {
        /// The length field.
        len: u16,
    },
    /// The frame announces a packet larger than this decoder accepts.
    TooLong {
        /// The packet length announced.
        len: usize,
        /// The largest packet accepted.
        max: usize,
    },
    /// A line carries more bytes than the length field announced.
    Overrun,
    /// A new frame started before this one was complete.
    Interrupted,
    /// The CRC does not match the packet.
    Crc {
        /// CRC carried by the frame.
        carried: u16,
        /// CRC of the packet received.
        computed: u16,
    },
    /// [`encode`]: a packet too long for the 16-bit length field.
    PacketTooLong {
        /// The packet's length.
        len: usize,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::NotBase64 { byte } => write!(f, "byte {byte:#04x} in a frame line"),
            FrameError::BadQuad => f.write_str("malformed base64 quad"),
            FrameError::PartialQuad => f.write_str("line ends inside a base64 quad"),
            FrameError::LengthTooShort { len } => write!(f, "frame length {len} below 2"),
            FrameError::TooLong { len, max } => {
                write!(
                    f,
                    "frame announces a {len}-byte packet, at most {max} accepted"
                )
            }
            FrameError::Overrun => f.write_str("frame carries more bytes than announced"),
            FrameError::Interrupted => f.write_str("a new frame started inside a frame"),
            FrameError::Crc { carried, computed } => {
                write!(f, "CRC {carried:#06x} carried, {computed:#06x} computed")
            }
            FrameError::PacketTooLong { len } => write!(f, "{len}-byte packet too long to frame"),
        }
    }
}

impl core::error::Error for FrameError {}

/// Appends `packet`'s frame, as lines, to `out`.
///
/// Refuses a packet longer than 65,533 bytes (the length field counts it and its CRC).
pub fn encode(packet: &[u8], out: &mut Vec<u8>) -> Result<(), FrameError> {
    let Some(len) = packet
        .len()
        .checked_add(2)
        .and_then(|n| u16::try_from(n).ok())
    else {
        return Err(FrameError::PacketTooLong { len: packet.len() });
    };
    let prefix = len.to_be_bytes();
    let suffix = crc16(packet).to_be_bytes();
    let mut frame = prefix.iter().chain(packet).chain(suffix.iter()).copied();
    let total = packet.len() + 4;
    let lines = total.div_ceil(LINE_BYTES);
    out.reserve(total.div_ceil(3) * 4 + lines * 3);
    let mut chunk = [0u8; LINE_BYTES];
    let mut chars = [0u8; LINE_CHARS];
    for line in 0..lines {
        let mut n = 0;
        for (slot, byte) in chunk.iter_mut().zip(frame.by_ref()) {
            *slot = byte;
            n += 1;
        }
        // `chars` holds the base64 of a full chunk, so this cannot fail; an empty line
        // (which it never is) would be the only fallback.
        let written = STANDARD.encode_slice(&chunk[..n], &mut chars).unwrap_or(0);
        out.extend_from_slice(if line == 0 { &START } else { &CONTINUE });
        out.extend_from_slice(&chars[..written]);
        out.push(b'\n');
    }
    Ok(())
}

/// Where the decoder is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Outside a frame, skipping bytes until `0x06`.
    Idle,
    /// Saw `0x06` outside a frame.
    Start,
    /// Inside a line of a frame.
    Line,
    /// Between two lines of an unfinished frame: skipping bytes until `0x04` (or a new
    /// frame's `0x06`).
    Between,
    /// Saw `0x04` between two lines.
    Continue,
    /// Saw `0x06` between two lines.
    Restart,
}

/// Reassembles packets from serial bytes, one byte at a time.
///
/// ```
/// use fireball_smp::frame::{FrameDecoder, encode};
///
/// let mut wire = b"console text\n".to_vec();
/// encode(b"\x0a\x00\x00\x00\x00\x00\x01\x00", &mut wire).unwrap();
/// let mut decoder = FrameDecoder::new(256);
/// let mut packets = Vec::new();
/// for &byte in &wire {
///     if let Ok(Some(packet)) = decoder.push(byte) {
///         packets.push(packet.to_vec());
///     }
/// }
/// assert_eq!(packets, [b"\x0a\x00\x00\x00\x00\x00\x01\x00"]);
/// ```
#[derive(Clone, Debug)]
pub struct FrameDecoder {
    state: State,
    /// Decoded frame bytes so far: length, packet, CRC.
    buf: Vec<u8>,
    max_packet: usize,
    quad: [u8; 4],
    quad_len: u8,
}

impl FrameDecoder {
    /// A decoder for packets of at most `max_packet` bytes (header and body; the frame's
    /// length and CRC come on top). Its buffer is allocated here, once.
    pub fn new(max_packet: usize) -> FrameDecoder {
        let max_packet = max_packet.min(usize::from(u16::MAX) - 2);
        FrameDecoder {
            state: State::Idle,
            buf: Vec::with_capacity(max_packet + 4),
            max_packet,
            quad: [0; 4],
            quad_len: 0,
        }
    }

    /// The largest packet this decoder accepts.
    pub fn max_packet(&self) -> usize {
        self.max_packet
    }

    /// Takes the next byte from the wire: `Ok(Some(packet))` when it completes a frame
    /// (the packet is valid until the next call), `Ok(None)` while a frame is incomplete or
    /// between frames, `Err` once for a damaged frame, after which the decoder skips to
    /// the next frame start.
    pub fn push(&mut self, byte: u8) -> Result<Option<&[u8]>, FrameError> {
        match self.state {
            State::Idle => {
                if byte == START[0] {
                    self.state = State::Start;
                }
                Ok(None)
            }
            State::Start | State::Restart => {
                let interrupted = self.state == State::Restart;
                if byte == START[1] {
                    self.begin();
                } else if byte != START[0] {
                    self.state = if interrupted {
                        State::Between
                    } else {
                        State::Idle
                    };
                }
                // A frame cut off by a new start is refused once the start is certain.
                if interrupted && self.state == State::Line {
                    return Err(FrameError::Interrupted);
                }
                Ok(None)
            }
            State::Between => {
                if byte == CONTINUE[0] {
                    self.state = State::Continue;
                } else if byte == START[0] {
                    self.state = State::Restart;
                }
                Ok(None)
            }
            State::Continue => {
                if byte == CONTINUE[1] {
                    self.state = State::Line;
                } else if byte == START[0] {
                    self.state = State::Restart;
                } else if byte != CONTINUE[0] {
                    self.state = State::Between;
                }
                Ok(None)
            }
            State::Line => match byte {
                b'\n' => self.end_line(),
                b'\r' => Ok(None),
                _ => match self.quad_char(byte) {
                    Ok(()) => Ok(None),
                    Err(e) => {
                        self.state = if byte == START[0] {
                            State::Start
                        } else {
                            State::Idle
                        };
                        Err(e)
                    }
                },
            },
        }
    }

    /// Forgets any frame in progress.
    pub fn reset(&mut self) {
        self.state = State::Idle;
        self.buf.clear();
        self.quad_len = 0;
    }

    fn begin(&mut self) {
        self.state = State::Line;
        self.buf.clear();
        self.quad_len = 0;
    }

    /// One base64 character of a line.
    fn quad_char(&mut self, byte: u8) -> Result<(), FrameError> {
        if !(byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'/' | b'=')) {
            return Err(FrameError::NotBase64 { byte });
        }
        let Some(slot) = self.quad.get_mut(usize::from(self.quad_len)) else {
            return Err(FrameError::BadQuad);
        };
        *slot = byte;
        self.quad_len += 1;
        if self.quad_len < 4 {
            return Ok(());
        }
        self.quad_len = 0;
        let mut bytes = [0u8; 3];
        let n = STANDARD
            .decode_slice(self.quad, &mut bytes)
            .map_err(|_| FrameError::BadQuad)?;
        for &b in bytes.get(..n).unwrap_or_default() {
            self.take(b)?;
        }
        Ok(())
    }

    /// One decoded frame byte.
    fn take(&mut self, byte: u8) -> Result<(), FrameError> {
        if let Some(total) = self.total()
            && self.buf.len() >= total
        {
            return Err(FrameError::Overrun);
        }
        self.buf.push(byte);
        if self.buf.len() == 2 {
            let len = u16::from_be_bytes([self.buf[0], byte]);
            if len < 2 {
                return Err(FrameError::LengthTooShort { len });
            }
            let packet = usize::from(len) - 2;
            if packet > self.max_packet {
                return Err(FrameError::TooLong {
                    len: packet,
                    max: self.max_packet,
                });
            }
        }
        Ok(())
    }

    /// Frame bytes expected in all (length field included), once the length is known.
    fn total(&self) -> Option<usize> {
        match self.buf.as_slice() {
            [hi, lo, ..] => Some(usize::from(u16::from_be_bytes([*hi, *lo])) + 2),
            _ => None,
        }
    }

    fn end_line(&mut self) -> Result<Option<&[u8]>, FrameError> {
        if self.quad_len != 0 {
            self.state = State::Idle;
            return Err(FrameError::PartialQuad);
        }
        if self.total() != Some(self.buf.len()) {
            self.state = State::Between;
            return Ok(None);
        }
        self.state = State::Idle;
        let Some((packet, crc)) = self.buf.get(2..).and_then(|b| b.split_last_chunk::<2>()) else {
            return Err(FrameError::LengthTooShort { len: 0 });
        };
        let carried = u16::from_be_bytes(*crc);
        let computed = crc16(packet);
        if carried != computed {
            return Err(FrameError::Crc { carried, computed });
        }
        Ok(Some(packet))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn decode_all(decoder: &mut FrameDecoder, wire: &[u8]) -> Vec<Result<Vec<u8>, FrameError>> {
        let mut out = Vec::new();
        for &b in wire {
            match decoder.push(b) {
                Ok(Some(p)) => out.push(Ok(p.to_vec())),
                Ok(None) => {}
                Err(e) => out.push(Err(e)),
            }
        }
        out
    }

    #[test]
    fn smp_python_docstring_example() {
        // smp's `packet.encode(b"Hello, world!")` (its docstring).
        let mut wire = Vec::new();
        encode(b"Hello, world!", &mut wire).unwrap();
        assert_eq!(wire, b"\x06\tAA9IZWxsbywgd29ybGQhet4=\n");
    }

    #[test]
    fn long_packets_use_full_lines() {
        let packet: Vec<u8> = (0..=255).collect();
        let mut wire = Vec::new();
        encode(&packet, &mut wire).unwrap();
        let lines: Vec<&[u8]> = wire.split_inclusive(|&b| b == b'\n').collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].len(), MAX_LINE);
        assert!(lines.iter().all(|l| l.len() <= MAX_LINE));
        assert!(lines[1..].iter().all(|l| l.starts_with(&CONTINUE)));
        let mut d = FrameDecoder::new(256);
        assert_eq!(decode_all(&mut d, &wire), vec![Ok(packet)]);
    }

    #[test]
    fn console_text_and_crlf_are_tolerated() {
        let mut wire = b"uart:~$ \x06 hello\r\n".to_vec();
        let packet = vec![7u8; 200];
        let mut framed = Vec::new();
        encode(&packet, &mut framed).unwrap();
        let cut = framed.iter().position(|&b| b == b'\n').unwrap() + 1;
        wire.extend_from_slice(&framed[..cut - 1]);
        wire.extend_from_slice(b"\r\n[00:01] log line\n");
        wire.extend_from_slice(&framed[cut..]);
        let mut d = FrameDecoder::new(256);
        assert_eq!(decode_all(&mut d, &wire), vec![Ok(packet)]);
    }

    #[test]
    fn damage_is_typed_and_the_next_frame_decodes() {
        let mut good = Vec::new();
        encode(b"packet", &mut good).unwrap();
        let mut wire = good.clone();
        wire[5] ^= 1; // a base64 character changes: the CRC catches it
        wire.extend_from_slice(&good);
        let mut d = FrameDecoder::new(64);
        let got = decode_all(&mut d, &wire);
        assert!(matches!(got[0], Err(FrameError::Crc { .. })), "{got:?}");
        assert_eq!(got[1], Ok(b"packet".to_vec()));
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn oversized_and_interrupted_frames_are_refused() {
        let mut wire = Vec::new();
        encode(&[1; 100], &mut wire).unwrap();
        let mut d = FrameDecoder::new(99);
        assert_eq!(
            decode_all(&mut d, &wire),
            vec![Err(FrameError::TooLong { len: 100, max: 99 })]
        );

        let mut first = Vec::new();
        encode(&[2; 200], &mut first).unwrap();
        let cut = first.iter().position(|&b| b == b'\n').unwrap() + 1;
        let mut wire = first[..cut].to_vec();
        encode(b"next", &mut wire).unwrap();
        let mut d = FrameDecoder::new(256);
        assert_eq!(
            decode_all(&mut d, &wire),
            vec![Err(FrameError::Interrupted), Ok(b"next".to_vec())]
        );
    }

    #[test]
    fn too_long_to_encode() {
        let mut out = Vec::new();
        assert_eq!(
            encode(&vec![0; 65_534], &mut out),
            Err(FrameError::PacketTooLong { len: 65_534 })
        );
        assert!(encode(&vec![0; 65_533], &mut out).is_ok());
    }

    #[test]
    fn error_stays_small() {
        assert!(core::mem::size_of::<FrameError>() <= 24);
    }
}
