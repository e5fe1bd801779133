//! The gateway: learns its neighbours from what the radio hears, fragments and transmits
//! messages, and counts what it did. No I/O of its own: a [`Radio`] is handed in per call.

use alloc::vec::Vec;

use crate::frame::{self, FragmentError, Heard, MAX_FRAME};
use crate::messages::{Nodes, Sent, Stats};
use crate::nodes::{NodeTable, Seen};

/// Frames one [`Gateway::listen`] takes at most (the simulated air queue's depth), so a
/// chatty medium cannot hold a transmission forever.
pub const MAX_DRAIN: usize = 64;

/// The radio the gateway speaks through.
pub trait Radio {
    /// Why the radio refused.
    type Error;

    /// Copy the next received frame into `frame`; its length, 0 when none waits. A frame
    /// longer than `frame` is cut to fit.
    fn receive(&mut self, frame: &mut [u8; MAX_FRAME]) -> Result<usize, Self::Error>;

    /// Broadcast one frame (at most [`MAX_FRAME`] bytes).
    fn transmit(&mut self, frame: &[u8]) -> Result<(), Self::Error>;

    /// The clock the gateway stamps what it hears with (µs).
    fn now_us(&mut self) -> Result<u64, Self::Error>;
}

/// What one [`Gateway::listen`] took.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Listened {
    /// Frames received.
    pub frames: usize,
    /// Nodes that were not in the table before.
    pub joined: usize,
}

/// Why a transmission failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransmitError<E> {
    /// The message cannot be fragmented (the caller's fault).
    Message(FragmentError),
    /// The radio refused, after `sent` frames of the message went out.
    Radio {
        /// Frames of the message already on the air.
        sent: u32,
        /// The radio's error.
        error: E,
    },
}

/// The mesh gateway's state.
#[derive(Clone, Debug, Default)]
pub struct Gateway {
    nodes: NodeTable,
    seq: u16,
    stats: Stats,
}

impl Gateway {
    /// A gateway that has heard nothing and sent nothing.
    pub const fn new() -> Self {
        Self {
            nodes: NodeTable::new(),
            seq: 0,
            stats: Stats {
                messages: 0,
                frames: 0,
                bytes: 0,
                received: 0,
                failed: 0,
            },
        }
    }

    /// Take up to [`MAX_DRAIN`] received frames from `radio`. Announcements update the node
    /// table, stamped with the radio's clock (read once, at the first announcement).
    pub fn listen<R: Radio>(&mut self, radio: &mut R) -> Result<Listened, R::Error> {
        let mut frame = [0u8; MAX_FRAME];
        let mut listened = Listened::default();
        let mut now_us = None;
        while listened.frames < MAX_DRAIN {
            let len = radio.receive(&mut frame)?;
            if len == 0 {
                break;
            }
            listened.frames += 1;
            self.stats.received += 1;
            if let Heard::Announce(id) = frame::parse(&frame[..len.min(MAX_FRAME)]) {
                let now = match now_us {
                    Some(now) => now,
                    None => *now_us.insert(radio.now_us()?),
                };
                if self.nodes.seen(id, now) != Seen::Again {
                    listened.joined += 1;
                }
            }
        }
        Ok(listened)
    }

    /// Fragment `message` and broadcast its frames through `radio`.
    pub fn transmit<R: Radio>(
        &mut self,
        radio: &mut R,
        message: &[u8],
    ) -> Result<Sent, TransmitError<R::Error>> {
        let fragments = frame::fragments(self.seq, message).map_err(TransmitError::Message)?;
        self.seq = self.seq.wrapping_add(1);
        let mut sent = Sent {
            frames: 0,
            bytes: 0,
        };
        for fragment in fragments {
            let bytes = fragment.as_bytes();
            if let Err(error) = radio.transmit(bytes) {
                self.stats.failed += 1;
                return Err(TransmitError::Radio {
                    sent: sent.frames,
                    error,
                });
            }
            sent.frames += 1;
            // A frame is at most 127 bytes.
            sent.bytes += bytes.len() as u32;
            self.stats.frames += 1;
            self.stats.bytes += bytes.len() as u64;
        }
        self.stats.messages += 1;
        Ok(sent)
    }

    /// The node table as the `svc://mesh/nodes` reply.
    pub fn nodes(&self) -> Nodes {
        Nodes {
            nodes: Vec::from(self.nodes.nodes()),
        }
    }

