//! The bounded table of running statistics (pure logic, no I/O).

use alloc::{string::String, vec::Vec};

pub use stats_messages::{MAX_KEY_LEN, MAX_KEYS, Summary};

/// Why a sample was refused; nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The key is new and the table already holds [`MAX_KEYS`] keys.
    Full,
    /// The key is empty or longer than [`MAX_KEY_LEN`] bytes.
    BadKey,
    /// The value is NaN or infinite.
    NotFinite,
}

/// A running summary: count, min, max and mean (Welford's update, stable over long runs).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Running {
    count: u64,
    min: f64,
    max: f64,
    mean: f64,
}

impl Running {
    fn new(value: f64) -> Self {
        Self {
            count: 1,
            min: value,
            max: value,
            mean: value,
        }
    }

    fn add(&mut self, value: f64) {
        self.count = self.count.saturating_add(1);
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        self.mean += (value - self.mean) / self.count as f64;
    }

    fn summary(&self) -> Summary {
        Summary {
            count: self.count,
            min: self.min,
            max: self.max,
            mean: self.mean,
        }
    }
}

/// At most [`MAX_KEYS`] keys, each with its running summary, oldest first. Its memory is
/// reserved up front, so adding a sample never allocates more than the new key's text.
#[derive(Debug)]
pub struct Table {
    entries: Vec<(String, Running)>,
}

impl Table {
    /// An empty table.
    pub fn new() -> Self {
        Self {
            entries: Vec::with_capacity(MAX_KEYS),
        }
    }

    /// Add `value` to `key`'s statistics (a new key starts with it); the summary after.
    pub fn add(&mut self, key: &str, value: f64) -> Result<Summary, Refused> {
        if !value.is_finite() {
            return Err(Refused::NotFinite);
        }
        if key.is_empty() || key.len() > MAX_KEY_LEN {
            return Err(Refused::BadKey);
        }
        if let Some((_, running)) = self.entries.iter_mut().find(|(k, _)| k == key) {
            running.add(value);
            return Ok(running.summary());
        }
        if self.entries.len() == MAX_KEYS {
            return Err(Refused::Full);
        }
        let running = Running::new(value);
        self.entries.push((String::from(key), running));
        Ok(running.summary())
    }

    /// `key`'s summary.
    pub fn get(&self, key: &str) -> Option<Summary> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, running)| running.summary())
    }

    /// Forget `key`; its last summary.
    pub fn remove(&mut self, key: &str) -> Option<Summary> {
        let at = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(at).1.summary())
    }

    /// The keys, oldest first.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// How many keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Default for Table {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn summaries_follow_the_samples() {
        let mut table = Table::new();
        table.add("t", 2.0).unwrap();
        table.add("t", -1.0).unwrap();
        let summary = table.add("t", 5.0).unwrap();
        assert_eq!(
            summary,
            Summary {
                count: 3,
                min: -1.0,
                max: 5.0,
                mean: 2.0
            }
        );
        assert_eq!(table.get("t"), Some(summary));
        assert_eq!(table.get("u"), None);
    }

    #[test]
    fn refusals_change_nothing() {
        let mut table = Table::new();
        for i in 0..MAX_KEYS {
            table.add(&format!("k{i}"), 1.0).unwrap();
        }
        assert_eq!(table.add("new", 1.0), Err(Refused::Full));
        assert_eq!(
            table.add("k0", 3.0).map(|s| s.count),
            Ok(2),
            "known keys still take samples"
        );
        assert_eq!(table.add("k1", f64::NAN), Err(Refused::NotFinite));
        assert_eq!(table.add("k1", f64::INFINITY), Err(Refused::NotFinite));
        assert_eq!(table.get("k1").map(|s| s.count), Some(1));
        assert_eq!(table.add("", 1.0), Err(Refused::BadKey));
        assert_eq!(
            table.add(&"x".repeat(MAX_KEY_LEN + 1), 1.0),
            Err(Refused::BadKey)
        );
        assert_eq!(table.len(), MAX_KEYS);
        assert_eq!(table.remove("k0").map(|s| s.mean), Some(2.0));
        assert_eq!(table.remove("k0"), None);
        table.add("new", 1.0).unwrap();
        assert_eq!(table.keys().last(), Some("new"));
        assert_eq!(table.keys().next(), Some("k1"), "oldest first");
    }

    proptest! {
        /// Whatever arrives, the table stays within its bounds, each summary counts its
        /// samples, and its mean lies between its min and max.
        #[test]
        fn bounded_and_consistent(
            samples in proptest::collection::vec((0u8..24, -1e6f64..1e6), 0..200),
        ) {
            let mut table = Table::new();
            let mut counts = std::collections::HashMap::new();
            for (key, value) in samples {
                let key = format!("k{key}");
                match table.add(&key, value) {
                    Ok(_) => *counts.entry(key).or_insert(0u64) += 1,
                    Err(refused) => {
                        prop_assert_eq!(refused, Refused::Full);
                        prop_assert!(!counts.contains_key(&key));
                    }
                }
                prop_assert!(table.len() <= MAX_KEYS);
            }
            for (key, count) in &counts {
                let summary = table.get(key).unwrap();
                prop_assert_eq!(summary.count, *count);
                prop_assert!(summary.min <= summary.mean + 1e-6 && summary.mean <= summary.max + 1e-6);
            }
        }
    }
}
