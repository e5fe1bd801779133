//! The route table: which registered pattern a URI resolves to (pure logic, `no_std`).
//!
//! Patterns are stored in a segment trie. The scheme is the first level; each node keeps its
//! literal children **sorted**, so a step is a binary search, and at most one parameter child
//! (parameters are matched by position; their names belong to each pattern). A lookup costs
//! `O(d · log f)` string comparisons for a URI of `d` segments and a fan-out of `f` — for a
//! fixed depth, `O(log N)` in the number of routes — and allocates nothing.
//!
//! The semantics are matchit's (0.9), restricted to whole-segment parameters: a literal
//! segment beats a parameter at the same place, and when the literal branch fails further
//! down the lookup backtracks into the parameter branch. Two patterns of the same shape (equal
//! up to parameter names, e.g. `hal://adc/{ch}` and `hal://adc/{n}`) conflict. The `std`
//! feature's `reference` table wraps matchit itself; the proptests in
//! `tests/matcher_equivalence.rs` check that the two always agree.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

use crate::uri::{MAX_SEGMENTS, Pattern, PatternSegment, Uri, UriError};

#[cfg(feature = "std")]
pub mod reference;

/// Why a pattern could not be added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InsertError {
    /// The pattern text is malformed.
    Uri(UriError),
    /// A pattern of the same shape is already in the table (at this index).
    Conflict { with: usize },
    /// The table holds `u16::MAX` patterns already.
    Full,
}

impl fmt::Display for InsertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Uri(e) => write!(f, "bad pattern: {e}"),
            Self::Conflict { with } => write!(f, "conflicts with route {with}"),
            Self::Full => write!(f, "route table is full"),
        }
    }
}

#[derive(Default)]
struct Node {
    /// Literal children, sorted by segment text.
    literals: Vec<(Box<str>, u32)>,
    /// The parameter child, if any pattern has a parameter here.
    param: Option<u32>,
    /// The entry of the pattern ending here.
    entry: Option<u16>,
}

/// The trie path of a pattern: the scheme, then each segment (`None` for a parameter).
fn keys_of<'p>(parsed: &Pattern<'p>) -> heapless::Vec<Option<&'p str>, { MAX_SEGMENTS + 1 }> {
    let mut keys = heapless::Vec::new();
    // Cannot overflow: a scheme plus at most `MAX_SEGMENTS` segments.
    let _ = keys.push(Some(parsed.scheme()));
    for segment in parsed.segments() {
        let _ = keys.push(match segment {
            PatternSegment::Literal(text) => Some(*text),
            PatternSegment::Param(_) => None,
        });
    }
    keys
}

/// One stored pattern.
struct Entry<V> {
    text: Box<str>,
    /// Parameter names with the index of the segment each captures.
    params: Box<[(u8, Box<str>)]>,
    value: V,
}

/// A successful lookup.
pub struct Match<'t, 'u, V> {
    index: usize,
    entry: &'t Entry<V>,
    segments: &'u [&'u str],
}

impl<'t, 'u, V> Match<'t, 'u, V> {
    /// The position of the pattern in insertion order.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The matched pattern's text.
    pub fn pattern(&self) -> &'t str {
        &self.entry.text
    }

    /// The value stored with the pattern.
    pub fn value(&self) -> &'t V {
        &self.entry.value
    }

    /// The captured `(name, value)` pairs, in pattern order.
    pub fn params(&self) -> impl Iterator<Item = (&'t str, &'u str)> + '_ {
        self.entry
            .params
            .iter()
            .map(|(at, name)| (&**name, self.segments[usize::from(*at)]))
    }
}

/// Route patterns and the values they resolve to. See the [module documentation](self).
pub struct RouteTable<V> {
    nodes: Vec<Node>,
    entries: Vec<Entry<V>>,
}

impl<V> Default for RouteTable<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> RouteTable<V> {
    /// An empty table.
    pub fn new() -> Self {
        Self {
            nodes: alloc::vec![Node::default()],
            entries: Vec::new(),
        }
    }

