//! A simulated broadcast radio medium for mesh / BLE-style gateway tests.

use alloc::{collections::VecDeque, rc::Rc, vec::Vec};
use core::cell::RefCell;

use crate::hal::{HalError, Radio};

/// Largest frame on the simulated air (an 802.15.4 PHY payload).
pub const MAX_FRAME: usize = 127;

#[derive(Debug, Default)]
struct Air {
    /// Per node: frames waiting to be received.
    inboxes: Vec<VecDeque<Vec<u8>>>,
    /// Frames lost because a receiver's inbox was full.
    dropped: u64,
}

/// The shared air. Every [`SimRadio`] joined to it hears every other's
/// transmissions, in transmission order; nothing is lost except when a
/// receiver's inbox is full, and that is counted.
#[derive(Clone, Debug, Default)]
pub struct RadioMedium {
    air: Rc<RefCell<Air>>,
    inbox_frames: usize,
}

impl RadioMedium {
    /// A medium whose nodes each buffer up to `inbox_frames` received frames.
    pub fn new(inbox_frames: usize) -> Self {
        Self {
            air: Rc::default(),
            inbox_frames,
        }
    }

    /// Add a node to the medium.
    pub fn join(&self) -> SimRadio {
        let mut air = self.air.borrow_mut();
        air.inboxes.push(VecDeque::new());
        SimRadio {
            medium: self.clone(),
            node: air.inboxes.len() - 1,
        }
    }

    /// Frames lost to full inboxes so far.
    pub fn dropped(&self) -> u64 {
        self.air.borrow().dropped
    }
}

/// One node's radio on a [`RadioMedium`].
#[derive(Debug)]
pub struct SimRadio {
    medium: RadioMedium,
    node: usize,
}

impl SimRadio {
    /// This node's number on the medium (join order).
    pub fn node(&self) -> usize {
        self.node
    }
}

impl Radio for SimRadio {
    fn max_frame(&self) -> usize {
        MAX_FRAME
    }

    fn transmit(&mut self, frame: &[u8]) -> Result<(), HalError> {
        if frame.is_empty() || frame.len() > MAX_FRAME {
            return Err(HalError::InvalidArgument);
        }
        let limit = self.medium.inbox_frames;
        let mut air = self.medium.air.borrow_mut();
        let mut dropped = 0;
        for (node, inbox) in air.inboxes.iter_mut().enumerate() {
            if node == self.node {
                continue;
            }
            if inbox.len() < limit {
                inbox.push_back(frame.to_vec());
            } else {
                dropped += 1;
            }
        }
        air.dropped += dropped;
        Ok(())
    }

    fn receive(&mut self, buffer: &mut [u8]) -> Result<Option<usize>, HalError> {
        let mut air = self.medium.air.borrow_mut();
        let inbox = &mut air.inboxes[self.node];
        match inbox.front() {
            None => Ok(None),
            Some(frame) if frame.len() > buffer.len() => Err(HalError::InvalidArgument),
            Some(_) => {
                let frame = inbox.pop_front().unwrap_or_default();
                buffer[..frame.len()].copy_from_slice(&frame);
                Ok(Some(frame.len()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_other_node_hears_a_frame_once_in_order() {
        let air = RadioMedium::new(4);
        let (mut a, mut b, mut c) = (air.join(), air.join(), air.join());
        a.transmit(b"one").unwrap();
        b.transmit(b"two").unwrap();
        let mut buf = [0; MAX_FRAME];
        assert_eq!(a.receive(&mut buf), Ok(Some(3)));
        assert_eq!(&buf[..3], b"two");
        assert_eq!(a.receive(&mut buf), Ok(None), "a does not hear itself");
        assert_eq!(c.receive(&mut buf), Ok(Some(3)));
        assert_eq!(&buf[..3], b"one");
        assert_eq!(c.receive(&mut buf), Ok(Some(3)));
        assert_eq!(&buf[..3], b"two");
        assert_eq!(b.receive(&mut buf), Ok(Some(3)));
        assert_eq!(b.receive(&mut buf), Ok(None));
    }

    #[test]
    fn full_inboxes_count_drops_and_bad_frames_are_refused() {
        let air = RadioMedium::new(1);
        let (mut a, _b) = (air.join(), air.join());
        a.transmit(b"x").unwrap();
        a.transmit(b"y").unwrap();
        assert_eq!(air.dropped(), 1);
        assert_eq!(a.transmit(&[]), Err(HalError::InvalidArgument));
        assert_eq!(
            a.transmit(&[0; MAX_FRAME + 1]),
            Err(HalError::InvalidArgument)
        );
    }
}
