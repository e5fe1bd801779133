//! Route patterns (`svc://filter/{ch}/state`) and the URIs they match, by the router's rules.
//!
//! A pattern is `scheme://seg/seg…`; a segment is a literal (`A-Za-z0-9-_.~`) or a whole
//! `{name}` parameter. A URI matches when it has the same scheme and as many segments, every
//! literal is equal and every parameter takes one segment. The router validates and matches
//! the same way (`fireball_router::Pattern`); a proptest holds the two to each other. Nothing
//! here allocates.

use core::fmt;

use crate::text::{Show, Text};

/// Most path segments a pattern may have (the router's limit).
pub const MAX_SEGMENTS: usize = 16;

/// Why a pattern was refused: the service that registered it is at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatternError {
    /// No `://` separating scheme and path.
    MissingScheme,
    /// The scheme is empty or has characters other than `a-z0-9+-.`.
    BadScheme,
    /// Path segment `index` is empty or neither a literal nor a whole `{name}`.
    BadSegment {
        /// Which segment (from 0).
        index: usize,
    },
    /// The parameter in segment `index` repeats an earlier name.
    DuplicateParam {
        /// Which segment (from 0).
        index: usize,
    },
    /// More than [`MAX_SEGMENTS`] path segments.
    TooManySegments,
}

impl PatternError {
    /// What is wrong, in a fixed text (what a [`Route`](super::Route) constant's compile
    /// error says).
    pub const fn text(self) -> &'static str {
        match self {
            Self::MissingScheme => "route pattern: expected `scheme://path`",
            Self::BadScheme => "route pattern: scheme must be non-empty lowercase `a-z0-9+-.`",
            Self::BadSegment { .. } => "route pattern: a path segment is empty or invalid",
            Self::DuplicateParam { .. } => "route pattern: a parameter repeats an earlier name",
            Self::TooManySegments => "route pattern: too many path segments",
        }
    }
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingScheme => f.write_str("expected `scheme://path`"),
            Self::BadScheme => f.write_str("scheme must be non-empty lowercase `a-z0-9+-.`"),
            Self::BadSegment { index } => write!(f, "path segment {index} is empty or invalid"),
            Self::DuplicateParam { index } => {
                write!(f, "parameter in segment {index} repeats an earlier name")
            }
            Self::TooManySegments => write!(f, "more than {MAX_SEGMENTS} path segments"),
        }
    }
}

impl Show for PatternError {
    /// The `Display` text, without `core::fmt` (a malformed pattern aborts the module with it).
    fn show(&self, out: &mut Text<'_>) {
        match *self {
            Self::MissingScheme => out.push_str("expected `scheme://path`"),
            Self::BadScheme => out.push_str("scheme must be non-empty lowercase `a-z0-9+-.`"),
            Self::BadSegment { index } => {
                out.push_all(&[&"path segment ", &index, &" is empty or invalid"]);
            }
            Self::DuplicateParam { index } => {
                out.push_all(&[
                    &"parameter in segment ",
                    &index,
                    &" repeats an earlier name",
                ]);
            }
            Self::TooManySegments => {
                out.push_all(&[&"more than ", &MAX_SEGMENTS, &" path segments"]);
            }
        }
    }
}

/// Where `://` starts.
const fn scheme_end(b: &[u8]) -> Option<usize> {
    let (mut at, mut rest) = (0, b);
    while let [c, tail @ ..] = rest {
        if *c == b':'
            && let [b'/', b'/', ..] = tail
        {
            return Some(at);
        }
        at += 1;
        rest = tail;
    }
    None
}

/// Whether `segment` is a literal: non-empty `A-Za-z0-9-_.~`.
const fn plain(segment: &[u8]) -> bool {
    if segment.is_empty() {
        return false;
    }
    let mut rest = segment;
    while let [c, tail @ ..] = rest {
        let c = *c;
        if !(c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.' || c == b'~') {
            return false;
        }
        rest = tail;
    }
    true
}

/// The name of a `{name}` parameter segment (not checked), or `None` for a literal.
const fn param_of(segment: &[u8]) -> Option<&[u8]> {
    match segment {
        [b'{', name @ .., b'}'] => Some(name),
        _ => None,
    }
}

const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut a, mut b) = (a, b);
    while let ([x, a_tail @ ..], [y, b_tail @ ..]) = (a, b) {
        if *x != *y {
            return false;
        }
        (a, b) = (a_tail, b_tail);
    }
    true
}

