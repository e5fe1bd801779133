//! A simulated serial port.

use alloc::{collections::VecDeque, rc::Rc, vec::Vec};
use core::cell::RefCell;

use crate::hal::{HalError, Uart};

#[derive(Debug, Default)]
struct Wires {
    transmitted: Vec<u8>,
    receive: VecDeque<u8>,
}

/// A serial port whose far end is the test: clones share the same wires, so
/// a test keeps one handle to [`inject`](SimUart::inject) received bytes and
/// read back what was [`transmitted`](SimUart::transmitted).
#[derive(Clone, Debug, Default)]
pub struct SimUart {
    wires: Rc<RefCell<Wires>>,
}

impl SimUart {
    /// A port with nothing sent or received.
    pub fn new() -> Self {
        Self::default()
    }

    /// Make `bytes` arrive at the port's receiver.
    pub fn inject(&self, bytes: &[u8]) {
        self.wires.borrow_mut().receive.extend(bytes);
    }

    /// Everything transmitted so far.
    pub fn transmitted(&self) -> Vec<u8> {
        self.wires.borrow().transmitted.clone()
    }

    /// Bytes waiting to be read.
    pub fn pending(&self) -> usize {
        self.wires.borrow().receive.len()
    }
}

impl Uart for SimUart {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, HalError> {
        self.wires.borrow_mut().transmitted.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn read(&mut self, buffer: &mut [u8]) -> Result<usize, HalError> {
        let mut wires = self.wires.borrow_mut();
        if wires.receive.is_empty() {
            return Err(HalError::WouldBlock);
        }
        let n = buffer.len().min(wires.receive.len());
        for (slot, byte) in buffer.iter_mut().zip(wires.receive.drain(..n)) {
            *slot = byte;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ends_of_the_wire_see_each_other() {
        let far_end = SimUart::new();
        let mut port = far_end.clone();
        assert_eq!(port.write(b"AT\r\n"), Ok(4));
        assert_eq!(far_end.transmitted(), b"AT\r\n");
        let mut buf = [0; 8];
        assert_eq!(port.read(&mut buf), Err(HalError::WouldBlock));
        far_end.inject(b"OK\r\n");
        assert_eq!(port.read(&mut buf[..2]), Ok(2));
        assert_eq!(&buf[..2], b"OK");
        assert_eq!(far_end.pending(), 2);
    }
}
