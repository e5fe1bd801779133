//! Channel benchmark: Fireball's CSP channel against embassy-sync's `Channel`, same run.
//!
//! `cargo bench -p fireball-kernel` (release build). Wall-clock on the host: the figures are
//! ratios against the embassy baseline, not Cortex-M33 cycle counts (those come from QEMU
//! `-icount` runs of the firmware). `FIREBALL_BENCH_ITERS` sets the iteration count
//! (default 1 000 000) so CI can run it quickly as a smoke test.

use std::cell::Cell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embassy_sync::channel::Channel as EmbassyChannel;
use fireball_kernel::csp::Channel;
use fireball_kernel::sched::Executor;

fn iterations() -> u32 {
    std::env::var("FIREBALL_BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

fn time(label: &str, ops: u32, f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    let elapsed = start.elapsed();
    println!(
        "{label:<44} {:>8.1} ns/op",
        elapsed.as_nanos() as f64 / f64::from(ops)
    );
    elapsed
}

fn ratio(label: &str, ours: Duration, baseline: Duration) {
    println!(
        "{label:<44} {:>8.2}x embassy-sync",
        ours.as_secs_f64() / baseline.as_secs_f64()
    );
}

/// try_send + try_recv pairs on a buffered channel of 8, no executor.
fn try_ops(n: u32) {
    let ours = Channel::<u32>::new(8);
    let t_ours = time("fireball try_send+try_recv (cap 8)", n, || {
        for i in 0..n {
            ours.try_send(black_box(i)).unwrap();
            black_box(ours.try_recv().unwrap());
        }
    });
    let theirs = EmbassyChannel::<NoopRawMutex, u32, 8>::new();
    let t_theirs = time("embassy try_send+try_receive (cap 8)", n, || {
        for i in 0..n {
            theirs.try_send(black_box(i)).unwrap();
            black_box(theirs.try_receive().unwrap());
        }
    });
    ratio("  try ops", t_ours, t_theirs);
}

/// Two tasks on the Fireball executor passing a counter back and forth over two channels:
/// each round trip is two sends, two receives and two task switches.
fn ping_pong(n: u32) {
    let done = Rc::new(Cell::new(0u32));

    let mut ex = Executor::new().unwrap();
    let (ab, ba) = (
        Rc::new(Channel::<u32>::new(1)),
        Rc::new(Channel::<u32>::new(1)),
    );
    let (a_out, a_in, d) = (ab.clone(), ba.clone(), done.clone());
    ex.spawn("ping", async move {
        for i in 0..n {
            a_out.send(i).await.unwrap();
            d.set(a_in.recv().await.unwrap());
        }
    })
    .unwrap();
    ex.spawn("pong", async move {
        for _ in 0..n {
            let v = ab.recv().await.unwrap();
            ba.send(v + 1).await.unwrap();
        }
    })
    .unwrap();
    let t_ours = time("fireball ping-pong round trip (cap 1)", n, || {
        ex.run_until_idle();
    });
    assert_eq!(done.get(), n);

    let mut ex = Executor::new().unwrap();
    let ab: &'static EmbassyChannel<NoopRawMutex, u32, 1> =
        Box::leak(Box::new(EmbassyChannel::new()));
    let ba: &'static EmbassyChannel<NoopRawMutex, u32, 1> =
        Box::leak(Box::new(EmbassyChannel::new()));
    let d = done.clone();
    ex.spawn("ping", async move {
        for i in 0..n {
            ab.send(i).await;
            d.set(ba.receive().await);
        }
    })
    .unwrap();
    ex.spawn("pong", async move {
        for _ in 0..n {
            let v = ab.receive().await;
            ba.send(v + 1).await;
        }
    })
    .unwrap();
    let t_theirs = time("embassy ping-pong round trip (cap 1)", n, || {
        ex.run_until_idle();
    });
    assert_eq!(done.get(), n);
    ratio("  ping-pong (same executor)", t_ours, t_theirs);
}

/// Rendezvous ping-pong: the CSP default, which embassy-sync has no counterpart for.
fn rendezvous(n: u32) {
    let mut ex = Executor::new().unwrap();
    let (ab, ba) = (
        Rc::new(Channel::<u32>::rendezvous()),
        Rc::new(Channel::<u32>::rendezvous()),
    );
    let (a_out, a_in) = (ab.clone(), ba.clone());
    ex.spawn("ping", async move {
        for i in 0..n {
            a_out.send(i).await.unwrap();
            black_box(a_in.recv().await.unwrap());
        }
    })
    .unwrap();
    ex.spawn("pong", async move {
        for _ in 0..n {
            let v = ab.recv().await.unwrap();
            ba.send(v + 1).await.unwrap();
        }
    })
    .unwrap();
    let polls = Cell::new(0);
    time("fireball rendezvous round trip", n, || {
        polls.set(ex.run_until_idle())
    });
    println!(
        "{:<44} {:>8.2} polls/round trip",
        "",
        polls.get() as f64 / f64::from(n)
    );
}

fn main() {
    let n = iterations();
    println!("channel benchmark, {n} iterations");
    try_ops(n);
    ping_pong(n);
    rendezvous(n);
}
