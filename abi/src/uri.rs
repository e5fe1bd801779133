//! URIs (`scheme://seg/seg`) and route patterns (`scheme://seg/{param}`): the syntax, defined
//! once for the router and both SDKs.
//!
//! A scheme names a family of components (`hal`, `svc`, `log`) and is non-empty lowercase
//! `a-z0-9+-.`; the path names a resource. A segment is a literal (non-empty
//! `A-Za-z0-9-_.~`) or, in a pattern, a whole `{name}` parameter whose name is a literal; a
//! parameter name appears once. A URI matches a pattern when it has the same scheme and as many
//! segments, every literal is equal and every parameter takes one segment.
//!
//! The router parses patterns into its route table with these rules
//! (`fireball_router::uri`); a module matches the one pattern it is asked about with
//! [`matches_bytes`] and [`param_bytes`] (the SDKs' `pattern` modules). Nothing here
//! allocates, and [`check_pattern`] is a `const fn`.

use core::fmt;

/// Most path segments a URI or pattern may have. Parsing never allocates, and matching
/// recurses at most this deep.
pub const MAX_SEGMENTS: usize = 16;

/// Why a URI or a pattern was refused. The component that wrote it is at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UriError {
    /// No `://` separating scheme and path.
    MissingScheme,
    /// The scheme is empty or has characters other than `a-z0-9+-.`.
    BadScheme,
    /// Path segment `index` is empty (`a//b`), has a character outside `A-Za-z0-9-_.~`, or
    /// (in a pattern) is not a whole `{name}`.
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

impl UriError {
    /// What is wrong, in a fixed text (what an SDK route constant's compile error says).
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

impl fmt::Display for UriError {
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

/// Whether `scheme` is a valid scheme: non-empty lowercase `a-z0-9+-.`.
pub const fn is_scheme(scheme: &[u8]) -> bool {
    if scheme.is_empty() {
        return false;
    }
    let mut rest = scheme;
    while let [c, tail @ ..] = rest {
        let c = *c;
        if !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'+' || c == b'-' || c == b'.') {
            return false;
        }
        rest = tail;
    }
    true
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
pub const fn is_literal(segment: &[u8]) -> bool {
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

/// `bytes` as the route pattern a module declares with `route_serve`: the pattern, or the
/// [`status`](crate::status) the builtin answers — `TOO_LARGE` past
/// [`MAX_URI`](crate::limits::MAX_URI), `BAD_URI` if it is not UTF-8 or not a pattern. The
/// one check of the vSoC's builtin and the SDK's host stub.
pub fn declared_pattern(bytes: &[u8]) -> Result<&str, i32> {
    if bytes.len() > crate::limits::MAX_URI {
        return Err(crate::status::TOO_LARGE);
    }
    match core::str::from_utf8(bytes) {
        Ok(pattern) if check_pattern(pattern).is_ok() => Ok(pattern),
        _ => Err(crate::status::BAD_URI),
    }
}

/// Check `pattern` as the router does when a component registers it. A `const fn`: an SDK
/// route descriptor, a constant, is checked when the module is compiled.
pub const fn check_pattern(pattern: &str) -> Result<(), UriError> {
    let b = pattern.as_bytes();
    let Some(at) = scheme_end(b) else {
        return Err(UriError::MissingScheme);
    };
    if !is_scheme(slice(b, 0, at)) {
        return Err(UriError::BadScheme);
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
        return Err(UriError::TooManySegments);
    }
    let (mut index, mut start) = (0, path);
    loop {
        let end = segment_end(b, start);
        let segment = slice(b, start, end);
        if let Some(name) = param_of(segment) {
            if !is_literal(name) {
                return Err(UriError::BadSegment { index });
            }
            let mut other = path;
            while other < start {
                let other_end = segment_end(b, other);
                if let Some(earlier) = param_of(slice(b, other, other_end))
                    && same(earlier, name)
                {
                    return Err(UriError::DuplicateParam { index });
                }
                other = other_end + 1;
            }
        } else if !is_literal(segment) {
            return Err(UriError::BadSegment { index });
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
/// non-generic byte-level walk serves [`matches_bytes`] and [`param_bytes`]: in a module, iterator
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
pub fn matches_bytes(pattern: &str, uri: &[u8]) -> bool {
    walk(pattern, uri, None).is_some()
}

/// The segment of `uri` that parameter `name` of `pattern` takes; `None` if `uri` does not
/// match or `pattern` has no such parameter.
pub fn param_bytes<'u>(pattern: &str, uri: &'u [u8], name: &str) -> Option<&'u [u8]> {
    walk(pattern, uri, Some(name)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_and_extracts_parameters() {
        let pattern = "svc://filter/{ch}/state";
        assert!(matches_bytes(pattern, b"svc://filter/3/state"));
        assert_eq!(
            param_bytes(pattern, b"svc://filter/3/state", "ch"),
            Some(&b"3"[..])
        );
        assert_eq!(param_bytes(pattern, b"svc://filter/3/state", "x"), None);
        for other in [
            &b"svc://filter/3"[..],
            b"svc://filter/3/alpha",
            b"hal://filter/3/state",
            b"svc://filter/3/state/x",
        ] {
            assert!(!matches_bytes(pattern, other));
            assert_eq!(param_bytes(pattern, other, "ch"), None);
        }
        assert!(matches_bytes("log://", b"log://"));
        assert!(!matches_bytes("log://", b"log://x"));
        assert!(matches_bytes("svc://stats", b"svc://stats"));
        assert!(!matches_bytes("svc://stats/{key}", b"svc://stats"));
    }

    #[test]
    fn refuses_malformed_patterns_with_the_reason() {
        assert_eq!(check_pattern("svc://filter/{ch}"), Ok(()));
        assert_eq!(check_pattern("log://"), Ok(()));
        assert_eq!(check_pattern("filter/{ch}"), Err(UriError::MissingScheme));
        assert_eq!(check_pattern("Svc://x"), Err(UriError::BadScheme));
        assert_eq!(check_pattern("://x"), Err(UriError::BadScheme));
        assert_eq!(
            check_pattern("svc://a//b"),
            Err(UriError::BadSegment { index: 1 })
        );
        assert_eq!(
            check_pattern("svc://{a}x"),
            Err(UriError::BadSegment { index: 0 })
        );
        assert_eq!(
            check_pattern("svc://{a}/{a}"),
            Err(UriError::DuplicateParam { index: 1 })
        );
        let long = "svc://a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a";
        assert_eq!(check_pattern(long), Err(UriError::TooManySegments));
        assert_eq!(check_pattern(&long[..long.len() - 2]), Ok(()));
    }

    #[test]
    fn literals_and_schemes() {
        assert!(is_literal(b"adc-3_x.y~"));
        assert!(!is_literal(b""));
        assert!(!is_literal(b"{x}"));
        assert!(is_scheme(b"hal+x.1-"));
        assert!(!is_scheme(b""));
        assert!(!is_scheme(b"Hal"));
    }
}
