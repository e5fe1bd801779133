//! `counter-client` — the guest of `examples/counter/board.toml`: for n = 1, 2, … it binds
//! `svc://counter/<n>`, adds 1, 2, …, n to it and reads the total back, until a counter is not
//! there (or not allowed); then it logs how many it counted on. A total that is not
//! n·(n+1)/2 stops it with an error.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use fireball_guests_sdk::{
    entry, log, no_heap,
    route::{Client, Error},
};
use fireball_record::Message;
use serde::{Deserialize, Serialize};

/// The counter service's message: how much to add, or the total.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Message)]
pub struct Count {
    /// The number.
    pub value: u32,
}

/// Why the run stopped early.
#[derive(Debug, PartialEq, Eq)]
pub enum Stop {
    /// A request failed.
    Route(Error),
    /// Counter `n` read back a total other than n·(n+1)/2.
    WrongTotal(u32, u32),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Self::Route(e)
    }
}

// Nothing here allocates (counts, log lines and requests live on the stack): no heap.
no_heap!();
entry!(main);

fn main() {
    match run() {
        Ok(n) => log::say!(Info: "counted on ", n, " counters"),
        Err(Stop::Route(e)) => log::say!(Error: "stopped: ", e),
        Err(Stop::WrongTotal(n, total)) => {
            log::say!(Error: "counter ", n, " reads ", total)
        }
    }
}

/// Count on every counter there is; how many there were.
pub fn run() -> Result<u32, Stop> {
    let mut n = 1u32;
    loop {
        let counter = match Client::bind_parts(&[&"svc://counter/", &n]) {
            Ok(counter) => counter,
            Err(Error::NoRoute | Error::Denied) => return Ok(n - 1),
            Err(e) => return Err(e.into()),
        };
        for k in 1..=n {
            let _: Count = counter.write(&Count { value: k })?;
        }
        let total: Count = counter.read()?;
        if total.value != n * (n + 1) / 2 {
            return Err(Stop::WrongTotal(n, total.value));
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use fireball_guests_sdk::{codec, route::Method, stub::router};

    use super::*;

    /// Serve `svc://counter/<n>` with a counter whose reads are off by `skew`.
    fn serve_counter(n: u32, skew: u32) {
        let mut total = 0u32;
        router::serve_record(&alloc_uri(n), move |method, request| {
            if method == Method::Write {
                let by: Count = codec::from_record(&request).map_err(|_| 400u16)?;
                total += by.value;
            }
            let value = if method == Method::Read {
                total + skew
            } else {
                total
            };
            Ok(codec::to_record(&Count { value }).expect("a Count is a record"))
        });
    }

    fn alloc_uri(n: u32) -> String {
        format!("svc://counter/{n}")
    }

    #[test]
    fn counts_on_every_counter_until_one_is_missing() {
        for n in 1..=3 {
            serve_counter(n, 0);
        }
        assert_eq!(run(), Ok(3));
    }

    #[test]
    fn a_wrong_total_stops_the_run() {
        serve_counter(1, 0);
        serve_counter(2, 1);
        assert_eq!(run(), Err(Stop::WrongTotal(2, 4)));
    }
}
