//! The `latency` image: how long an interrupt takes to reach the guest waiting on it
//! (`cargo xtask latency`; issue 14, item 6; docs/perf.md, "Interrupt to guest").
//!
//! It runs a deployment generated from a manifest as the `deploy` image does —
//! `examples/latency/fireball.toml`: the sensor hub, two CPU-bound guests and the
//! `latency-probe` guest looping on `wait_irq(1 << 3)` — and arms the CMSDK timer 0 of the
//! `mps2-an505`. Each timer interrupt stamps the time (SysTick), raises ISR flag 3 and
//! restarts the timer with a pseudo-random period, so the raises land at every phase of
//! the guests' slices. The probe's first act after `wait_irq` returns is a write to the
//! probe register (a device model in the MMIO window), which stamps the time again. After
//! [`SAMPLES`] interrupts the image prints the distribution in instructions (exact under QEMU
//! `-icount shift=0`, to one SysTick tick, 50 instructions) and exits.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::{boxed::Box, rc::Rc};
use core::cell::{Cell, RefCell};

use cortex_m::interrupt::{InterruptNumber, Mutex, free};
use cortex_m_rt::{entry, exception};
use cortex_m_semihosting::hprintln;
use fireball_deploy::{RunOptions, Sink, System};
use fireball_firmware::{
    clock, exit,
    heap::partitioned::{self, HEAP},
    uart::CmsdkUart,
};
use fireball_subsystems::hal::{Console, Labelled};
use fireball_vsoc::{
    kernel::mem::{OwnerId, PartitionId, Placement},
    offload::{DeviceFault, DeviceModel},
    platform::IsrFlags,
};

include!(env!("FIREBALL_PLAN"));

/// Interrupts measured.
const SAMPLES: usize = 500;
/// The ISR flag the timer raises (the probe guest waits on it): timer 0's interrupt number.
const FLAG: u32 = 1 << 3;
/// The probe register (`latency-probe`'s `PROBE`): a write stamps the guest's resumption.
const PROBE_BASE: u32 = 0xC000_F000;
/// Timer periods are drawn from `MIN_PERIOD..2 * MIN_PERIOD` timer ticks (SysTick's clock,
/// 50 instructions each): 5 to 10 million instructions, longer than any latency measured,
/// so a raise is never folded into the previous one (the image counts it if it were).
const MIN_PERIOD: u32 = 100_000;

/// CMSDK APB timer 0, Secure alias (the image runs in the Secure state).
const TIMER0: usize = 0x5000_0000;
const CTRL: usize = 0x00;
const VALUE: usize = 0x04;
const RELOAD: usize = 0x08;
const INTCLEAR: usize = 0x0C;

#[derive(Clone, Copy)]
struct Timer0Irq;

// Safety: 3 is TIMER0's interrupt number on the mps2-an505 (SSE-200), a valid IRQ.
unsafe impl InterruptNumber for Timer0Irq {
    fn number(self) -> u16 {
        3
    }
}

/// What the interrupt handler and the probe share.
struct Shared {
    /// The flags the guests see (set once the deployment booted).
    flags: Cell<Option<&'static IsrFlags>>,
    /// The SysTick time of the raise not yet seen by the probe, and P2's bytes then.
    raised: Cell<Option<(u64, usize)>>,
    /// Raises that came while the previous one was still undelivered (folded into it).
    overruns: Cell<u32>,
    /// The pseudo-random state for the next period.
    seed: Cell<u32>,
    /// Ticks from each raise to the probe's write, in order, and the bytes P2 grew by in
    /// between: code wasmi translated for a function's first call (lazy translation).
    samples: RefCell<heapless::Vec<(u32, usize), SAMPLES>>,
    /// Samples taken when the last of the sensor hub's guests finished (its services keep
    /// serving; the CPU-bound guests and the probe run on).
    hub_guests_done: Cell<usize>,
}

/// The deployment's interrupt flags (`RunOptions::isr`), raised by the timer's handler.
static ISR_FLAGS: IsrFlags = IsrFlags::new();

static SHARED: Mutex<Shared> = Mutex::new(Shared {
    flags: Cell::new(None),
    raised: Cell::new(None),
    overruns: Cell::new(0),
    seed: Cell::new(0x1234_5678),
    samples: RefCell::new(heapless::Vec::new()),
    hub_guests_done: Cell::new(SAMPLES),
});

