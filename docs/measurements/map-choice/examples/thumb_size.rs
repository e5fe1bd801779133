//! One candidate on the Cortex-M33: build with `--features vec` or `--features hash`, compare
//! `.text`, and run under QEMU `mps2-an505 -icount shift=0` for instructions per lookup
//! (run.sh does both). The map holds the sensor hub's six components, or sixteen keys (the
//! stats service's `MAX_KEYS`); names pass through `black_box` so nothing is folded away.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::{format, rc::Rc};

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::hint::black_box;

use cortex_m::peripheral::{SYST, syst::SystClkSource};
use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};

#[cfg(feature = "hash")]
type Map = map_choice::Hashed;
#[cfg(feature = "vec")]
type Map = map_choice::Scan;

const LOOKUPS: u32 = 20_000;

/// A bump allocator over a static arena: the same for both candidates, so it cancels out.
struct Bump(UnsafeCell<(usize, [u8; 16384])>);

// Safety: the probe is single-threaded and never runs its entry twice.
unsafe impl Sync for Bump {}

unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // Safety: one thread, no reentrancy.
        let (next, arena) = unsafe { &mut *self.0.get() };
        let start = (*next + layout.align() - 1) & !(layout.align() - 1);
        if start + layout.size() > arena.len() {
            return core::ptr::null_mut();
        }
        *next = start + layout.size();
        arena[start..].as_mut_ptr()
    }

    unsafe fn dealloc(&self, _: *mut u8, _: Layout) {}
}

#[global_allocator]
static HEAP: Bump = Bump(UnsafeCell::new((0, [0; 16384])));

/// SysTick ticks `f` takes `LOOKUPS` times (SysTick counts down, 24 bits).
fn ticks(syst: &SYST, mut f: impl FnMut()) -> u32 {
    let start = SYST::get_current();
    for _ in 0..LOOKUPS {
        f();
    }
    let _ = syst;
    start.wrapping_sub(SYST::get_current()) & 0x00FF_FFFF
}

#[entry]
fn main() -> ! {
    let mut p = cortex_m::Peripherals::take().unwrap();
    p.SYST.set_clock_source(SystClkSource::Core);
    p.SYST.set_reload(0x00FF_FFFF);
    p.SYST.clear_current();
    p.SYST.enable_counter();
    let empty = ticks(&p.SYST, || ());
    hprintln!("| entries | instructions, present | instructions, absent | heap B |");
    for size in [6usize, 16] {
        let mut map = Map::default();
        let names = ["hal", "logger", "filter", "mesh", "stats", "sensor-buffer"];
        for i in 0..size {
            let name: Rc<str> = match names.get(i) {
                Some(n) => Rc::from(*black_box(n)),
                None => Rc::from(format!("key-{i}").as_str()),
            };
            map.insert(name, i as u16);
        }
        let present = if size == 6 { "mesh" } else { "key-8" };
        let hit = ticks(&p.SYST, || {
            black_box(map.get(black_box(present)));
        });
        let miss = ticks(&p.SYST, || {
            black_box(map.get(black_box("no-such-component")));
        });
        // Under `-icount shift=0` an instruction takes 1 ns and SysTick runs at the
        // board's 20 MHz: 50 instructions a tick.
        let per = |t: u32| (t.saturating_sub(empty) as u64 * 50) as f64 / LOOKUPS as f64;
        hprintln!(
            "| {} | {:.1} | {:.1} | {} |",
            size,
            per(hit),
            per(miss),
            map.heap_bytes()
        );
    }
    debug::exit(debug::EXIT_SUCCESS);
    loop {
        core::hint::spin_loop();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    debug::exit(debug::EXIT_FAILURE);
    loop {}
}
