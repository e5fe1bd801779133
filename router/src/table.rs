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
//!
//! # Memory
//!
//! Built for microcontrollers: each pattern's text is stored once, in one arena, and trie
//! edges and parameter names are spans into it (no allocation per segment). A node is 16
//! bytes on a 32-bit target, an edge 12; a node's edges are an exact-size boxed slice. A
//! typical route costs its text plus about 80 bytes on a 32-bit target
//! ([`RouteTable::heap_bytes`]; [`RouteTable::with_capacity`] avoids growth slack when the
//! count is known).

use alloc::boxed::Box;
use alloc::string::String;
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
    Conflict {
        /// The index of the pattern it conflicts with.
        with: usize,
    },
    /// The table holds `u16::MAX - 1` patterns already, or the pattern is longer than
    /// 65 535 bytes.
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

const NONE_U32: u32 = u32::MAX;
const NONE_U16: u16 = u16::MAX;

/// A slice of the text arena.
#[derive(Clone, Copy)]
struct Span {
    start: u32,
    len: u16,
}

/// A literal child: its segment text and the child node.
#[derive(Clone, Copy)]
struct Edge {
    text: Span,
    child: u32,
}

struct Node {
    /// Literal children, sorted by segment text.
    literals: Box<[Edge]>,
    /// The parameter child, or `NONE_U32`.
    param: u32,
    /// The entry of the pattern ending here, or `NONE_U16`.
    entry: u16,
}

impl Node {
    fn new() -> Self {
        Self {
            literals: Box::new([]),
            param: NONE_U32,
            entry: NONE_U16,
        }
    }
}

/// One parameter of a pattern: the segment it captures and its name.
#[derive(Clone, Copy)]
struct ParamSlot {
    at: u8,
    name: Span,
}

/// One stored pattern.
struct Entry<V> {
    text: Span,
    /// Its parameters: `params[first..first + count]`.
    first_param: u32,
    params: u8,
    value: V,
}

/// A successful lookup.
pub struct Match<'t, 'u, V> {
    table: &'t RouteTable<V>,
    index: usize,
    segments: &'u [&'u str],
}

impl<'t, 'u, V> Match<'t, 'u, V> {
    /// The position of the pattern in insertion order.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The matched pattern's text.
    pub fn pattern(&self) -> &'t str {
        self.table.span(self.table.entries[self.index].text)
    }

    /// The value stored with the pattern.
    pub fn value(&self) -> &'t V {
        &self.table.entries[self.index].value
    }

    /// The captured `(name, value)` pairs, in pattern order.
    pub fn params(&self) -> impl Iterator<Item = (&'t str, &'u str)> + '_ {
        let table = self.table;
        table
            .params_of(&table.entries[self.index])
            .iter()
            .map(|p| (table.span(p.name), self.segments[usize::from(p.at)]))
    }
}

/// Route patterns and the values they resolve to. See the [module documentation](self).
pub struct RouteTable<V> {
    text: String,
    nodes: Vec<Node>,
    entries: Vec<Entry<V>>,
    params: Vec<ParamSlot>,
}

