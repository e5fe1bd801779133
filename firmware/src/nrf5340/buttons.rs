//! The DK's buttons as interrupt sources: GPIOTE0 (Secure) channels 0–3 watch buttons 1–4
//! (P0.23, P0.24, P0.08, P0.09) for edges both ways, and each edge raises the ISR flag of the
//! button's `hal://gpio` pin number: button 1 (pin 4) flag `1 << 4` … button 4 (pin 7) flag
//! `1 << 7`. A guest claims the flag (`irq_subscribe`), blocks in `wait_irq`, and reads the
//! level through `hal://gpio/{pin}` (high = pressed).
//!
//! The logic is `fireball_nrf5340::gpiote::Edges` (host-tested); this file maps its
//! [`GpioteRegisters`] to `nrf-pac`'s `GPIOTE0` and owns the GPIOTE0 interrupt
//! (`embassy-nrf`'s `gpiote` feature, whose handler wakes futures, is off).

use core::{
    cell::RefCell,
    sync::atomic::{AtomicU32, Ordering},
};

use cortex_m::{
    interrupt::{self as critical, Mutex},
    peripheral::NVIC,
};
use embassy_nrf::pac::{
    self, Interrupt,
    gpiote::vals::{Mode, Polarity},
    interrupt,
};
use fireball_nrf5340::gpiote::{Edges, GpioteRegisters, Pin};
use fireball_subsystems::hal::{InterruptSink, IrqLine};

/// Buttons 1–4, on GPIOTE channels 0–3.
const BUTTONS: [Pin; 4] = [
    Pin {
        port: 0,
        number: 23,
    },
    Pin {
        port: 0,
        number: 24,
    },
    Pin { port: 0, number: 8 },
    Pin { port: 0, number: 9 },
];

/// `hal://gpio` pin of button 1 (the others follow).
const FIRST_PIN: u32 = 4;

/// GPIOTE0's registers. GPIOTE has no `embassy-nrf` singleton with the `gpiote` feature off:
/// this image's one [`init`] is its only user.
pub struct Gpiote0;

fn regs() -> pac::gpiote::Gpiote {
    pac::GPIOTE0
}

impl GpioteRegisters for Gpiote0 {
    fn watch(&mut self, channel: usize, pin: Pin) {
        regs().config(channel).write(|w| {
            w.set_mode(Mode::Event);
            w.set_psel(pin.number);
            w.set_port(pin.port == 1);
            w.set_polarity(Polarity::Toggle);
        });
    }

    fn enable_interrupt(&mut self, channel: usize) {
        regs().intenset(0).write(|w| w.set_in_(channel, true));
    }

    fn event(&self, channel: usize) -> bool {
        regs().events_in(channel).read() != 0
    }

    fn clear(&mut self, channel: usize) {
        let event = regs().events_in(channel);
        event.write_value(0);
        // Read back, so the write has reached the peripheral before the handler returns
        // (otherwise the interrupt fires again at once).
        let _ = event.read();
    }
}

static EDGES: Mutex<RefCell<Option<Edges<Gpiote0, 4>>>> = Mutex::new(RefCell::new(None));

/// Interrupts that found an edge, so far (wrapping): a wait for real time ends early when it
/// moves ([`crate::nrf5340::run`]).
static SEEN: AtomicU32 = AtomicU32::new(0);

/// How many interrupts have found an edge so far (wrapping): compare two readings.
pub fn edges_seen() -> u32 {
    SEEN.load(Ordering::Acquire)
}

/// Watch the buttons (their pins are inputs with pull-ups already: `gpio::DkGpio`). No
/// interrupt until [`connect`].
pub fn init() {
    let edges = Edges::new(Gpiote0, BUTTONS);
    critical::free(|cs| EDGES.borrow(cs).replace(Some(edges)));
}

/// Raise `sink`'s flags on the buttons' edges from now on (the deployment's ISR flags,
/// `System::isr_flags`, once it has booted).
pub fn connect(sink: &'static dyn InterruptSink) {
    critical::free(|cs| {
        if let Some(edges) = EDGES.borrow(cs).borrow_mut().as_mut() {
            edges.connect(core::array::from_fn(|n| {
                IrqLine::new(sink, 1 << (FIRST_PIN + n as u32))
            }));
        }
    });
    NVIC::unpend(Interrupt::GPIOTE0);
    // Safety: GPIOTE0's handler below only takes `EDGES` in a critical section and raises
    // lock-free flags; nothing in this image relies on the interrupt being masked.
    unsafe { NVIC::unmask(Interrupt::GPIOTE0) };
}

#[interrupt]
fn GPIOTE0() {
    critical::free(|cs| {
        if let Some(edges) = EDGES.borrow(cs).borrow_mut().as_mut()
            && edges.on_interrupt() != 0
        {
            SEEN.fetch_add(1, Ordering::Release);
        }
    });
}
