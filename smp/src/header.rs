//! The 8-byte SMP header every request and response starts with.
//!
//! ```text
//! byte 0    bits 0-2 op, bits 3-4 SMP version (0 = v1, 1 = v2), bits 5-7 reserved
//! byte 1    flags
//! byte 2-3  body length, big-endian (the CBOR after the header)
//! byte 4-5  group, big-endian
//! byte 6    sequence number (a response repeats the request's)
//! byte 7    command id within the group
//! ```

use core::fmt;

/// The header's size in bytes.
pub const HEADER_LEN: usize = 8;

/// What a packet is: a request (read, write) or the response to one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// 0: read request.
    Read,
    /// 1: response to a read.
    ReadRsp,
    /// 2: write request.
    Write,
    /// 3: response to a write.
    WriteRsp,
}

impl Op {
    /// The op's three bits.
    pub const fn bits(self) -> u8 {
        match self {
            Op::Read => 0,
            Op::ReadRsp => 1,
            Op::Write => 2,
            Op::WriteRsp => 3,
        }
    }

    /// The response op for a request op (request op + 1); `None` for a response op.
    pub const fn response(self) -> Option<Op> {
        match self {
            Op::Read => Some(Op::ReadRsp),
            Op::Write => Some(Op::WriteRsp),
            Op::ReadRsp | Op::WriteRsp => None,
        }
    }
}

/// An SMP header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Header {
    /// Request or response, read or write.
    pub op: Op,
    /// The SMP version bits (0 = SMP v1, 1 = SMP v2; 2 and 3 are not defined yet).
    pub version: u8,
    /// Flags (none defined; kept as received).
    pub flags: u8,
    /// Length of the CBOR body that follows.
    pub len: u16,
    /// Management group (0 OS, 1 image, 64 and up user groups).
    pub group: u16,
    /// Sequence number, echoed in the response.
    pub seq: u8,
    /// Command id within the group.
    pub id: u8,
}

/// Why bytes are not an SMP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// Fewer than [`HEADER_LEN`] bytes.
    Short {
        /// How many bytes there were.
        got: usize,
    },
    /// Op bits 4 to 7: not an op SMP defines.
    Op {
        /// The three op bits.
        bits: u8,
    },
    /// The header announces more body than the packet holds.
    Truncated {
        /// Body length in the header.
        claimed: u16,
        /// Body bytes present.
        got: usize,
    },
    /// The packet holds more bytes than the header announces.
    Trailing {
        /// Body length in the header.
        claimed: u16,
        /// Body bytes present.
        got: usize,
    },
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::Short { got } => write!(f, "{got} bytes is shorter than an SMP header"),
            HeaderError::Op { bits } => write!(f, "op {bits} is not an SMP op"),
            HeaderError::Truncated { claimed, got } => {
                write!(f, "header announces {claimed} body bytes, packet has {got}")
            }
            HeaderError::Trailing { claimed, got } => {
                write!(f, "header announces {claimed} body bytes, packet has {got}")
            }
        }
    }
}

impl core::error::Error for HeaderError {}

impl Header {
    /// Reads the first [`HEADER_LEN`] bytes of `bytes` (the body length is not checked
    /// against the rest: see [`Header::split`]).
    pub fn parse(bytes: &[u8]) -> Result<Header, HeaderError> {
        let Some(b) = bytes.first_chunk::<HEADER_LEN>() else {
            return Err(HeaderError::Short { got: bytes.len() });
        };
        let op = match b[0] & 0b111 {
            0 => Op::Read,
            1 => Op::ReadRsp,
            2 => Op::Write,
            3 => Op::WriteRsp,
            bits => return Err(HeaderError::Op { bits }),
        };
        Ok(Header {
            op,
            version: (b[0] >> 3) & 0b11,
            flags: b[1],
            len: u16::from_be_bytes([b[2], b[3]]),
            group: u16::from_be_bytes([b[4], b[5]]),
            seq: b[6],
            id: b[7],
        })
    }

    /// A whole packet: its header and a body exactly as long as the header says.
    pub fn split(packet: &[u8]) -> Result<(Header, &[u8]), HeaderError> {
        let header = Header::parse(packet)?;
        let body = packet.get(HEADER_LEN..).unwrap_or_default();
        let claimed = usize::from(header.len);
        match body.len() {
            got if got < claimed => Err(HeaderError::Truncated {
                claimed: header.len,
                got,
            }),
            got if got > claimed => Err(HeaderError::Trailing {
                claimed: header.len,
                got,
            }),
            _ => Ok((header, body)),
        }
    }

    /// The header's bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let [len_hi, len_lo] = self.len.to_be_bytes();
        let [group_hi, group_lo] = self.group.to_be_bytes();
        [
            self.op.bits() | ((self.version & 0b11) << 3),
            self.flags,
            len_hi,
            len_lo,
            group_hi,
            group_lo,
            self.seq,
            self.id,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smpclient_echo_header_parses() {
        // smp's `EchoWriteRequest(d="hi", sequence=7).BYTES`: v2 write, group 0, id 0.
        let bytes = [
            0x0a, 0, 0, 6, 0, 0, 7, 0, 0xa1, 0x61, b'd', 0x62, b'h', b'i',
        ];
        let h = Header::parse(&bytes).unwrap();
        assert_eq!(
            h,
            Header {
                op: Op::Write,
                version: 1,
                flags: 0,
                len: 6,
                group: 0,
                seq: 7,
                id: 0
            }
        );
        assert_eq!(h.to_bytes(), bytes[..8]);
        assert_eq!(Header::split(&bytes), Ok((h, &bytes[8..])));
        assert_eq!(
            Header::split(&bytes[..13]),
            Err(HeaderError::Truncated { claimed: 6, got: 5 })
        );
    }

    #[test]
    fn refusals_are_typed() {
        assert_eq!(Header::parse(&[0; 7]), Err(HeaderError::Short { got: 7 }));
        assert_eq!(
            Header::parse(&[4, 0, 0, 0, 0, 0, 0, 0]),
            Err(HeaderError::Op { bits: 4 })
        );
        assert_eq!(
            Header::split(&[0, 0, 0, 0, 0, 0, 0, 0, 0xa0]),
            Err(HeaderError::Trailing { claimed: 0, got: 1 })
        );
    }

    #[test]
    fn every_header_round_trips() {
        for byte0 in 0..=255u8 {
            let mut bytes = [byte0, 1, 2, 3, 4, 5, 6, 7];
            match Header::parse(&bytes) {
                Ok(h) => {
                    bytes[0] &= 0b1_1111; // reserved bits are not kept
                    assert_eq!(h.to_bytes(), bytes);
                }
                Err(e) => assert_eq!(e, HeaderError::Op { bits: byte0 & 7 }),
            }
        }
    }
}
