//! `{{name}}` — a Fireball service: a running total per key.
//!
//! | route | method | request | reply |
//! | --- | --- | --- | --- |
//! | `svc://{{name}}/{key}` | write | [`Amount`]: how much to add | [`Total`] after adding it |
//! | | read | — | [`Total`] (zero for a key never written) |
//!
//! Keys are the last segment of the URI; the service keeps [`MAX_KEYS`] of them, and a new
//! key beyond that is refused with 507. A body that is not an [`Amount`] gets 400 from the
//! SDK. Nothing a caller sends makes it panic.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use fireball_services_sdk::prelude::*;

pub use {{crate}}_messages::{Amount, Total};

/// Most keys kept at once.
pub const MAX_KEYS: usize = 8;

/// The service's state: the totals by key, in the order the keys came.
#[derive(Debug, Default)]
pub struct {{Type}} {
    totals: Vec<(String, Total)>,
}

impl {{Type}} {
    /// `write svc://{{name}}/{key}`: add, answer the new total.
    pub fn add(&mut self, request: &Request<'_>, amount: Amount) -> Result<Total, Failure> {
        let key = request.param("key").ok_or(Failure::BAD_REQUEST)?;
        let at = match self.totals.iter().position(|(k, _)| k == key) {
            Some(at) => at,
            None if self.totals.len() == MAX_KEYS => return Err(Failure::INSUFFICIENT_STORAGE),
            None => {
                self.totals.push((String::from(key), Total::default()));
                self.totals.len() - 1
            }
        };
        let total = &mut self.totals[at].1;
        total.value = total.value.wrapping_add(amount.value);
        total.count = total.count.saturating_add(1);
        Ok(*total)
    }

    /// `read svc://{{name}}/{key}`: the key's total.
    pub fn total(&mut self, request: &Request<'_>, (): ()) -> Result<Total, Failure> {
        let key = request.param("key").ok_or(Failure::BAD_REQUEST)?;
        Ok(self
            .totals
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, total)| *total)
            .unwrap_or_default())
    }
}

impl Service for {{Type}} {
    fn init() -> Self {
        Self::default()
    }

    fn routes(routes: Routes<Self>) -> Routes<Self> {
        routes
            .serve({{crate}}_messages::ADD, {{Type}}::add)
            .serve({{crate}}_messages::TOTAL, {{Type}}::total)
    }
}

// The heap holds the keys and their totals.
service!({{Type}}, heap = 2048);

#[cfg(test)]
mod tests {
    use fireball_services_sdk::stub;

    use super::*;

    #[test]
    fn adds_and_reads_totals_per_key() {
        let mut service = stub::Service::<{{Type}}>::new();
        let uri = "svc://{{name}}/a";
        assert_eq!(
            service.write(uri, &Amount { value: 2 }),
            Ok(Total { value: 2, count: 1 })
        );
        assert_eq!(
            service.write(uri, &Amount { value: 3 }),
            Ok(Total { value: 5, count: 2 })
        );
        assert_eq!(service.read(uri), Ok(Total { value: 5, count: 2 }));
        assert_eq!(service.read("svc://{{name}}/b"), Ok(Total::default()));
    }

    #[test]
    fn keys_beyond_the_limit_are_refused() {
        let mut service = stub::Service::<{{Type}}>::new();
        for k in 0..MAX_KEYS {
            let uri = format!("svc://{{name}}/k{k}");
            assert!(service.write::<_, Total>(&uri, &Amount { value: 1 }).is_ok());
        }
        assert_eq!(
            service.write::<_, Total>("svc://{{name}}/one-more", &Amount { value: 1 }),
            Err(Failure::INSUFFICIENT_STORAGE)
        );
    }
}
