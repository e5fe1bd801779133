//! URIs (`scheme://seg/seg`) and route patterns (`scheme://seg/{param}`).
//!
//! A scheme names a family of components (`hal`, `svc`, `log`); the path
//! names a resource. Patterns are what components register; URIs are what
//! callers ask for. Matching extracts the `{param}` segments by name. The syntax (and the
//! error) is `fireball_abi::uri`'s, shared with the SDKs; this module holds the parsed forms
//! the route table is built from.

use heapless::Vec;

pub use fireball_abi::uri::{MAX_SEGMENTS, UriError};
use fireball_abi::uri::{check_pattern, is_literal, is_scheme};

/// The segments of one URI or pattern, held inline.
pub type Segments<T> = Vec<T, MAX_SEGMENTS>;

fn split(text: &str) -> Result<(&str, Segments<&str>), UriError> {
    let (scheme, path) = text.split_once("://").ok_or(UriError::MissingScheme)?;
    if !is_scheme(scheme.as_bytes()) {
        return Err(UriError::BadScheme);
    }
    let mut segments = Segments::new();
    if !path.is_empty() {
        for segment in path.split('/') {
            segments
                .push(segment)
                .map_err(|_| UriError::TooManySegments)?;
        }
    }
    Ok((scheme, segments))
}

/// A concrete resource address, e.g. `hal://adc/3`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uri<'a> {
    text: &'a str,
    scheme: &'a str,
    segments: Segments<&'a str>,
}

impl<'a> Uri<'a> {
    /// Parse `scheme://seg/seg…`.
    pub fn parse(text: &'a str) -> Result<Self, UriError> {
        let (scheme, segments) = split(text)?;
        if let Some(index) = segments.iter().position(|s| !is_literal(s.as_bytes())) {
            return Err(UriError::BadSegment { index });
        }
        Ok(Self {
            text,
            scheme,
            segments,
        })
    }

    /// The text this URI was parsed from.
    pub fn as_str(&self) -> &'a str {
        self.text
    }

    /// The scheme (`hal`).
    pub fn scheme(&self) -> &'a str {
        self.scheme
    }

    /// The path segments (`["adc", "3"]`).
    pub fn segments(&self) -> &[&'a str] {
        &self.segments
    }
}

/// One segment of a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatternSegment<'a> {
    /// Must equal this text.
    Literal(&'a str),
    /// Matches any one segment, captured under this name.
    Param(&'a str),
}

/// A route pattern a component registers, e.g. `hal://adc/{channel}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern<'a> {
    text: &'a str,
    scheme: &'a str,
    segments: Segments<PatternSegment<'a>>,
}

impl<'a> Pattern<'a> {
    /// Parse `scheme://lit/{param}…`.
    pub fn parse(text: &'a str) -> Result<Self, UriError> {
        // The syntax is abi's, the one definition the SDKs check their patterns with.
        check_pattern(text)?;
        let (scheme, raw) = split(text)?;
        let mut segments = Segments::new();
        for seg in raw {
            let parsed = match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => PatternSegment::Param(name),
                None => PatternSegment::Literal(seg),
            };
            // Cannot overflow: `raw` holds at most `MAX_SEGMENTS`.
            let _ = segments.push(parsed);
        }
        Ok(Self {
            text,
            scheme,
            segments,
        })
    }

    /// The text this pattern was parsed from.
    pub fn as_str(&self) -> &'a str {
        self.text
    }

    /// The scheme (`hal`).
    pub fn scheme(&self) -> &'a str {
        self.scheme
    }

    /// The parameter names, in order.
    pub fn param_names(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.segments.iter().filter_map(|s| match s {
            PatternSegment::Param(name) => Some(*name),
            PatternSegment::Literal(_) => None,
        })
    }

    /// The pattern's segments.
    pub fn segments(&self) -> &[PatternSegment<'a>] {
        &self.segments
    }

    /// If `uri` matches, the captured `(name, value)` pairs in pattern order.
    pub fn matches<'u>(&self, uri: &Uri<'u>) -> Option<Segments<(&'a str, &'u str)>> {
        if self.scheme != uri.scheme || self.segments.len() != uri.segments.len() {
            return None;
        }
        let mut params = Segments::new();
        for (pattern, &value) in self.segments.iter().zip(&uri.segments) {
            match pattern {
                PatternSegment::Literal(text) if *text == value => {}
                PatternSegment::Literal(_) => return None,
                // Cannot overflow: both lists hold at most `MAX_SEGMENTS`.
                PatternSegment::Param(name) => {
                    let _ = params.push((*name, value));
                }
            }
        }
        Some(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_uris_and_patterns() {
        let uri = Uri::parse("hal://adc/3").unwrap();
        assert_eq!(uri.scheme(), "hal");
        assert_eq!(uri.segments(), ["adc", "3"]);
        assert_eq!(Uri::parse("log://").unwrap().segments().len(), 0);
        let pattern = Pattern::parse("svc://filter/{op}").unwrap();
        assert_eq!(
            pattern.segments(),
            [
                PatternSegment::Literal("filter"),
                PatternSegment::Param("op")
            ]
        );
    }

    #[test]
    fn refuses_malformed_text_with_the_reason() {
        assert_eq!(Uri::parse("adc/3"), Err(UriError::MissingScheme));
        assert_eq!(Uri::parse("HAL://adc"), Err(UriError::BadScheme));
        assert_eq!(
            Uri::parse("hal://adc//3"),
            Err(UriError::BadSegment { index: 1 })
        );
        assert_eq!(
            Uri::parse("hal://{x}"),
            Err(UriError::BadSegment { index: 0 })
        );
        assert_eq!(
            Pattern::parse("hal://{a}/{a}"),
            Err(UriError::DuplicateParam { index: 1 })
        );
        assert_eq!(
            Pattern::parse("hal://{a"),
            Err(UriError::BadSegment { index: 0 })
        );
        let long = "hal://a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a";
        assert_eq!(Uri::parse(long), Err(UriError::TooManySegments));
        assert_eq!(Pattern::parse(long), Err(UriError::TooManySegments));
        assert!(Uri::parse(&long[..long.len() - 2]).is_ok());
    }

    #[test]
    fn matching_extracts_params_and_rejects_mismatches() {
        let pattern = Pattern::parse("hal://i2c/{bus}/{addr}").unwrap();
        let uri = Uri::parse("hal://i2c/0/48").unwrap();
        assert_eq!(
            pattern.matches(&uri).as_deref(),
            Some(&[("bus", "0"), ("addr", "48")][..])
        );
        for other in [
            "hal://i2c/0",
            "hal://spi/0/48",
            "svc://i2c/0/48",
            "hal://i2c/0/48/1",
        ] {
            assert_eq!(
                pattern.matches(&Uri::parse(other).unwrap()),
                None,
                "{other}"
            );
        }
    }
}
