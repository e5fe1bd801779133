//! UARTE0 as the console: 115200 8N1 on the nRF5340-DK's VCOM (TX P0.20, RX P0.22; the J-Link
//! OB's USB serial port), written blocking with `embassy-nrf`'s driver.
//!
//! EasyDMA reads only RAM, so every write goes out through a small buffer on the stack.

use core::{cell::RefCell, fmt};

use cortex_m::interrupt::{self, Mutex};
use embassy_nrf::{
    Peri, bind_interrupts,
    peripherals::{P0_20, P0_22, SERIAL0},
    uarte::{self, Uarte},
};
use fireball_subsystems::hal::Console;

bind_interrupts!(struct Irqs {
    SERIAL0 => uarte::InterruptHandler<SERIAL0>;
});

static UARTE: Mutex<RefCell<Option<Uarte<'static>>>> = Mutex::new(RefCell::new(None));

/// Bytes handed to EasyDMA per transfer.
const CHUNK: usize = 64;

/// Configure UARTE0 at 115200 8N1 on `rx` / `tx`.
pub fn init(serial: Peri<'static, SERIAL0>, rx: Peri<'static, P0_22>, tx: Peri<'static, P0_20>) {
    let mut config = uarte::Config::default();
    config.baudrate = uarte::Baudrate::Baud115200;
    config.parity = uarte::Parity::Excluded;
    let uarte = Uarte::new(serial, rx, tx, Irqs, config);
    interrupt::free(|cs| UARTE.borrow(cs).replace(Some(uarte)));
}

/// The console: every writer shares UARTE0, one whole write at a time. Writes before
/// [`init`] are dropped.
#[derive(Clone, Copy, Debug, Default)]
pub struct Uarte0;

impl Console for Uarte0 {
    fn write(&mut self, bytes: &[u8]) {
        interrupt::free(|cs| {
            let mut uarte = UARTE.borrow(cs).borrow_mut();
            let Some(uarte) = uarte.as_mut() else {
                return;
            };
            let mut ram = [0u8; CHUNK];
            for chunk in bytes.chunks(CHUNK) {
                ram[..chunk.len()].copy_from_slice(chunk);
                // A console has no one to report to: a failed write is dropped.
                let _ = uarte.blocking_write_from_ram(&ram[..chunk.len()]);
            }
        });
    }
}

impl fmt::Write for Uarte0 {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        Console::write(self, s.as_bytes());
        Ok(())
    }
}

/// One log line on the console: where `crate::fmt`'s text path writes on this board (with
/// feature `defmt` the lines are defmt frames over RTT instead).
pub fn line(args: fmt::Arguments<'_>) {
    let mut console = Uarte0;
    let _ = fmt::Write::write_fmt(&mut console, args);
    Console::write(&mut console, b"\n");
}