impl<V> Default for RouteTable<V> {
    fn default() -> Self {
        Self::new()
    }
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

impl<V> RouteTable<V> {
    /// An empty table.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty table with room for about `routes` patterns without growing.
    pub fn with_capacity(routes: usize) -> Self {
        let mut nodes = Vec::with_capacity(1 + routes * 9 / 4);
        nodes.push(Node::new());
        Self {
            text: String::with_capacity(routes * 24),
            nodes,
            entries: Vec::with_capacity(routes),
            params: Vec::with_capacity(routes),
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

    #[inline]
    fn span(&self, span: Span) -> &str {
        let start = span.start as usize;
        &self.text[start..start + usize::from(span.len)]
    }

    fn params_of(&self, entry: &Entry<V>) -> &[ParamSlot] {
        let first = entry.first_param as usize;
        &self.params[first..first + usize::from(entry.params)]
    }

    /// A span's bytes (comparing bytes orders UTF-8 strings exactly as comparing `str`s,
    /// and skips the char-boundary checks of slicing a `str`).
    #[inline]
    fn span_bytes(&self, span: Span) -> &[u8] {
        let start = span.start as usize;
        self.text
            .as_bytes()
            .get(start..start + usize::from(span.len))
            .unwrap_or_default()
    }

    #[inline]
    fn literal(&self, node: &Node, text: &str) -> Result<usize, usize> {
        let text = text.as_bytes();
        node.literals
            .binary_search_by(|edge| self.span_bytes(edge.text).cmp(text))
    }

    /// Adds `pattern` (text such as `hal://adc/{channel}`); returns its index.
    pub fn insert(&mut self, pattern: &str, value: V) -> Result<usize, InsertError> {
        let parsed = Pattern::parse(pattern).map_err(InsertError::Uri)?;
        if self.entries.len() >= usize::from(NONE_U16) || pattern.len() > usize::from(u16::MAX) {
            return Err(InsertError::Full);
        }
        let keys = keys_of(&parsed);
        // Walk as far as the trie goes, creating nothing, so a conflict leaves it untouched.
        let (mut node, depth) = self.walk(&keys);
        if depth == keys.len() && self.nodes[node].entry != NONE_U16 {
            return Err(InsertError::Conflict {
                with: usize::from(self.nodes[node].entry),
            });
        }
        // Store the text once; literals and names are spans into it.
        let base = self.text.len();
        let Ok(base32) = u32::try_from(base) else {
            return Err(InsertError::Full);
        };
        self.text.push_str(pattern);
        let span_of = |piece: &str| Span {
            // `piece` is a slice of `pattern`: its offset is the pointer difference.
            start: base32 + (piece.as_ptr() as usize - pattern.as_ptr() as usize) as u32,
            len: piece.len() as u16,
        };
        // Create the rest of the path.
        for key in &keys[depth..] {
            let child = self.nodes.len() as u32;
            self.nodes.push(Node::new());
            match key {
                Some(text) => {
                    let at = self
                        .literal(&self.nodes[node], text)
                        .unwrap_or_else(|at| at);
                    let mut literals = core::mem::take(&mut self.nodes[node].literals).into_vec();
                    literals.insert(
                        at,
                        Edge {
                            text: span_of(text),
                            child,
                        },
                    );
                    self.nodes[node].literals = literals.into_boxed_slice();
                }
                None => self.nodes[node].param = child,
            }
            node = child as usize;
        }
        let index = self.entries.len();
        self.nodes[node].entry = index as u16;
        let first_param = self.params.len() as u32;
        for (at, segment) in parsed.segments().iter().enumerate() {
            if let PatternSegment::Param(name) = segment {
                self.params.push(ParamSlot {
                    at: at as u8,
                    name: span_of(name),
                });
            }
        }
        self.entries.push(Entry {
            text: Span {
                start: base32,
                len: pattern.len() as u16,
            },
            first_param,
            params: (self.params.len() as u32 - first_param) as u8,
            value,
        });
        Ok(index)
    }

    /// Follows `keys` as far as the trie goes: `(node, keys consumed)`.
    fn walk(&self, keys: &[Option<&str>]) -> (usize, usize) {
        let mut node = 0usize;
        let mut depth = 0;
        while depth < keys.len() {
            let n = &self.nodes[node];
            let next = match keys[depth] {
                Some(text) => self.literal(n, text).ok().map(|i| n.literals[i].child),
                None => (n.param != NONE_U32).then_some(n.param),
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
            (node, depth) if depth == keys.len() && self.nodes[node].entry != NONE_U16 => {
                Some(usize::from(self.nodes[node].entry))
            }
            _ => None,
        }
    }

    /// The pattern `uri` resolves to, if any.
    pub fn lookup<'t, 'u>(&'t self, uri: &'u Uri<'u>) -> Option<Match<'t, 'u, V>> {
        let root = &self.nodes[0];
        let scheme = root.literals[self.literal(root, uri.scheme()).ok()?].child;
        let index = self.find(scheme, uri.segments())?;
        Some(Match {
            table: self,
            index: usize::from(index),
            segments: uri.segments(),
        })
    }

    /// Depth-first: literal child first, then the parameter child (backtracking).
    /// Recursion is bounded by the URI's segment count (at most [`MAX_SEGMENTS`]).
    fn find(&self, node: u32, segments: &[&str]) -> Option<u16> {
        let node = &self.nodes[node as usize];
        let Some((first, rest)) = segments.split_first() else {
            return (node.entry != NONE_U16).then_some(node.entry);
        };
        if let Ok(i) = self.literal(node, first)
            && let Some(found) = self.find(node.literals[i].child, rest)
        {
            return Some(found);
        }
        if node.param == NONE_U32 {
            return None;
        }
        self.find(node.param, rest)
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
        self.entries.get(index).map(|e| self.span(e.text))
    }

    /// The index of the pattern whose text is exactly `pattern`.
    pub fn position(&self, pattern: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| self.span(e.text) == pattern)
    }

    /// Every `(index, pattern, value)`, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &str, &V)> {
        self.entries
            .iter()
            .enumerate()
            .map(|(i, e)| (i, self.span(e.text), &e.value))
    }

    /// Bytes held by the table's own storage (capacity, not length; excludes `V`'s heap).
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity()
            + self.nodes.capacity() * size_of::<Node>()
            + self
                .nodes
                .iter()
                .map(|n| n.literals.len() * size_of::<Edge>())
                .sum::<usize>()
            + self.entries.capacity() * size_of::<Entry<V>>()
            + self.params.capacity() * size_of::<ParamSlot>()
    }
}

impl<V> fmt::Debug for RouteTable<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|e| self.span(e.text)))
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