/// `b[start..end]`, in a `const fn`.
const fn slice(b: &[u8], start: usize, end: usize) -> &[u8] {
    b.split_at(end).0.split_at(start).1
}

/// The end of the segment that starts at `start` (the next `/` or the end).
const fn segment_end(b: &[u8], start: usize) -> usize {
    let mut end = start;
    while end < b.len() && b[end] != b'/' {
        end += 1;
    }
    end
}

/// Check `pattern` as the router would when the service registers it. A `const fn`: a
/// [`Route`](super::Route) descriptor, a constant, is checked when the module is compiled.
pub const fn check(pattern: &str) -> Result<(), PatternError> {
    let b = pattern.as_bytes();
    let Some(at) = scheme_end(b) else {
        return Err(PatternError::MissingScheme);
    };
    if at == 0 {
        return Err(PatternError::BadScheme);
    }
    let mut i = 0;
    while i < at {
        let c = b[i];
        if !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'+' || c == b'-' || c == b'.') {
            return Err(PatternError::BadScheme);
        }
        i += 1;
    }
    let path = at + 3;
    if path == b.len() {
        return Ok(());
    }
    let mut count = 1;
    let mut i = path;
    while i < b.len() {
        if b[i] == b'/' {
            count += 1;
        }
        i += 1;
    }
    if count > MAX_SEGMENTS {
        return Err(PatternError::TooManySegments);
    }
    let (mut index, mut start) = (0, path);
    loop {
        let end = segment_end(b, start);
        let segment = slice(b, start, end);
        if let Some(name) = param_of(segment) {
            if !plain(name) {
                return Err(PatternError::BadSegment { index });
            }
            let mut other = path;
            while other < start {
                let other_end = segment_end(b, other);
                if let Some(earlier) = param_of(slice(b, other, other_end))
                    && same(earlier, name)
                {
                    return Err(PatternError::DuplicateParam { index });
                }
                other = other_end + 1;
            }
        } else if !plain(segment) {
            return Err(PatternError::BadSegment { index });
        }
        if end == b.len() {
            return Ok(());
        }
        index += 1;
        start = end + 1;
    }
}

/// Walk `pattern` against `uri`: `None` if it does not match, else the segment parameter
/// `name` took (`Some(None)` if there is no such parameter or no name was asked for). One
/// non-generic byte-level walk serves [`matches`] and [`param`]: in a module, iterator
/// adapters over `str`s cost several times its code and fuel.
#[inline(never)]
fn walk<'u>(pattern: &str, u: &'u [u8], name: Option<&str>) -> Option<Option<&'u [u8]>> {
    let p = pattern.as_bytes();
    // An empty path (`log://`) has no segments: it matches only an empty path. Past that,
    // the scheme is one more literal segment (`svc:`, then the empty one before `//`).
    if p.ends_with(b"://") != u.ends_with(b"://") {
        return None;
    }
    let (mut i, mut j) = (0, 0);
    let mut found = None;
    loop {
        let (p_end, u_end) = (segment_end(p, i), segment_end(u, j));
        let segment = p.get(i..p_end)?;
        if let Some(param) = param_of(segment) {
            if name.is_some_and(|name| param == name.as_bytes()) {
                found = u.get(j..u_end);
            }
        } else if segment != u.get(j..u_end)? {
            return None;
        }
        let (p_done, u_done) = (p_end == p.len(), u_end == u.len());
        if p_done || u_done {
            return (p_done && u_done).then_some(found);
        }
        (i, j) = (p_end + 1, u_end + 1);
    }
}

/// Whether `uri` is one of the resources `pattern` names.
pub fn matches(pattern: &str, uri: &str) -> bool {
    matches_bytes(pattern, uri.as_bytes())
}

/// [`matches`] for a URI held as bytes.
pub fn matches_bytes(pattern: &str, uri: &[u8]) -> bool {
    walk(pattern, uri, None).is_some()
}

/// The segment of `uri` that parameter `name` of `pattern` takes; `None` if `uri` does not
/// match or `pattern` has no such parameter.
pub fn param<'u>(pattern: &str, uri: &'u str, name: &str) -> Option<&'u str> {
    // A segment of a `str` between two `/`s (ASCII) is a `str`.
    param_bytes(pattern, uri.as_bytes(), name).and_then(crate::text::utf8)
}

