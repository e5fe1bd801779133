//! `counter` — the smallest useful service: one number, read and added to.
//!
//! | route | method | request | reply |
//! | --- | --- | --- | --- |
//! | `svc://counter/{n}` | write | [`Count`]: how much to add | [`Count`]: the new total |
//! | | read | — | [`Count`]: the total |
//!
//! A deployment may run several, each registered on its own `svc://counter/<n>`: the board
//! manifest `examples/counter/board.toml` does, to measure what one more small service costs
//! in RAM (docs/perf.md). The total wraps at `u32::MAX`; nothing a caller sends makes it
//! panic (a body that is not a [`Count`] gets 400 from the SDK). It has no heap: nothing in
//! it allocates.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use fireball_services_sdk::prelude::*;

/// A count: how much to add, or the total.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Message)]
pub struct Count {
    /// The number.
    pub value: u32,
}

/// The service's state: the total.
#[derive(Debug, Default)]
pub struct Counter {
    total: u32,
}

/// `write svc://counter/{n}`: add a [`Count`], answer the new total.
pub const ADD: Route<Count, Count> = Route::write("svc://counter/{n}");

/// `read svc://counter/{n}`: the total.
pub const TOTAL: Route<(), Count> = Route::read("svc://counter/{n}");

impl Counter {
    /// [`ADD`]: add, answer the new total.
    pub fn add(&mut self, _: &Request<'_>, by: Count) -> Result<Count, Failure> {
        self.total = self.total.wrapping_add(by.value);
        Ok(Count { value: self.total })
    }

    /// [`TOTAL`]: the total.
    pub fn get(&mut self, _: &Request<'_>, (): ()) -> Result<Count, Failure> {
        Ok(Count { value: self.total })
    }
}

impl Service for Counter {
    fn init() -> Self {
        Self::default()
    }

    fn routes(routes: Routes<Self>) -> Routes<Self> {
        routes.serve(ADD, Counter::add).serve(TOTAL, Counter::get)
    }
}

// Nothing here allocates: no heap.
service!(Counter);

#[cfg(test)]
mod tests {
    use fireball_services_sdk::stub;

    use super::*;

    #[test]
    fn adds_and_reads_the_total() {
        let mut service = stub::Service::<Counter>::new();
        assert_eq!(
            service.write("svc://counter/1", &Count { value: 2 }),
            Ok(Count { value: 2 })
        );
        assert_eq!(
            service.write("svc://counter/1", &Count { value: 3 }),
            Ok(Count { value: 5 })
        );
        assert_eq!(service.read("svc://counter/1"), Ok(Count { value: 5 }));
    }

    #[test]
    fn the_total_wraps_and_other_routes_are_not_found() {
        let mut service = stub::Service::<Counter>::new();
        let _: Result<Count, _> = service.write("svc://counter/1", &Count { value: u32::MAX });
        assert_eq!(
            service.write("svc://counter/1", &Count { value: 2 }),
            Ok(Count { value: 1 })
        );
        assert_eq!(
            service.read::<Count>("svc://other"),
            Err(Failure::NOT_FOUND)
        );
    }
}
