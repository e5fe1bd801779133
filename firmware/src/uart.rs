//! The board's CMSDK APB UARTs: UART0 of QEMU `mps2-an505` as the console, UART1 as the
//! `deploy` image's control port (feature `control-port`), UART2 as its debugger port
//! (feature `gdb`).
//!
//! Registers (Cortex-M System Design Kit TRM): `DATA` +0x00, `STATE` +0x04
//! (bit 0 TX full, bit 1 RX full), `CTRL` +0x08 (bit 0 TX enable, bit 1 RX
//! enable), `BAUDDIV` +0x10. The firmware runs in the Secure state, so it
//! uses the Secure alias of the peripheral (0x5… rather than 0x4…).
//!
//! The driver implements `embedded-io` (`Write`, `Read`, `ReadReady`), so it
//! registers with the device registry through `hal::adapters::UartAdapter`,
//! and [`Console`] for guest output.

use core::ptr::{read_volatile, write_volatile};

use embedded_io::{ErrorType, Read, ReadReady, Write};
use fireball_subsystems::hal::Console;

/// UART0, Secure alias.
pub const UART0: usize = 0x5020_0000;
/// UART1, Secure alias (QEMU connects it to the second `-serial` option).
pub const UART1: usize = 0x5020_1000;
/// UART2, Secure alias (QEMU connects it to the third `-serial` option).
pub const UART2: usize = 0x5020_2000;

const DATA: usize = 0x00;
const STATE: usize = 0x04;
const CTRL: usize = 0x08;
const BAUDDIV: usize = 0x10;
const TX_FULL: u32 = 1 << 0;
const RX_FULL: u32 = 1 << 1;

/// A CMSDK UART at a fixed base address.
pub struct CmsdkUart {
    base: usize,
}

impl CmsdkUart {
    /// UART0, the console every image of this crate writes its output to.
    pub fn console() -> Self {
        // Safety: UART0 is the mps2-an505's CMSDK UART; every writer in these images is a
        // `CmsdkUart` on it, used from the one thread, one whole write at a time.
        unsafe { Self::new(UART0) }
    }

    /// Enable transmit and receive on the UART at `base`.
    ///
    /// # Safety
    ///
    /// `base` must be a CMSDK APB UART's register block, and nothing else may
    /// drive it while this value lives.
    pub unsafe fn new(base: usize) -> Self {
        let uart = Self { base };
        // 25 MHz / 16 (the smallest legal divisor); QEMU ignores the rate.
        uart.write_reg(BAUDDIV, 16);
        uart.write_reg(CTRL, 0b11);
        uart
    }

    fn read_reg(&self, offset: usize) -> u32 {
        // Safety: `new`'s contract makes `base + offset` a register of this UART.
        unsafe { read_volatile((self.base + offset) as *const u32) }
    }

    fn write_reg(&self, offset: usize, value: u32) {
        // Safety: as for `read_reg`.
        unsafe { write_volatile((self.base + offset) as *mut u32, value) }
    }

    fn put(&mut self, byte: u8) {
        while self.read_reg(STATE) & TX_FULL != 0 {}
        self.write_reg(DATA, u32::from(byte));
    }
}

impl ErrorType for CmsdkUart {
    type Error = core::convert::Infallible;
}

impl Write for CmsdkUart {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, Self::Error> {
        for &b in bytes {
            self.put(b);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        while self.read_reg(STATE) & TX_FULL != 0 {}
        Ok(())
    }
}

impl ReadReady for CmsdkUart {
    fn read_ready(&mut self) -> Result<bool, Self::Error> {
        Ok(self.read_reg(STATE) & RX_FULL != 0)
    }
}

impl Read for CmsdkUart {
    fn read(&mut self, buffer: &mut [u8]) -> Result<usize, Self::Error> {
        let mut n = 0;
        while n < buffer.len() && self.read_reg(STATE) & RX_FULL != 0 {
            buffer[n] = self.read_reg(DATA) as u8;
            n += 1;
        }
        Ok(n)
    }
}

impl Console for CmsdkUart {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.put(b);
        }
    }
}
