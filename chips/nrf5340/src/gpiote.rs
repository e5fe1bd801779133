//! GPIOTE input events as the runtime's interrupts: each watched pin's edges (both ways)
//! raise its own [`IrqLine`], the path every board's device models take to the vSoC's ISR
//! flags (`fireball_subsystems::hal::irq`), so a guest blocked in `wait_irq` on that flag
//! wakes and reads the pin's level (`hal://gpio/{pin}`).
//!
//! `embassy-nrf`'s GPIOTE driver (feature `gpiote`, left off) owns the GPIOTE interrupt and
//! wakes futures; Fireball has no executor for them, so the board owns the interrupt and
//! calls [`Edges::on_interrupt`] from it. [`GpioteRegisters`] is what that needs of the
//! registers: the firmware maps it to `nrf-pac`'s `GPIOTE0` (Secure), the tests to a fake.
//!
//! A channel in event mode latches `EVENTS_IN[n]` on every edge of its pin (polarity
//! `Toggle`); the handler clears each set event, then raises the lines of those channels.
//! Edges that come faster than the handler runs (a bouncing button) are raised once: the
//! flag says "the pin changed", the guest reads what it is now.

use fireball_subsystems::hal::IrqLine;

/// GPIOTE channels (`CONFIG[0..8]`, `EVENTS_IN[0..8]`).
pub const CHANNELS: usize = 8;

/// A pin by port and number: P0.23 is `Pin { port: 0, number: 23 }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pin {
    /// The GPIO port (0 or 1).
    pub port: u8,
    /// The pin in its port (0–31).
    pub number: u8,
}

/// What [`Edges`] needs of the GPIOTE's registers.
pub trait GpioteRegisters {
    /// `CONFIG[channel]`: event mode on `pin`, polarity `Toggle` (every edge).
    fn watch(&mut self, channel: usize, pin: Pin);
    /// `INTENSET`: `EVENTS_IN[channel]` interrupts.
    fn enable_interrupt(&mut self, channel: usize);
    /// Whether `EVENTS_IN[channel]` is set.
    fn event(&self, channel: usize) -> bool;
    /// Clear `EVENTS_IN[channel]`.
    fn clear(&mut self, channel: usize);
}

/// `N` pins watched on GPIOTE channels `0..N`, each raising its line once connected.
pub struct Edges<R, const N: usize> {
    regs: R,
    lines: [Option<IrqLine>; N],
}

impl<R: GpioteRegisters, const N: usize> Edges<R, N> {
    /// Watch `pins[n]` on channel `n` (interrupts off until [`Edges::connect`]).
    pub fn new(mut regs: R, pins: [Pin; N]) -> Self {
        const { assert!(N <= CHANNELS, "GPIOTE has eight channels") };
        for (channel, pin) in pins.into_iter().enumerate() {
            regs.watch(channel, pin);
            regs.clear(channel);
        }
        Self {
            regs,
            lines: [None; N],
        }
    }

    /// Raise `lines[n]` on channel `n`'s edges from now on (edges before this are dropped),
    /// and enable the channels' interrupts.
    pub fn connect(&mut self, lines: [IrqLine; N]) {
        for (channel, line) in lines.into_iter().enumerate() {
            self.regs.clear(channel);
            self.lines[channel] = Some(line);
            self.regs.enable_interrupt(channel);
        }
    }

    /// The GPIOTE interrupt: clear every set event, raise its channel's line. Returns the
    /// channels that had an edge (bit `n` = channel `n`).
    pub fn on_interrupt(&mut self) -> u32 {
        let mut fired = 0;
        for channel in 0..N {
            if self.regs.event(channel) {
                self.regs.clear(channel);
                fired |= 1 << channel;
            }
        }
        for (channel, line) in self.lines.iter().enumerate() {
            if fired & (1 << channel) != 0
                && let Some(line) = line
            {
                line.raise();
            }
        }
        fired
    }

    /// The registers (a test looks at its fake through them).
    pub fn registers(&self) -> &R {
        &self.regs
    }
}

#[cfg(test)]
mod tests {
    use alloc::{rc::Rc, vec::Vec};
    use core::{
        cell::RefCell,
        sync::atomic::{AtomicU32, Ordering},
    };

