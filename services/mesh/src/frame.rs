//! The mesh's frames on the air: node announcements in, data fragments out.
//!
//! A frame is at most [`MAX_FRAME`] bytes (an 802.15.4 PHY payload). A message longer than
//! one frame's payload is cut into fragments that each carry a [`HEADER_LEN`]-byte header:
//!
//! | offset | size | field |
//! | ---: | ---: | --- |
//! | 0 | 1 | kind: [`DATA`] |
//! | 1 | 2 | message sequence number (LE, wraps) |
//! | 3 | 1 | fragment index, `0..count` |
//! | 4 | 1 | fragment count, `1..=`[`MAX_FRAGMENTS`] |
//! | 5 | ≤ [`MAX_CHUNK`] | payload |
//!
//! A remote node announces itself with the two bytes `[`[`ANNOUNCE`]`, node]`.

/// Largest frame the radio carries, header included.
pub const MAX_FRAME: usize = 127;
/// Bytes of fragment header before the payload.
pub const HEADER_LEN: usize = 5;
/// Payload bytes one fragment carries at most.
pub const MAX_CHUNK: usize = MAX_FRAME - HEADER_LEN;
/// Most fragments one message may be cut into (the count is one byte).
pub const MAX_FRAGMENTS: usize = u8::MAX as usize;
/// Largest message the mesh sends.
pub const MAX_MESSAGE: usize = MAX_FRAGMENTS * MAX_CHUNK;

/// First byte of a node announcement.
pub const ANNOUNCE: u8 = 0xA5;
/// First byte of a data fragment.
pub const DATA: u8 = 0xD1;

/// A data fragment's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The message's sequence number.
    pub seq: u16,
    /// This fragment's index in the message.
    pub index: u8,
    /// How many fragments the message has.
    pub count: u8,
}

impl Header {
    /// The header's bytes.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let [lo, hi] = self.seq.to_le_bytes();
        [DATA, lo, hi, self.index, self.count]
    }
}

/// What a received frame is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heard<'a> {
    /// A node announcing itself.
    Announce(u8),
    /// A data fragment (from another gateway): its header and payload.
    Data(Header, &'a [u8]),
    /// Anything else: not this mesh's traffic, or malformed.
    Other,
}

/// Classify a received frame. Never fails: bytes off the air are untrusted, and what is not
/// a well-formed announcement or fragment is [`Heard::Other`].
pub fn parse(frame: &[u8]) -> Heard<'_> {
    match frame {
        [ANNOUNCE, node] => Heard::Announce(*node),
        [DATA, lo, hi, index, count, payload @ ..]
            if index < count && payload.len() <= MAX_CHUNK =>
        {
            let seq = u16::from_le_bytes([*lo, *hi]);
            Heard::Data(
                Header {
                    seq,
                    index: *index,
                    count: *count,
                },
                payload,
            )
        }
        _ => Heard::Other,
    }
}

/// One fragment ready for the radio.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameBuf {
    bytes: [u8; MAX_FRAME],
    len: usize,
}

impl FrameBuf {
    /// The frame's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Why a message cannot be fragmented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FragmentError {
    /// Nothing to send.
    Empty,
    /// More than [`MAX_MESSAGE`] bytes.
    TooLarge,
}

/// The fragments of `message` as sequence number `seq`, in order.
pub fn fragments(seq: u16, message: &[u8]) -> Result<Fragments<'_>, FragmentError> {
    if message.is_empty() {
        return Err(FragmentError::Empty);
    }
    let count = message.len().div_ceil(MAX_CHUNK);
    let count = u8::try_from(count).map_err(|_| FragmentError::TooLarge)?;
    Ok(Fragments {
        seq,
        count,
        index: 0,
        chunks: message.chunks(MAX_CHUNK),
    })
}

/// Iterator over a message's frames (see [`fragments`]).
#[derive(Clone, Debug)]
pub struct Fragments<'a> {
    seq: u16,
    count: u8,
    index: u8,
    chunks: core::slice::Chunks<'a, u8>,
}