    /// Number of patterns.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds `pattern` (text such as `hal://adc/{channel}`); returns its index.
    pub fn insert(&mut self, pattern: &str, value: V) -> Result<usize, InsertError> {
        let parsed = Pattern::parse(pattern).map_err(InsertError::Uri)?;
        if self.entries.len() >= usize::from(u16::MAX) {
            return Err(InsertError::Full);
        }
        let keys = keys_of(&parsed);
        self.insert_keys(&keys, &parsed, value)
    }

    /// Follows `keys` as far as the trie goes: `(node, keys consumed)`.
    fn walk(&self, keys: &[Option<&str>]) -> (usize, usize) {
        let mut node = 0usize;
        let mut depth = 0;
        while depth < keys.len() {
            let next = match keys[depth] {
                Some(text) => {
                    let literals = &self.nodes[node].literals;
                    literals
                        .binary_search_by(|(k, _)| (**k).cmp(text))
                        .ok()
                        .map(|i| literals[i].1)
                }
                None => self.nodes[node].param,
            };
            match next {
                Some(child) => node = child as usize,
                None => break,
            }
            depth += 1;
        }
        (node, depth)
    }

    /// The index of the pattern with the same shape as `pattern` (equal up to parameter
    /// names), if any: the one an insert of `pattern` would conflict with.
    pub fn find_shape(&self, pattern: &str) -> Option<usize> {
        let parsed = Pattern::parse(pattern).ok()?;
        let keys = keys_of(&parsed);
        match self.walk(&keys) {
            (node, depth) if depth == keys.len() => self.nodes[node].entry.map(usize::from),
            _ => None,
        }
    }

    fn insert_keys(
        &mut self,
        keys: &[Option<&str>],
        parsed: &Pattern<'_>,
        value: V,
    ) -> Result<usize, InsertError> {
        // Walk as far as the trie goes, creating nothing, so a conflict leaves it untouched.
        let (mut node, depth) = self.walk(keys);
        if depth == keys.len()
            && let Some(with) = self.nodes[node].entry
        {
            return Err(InsertError::Conflict {
                with: usize::from(with),
            });
        }
        // Create the rest of the path.
        for key in &keys[depth..] {
            let child = self.nodes.len() as u32;
            self.nodes.push(Node::default());
            match key {
                Some(text) => {
                    let literals = &mut self.nodes[node].literals;
                    let at = literals
                        .binary_search_by(|(k, _)| (**k).cmp(text))
                        .unwrap_or_else(|at| at);
                    literals.insert(at, ((*text).into(), child));
                }
                None => self.nodes[node].param = Some(child),
            }
            node = child as usize;
        }
        let index = self.entries.len();
        self.nodes[node].entry = Some(index as u16);
        let params = parsed
            .segments()
            .iter()
            .enumerate()
            .filter_map(|(at, s)| match s {
                PatternSegment::Param(name) => Some((at as u8, Box::<str>::from(*name))),
                PatternSegment::Literal(_) => None,
            })
            .collect();
        self.entries.push(Entry {
            text: parsed.as_str().into(),
            params,
            value,
        });
        Ok(index)
    }

    /// The pattern `uri` resolves to, if any.
    pub fn lookup<'t, 'u>(&'t self, uri: &'u Uri<'u>) -> Option<Match<'t, 'u, V>> {
        let scheme_node = {
            let literals = &self.nodes[0].literals;
            let i = literals
                .binary_search_by(|(k, _)| (**k).cmp(uri.scheme()))
                .ok()?;
            literals[i].1
        };
        let index = self.find(scheme_node, uri.segments())?;
        let index = usize::from(index);
        Some(Match {
            index,
            entry: &self.entries[index],
            segments: uri.segments(),
        })
    }

    /// Depth-first: literal child first, then the parameter child (backtracking).
    /// Recursion is bounded by the URI's segment count (at most [`MAX_SEGMENTS`]).
    fn find(&self, node: u32, segments: &[&str]) -> Option<u16> {
        let node = &self.nodes[node as usize];
        let Some((first, rest)) = segments.split_first() else {
            return node.entry;
        };
        if let Ok(i) = node.literals.binary_search_by(|(k, _)| (**k).cmp(first))
            && let Some(found) = self.find(node.literals[i].1, rest)
        {
            return Some(found);
        }
        self.find(node.param?, rest)
    }

