//! Packet framing in front of gdbstub: bounded, checksummed, never fatal.
//!
//! gdbstub treats a stray byte, a NAK, an overflowing or badly summed packet as fatal to
//! the session, so the stub only ever hands it whole packets that passed this gate.

use alloc::vec::Vec;

use super::PACKET_SIZE;

/// What one byte completed.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Framed<'a> {
    /// A whole `$…#cs` packet with a correct checksum (framing included).
    Packet(&'a [u8]),
    /// Ctrl-C (0x03) outside a packet.
    Interrupt,
    /// A packet longer than [`PACKET_SIZE`] (framing included): dropped.
    Oversized,
    /// A packet whose checksum does not match its body, or is not hex: dropped.
    BadChecksum,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Between,
    Body,
    Sum1,
    Sum2,
}

/// Reassembles packets from a byte stream, one byte at a time.
pub(super) struct Gate {
    buf: Vec<u8>,
    state: State,
    oversized: bool,
}

impl Gate {
    pub(super) fn new() -> Self {
        Gate {
            buf: Vec::with_capacity(PACKET_SIZE),
            state: State::Between,
            oversized: false,
        }
    }

    /// Forget a partial packet (the connection was lost).
    pub(super) fn reset(&mut self) {
        self.buf.clear();
        self.state = State::Between;
        self.oversized = false;
    }

    /// Take one byte; `Some` when it completes something. Acks (`+`), NAKs (`-`, we never
    /// retransmit) and noise between packets are dropped.
    pub(super) fn push(&mut self, byte: u8) -> Option<Framed<'_>> {
        match self.state {
            State::Between => {
                match byte {
                    b'$' => {
                        self.reset();
                        self.buf.push(byte);
                        self.state = State::Body;
                    }
                    0x03 => return Some(Framed::Interrupt),
                    _ => {}
                }
                return None;
            }
            State::Body if byte == b'#' => self.state = State::Sum1,
            State::Body => {}
            State::Sum1 => self.state = State::Sum2,
            State::Sum2 => self.state = State::Between,
        }
        if self.buf.len() < PACKET_SIZE {
            self.buf.push(byte);
        } else {
            self.oversized = true;
        }
        if self.state != State::Between {
            return None;
        }
        if self.oversized {
            return Some(Framed::Oversized);
        }
        let n = self.buf.len();
        let body = &self.buf[1..n - 3];
        match (hex_digit(self.buf[n - 2]), hex_digit(self.buf[n - 1])) {
            (Some(hi), Some(lo)) if hi << 4 | lo == checksum(body) => {
                Some(Framed::Packet(&self.buf))
            }
            _ => Some(Framed::BadChecksum),
        }
    }
}

/// The modulo-256 sum of a packet body.
pub(super) fn checksum(body: &[u8]) -> u8 {
    body.iter().fold(0u8, |sum, b| sum.wrapping_add(*b))
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Append `$body#cs` to `out`.
pub(super) fn write_packet(out: &mut Vec<u8>, body: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let sum = checksum(body);
    out.push(b'$');
    out.extend_from_slice(body);
    out.push(b'#');
    out.push(HEX[usize::from(sum >> 4)]);
    out.push(HEX[usize::from(sum & 0xf)]);
}
