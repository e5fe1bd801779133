//! Route patterns (`svc://filter/{ch}/state`) and the URIs they match, by the router's rules.
//!
//! The syntax and the matcher are `fireball_abi::uri`, the one definition the router parses
//! its route table with; this module re-exports them and adds `str` conveniences and the
//! `fmt`-free text of an error. A proptest holds the matcher to the router's. Nothing here
//! allocates.

pub use fireball_abi::uri::{MAX_SEGMENTS, UriError, check_pattern, matches_bytes, param_bytes};

use crate::text::{Show, Text};

impl Show for UriError {
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

/// Whether `uri` is one of the resources `pattern` names.
pub fn matches(pattern: &str, uri: &str) -> bool {
    matches_bytes(pattern, uri.as_bytes())
}

/// The segment of `uri` that parameter `name` of `pattern` takes; `None` if `uri` does not
/// match or `pattern` has no such parameter.
pub fn param<'u>(pattern: &str, uri: &'u str, name: &str) -> Option<&'u str> {
    // A segment of a `str` between two `/`s (ASCII) is a `str`.
    param_bytes(pattern, uri.as_bytes(), name).and_then(crate::text::utf8)
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
    fn errors_show_their_display_text() {
        for error in [
            UriError::MissingScheme,
            UriError::BadScheme,
            UriError::BadSegment { index: 3 },
            UriError::DuplicateParam { index: 12 },
            UriError::TooManySegments,
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
                prop_assert!(check_pattern(&pattern).is_err());
                return Ok(());
            };
            prop_assert_eq!(check_pattern(&pattern), Ok(()));
            let captured = reference.matches(&Uri::parse(&uri).unwrap());
            prop_assert_eq!(matches(&pattern, &uri), captured.is_some());
            for (name, value) in captured.iter().flatten() {
                prop_assert_eq!(param(&pattern, &uri, name), Some(*value));
            }
        }

        /// The SDK refuses exactly the patterns the router refuses.
        #[test]
        fn validates_like_the_router(pattern in "[a-zS]{0,3}(:/?/?)?[a-z0-9{}/~_-]{0,12}") {
            prop_assert_eq!(check_pattern(&pattern).is_ok(), Pattern::parse(&pattern).is_ok());
        }
    }
}
