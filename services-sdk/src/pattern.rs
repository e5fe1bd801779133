//! Route patterns (`svc://filter/{ch}/state`) and the URIs they match, by the router's rules.
//!
//! A pattern is `scheme://seg/seg…`; a segment is a literal (`A-Za-z0-9-_.~`) or a whole
//! `{name}` parameter. A URI matches when it has the same scheme and as many segments, every
//! literal is equal and every parameter takes one segment. The router validates and matches
//! the same way (`fireball_router::Pattern`); a proptest holds the two to each other. Nothing
//! here allocates.

use core::fmt;

use fireball_guests_sdk::text::{Show, Text};

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

/// `(scheme, path)` of `scheme://path`. Byte-level on purpose: in a module, core's substring
/// searcher costs thousands of instructions per call where this costs tens.
fn split_scheme(text: &str) -> Option<(&str, &str)> {
    let at = text.as_bytes().windows(3).position(|w| w == b"://")?;
    Some((text.get(..at)?, text.get(at + 3..)?))
}

/// The segments of a path: none for an empty path (`log://`), not one empty segment.
fn segments(path: &str) -> impl Iterator<Item = &str> + Clone {
    let mut rest = (!path.is_empty()).then_some(path);
    core::iter::from_fn(move || {
        let current = rest?;
        match current.bytes().position(|b| b == b'/') {
            Some(slash) => {
                rest = current.get(slash + 1..);
                current.get(..slash)
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

fn split(text: &str) -> Option<(&str, impl Iterator<Item = &str> + Clone)> {
    let (scheme, path) = split_scheme(text)?;
    Some((scheme, segments(path)))
}

fn plain(segment: &str) -> bool {
    !segment.is_empty()
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
}

fn param_name(segment: &str) -> Option<&str> {
    segment.strip_prefix('{')?.strip_suffix('}')
}

/// Check `pattern` as the router would when the service registers it.
pub fn check(pattern: &str) -> Result<(), PatternError> {
    let (scheme, segments) = split(pattern).ok_or(PatternError::MissingScheme)?;
    let scheme_ok = !scheme.is_empty()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+-.".contains(&b));
    if !scheme_ok {
        return Err(PatternError::BadScheme);
    }
    if segments.clone().count() > MAX_SEGMENTS {
        return Err(PatternError::TooManySegments);
    }
    for (index, segment) in segments.clone().enumerate() {
        match param_name(segment) {
            Some(name) if plain(name) => {
                let earlier = segments.clone().take(index).filter_map(param_name);
                if earlier.into_iter().any(|other| other == name) {
                    return Err(PatternError::DuplicateParam { index });
                }
            }
            None if plain(segment) => {}
            _ => return Err(PatternError::BadSegment { index }),
        }
    }
    Ok(())
}

/// Walk `pattern` against `uri`: `None` if it does not match, else the segment parameter
/// `name` took (`Some(None)` if there is no such parameter or no name was asked for). One
/// non-generic walk serves [`matches`] and [`param`].
#[inline(never)]
fn walk<'u>(pattern: &str, uri: &'u str, name: Option<&str>) -> Option<Option<&'u str>> {
    let ((p_scheme, mut p), (u_scheme, mut u)) = (split(pattern)?, split(uri)?);
    if p_scheme != u_scheme {
        return None;
    }
    let mut found = None;
    loop {
        match (p.next(), u.next()) {
            (None, None) => return Some(found),
            (Some(literal_or_param), Some(value)) => match param_name(literal_or_param) {
                Some(param) => {
                    if name == Some(param) {
                        found = Some(value);
                    }
                }
                None if literal_or_param == value => {}
                None => return None,
            },
            _ => return None,
        }
    }
}

/// Whether `uri` is one of the resources `pattern` names.
pub fn matches(pattern: &str, uri: &str) -> bool {
    walk(pattern, uri, None).is_some()
}

/// The segment of `uri` that parameter `name` of `pattern` takes; `None` if `uri` does not
/// match or `pattern` has no such parameter.
pub fn param<'u>(pattern: &str, uri: &'u str, name: &str) -> Option<&'u str> {
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
