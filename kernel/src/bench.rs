//! Shared benchmark workloads (feature `bench`): the same code measured on the host (wall
//! clock, `benches/kernel.rs`) and on the Cortex-M33 under QEMU (instruction counts, the
//! firmware's bench harness).
//!
//! Each [`Workload`] performs one operation `iters` times and returns a checksum of what it
//! saw, so that the work cannot be optimised away and a broken kernel shows up as a wrong
//! checksum (`tests/bench_workloads.rs` checks every one). Setup (an executor, a channel, two
//! spawned tasks, a heap) costs the same whatever `iters` is, so a harness measuring
//! `run(2N) - run(N)` and dividing by `N` gets the cost of one operation alone.
//!
//! | workload | one operation | baseline |
//! | --- | --- | --- |
//! | `kernel/task_switch` | one `yield_now().await` until the other task runs (two tasks) | — |
//! | `kernel/rendezvous_send_recv` | one value through a capacity-0 channel, task to task | — |
//! | `kernel/buffered_send_recv` | `try_send` + `try_recv` on capacity 8, no executor | `embassy/buffered_send_recv` |
//! | `kernel/async_send_recv` | `send().await` + `recv().await` through a capacity-1 channel, task to task | `embassy/async_send_recv` |
//! | `kernel/partition_alloc_free_8` | 8 B allocate + free through the partitioned heap | `talc/alloc_free_8` |
//! | `kernel/partition_alloc_free_256` | 256 B allocate + free through the partitioned heap | `talc/alloc_free_256` |
//!
//! Baselines run the same shape on the same machinery: embassy-sync's
//! `Channel<NoopRawMutex, u32, N>` (its `try_*` operations, or its send/receive futures on the
//! kernel's own [`Executor`]), and talc used directly — the same talc core and binning as a
//! partition, on an arena of the same size, without the partition routing, statistics and
//! critical section.
//!
//! The module is `no_std`. On Cortex-M embassy-sync needs a `critical-section`
//! implementation (the firmware enables cortex-m's `critical-section-single-core`); the
//! partitioned heap needs one everywhere (host tests use `critical-section/std`).
//!
//! The checksums fold the values seen, in order, with `acc.rotate_left(5) ^ value` over `u32`
//! (cheap on a 32-bit core): the channel workloads fold the values `0..iters` as received, the
//! task switch folds the tag of each task as it resumes (1, 2, 1, 2, …), the heap workloads
//! fold `i as u8` written into and read back from the `i`-th block.
// The heap workloads call `GlobalAlloc` and talc directly, which are `unsafe fn`s.
#![allow(unsafe_code)]

use alloc::rc::Rc;
use core::alloc::{GlobalAlloc, Layout};
use core::cell::Cell;
use core::hint::black_box;
use core::mem::MaybeUninit;

use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embassy_sync::channel::Channel as EmbassyChannel;

use crate::csp::Channel;
use crate::mem::{
    Arena, PartitionBinning, PartitionId, PartitionSwitch, PartitionedHeap, Placement, Region,
};
use crate::sched::{Executor, yield_now};

pub use crate::workload::Workload;

static WORKLOADS: [Workload; 10] = [
    Workload {
        name: "kernel/task_switch",
        baseline: None,
        run: task_switch,
    },
    Workload {
        name: "kernel/rendezvous_send_recv",
        baseline: None,
        run: rendezvous_send_recv,
    },
    Workload {
        name: "kernel/buffered_send_recv",
        baseline: Some("embassy/buffered_send_recv"),
        run: buffered_send_recv,
    },
    Workload {
        name: "embassy/buffered_send_recv",
        baseline: None,
        run: embassy_buffered_send_recv,
    },
    Workload {
        name: "kernel/async_send_recv",
        baseline: Some("embassy/async_send_recv"),
        run: async_send_recv,
    },
    Workload {
        name: "embassy/async_send_recv",
        baseline: None,
        run: embassy_async_send_recv,
    },
    Workload {
        name: "kernel/partition_alloc_free_8",
        baseline: Some("talc/alloc_free_8"),
        run: partition_alloc_free_8,
    },
    Workload {
        name: "talc/alloc_free_8",
        baseline: None,
        run: talc_alloc_free_8,
    },
    Workload {
        name: "kernel/partition_alloc_free_256",
        baseline: Some("talc/alloc_free_256"),
        run: partition_alloc_free_256,
    },
    Workload {
        name: "talc/alloc_free_256",
        baseline: None,
        run: talc_alloc_free_256,
    },
];