/// [`param`] for a URI held as bytes.
pub fn param_bytes<'u>(pattern: &str, uri: &'u [u8], name: &str) -> Option<&'u [u8]> {
    walk(pattern, uri, Some(name)).flatten()
}

#[cfg(test)]
mod tests {
    use fireball_router::uri::{Pattern, Uri};
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn matches_and_extracts_parameters() {
        let pattern = "svc://filter/{ch}/state";
        assert!(matches(pattern, "svc://filter/3/state"));
        assert_eq!(param(pattern, "svc://filter/3/state", "ch"), Some("3"));
        assert_eq!(param(pattern, "svc://filter/3/state", "x"), None);
        for other in [
            "svc://filter/3",
            "svc://filter/3/alpha",
            "hal://filter/3/state",
            "svc://filter/3/state/x",
        ] {
            assert!(!matches(pattern, other), "{other}");
            assert_eq!(param(pattern, other, "ch"), None);
        }
        assert!(matches("log://", "log://"));
        assert!(!matches("log://", "log://x"));
        assert!(matches("svc://stats", "svc://stats"));
        assert!(!matches("svc://stats/{key}", "svc://stats"));
    }

    #[test]
    fn refuses_malformed_patterns_with_the_reason() {
        assert_eq!(check("svc://filter/{ch}"), Ok(()));
        assert_eq!(check("log://"), Ok(()));
        assert_eq!(check("filter/{ch}"), Err(PatternError::MissingScheme));
        assert_eq!(check("Svc://x"), Err(PatternError::BadScheme));
        assert_eq!(
            check("svc://a//b"),
            Err(PatternError::BadSegment { index: 1 })
        );
        assert_eq!(
            check("svc://{a}x"),
            Err(PatternError::BadSegment { index: 0 })
        );
        assert_eq!(
            check("svc://{a}/{a}"),
            Err(PatternError::DuplicateParam { index: 1 })
        );
        let long = "svc://a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a";
        assert_eq!(check(long), Err(PatternError::TooManySegments));
        assert_eq!(check(&long[..long.len() - 2]), Ok(()));
    }

    #[test]
    fn errors_show_their_display_text() {
        for error in [
            PatternError::MissingScheme,
            PatternError::BadScheme,
            PatternError::BadSegment { index: 3 },
            PatternError::DuplicateParam { index: 12 },
            PatternError::TooManySegments,
        ] {
            let mut buf = [0u8; 80];
            let mut text = Text::new(&mut buf);
            text.push(&error);
            assert_eq!(text.as_str(), error.to_string());
        }
    }

    fn segment(choices: &'static [&'static str]) -> impl Strategy<Value = String> {
        proptest::sample::select(choices).prop_map(String::from)
    }

    fn text(
        scheme: &'static [&'static str],
        seg: &'static [&'static str],
    ) -> BoxedStrategy<String> {
        (
            segment(scheme),
            proptest::collection::vec(segment(seg), 0..5),
        )
            .prop_map(|(scheme, segments)| format!("{scheme}://{}", segments.join("/")))
            .boxed()
    }

    proptest! {
        /// The SDK matches exactly what the router would deliver for a pattern, with the
        /// same parameter values.
        #[test]
        fn agrees_with_the_router_matcher(
            pattern in text(&["svc", "hal"], &["a", "b", "0", "{x}", "{y}"]),
            uri in text(&["svc", "hal"], &["a", "b", "0"]),
        ) {
            let Ok(reference) = Pattern::parse(&pattern) else {
                prop_assert!(check(&pattern).is_err());
                return Ok(());
            };
            prop_assert_eq!(check(&pattern), Ok(()));
            let captured = reference.matches(&Uri::parse(&uri).unwrap());
            prop_assert_eq!(matches(&pattern, &uri), captured.is_some());
            for (name, value) in captured.iter().flatten() {
                prop_assert_eq!(param(&pattern, &uri, name), Some(*value));
            }
        }

        /// The SDK refuses exactly the patterns the router refuses.
        #[test]
        fn validates_like_the_router(pattern in "[a-zS]{0,3}(:/?/?)?[a-z0-9{}/~_-]{0,12}") {
            prop_assert_eq!(check(&pattern).is_ok(), Pattern::parse(&pattern).is_ok());
        }
    }
}
