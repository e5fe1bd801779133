//! Host timing of the two candidates, ratios in one run (absolute figures on a shared
//! machine mean little): lookups of a present and an absent name in maps of 6, 16 and 32
//! entries (the sensor hub's components, the stats service's `MAX_KEYS`, a large
//! deployment).
use std::hint::black_box;
use std::rc::Rc;
use std::time::Instant;

use map_choice::{Hashed, Scan};

const ROUNDS: usize = 2_000_000;

fn names(n: usize) -> Vec<Rc<str>> {
    (0..n).map(|i| Rc::from(format!("component-{i}"))).collect()
}

fn time(mut f: impl FnMut()) -> f64 {
    // The best of five: the least disturbed by other work on the machine.
    (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..ROUNDS {
                f();
            }
            start.elapsed().as_nanos() as f64 / ROUNDS as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    println!(
        "| entries | lookup | scan ns | hashbrown ns | hashbrown / scan | scan heap B | hashbrown heap B |"
    );
    println!("| ---: | --- | ---: | ---: | ---: | ---: | ---: |");
    for n in [6, 16, 32] {
        let names = names(n);
        let (mut scan, mut hashed) = (Scan::default(), Hashed::default());
        for (i, name) in names.iter().enumerate() {
            scan.insert(name.clone(), i as u16);
            hashed.insert(name.clone(), i as u16);
        }
        let middle = names[n / 2].to_string();
        for (what, key) in [
            ("present (middle)", middle.as_str()),
            ("absent", "no-such-component"),
        ] {
            let s = time(|| {
                black_box(scan.get(black_box(key)));
            });
            let h = time(|| {
                black_box(hashed.get(black_box(key)));
            });
            println!(
                "| {n} | {what} | {s:.1} | {h:.1} | {:.2} | {} | {} |",
                h / s,
                scan.heap_bytes(),
                hashed.heap_bytes()
            );
        }
    }
}