/// Every workload, each kernel one followed by its baseline.
pub fn workloads() -> &'static [Workload] {
    &WORKLOADS
}

/// Folds one observed value into a checksum (see the module documentation).
#[inline(always)]
fn mix(acc: u32, value: u32) -> u32 {
    acc.rotate_left(5) ^ value
}

/// Buffer capacity of the `*/buffered_send_recv` workloads.
const BUFFERED_CAPACITY: usize = 8;
/// Buffer capacity of the `*/async_send_recv` workloads: the producer blocks every other value,
/// so waiting senders and receivers are exercised, not only the buffer.
const ASYNC_CAPACITY: usize = 1;

/// An executor for two tasks. Creating one fails only when every wake board is taken (the
/// caller holds `MAX_EXECUTORS` executors already): a harness bug, reported by a panic.
fn executor() -> Executor {
    match Executor::with_capacity(2) {
        Ok(executor) => executor,
        Err(e) => panic!("bench: no executor for the workload: {e:?}"),
    }
}

/// Spawns `future` on `executor`, which has room for it (two tasks at most per workload).
fn spawn(executor: &mut Executor, name: &'static str, future: impl Future<Output = ()> + 'static) {
    if executor.spawn(name, future).is_err() {
        panic!("bench: executor full");
    }
}

// --- Scheduler ----------------------------------------------------------------------------

fn task_switch(iters: u32) -> u64 {
    let mut executor = executor();
    let acc = Rc::new(Cell::new(0u32));
    // Task 1 yields ceil(iters / 2) times, task 2 floor(iters / 2) times: `iters` yields in all.
    for (tag, yields) in [(1, iters - iters / 2), (2, iters / 2)] {
        let acc = acc.clone();
        spawn(&mut executor, "yielder", async move {
            for _ in 0..yields {
                yield_now().await;
                acc.set(mix(acc.get(), tag));
            }
        });
    }
    executor.run_until_idle();
    // The yield count in the high word keeps the checksum non-zero (the
    // firmware harness reads a zero checksum as a failed workload).
    u64::from(acc.get()) | u64::from(iters) << 32
}

// --- Channels -----------------------------------------------------------------------------

/// Two tasks: one sends `0..iters`, the other receives them and folds them into the checksum.
fn kernel_channel_pair(iters: u32, capacity: usize) -> u64 {
    let mut executor = executor();
    let channel = Rc::new(Channel::<u32>::new(capacity));
    let acc = Rc::new(Cell::new(0u32));
    let tx = channel.clone();
    spawn(&mut executor, "sender", async move {
        for value in 0..iters {
            // An error (closed channel) cannot happen here; it would show in the checksum.
            let _ = tx.send(value).await;
        }
    });
    let sink = acc.clone();
    spawn(&mut executor, "receiver", async move {
        for _ in 0..iters {
            if let Some(value) = channel.recv().await {
                sink.set(mix(sink.get(), value));
            }
        }
    });
    executor.run_until_idle();
    u64::from(acc.get())
}

fn rendezvous_send_recv(iters: u32) -> u64 {
    kernel_channel_pair(iters, 0)
}

fn async_send_recv(iters: u32) -> u64 {
    kernel_channel_pair(iters, ASYNC_CAPACITY)
}

fn embassy_async_send_recv(iters: u32) -> u64 {
    let mut executor = executor();
    let channel = Rc::new(EmbassyChannel::<NoopRawMutex, u32, ASYNC_CAPACITY>::new());
    let acc = Rc::new(Cell::new(0u32));
    let tx = channel.clone();
    spawn(&mut executor, "sender", async move {
        for value in 0..iters {
            tx.send(value).await;
        }
    });
    let sink = acc.clone();
    spawn(&mut executor, "receiver", async move {
        for _ in 0..iters {
            let value = channel.receive().await;
            sink.set(mix(sink.get(), value));
        }
    });
    executor.run_until_idle();
    u64::from(acc.get())
}

fn buffered_send_recv(iters: u32) -> u64 {
    let channel = Channel::<u32>::new(BUFFERED_CAPACITY);
    // Opaque to the optimiser: every operation really reads and writes the channel.
    let channel = black_box(&channel);
    let mut acc = 0u32;
    for value in 0..iters {
        let _ = black_box(channel.try_send(black_box(value)));
        if let Ok(value) = black_box(channel.try_recv()) {
            acc = mix(acc, value);
        }
    }
    u64::from(acc)
}