impl Fragments<'_> {
    /// How many frames the message takes.
    pub fn frames(&self) -> u8 {
        self.count
    }
}

impl Iterator for Fragments<'_> {
    type Item = FrameBuf;

    fn next(&mut self) -> Option<FrameBuf> {
        let chunk = self.chunks.next()?;
        let header = Header {
            seq: self.seq,
            index: self.index,
            count: self.count,
        };
        self.index = self.index.wrapping_add(1);
        let mut frame = FrameBuf {
            bytes: [0; MAX_FRAME],
            len: HEADER_LEN + chunk.len(),
        };
        frame.bytes[..HEADER_LEN].copy_from_slice(&header.encode());
        frame.bytes[HEADER_LEN..frame.len].copy_from_slice(chunk);
        Some(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_cut_into_headed_fragments_that_parse_back() {
        let message: alloc::vec::Vec<u8> = (0..=255u8).cycle().take(2 * MAX_CHUNK + 7).collect();
        let frames: alloc::vec::Vec<FrameBuf> = fragments(0x1234, &message).unwrap().collect();
        assert_eq!(frames.len(), 3);
        let mut joined = alloc::vec::Vec::new();
        for (i, frame) in frames.iter().enumerate() {
            assert!(frame.as_bytes().len() <= MAX_FRAME);
            let Heard::Data(header, payload) = parse(frame.as_bytes()) else {
                panic!("fragment {i} does not parse");
            };
            assert_eq!(
                header,
                Header {
                    seq: 0x1234,
                    index: i as u8,
                    count: 3
                }
            );
            joined.extend_from_slice(payload);
        }
        assert_eq!(frames[0].as_bytes()[..HEADER_LEN], [DATA, 0x34, 0x12, 0, 3]);
        assert_eq!(frames[2].as_bytes().len(), HEADER_LEN + 7);
        assert_eq!(joined, message);
    }

    #[test]
    fn sizes_at_the_edges() {
        assert_eq!(fragments(0, &[]).err(), Some(FragmentError::Empty));
        assert_eq!(fragments(0, &[7]).unwrap().frames(), 1);
        assert_eq!(fragments(0, &[0; MAX_CHUNK]).unwrap().frames(), 1);
        assert_eq!(fragments(0, &[0; MAX_CHUNK + 1]).unwrap().frames(), 2);
        let max = alloc::vec![0u8; MAX_MESSAGE];
        assert_eq!(fragments(0, &max).unwrap().frames(), u8::MAX);
        let over = alloc::vec![0u8; MAX_MESSAGE + 1];
        assert_eq!(fragments(0, &over).err(), Some(FragmentError::TooLarge));
    }

    #[test]
    fn only_well_formed_frames_are_recognised() {
        assert_eq!(parse(&[ANNOUNCE, 2]), Heard::Announce(2));
        assert_eq!(parse(&[ANNOUNCE]), Heard::Other);
        assert_eq!(parse(&[ANNOUNCE, 2, 0]), Heard::Other);
        assert_eq!(parse(&[]), Heard::Other);
        assert_eq!(parse(&[DATA, 0, 0, 1, 1]), Heard::Other, "index past count");
        assert_eq!(parse(&[DATA, 0, 0, 0]), Heard::Other, "short header");
        assert_eq!(
            parse(&[DATA, 1, 0, 0, 1, 9]),
            Heard::Data(
                Header {
                    seq: 1,
                    index: 0,
                    count: 1
                },
                &[9]
            )
        );
        let mut long = [0u8; MAX_FRAME + 1];
        long[..HEADER_LEN].copy_from_slice(&[DATA, 0, 0, 0, 1]);
        assert_eq!(parse(&long), Heard::Other, "longer than a frame");
        assert!(matches!(parse(&long[..MAX_FRAME]), Heard::Data(..)));
    }
}
