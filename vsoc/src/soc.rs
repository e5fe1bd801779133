//! The simulated SoC one vSoC's instances share: its devices (GPIO bank, clock, the
//! vOffloader's MMIO window), its interrupt lines (ISR flags, who owns each, who waits on
//! them) and its timers.
//!
//! This is the hardware side only: what the vSoC keeps about its instances (memory budget,
//! monitors, channels, router endpoints) is in [`crate::registry`]. Everything here is
//! single-threaded (`RefCell`/`Cell`), like the kernel. ISRs touch only [`IsrFlags`]; the
//! rest is driven from tasks and the firmware loop.

use alloc::{boxed::Box, vec::Vec};
use core::{
    cell::{Cell, RefCell},
    future::poll_fn,
    task::{Poll, Waker},
};
use fireball_subsystems::hal::Clock;

use fireball_abi::status;
use fireball_subsystems::hal::gpio::Gpio;

use crate::{
    offload::MmioBus,
    platform::{IsrFlags, Platform},
};

/// Waiters kept without reallocating (one per task at most; see `kernel::config::MAX_TASKS`).
const WAITERS: usize = fireball_kernel::config::MAX_TASKS;

/// The devices, interrupt lines and timers of one vSoC.
pub(crate) struct Soc {
    pub(crate) gpio: RefCell<Box<dyn Gpio>>,
    pub(crate) clock: Box<dyn Clock>,
    pub(crate) mmio: RefCell<MmioBus>,
    isr_static: Option<&'static IsrFlags>,
    isr_own: IsrFlags,
    /// Instance serial owning each ISR flag (0: free).
    irq_owners: RefCell<[u16; 32]>,
    irq_waiters: RefCell<Vec<(u32, Waker)>>,
    /// The ISR flags instances are blocked on in `wait_irq` (woken or not): while one of
    /// them is raised, running instances end their slices early ([`Soc::irq_due`]).
    irq_watched: Cell<u32>,
    timers: RefCell<Vec<(u64, Waker)>>,
}

impl Soc {
    pub(crate) fn new(platform: Platform) -> Self {
        Self {
            gpio: RefCell::new(platform.gpio),
            clock: platform.clock,
            mmio: RefCell::new(MmioBus::default()),
            isr_static: platform.isr,
            isr_own: IsrFlags::new(),
            irq_owners: RefCell::new([0; 32]),
            irq_waiters: RefCell::new(Vec::with_capacity(WAITERS)),
            irq_watched: Cell::new(0),
            timers: RefCell::new(Vec::with_capacity(WAITERS)),
        }
    }

    pub(crate) fn isr(&self) -> &IsrFlags {
        self.isr_static.unwrap_or(&self.isr_own)
    }

    /// Claim the ISR flags in `mask` for instance `serial`; all or nothing.
    pub(crate) fn subscribe(&self, serial: u16, mask: u32) -> i32 {
        // Flag 31 is reserved: `wait_irq` returns raised flags as a non-negative i32.
        if mask == 0 || mask & (1 << 31) != 0 {
            return status::IRQ_TAKEN;
        }
        let mut owners = self.irq_owners.borrow_mut();
        let taken =
            (0..32).any(|bit| mask & (1 << bit) != 0 && owners[bit] != 0 && owners[bit] != serial);
        if taken {
            return status::IRQ_TAKEN;
        }
        for (bit, owner) in owners.iter_mut().enumerate() {
            if mask & (1 << bit) != 0 {
                *owner = serial;
            }
        }
        status::OK
    }

    /// Whether every flag in `mask` belongs to `serial`.
    pub(crate) fn owns_irqs(&self, serial: u16, mask: u32) -> bool {
        let owners = self.irq_owners.borrow();
        mask != 0 && (0..32).all(|bit| mask & (1 << bit) == 0 || owners[bit] == serial)
    }

    /// Release every ISR flag `serial` holds (its instance stopped).
    pub(crate) fn release_irqs(&self, serial: u16) {
        for (bit, owner) in self.irq_owners.borrow_mut().iter_mut().enumerate() {
            if *owner == serial {
                *owner = 0;
                // A waiter cancelled while blocked no longer holds anyone's slices short.
                self.irq_watched.set(self.irq_watched.get() & !(1 << bit));
            }
        }
    }

    /// Whether an instance is blocked on an ISR flag: slices are then run in steps, with a
    /// look at the flags between steps.
    pub(crate) fn irq_watched(&self) -> bool {
        self.irq_watched.get() != 0
    }

    /// Whether a flag an instance is blocked on is raised: the running instance should end
    /// its slice, and instances about to start one should let the waiter go first.
    pub(crate) fn irq_due(&self) -> bool {
        let watched = self.irq_watched.get();
        watched != 0 && self.isr().pending() & watched != 0
    }

    /// The earliest tick a sleeping instance waits for.
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.timers.borrow().iter().map(|(until, _)| *until).min()
    }

    /// The context-switch check: wake instances whose ISR flags were raised or
    /// whose sleep is over. Returns how many waiters were woken.
    pub(crate) fn wake_due(&self) -> usize {
        let mut woken = 0;
        let raised = self.isr().pending();
        if raised != 0 {
            self.irq_waiters.borrow_mut().retain(|(mask, waker)| {
                let due = mask & raised != 0;
                if due {
                    waker.wake_by_ref();
                    woken += 1;
                }
                !due
            });
        }
        let mut timers = self.timers.borrow_mut();
        if timers.is_empty() {
            // No sleeper: the clock need not be read (every context switch comes here).
            return woken;
        }
        let now = self.clock.now_us();
        timers.retain(|(deadline, waker)| {
            let due = *deadline <= now;
            if due {
                waker.wake_by_ref();
                woken += 1;
            }
            !due
        });
        woken
    }

    /// Wait until the clock reads `until`.
    pub(crate) async fn sleep(&self, until: u64) {
        poll_fn(|cx| {
            if self.clock.now_us() >= until {
                return Poll::Ready(());
            }
            self.timers.borrow_mut().push((until, cx.waker().clone()));
            Poll::Pending
        })
        .await
    }

    /// Wait until one of the ISR flags in `mask` (all the caller's own) is raised, and take
    /// them: the flags that were raised.
    pub(crate) async fn wait_irq(&self, mask: u32) -> u32 {
        // The flags are this instance's alone (`subscribe`), so its bits are too.
        self.irq_watched.set(self.irq_watched.get() | mask);
        let raised = poll_fn(|cx| match self.isr().take(mask) {
            0 => {
                self.irq_waiters
                    .borrow_mut()
                    .push((mask, cx.waker().clone()));
                Poll::Pending
            }
            raised => Poll::Ready(raised),
        })
        .await;
        self.irq_watched.set(self.irq_watched.get() & !mask);
        raised
    }
}
