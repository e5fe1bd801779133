//! The reference table (feature `std`): matchit 0.9 behind the same interface as
//! [`RouteTable`](super::RouteTable), used to prove the `no_std` matcher equivalent to it.
//!
//! A Fireball URI `scheme://a/b` is the matchit path `/scheme/a/b` (`log://` is `/log`); both
//! grammars forbid `/`, `{` and `}` inside a segment, so the mapping is one-to-one.

use std::string::String;
use std::vec::Vec;

use crate::uri::{Pattern, Uri};

use super::InsertError;

/// The matchit path for a parsed pattern or URI: `/scheme/seg/seg`.
fn path<'a>(scheme: &str, segments: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::from("/");
    out.push_str(scheme);
    for segment in segments {
        out.push('/');
        out.push_str(segment);
    }
    out
}

/// Captured `(name, value)` pairs.
pub type Params = Vec<(String, String)>;

/// matchit's router, holding `(index, value)`.
pub struct ReferenceTable<V> {
    router: matchit::Router<(usize, V)>,
    texts: Vec<String>,
}

impl<V> Default for ReferenceTable<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> ReferenceTable<V> {
    /// An empty table.
    pub fn new() -> Self {
        Self {
            router: matchit::Router::new(),
            texts: Vec::new(),
        }
    }

    /// Adds `pattern`; returns its index. Errors as [`super::RouteTable::insert`].
    pub fn insert(&mut self, pattern: &str, value: V) -> Result<usize, InsertError> {
        let parsed = Pattern::parse(pattern).map_err(InsertError::Uri)?;
        let route = path(parsed.scheme(), pattern_segments(pattern));
        let index = self.texts.len();
        match self.router.insert(route, (index, value)) {
            Ok(()) => {
                self.texts.push(pattern.into());
                Ok(index)
            }
            Err(matchit::InsertError::Conflict { with }) => {
                let with = self
                    .texts
                    .iter()
                    .position(|t| {
                        let p = Pattern::parse(t).expect("stored patterns parse");
                        path(p.scheme(), pattern_segments(t)) == with
                    })
                    .unwrap_or(usize::MAX);
                Err(InsertError::Conflict { with })
            }
            Err(other) => panic!("matchit refused a valid pattern {pattern:?}: {other}"),
        }
    }

    /// The `(index, value, params)` that `uri` resolves to.
    pub fn lookup(&self, uri: &Uri<'_>) -> Option<(usize, &V, Params)> {
        let route = path(uri.scheme(), uri.segments().iter().copied());
        let m = self.router.at(&route).ok()?;
        let params = m.params.iter().map(|(k, v)| (k.into(), v.into())).collect();
        Some((m.value.0, &m.value.1, params))
    }
}

/// A pattern's raw segments (`{name}` kept as written: matchit uses the same syntax).
fn pattern_segments(pattern: &str) -> impl Iterator<Item = &str> {
    let path = pattern.split_once("://").map_or("", |(_, p)| p);
    path.split('/').filter(|s| !s.is_empty())
}