fn timer_write(register: usize, value: u32) {
    // Safety: TIMER0's registers, written from main before its interrupt is unmasked and
    // from its own handler after; nothing else touches them.
    unsafe { ((TIMER0 + register) as *mut u32).write_volatile(value) }
}

/// The next period: xorshift32 over the range.
fn next_period(seed: &Cell<u32>) -> u32 {
    let mut x = seed.get();
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    seed.set(x);
    MIN_PERIOD + x % MIN_PERIOD
}

/// Timer 0's interrupt (every other one is unexpected): stamp, raise, rearm.
#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    if irqn != 3 {
        hprintln!("fireball: unexpected interrupt {}", irqn);
        exit(false);
    }
    let now = clock::ticks();
    timer_write(INTCLEAR, 1);
    free(|cs| {
        let shared = SHARED.borrow(cs);
        if shared.raised.get().is_some() {
            shared.overruns.set(shared.overruns.get() + 1);
        } else {
            shared.raised.set(Some((now, runtime_bytes())));
        }
        if let Some(flags) = shared.flags.get() {
            flags.raise(FLAG);
        }
        timer_write(VALUE, next_period(&shared.seed));
    });
}

/// The probe register: a write stamps the time the probe guest resumed.
struct Probe;

impl DeviceModel for Probe {
    fn read32(&mut self, _offset: u32) -> Result<u32, DeviceFault> {
        Err(DeviceFault::NoRegister)
    }

    fn write32(&mut self, offset: u32, _value: u32) -> Result<(), DeviceFault> {
        if offset != 0 {
            return Err(DeviceFault::NoRegister);
        }
        let now = clock::ticks();
        let full = free(|cs| {
            let shared = SHARED.borrow(cs);
            let mut samples = shared.samples.borrow_mut();
            if let Some((raised, p2)) = shared.raised.take() {
                let ticks = u32::try_from(now - raised).unwrap_or(u32::MAX);
                let translated = runtime_bytes().saturating_sub(p2);
                // Room is checked below: the run ends when it is full.
                let _ = samples.push((ticks, translated));
            }
            samples.is_full()
        });
        if full {
            report();
        }
        Ok(())
    }
}

/// Bytes allocated in P2 (the WASM runtime: the engine and the modules' compiled code).
/// Safe in the interrupt handler: the heap works under a critical section, so the handler
/// never sees it half-way through an allocation.
fn runtime_bytes() -> usize {
    HEAP.allocated(Placement::new(PartitionId::Runtime, OwnerId(0)))
}

/// Print the distribution and end the run.
fn report() -> ! {
    // Masked for good: the run ends here.
    cortex_m::interrupt::disable();
    let per_tick = clock::instructions_per_tick_milli();
    let (samples, overruns, hub) = free(|cs| {
        let shared = SHARED.borrow(cs);
        (
            shared.samples.borrow().clone(),
            shared.overruns.get(),
            shared.hub_guests_done.get(),
        )
    });
    let instructions = |ticks: u32| u64::from(ticks) * per_tick / 1000;
    let worst = |part: &[(u32, usize)]| {
        part.iter()
            .map(|&(ticks, _)| ticks)
            .max()
            .map_or(0, instructions)
    };
    let (with_hub, after) = samples.split_at(hub.min(samples.len()));
    hprintln!(
        "latency: max {} over the {} interrupts while the sensor hub's guests ran, {} over \
         the {} after",
        worst(with_hub),
        with_hub.len(),
        worst(after),
        after.len()
    );
    // A function's first call translates it (lazy translation, charged no fuel): a one-off
    // per function that no slice bounds, counted apart.
    let mut warm: heapless::Vec<u32, SAMPLES> = heapless::Vec::new();
    for &(ticks, translated) in &samples {
        if translated == 0 {
            let _ = warm.push(ticks);
        } else {
            hprintln!(
                "latency: {} instructions with a first call in between ({} B of code translated)",
                instructions(ticks),
                translated
            );
        }
    }
    let mut all: heapless::Vec<u32, SAMPLES> = samples.iter().map(|&(ticks, _)| ticks).collect();
    all.sort_unstable();
    warm.sort_unstable();
    let at = |sorted: &[u32], q: usize| instructions(sorted[(sorted.len() - 1) * q / 100]);
    hprintln!(
        "latency: {} interrupts, {} overrun(s), {}.{:03} instructions per SysTick tick",
        all.len(),
        overruns,
        per_tick / 1000,
        per_tick % 1000
    );
    hprintln!(
        "latency: all {}: min {} p10 {} median {} p90 {} p99 {} max {}",
        all.len(),
        at(&all, 0),
        at(&all, 10),
        at(&all, 50),
        at(&all, 90),
        at(&all, 99),
        at(&all, 100)
    );
    if !warm.is_empty() {
        hprintln!(
            "latency: instructions from raise to guest, {} without a first call: min {} p10 {} \
             median {} p90 {} p99 {} max {}",
            warm.len(),
            at(&warm, 0),
            at(&warm, 10),
            at(&warm, 50),
            at(&warm, 90),
            at(&warm, 99),
            at(&warm, 100)
        );
    }
    exit(overruns == 0)
}

