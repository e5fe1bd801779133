//! RTC0 as the board's microsecond clock: 32,768 Hz from LFCLK (started by
//! `embassy_nrf::init`), its 24-bit counter extended to 64 bits at each read
//! ([`extend_counter`]); it wraps every 512 s, so the clock must be read at least that often
//! (the deployment loop reads it at every turn).

use core::cell::{Cell, RefCell};

use cortex_m::interrupt::{self, Mutex};
use embassy_nrf::{Peri, peripherals::RTC0, rtc::Rtc};
use fireball_subsystems::hal::{
    Clock,
    units::{extend_counter, ticks_to_us},
};

/// LFCLK's rate: RTC0 counts at it (prescaler 0).
pub const HZ: u64 = 32_768;
/// Width of the RTC's counter.
const BITS: u32 = 24;

static RTC: Mutex<RefCell<Option<Rtc<'static>>>> = Mutex::new(RefCell::new(None));
/// The counter extended to 64 bits at the last read.
static LAST: Mutex<Cell<u64>> = Mutex::new(Cell::new(0));

/// Start RTC0 counting from zero at 32,768 Hz.
pub fn init(rtc: Peri<'static, RTC0>) {
    // Prescaler 0 is always in range.
    let Ok(mut rtc) = Rtc::new(rtc, 0) else {
        return;
    };
    rtc.clear();
    rtc.enable();
    interrupt::free(|cs| RTC.borrow(cs).replace(Some(rtc)));
}

/// RTC0 as the HAL clock: microseconds since [`init`].
#[derive(Clone, Copy, Debug, Default)]
pub struct RtcClock;

impl Clock for RtcClock {
    fn now_us(&self) -> u64 {
        interrupt::free(|cs| {
            let raw = RTC.borrow(cs).borrow().as_ref().map_or(0, Rtc::read);
            let last = LAST.borrow(cs);
            let ticks = extend_counter(last.get(), raw, BITS);
            last.set(ticks);
            ticks_to_us(ticks, HZ)
        })
    }
}