fn embassy_buffered_send_recv(iters: u32) -> u64 {
    let channel = EmbassyChannel::<NoopRawMutex, u32, BUFFERED_CAPACITY>::new();
    let channel = black_box(&channel);
    let mut acc = 0u32;
    for value in 0..iters {
        let _ = black_box(channel.try_send(black_box(value)));
        if let Ok(value) = black_box(channel.try_receive()) {
            acc = mix(acc, value);
        }
    }
    u64::from(acc)
}

// --- Memory -------------------------------------------------------------------------------

/// Bytes of the arena each heap workload allocates from (the partition's and talc's alike).
const HEAP_ARENA_BYTES: usize = 8192;

static GUEST_ARENA: Arena<HEAP_ARENA_BYTES> = Arena::new();
static KERNEL_ARENA: Arena<1024> = Arena::new();
static HEAP: PartitionedHeap = PartitionedHeap::new();

/// The workloads' partitioned heap: P1 and P5 (the measured one) on static arenas, set up by
/// the first call. Every workload frees what it allocates, so each call finds the same state.
fn partitioned_heap() -> &'static PartitionedHeap {
    for (id, arena) in [
        (PartitionId::Kernel, KERNEL_ARENA.take()),
        (PartitionId::Guests, GUEST_ARENA.take()),
    ] {
        if let Some(memory) = arena {
            // Taken once, so added once.
            let _ = HEAP.add_partition(id, Region::new(memory));
        }
    }
    &HEAP
}

fn layout(size: usize) -> Layout {
    match Layout::from_size_align(size, align_of::<usize>()) {
        Ok(layout) => layout,
        Err(_) => panic!("bench: bad layout"),
    }
}

/// Allocates and frees `size` bytes `iters` times through the partitioned heap's
/// `GlobalAlloc`, with a guest's placement current (routing to P5, as a guest task would).
fn partition_alloc_free(iters: u32, size: usize) -> u64 {
    let heap = partitioned_heap();
    let layout = layout(size);
    let previous = heap.switch_to(Placement::guest(1));
    let mut acc = 0u32;
    for i in 0..iters {
        // Safety: the layout has a nonzero size.
        let block = unsafe { heap.alloc(black_box(layout)) };
        if block.is_null() {
            continue;
        }
        // Safety: `block` is a live allocation of at least one byte; it is freed with the
        // layout it was allocated with, and not used afterwards.
        unsafe {
            block.write(i as u8);
            acc = mix(acc, u32::from(black_box(block).read()));
            heap.dealloc(block, layout);
        }
    }
    heap.switch_to(previous);
    u64::from(acc)
}

fn partition_alloc_free_8(iters: u32) -> u64 {
    partition_alloc_free(iters, 8)
}

fn partition_alloc_free_256(iters: u32) -> u64 {
    partition_alloc_free(iters, 256)
}

/// A talc arena on the stack, aligned like [`Arena`].
#[repr(C, align(16))]
struct StackArena([MaybeUninit<u8>; HEAP_ARENA_BYTES]);

/// The same operations on a bare talc heap (same core and binning as a partition).
fn talc_alloc_free(iters: u32, size: usize) -> u64 {
    let mut arena = StackArena([MaybeUninit::uninit(); HEAP_ARENA_BYTES]);
    let mut talc = talc::base::Talc::<_, PartitionBinning>::new(talc::source::Manual);
    // Safety: the arena is valid, writable and used by nothing else while `talc` lives (both
    // end with this function); `Manual` allows claiming by hand.
    if unsafe { talc.claim(arena.0.as_mut_ptr().cast(), HEAP_ARENA_BYTES) }.is_none() {
        panic!("bench: talc arena too small");
    }
    let layout = layout(size);
    let mut acc = 0u32;
    for i in 0..iters {
        // Safety: the layout has a nonzero size.
        let Some(block) = (unsafe { talc.try_allocate(black_box(layout)) }) else {
            continue;
        };
        let block = block.as_ptr();
        // Safety: as in `partition_alloc_free`.
        unsafe {
            block.write(i as u8);
            acc = mix(acc, u32::from(black_box(block).read()));
            talc.deallocate(block, layout);
        }
    }
    u64::from(acc)
}

fn talc_alloc_free_8(iters: u32) -> u64 {
    talc_alloc_free(iters, 8)
}

fn talc_alloc_free_256(iters: u32) -> u64 {
    talc_alloc_free(iters, 256)
}
