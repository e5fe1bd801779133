//! A simulated serial port.

use alloc::{collections::VecDeque, rc::Rc, vec::Vec};
use core::cell::RefCell;

use crate::hal::{HalError, IrqLine, Uart};

#[derive(Debug, Default)]
struct Wires {
    transmitted: Vec<u8>,
    receive: VecDeque<u8>,
    received: Option<IrqLine>,
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

    /// Raise `line` whenever bytes arrive at the receiver ("receive").
    pub fn on_receive(&self, line: IrqLine) {
        self.wires.borrow_mut().received = Some(line);
    }

    /// Make `bytes` arrive at the port's receiver (raising its line, if any).
    pub fn inject(&self, bytes: &[u8]) {
        let line = {
            let mut wires = self.wires.borrow_mut();
            wires.receive.extend(bytes);
            wires.received.filter(|_| !bytes.is_empty())
        };
        if let Some(line) = line {
            line.raise();
        }
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

    #[test]
    fn received_bytes_raise_the_line_and_conversions_raise_theirs() {
        use core::sync::atomic::{AtomicU32, Ordering};
        struct Flags(AtomicU32);
        impl crate::hal::InterruptSink for Flags {
            fn raise(&self, mask: u32) {
                self.0.fetch_or(mask, Ordering::Relaxed);
            }
        }
        static FLAGS: Flags = Flags(AtomicU32::new(0));
        let port = SimUart::new();
        port.on_receive(IrqLine::new(&FLAGS, 0b01));
        port.inject(b"");
        assert_eq!(FLAGS.0.load(Ordering::Relaxed), 0, "nothing arrived");
        port.inject(b"x");
        assert_eq!(FLAGS.0.load(Ordering::Relaxed), 0b01);
        let mut adc = crate::sim::SimAdc::new(
            crate::sim::SimClock::new(),
            12,
            &[crate::sim::Waveform::Constant { level: 1 }],
        )
        .with_irq(IrqLine::new(&FLAGS, 0b10));
        crate::hal::Adc::read(&mut adc, 0).unwrap();
        assert_eq!(FLAGS.0.load(Ordering::Relaxed), 0b11);
    }
}
