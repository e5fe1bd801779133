//! `{{name}}-client` — a guest that calls the `{{name}}` service: it adds 1, 2 and 3 to
//! [`URI`], reads the total back, logs it and returns. A total other than 6 (or a failed
//! request) stops it with an error, so `fireball run` exits with status 1.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use fireball_guests_sdk::{
    abort, entry, log, no_heap,
    route::{Client, Error},
};
use {{crate}}_messages::{ADD, Amount, Total};

/// The key this guest adds to.
pub const URI: &str = "svc://{{name}}/demo";

// Nothing here allocates: no heap.
no_heap!();
entry!(main);

fn main() {
    match run() {
        Ok(total) if total.value == 6 => {
            log::say!(Info: "total ", total.value, " after ", total.count, " amounts")
        }
        Ok(total) => {
            log::say!(Error: "wrong total ", total.value);
            abort("the service added wrong");
        }
        Err(error) => {
            log::say!(Error: "stopped: ", error);
            abort("a request failed");
        }
    }
}

/// Add 1, 2 and 3, then read the total (`read` of [`{{crate}}_messages::TOTAL`]).
pub fn run() -> Result<Total, Error> {
    let service = Client::bind(URI)?;
    for value in 1..=3 {
        let _: Total = service.send(ADD, &Amount { value })?;
    }
    service.read()
}

#[cfg(test)]
mod tests {
    use fireball_guests_sdk::{codec, route::Method, stub::router};

    use super::*;

    #[test]
    fn adds_then_reads_the_total() {
        let mut total = Total::default();
        router::serve_record(URI, move |method, request| {
            if method == Method::Write {
                let amount: Amount = codec::from_record(&request).map_err(|_| 400u16)?;
                total.value += amount.value;
                total.count += 1;
            }
            Ok(codec::to_record(&total).expect("a Total is a record"))
        });
        assert_eq!(run(), Ok(Total { value: 6, count: 3 }));
    }

    #[test]
    fn a_missing_service_is_an_error() {
        assert_eq!(run(), Err(Error::NoRoute));
    }
}