    use fireball_subsystems::hal::InterruptSink;

    use super::*;

    /// GPIOTE's channels: each latches its event on an edge of its pin, if configured.
    #[derive(Clone, Default)]
    struct FakeGpiote(Rc<RefCell<Fake>>);

    #[derive(Default)]
    struct Fake {
        watched: [Option<Pin>; CHANNELS],
        interrupts: u32,
        events: u32,
    }

    impl FakeGpiote {
        /// An edge on `pin`: every channel watching it latches its event.
        fn edge(&self, pin: Pin) {
            let mut fake = self.0.borrow_mut();
            for channel in 0..CHANNELS {
                if fake.watched[channel] == Some(pin) {
                    fake.events |= 1 << channel;
                }
            }
        }

        /// Whether the GPIOTE interrupt is pending (an enabled channel's event is set).
        fn pending(&self) -> bool {
            let fake = self.0.borrow();
            fake.events & fake.interrupts != 0
        }
    }

    impl GpioteRegisters for FakeGpiote {
        fn watch(&mut self, channel: usize, pin: Pin) {
            self.0.borrow_mut().watched[channel] = Some(pin);
        }

        fn enable_interrupt(&mut self, channel: usize) {
            self.0.borrow_mut().interrupts |= 1 << channel;
        }

        fn event(&self, channel: usize) -> bool {
            self.0.borrow().events & (1 << channel) != 0
        }

        fn clear(&mut self, channel: usize) {
            self.0.borrow_mut().events &= !(1 << channel);
        }
    }

    /// ISR flags as the vSoC's `IsrFlags` keeps them.
    struct Flags(AtomicU32);

    impl InterruptSink for Flags {
        fn raise(&self, mask: u32) {
            self.0.fetch_or(mask, Ordering::Relaxed);
        }
    }

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

    fn buttons(flags: &'static Flags) -> (Edges<FakeGpiote, 4>, FakeGpiote) {
        let fake = FakeGpiote::default();
        let mut edges = Edges::new(fake.clone(), BUTTONS);
        // Button n is hal pin 4 + n, and raises that flag.
        edges.connect(core::array::from_fn(|n| IrqLine::new(flags, 1 << (4 + n))));
        (edges, fake)
    }

    #[test]
    fn each_button_raises_its_own_flag() {
        static FLAGS: Flags = Flags(AtomicU32::new(0));
        let (mut edges, fake) = buttons(&FLAGS);
        fake.edge(BUTTONS[2]);
        assert!(fake.pending());
        assert_eq!(edges.on_interrupt(), 0b0100);
        assert_eq!(FLAGS.0.load(Ordering::Relaxed), 1 << 6);
        assert!(!fake.pending(), "the handler cleared the event");
    }

    #[test]
    fn edges_that_come_together_are_handled_in_one_interrupt() {
        static FLAGS: Flags = Flags(AtomicU32::new(0));
        let (mut edges, fake) = buttons(&FLAGS);
        // Button 1 bounces (three edges), button 4 is pressed at the same time.
        for pin in [BUTTONS[0], BUTTONS[0], BUTTONS[3], BUTTONS[0]] {
            fake.edge(pin);
        }
        assert_eq!(edges.on_interrupt(), 0b1001);
        assert_eq!(FLAGS.0.load(Ordering::Relaxed), (1 << 4) | (1 << 7));
        assert_eq!(edges.on_interrupt(), 0, "nothing left");
    }

    #[test]
    fn edges_before_connecting_are_dropped_and_raise_nothing() {
        static FLAGS: Flags = Flags(AtomicU32::new(0));
        let fake = FakeGpiote::default();
        let mut edges = Edges::new(fake.clone(), BUTTONS);
        fake.edge(BUTTONS[1]);
        assert!(!fake.pending(), "no interrupt before connect");
        edges.connect(core::array::from_fn(|n| IrqLine::new(&FLAGS, 1 << (4 + n))));
        assert!(!fake.pending());
        assert_eq!(edges.on_interrupt(), 0);
        assert_eq!(FLAGS.0.load(Ordering::Relaxed), 0);
        let watched: Vec<_> = fake.0.borrow().watched.iter().flatten().copied().collect();
        assert_eq!(watched, BUTTONS);
    }
}