    /// The counters as the `svc://mesh/stats` reply.
    pub fn stats(&self) -> Stats {
        self.stats
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use alloc::collections::VecDeque;
    use alloc::vec;

    use super::*;
    use crate::frame::{HEADER_LEN, Header, MAX_CHUNK};
    use crate::messages::Node;

    /// A radio on the test's desk: frames to hear, frames sent, a failure to inject.
    #[derive(Default)]
    pub(crate) struct DeskRadio {
        pub(crate) air: VecDeque<Vec<u8>>,
        pub(crate) sent: Vec<Vec<u8>>,
        pub(crate) fail_after: Option<usize>,
        pub(crate) now_us: u64,
        pub(crate) clock_reads: usize,
    }

    impl Radio for DeskRadio {
        type Error = &'static str;

        fn receive(&mut self, frame: &mut [u8; MAX_FRAME]) -> Result<usize, Self::Error> {
            let Some(next) = self.air.pop_front() else {
                return Ok(0);
            };
            let len = next.len().min(MAX_FRAME);
            frame[..len].copy_from_slice(&next[..len]);
            Ok(len)
        }

        fn transmit(&mut self, frame: &[u8]) -> Result<(), Self::Error> {
            if self.fail_after == Some(self.sent.len()) {
                return Err("radio off");
            }
            self.sent.push(frame.to_vec());
            Ok(())
        }

        fn now_us(&mut self) -> Result<u64, Self::Error> {
            self.clock_reads += 1;
            Ok(self.now_us)
        }
    }

    #[test]
    fn announcements_fill_the_node_table_and_other_frames_are_only_counted() {
        let mut radio = DeskRadio::default();
        radio.air.extend([
            vec![0xA5, 1],
            vec![0x00, 0x01, 0x02],
            vec![0xA5, 2],
            vec![0xA5, 1],
        ]);
        let mut gateway = Gateway::new();
        radio.now_us = 1_000;
        assert_eq!(
            gateway.listen(&mut radio),
            Ok(Listened {
                frames: 4,
                joined: 2
            })
        );
        assert_eq!(radio.clock_reads, 1, "one clock reading per listen");
        radio.now_us = 2_000;
        assert_eq!(gateway.listen(&mut radio), Ok(Listened::default()));
        assert_eq!(radio.clock_reads, 1, "no announcement, no clock reading");
        radio.air.push_back(vec![0xA5, 2]);
        radio.now_us = 3_000;
        assert_eq!(
            gateway.listen(&mut radio),
            Ok(Listened {
                frames: 1,
                joined: 0
            })
        );
        assert_eq!(
            gateway.nodes().nodes,
            [
                Node {
                    id: 1,
                    last_seen_us: 1_000
                },
                Node {
                    id: 2,
                    last_seen_us: 3_000
                }
            ]
        );
        assert_eq!(gateway.stats().received, 5);
    }

    #[test]
    fn listening_takes_a_bounded_number_of_frames() {
        let mut radio = DeskRadio::default();
        radio
            .air
            .extend((0..MAX_DRAIN + 3).map(|i| vec![0xA5, i as u8]));
        let mut gateway = Gateway::new();
        assert_eq!(gateway.listen(&mut radio).map(|l| l.frames), Ok(MAX_DRAIN));
        assert_eq!(gateway.listen(&mut radio).map(|l| l.frames), Ok(3));
        assert_eq!(gateway.nodes().nodes.len(), crate::nodes::MAX_NODES);
    }

    #[test]
    fn messages_go_out_in_sequenced_fragments_and_are_counted() {
        let mut radio = DeskRadio::default();
        let mut gateway = Gateway::new();
        let message: Vec<u8> = (0..128u8).collect();
        assert_eq!(
            gateway.transmit(&mut radio, &message),
            Ok(Sent {
                frames: 2,
                bytes: 128 + 2 * HEADER_LEN as u32
            })
        );
        assert_eq!(
            radio.sent[0][..HEADER_LEN],
            Header {
                seq: 0,
                index: 0,
                count: 2
            }
            .encode()
        );
        assert_eq!(radio.sent[0][HEADER_LEN..], message[..MAX_CHUNK]);
        assert_eq!(radio.sent[1][HEADER_LEN..], message[MAX_CHUNK..]);
        gateway.transmit(&mut radio, &[1, 2, 3]).unwrap();
        assert_eq!(
            radio.sent[2],
            [0xD1, 1, 0, 0, 1, 1, 2, 3],
            "next sequence number"
        );
        assert_eq!(
            gateway.stats(),
            Stats {
                messages: 2,
                frames: 3,
                bytes: 128 + 3 + 3 * HEADER_LEN as u64,
                received: 0,
                failed: 0,
            }
        );
    }

    #[test]
    fn bad_messages_and_radio_failures_are_reported_not_panicked() {
        let mut radio = DeskRadio::default();
        let mut gateway = Gateway::new();
        assert_eq!(
            gateway.transmit(&mut radio, &[]),
            Err(TransmitError::Message(FragmentError::Empty))
        );
        radio.fail_after = Some(1);
        assert_eq!(
            gateway.transmit(&mut radio, &[0; 200]),
            Err(TransmitError::Radio {
                sent: 1,
                error: "radio off"
            })
        );
        let stats = gateway.stats();
        assert_eq!((stats.messages, stats.frames, stats.failed), (0, 1, 1));
    }
}
