//! UARTE1 as the control port's transport (feature `control-port`), or the debugger port's
//! (feature `gdb`): 115200 8N1, TX P1.01 /
//! RX P1.00 — the pins embassy-nrf's nRF5340 UART example uses, which the DK routes to its
//! J-Link's second VCOM (UNVERIFIED on a board: no probe here).
//!
//! `embassy-nrf`'s `BufferedUarte`, without an executor: its interrupt handler moves bytes
//! between the UARTE's EasyDMA and two ring buffers (RX counted by TIMER0 through two DPPI
//! channels), so nothing is lost while the deployment runs a turn; the loop polls the
//! driver's futures once with a no-op waker — ready means bytes are there (or room to
//! send), pending means not yet. The plain `Uarte` has no "is anything there?": its reads
//! block until their buffer is full.

use core::{
    future::Future,
    pin::pin,
    task::{Context, Poll, Waker},
};

use alloc::{boxed::Box, vec};

use embassy_nrf::{
    Peri, bind_interrupts,
    buffered_uarte::{self, BufferedUarte},
    peripherals::{P1_00, P1_01, PPI_CH0, PPI_CH1, PPI_GROUP0, SERIAL1, TIMER0},
    uarte,
};
use embedded_io::{ErrorKind, ErrorType, Read, ReadReady, Write};

bind_interrupts!(struct Irqs {
    SERIAL1 => buffered_uarte::InterruptHandler<SERIAL1>;
});

/// Bytes of the receive ring (two halves EasyDMA fills in turn): a whole frame of the
/// control port's 1,024-byte buffer size arrives while the loop runs a turn.
const RX_BYTES: usize = 2048;
/// Bytes of the transmit ring.
const TX_BYTES: usize = 512;

/// What UARTE1 needs, taken at `nrf5340::init` (before the heap exists) and opened once
/// the deployment has booted.
pub struct Peripherals {
    /// UARTE1.
    pub serial: Peri<'static, SERIAL1>,
    /// Counts received bytes.
    pub timer: Peri<'static, TIMER0>,
    /// RXDRDY → the counter.
    pub ppi_ch1: Peri<'static, PPI_CH0>,
    /// ENDRX → STARTRX of the next half.
    pub ppi_ch2: Peri<'static, PPI_CH1>,
    /// Stops the restart when the ring is full.
    pub ppi_group: Peri<'static, PPI_GROUP0>,
    /// RX.
    pub rx: Peri<'static, P1_00>,
    /// TX.
    pub tx: Peri<'static, P1_01>,
}

/// UARTE1, buffered, as `embedded-io` `Read + ReadReady + Write`.
pub struct ControlSerial(BufferedUarte<'static>);

/// Poll `future` once, without an executor (the interrupt handler does the waiting).
fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    let future = pin!(future);
    future.poll(&mut Context::from_waker(Waker::noop()))
}

impl ControlSerial {
    /// Open UARTE1 at 115200 8N1, its rings allocated now (in the partition the caller
    /// places allocations in) and kept for the rest of the run.
    pub fn open(p: Peripherals) -> Self {
        let mut config = uarte::Config::default();
        config.baudrate = uarte::Baudrate::Baud115200;
        config.parity = uarte::Parity::Excluded;
        let rx = Box::leak(vec![0u8; RX_BYTES].into_boxed_slice());
        let tx = Box::leak(vec![0u8; TX_BYTES].into_boxed_slice());
        Self(BufferedUarte::new(
            p.serial,
            p.timer,
            p.ppi_ch1,
            p.ppi_ch2,
            p.ppi_group,
            p.rx,
            p.tx,
            Irqs,
            config,
            rx,
            tx,
        ))
    }
}

impl ErrorType for ControlSerial {
    type Error = ErrorKind;
}

impl ReadReady for ControlSerial {
    fn read_ready(&mut self) -> Result<bool, Self::Error> {
        match poll_once(self.0.fill_buf()) {
            Poll::Ready(Ok(bytes)) => Ok(!bytes.is_empty()),
            // An overrun: bytes were lost; the client's timeout resends its request.
            Poll::Ready(Err(_)) => Err(ErrorKind::Other),
            Poll::Pending => Ok(false),
        }
    }
}

impl Read for ControlSerial {
    fn read(&mut self, buffer: &mut [u8]) -> Result<usize, Self::Error> {
        if buffer.is_empty() {
            return Ok(0);
        }
        loop {
            let n = match poll_once(self.0.fill_buf()) {
                Poll::Ready(Ok(bytes)) => {
                    let n = bytes.len().min(buffer.len());
                    buffer[..n].copy_from_slice(&bytes[..n]);
                    n
                }
                Poll::Ready(Err(_)) => return Err(ErrorKind::Other),
                Poll::Pending => continue,
            };
            self.0.consume(n);
            return Ok(n);
        }
    }
}

impl Write for ControlSerial {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, Self::Error> {
        if bytes.is_empty() {
            return Ok(0);
        }
        // Blocks while the ring is full: the interrupt handler drains it.
        loop {
            match self.0.try_write(bytes) {
                Ok(0) => continue,
                Ok(n) => return Ok(n),
                Err(_) => return Err(ErrorKind::Other),
            }
        }
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        loop {
            match poll_once(self.0.flush()) {
                Poll::Ready(result) => return result.map_err(|_| ErrorKind::Other),
                Poll::Pending => continue,
            }
        }
    }
}