fn uart() -> CmsdkUart {
    CmsdkUart::console()
}

/// The components' consoles on the UART (as the `deploy` image); the runner's lines also on
/// the semihosting console, with the number of interrupts measured so far.
struct UartSink;

impl Sink for UartSink {
    fn console(&self, label: &str) -> Box<dyn Console> {
        Box::new(Labelled::new(label, uart()))
    }

    fn line(&self, text: &str) {
        let measured = free(|cs| {
            let shared = SHARED.borrow(cs);
            let measured = shared.samples.borrow().len();
            let hub_guest = ["sensor-buffer", "aggregator", "inference"]
                .iter()
                .any(|name| text == alloc::format!("[fireball] {name} finished"));
            if hub_guest {
                // The last one to finish is the one that counts.
                shared.hub_guests_done.set(measured);
            }
            measured
        });
        hprintln!("fireball: after {} interrupts: {}", measured, text);
    }
}

#[entry]
fn main() -> ! {
    let Some(mut peripherals) = cortex_m::Peripherals::take() else {
        exit(false)
    };
    clock::start(peripherals.SYST);
    /// P4's quota table, one slot per service of the plan (`QUOTA_SLOTS`, generated).
    static mut QUOTA_TABLE: [partitioned::QuotaSlot; QUOTA_SLOTS] =
        [partitioned::QuotaSlot::EMPTY; QUOTA_SLOTS];
    // Safety: `main` runs once and never returns, and this is the only reference ever made
    // to the table; it is handed to the heap for good.
    let slots = unsafe { &mut *(&raw mut QUOTA_TABLE) };
    let heap = match partitioned::init(PARTITIONS, slots) {
        Ok(heap) => heap,
        Err(e) => {
            hprintln!("fireball: cannot lay out the heap: {}", e);
            exit(false)
        }
    };
    let plan = plan();
    let mut options = RunOptions::new(Rc::new(UartSink));
    options.keep_trace = false;
    options.heap = Some(heap);
    // The probe ends the run; this only bounds a run whose probe never hears the timer.
    options.max_time_us = u64::MAX;
    options.isr = Some(&ISR_FLAGS);
    let system = match System::boot(&plan, options) {
        Ok(system) => system,
        Err(e) => {
            hprintln!("fireball: {} did not boot: {}", plan.name, e);
            exit(false)
        }
    };
    if system.map_device(PROBE_BASE, 4, Box::new(Probe)).is_err() {
        hprintln!("fireball: cannot map the probe register");
        exit(false)
    }
    let flags: &'static IsrFlags = &ISR_FLAGS;
    let first = free(|cs| {
        let shared = SHARED.borrow(cs);
        shared.flags.set(Some(flags));
        next_period(&shared.seed)
    });
    // Below SysTick's priority (0), so the clock's wrap count is current in the handler.
    // Safety: setting a priority and unmasking the interrupt whose handler is above.
    unsafe {
        peripherals.NVIC.set_priority(Timer0Irq, 0x80);
        cortex_m::peripheral::NVIC::unmask(Timer0Irq);
    }
    timer_write(RELOAD, u32::MAX);
    timer_write(VALUE, first);
    timer_write(CTRL, 0b1001); // enable, interrupt enable
    hprintln!(
        "fireball: {} booted; timer 0 raises ISR flag 3 {} times",
        plan.name,
        SAMPLES
    );
    let report = system.run();
    hprintln!(
        "fireball: the run ended before {} interrupts were measured:\n{}",
        SAMPLES,
        report
    );
    exit(false)
}