    /// The value stored at `index`.
    pub fn get(&self, index: usize) -> Option<&V> {
        self.entries.get(index).map(|e| &e.value)
    }

    /// The value stored at `index`, mutably.
    pub fn get_mut(&mut self, index: usize) -> Option<&mut V> {
        self.entries.get_mut(index).map(|e| &mut e.value)
    }

    /// The pattern text at `index`.
    pub fn pattern(&self, index: usize) -> Option<&str> {
        self.entries.get(index).map(|e| &*e.text)
    }

    /// The index of the pattern whose text is exactly `pattern`.
    pub fn position(&self, pattern: &str) -> Option<usize> {
        self.entries.iter().position(|e| &*e.text == pattern)
    }

    /// Every `(index, pattern, value)`, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &str, &V)> {
        self.entries
            .iter()
            .enumerate()
            .map(|(i, e)| (i, &*e.text, &e.value))
    }
}

impl<V> fmt::Debug for RouteTable<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|e| &e.text))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn resolve(table: &RouteTable<u32>, uri: &str) -> Option<(u32, Vec<(String, String)>)> {
        let uri = Uri::parse(uri).unwrap();
        let m = table.lookup(&uri)?;
        let params = m.params().map(|(k, v)| (k.into(), v.into())).collect();
        Some((*m.value(), params))
    }

    use alloc::string::String;

    #[test]
    fn literal_beats_param_and_backtracks() {
        let mut t = RouteTable::new();
        t.insert("hal://a/b/d", 1).unwrap();
        t.insert("hal://a/{x}/c", 2).unwrap();
        t.insert("hal://a/b", 3).unwrap();
        assert_eq!(resolve(&t, "hal://a/b/d"), Some((1, vec![])));
        assert_eq!(
            resolve(&t, "hal://a/b/c"),
            Some((2, vec![("x".into(), "b".into())]))
        );
        assert_eq!(resolve(&t, "hal://a/b"), Some((3, vec![])));
        assert_eq!(resolve(&t, "hal://a"), None);
        assert_eq!(resolve(&t, "svc://a/b"), None);
    }

    #[test]
    fn same_shape_conflicts_but_names_may_differ_elsewhere() {
        let mut t = RouteTable::new();
        assert_eq!(t.insert("hal://adc/{ch}", 1), Ok(0));
        assert_eq!(
            t.insert("hal://adc/{n}", 2),
            Err(InsertError::Conflict { with: 0 })
        );
        assert_eq!(t.insert("hal://{x}/a", 3), Ok(1));
        assert_eq!(t.insert("hal://{y}/b", 4), Ok(2));
        assert_eq!(
            resolve(&t, "hal://q/b"),
            Some((4, vec![("y".into(), "q".into())]))
        );
        assert_eq!(t.len(), 3);
        assert!(matches!(t.insert("hal://{", 0), Err(InsertError::Uri(_))));
    }

    #[test]
    fn scheme_only_patterns() {
        let mut t = RouteTable::new();
        t.insert("log://", 7).unwrap();
        t.insert("log://{level}", 8).unwrap();
        assert_eq!(resolve(&t, "log://"), Some((7, vec![])));
        assert_eq!(
            resolve(&t, "log://warn"),
            Some((8, vec![("level".into(), "warn".into())]))
        );
        assert_eq!(t.position("log://{level}"), Some(1));
        assert_eq!(t.pattern(0), Some("log://"));
    }

    #[test]
    fn longest_patterns_fit() {
        let mut t = RouteTable::new();
        let long =
            "hal://{a0}/{a1}/{a2}/{a3}/{a4}/{a5}/{a6}/{a7}/{a8}/{a9}/{b0}/{b1}/{b2}/{b3}/{b4}/{b5}";
        t.insert(long, 1).unwrap();
        assert_eq!(
            resolve(&t, "hal://0/1/2/3/4/5/6/7/8/9/a/b/c/d/e/f").map(|(v, p)| (v, p.len())),
            Some((1, 16))
        );
    }
}
