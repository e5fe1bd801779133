//! A process that boots deployment after deployment (a user's snapshot tests through
//! `fireball::testing`, the `guest` fuzz target, a test suite) gets all of each one's memory
//! back when it is dropped: booting, running and dropping the sensor hub again and again
//! leaves the live heap where it was. This binary's global allocator counts live bytes.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    sync::atomic::{AtomicIsize, Ordering},
};

use fireball::deploy::{self, Output, RunOptions};
use fireball_subsystems::host::BufferConsole;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// Safety: every call is passed on to `System` unchanged; only the count is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // Safety: as `System::alloc`, with the caller's layout.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Safety: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Safety: as `System::realloc`, with the caller's pointer and layouts.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Boot the sensor hub, run it for a second of virtual time, drop it; the live bytes after.
fn boot_run_drop() -> isize {
    let manifest = fireball_tests::repo_root().join("examples/sensor-hub/fireball.toml");
    let out = BufferConsole::new();
    let options = RunOptions {
        max_time_us: 1_000_000,
        output: Output::Buffer(out.clone()),
        ..RunOptions::default()
    };
    let system = deploy::boot_file(&manifest, &fireball_tests::modules_dir(), options)
        .expect("the sensor hub boots");
    let report = system.run();
    assert!(report.halted.is_none(), "{report}");
    assert!(!out.contents().is_empty(), "the hub printed nothing");
    drop(report);
    drop(out);
    LIVE.load(Ordering::Relaxed)
}

#[test]
fn a_dropped_deployment_gives_back_every_byte() {
    // The first runs warm up what a process keeps once (the standard library's and wasmi's
    // lazily made statics).
    let live: Vec<isize> = (0..8).map(|_| boot_run_drop()).collect();
    let base = live[2];
    let grown: Vec<isize> = live[3..].iter().map(|l| l - base).collect();
    assert_eq!(
        grown, [0; 5],
        "live bytes after each further boot, run and drop, against the third's ({base})"
    );
}
