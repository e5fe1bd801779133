//! Benchmark workloads (feature `bench`), the same on the host and on
//! Cortex-M33 under QEMU: the firmware's `bench` image counts their
//! instructions, the host bench times them.

use crate::logger::{Event, EventKind, Level, Logger};

pub use fireball_kernel::workload::Workload;

/// Every workload of this crate.
pub fn workloads() -> &'static [Workload] {
    &[
        Workload {
            name: "logger/enqueue",
            baseline: Some("heapless/history_buffer_write"),
            run: logger_enqueue,
        },
        Workload {
            name: "heapless/history_buffer_write",
            baseline: None,
            run: history_buffer_write,
        },
    ]
}

/// `Logger::event` into the 256-slot ring (level filter passed, ring full
/// after the first 256, so most pushes also overwrite).
fn logger_enqueue(iters: u32) -> u64 {
    let mut logger = Logger::<256>::new(Level::Debug);
    for i in 0..iters {
        logger.event(core::hint::black_box(Event::new(
            i,
            Level::Debug,
            EventKind::ChannelSend,
            i as u16,
        )));
    }
    logger.events().pushed() + logger.events().overwritten()
}

/// The same events into heapless's overwrite-oldest ring, no filter, no counters.
fn history_buffer_write(iters: u32) -> u64 {
    let mut ring = heapless::HistoryBuf::<Event, 256>::new();
    for i in 0..iters {
        ring.write(core::hint::black_box(Event::new(
            i,
            Level::Debug,
            EventKind::ChannelSend,
            i as u16,
        )));
    }
    ring.len() as u64 + u64::from(ring.recent().map_or(0, |e| e.at_ms()))
}
