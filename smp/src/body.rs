//! CBOR bodies: reading a request's map of fields, writing a response's.
//!
//! Requests are read field by field with minicbor's borrowing [`Decoder`]: text keys, any
//! order, unknown fields skipped, the last of duplicate keys winning, definite or
//! indefinite maps. Responses are written with minicbor's [`Encoder`] into the packet's
//! `Vec`, after the 8 header bytes.

use crate::Rc;
use alloc::vec::Vec;
use core::convert::Infallible;
use minicbor::data::Type;
use minicbor::{Decoder, Encoder};

/// A request body that is not the map of fields its command expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Malformed(pub &'static str);

impl From<minicbor::decode::Error> for Malformed {
    fn from(_: minicbor::decode::Error) -> Malformed {
        Malformed("malformed CBOR")
    }
}

/// Calls `field` for each text-keyed entry of the map in `body` (an empty body reads as an
/// empty map); `field` decodes the value it wants and returns `true`, or returns `false`
/// to have it skipped.
pub(crate) fn fields<'b>(
    body: &'b [u8],
    mut field: impl FnMut(&'b str, &mut Decoder<'b>) -> Result<bool, Malformed>,
) -> Result<(), Malformed> {
    if body.is_empty() {
        return Ok(());
    }
    let mut d = Decoder::new(body);
    let entries = d.map()?;
    let mut seen = 0u64;
    loop {
        match entries {
            Some(n) if seen == n => break,
            None if d.datatype()? == Type::Break => {
                d.set_position(d.position() + 1);
                break;
            }
            _ => {}
        }
        seen += 1;
        if d.datatype()? == Type::String {
            let key = d.str()?;
            if !field(key, &mut d)? {
                d.skip()?;
            }
        } else {
            d.skip()?;
            d.skip()?;
        }
    }
    if d.position() != body.len() {
        return Err(Malformed("bytes after the request map"));
    }
    Ok(())
}

/// A response body being written after its header.
pub(crate) type Writer = Encoder<Vec<u8>>;

/// What writing into a `Vec` can fail with (nothing, in practice).
pub(crate) type WriteError = minicbor::encode::Error<Infallible>;

/// `{"rc": rc, "rsn": reason}`: an error in SMP v1 style, with Zephyr's verbose reason.
pub(crate) fn error(w: &mut Writer, rc: Rc, reason: &str) -> Result<(), WriteError> {
    w.map(2)?
        .str("rc")?
        .u16(rc.code())?
        .str("rsn")?
        .str(reason)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(body: &[u8]) -> Result<Vec<(alloc::string::String, u64)>, Malformed> {
        let mut out = Vec::new();
        fields(body, |k, d| {
            if k == "n" {
                out.push((k.into(), d.u64()?));
                return Ok(true);
            }
            Ok(false)
        })?;
        Ok(out)
    }

    #[test]
    fn maps_of_both_kinds_and_unknown_fields() {
        // {"n": 1, "x": [1, {}], 2: 3}
        let definite = [0xa3, 0x61, b'n', 1, 0x61, b'x', 0x82, 1, 0xa0, 2, 3];
        assert_eq!(keys(&definite), Ok(alloc::vec![("n".into(), 1)]));
        let indefinite = [0xbf, 0x61, b'n', 5, 0x61, b'y', 0x9f, 0xff, 0xff];
        assert_eq!(keys(&indefinite), Ok(alloc::vec![("n".into(), 5)]));
        assert_eq!(keys(&[]), Ok(alloc::vec![]));
    }

    #[test]
    fn malformed_bodies_are_refused() {
        assert!(keys(&[0x80]).is_err()); // an array
        assert!(keys(&[0xa1, 0x61, b'n']).is_err()); // truncated
        assert!(keys(&[0xa0, 0x00]).is_err()); // trailing
        assert!(keys(&[0xa1, 0x61, b'n', 0x20]).is_err()); // negative
        assert!(keys(&[0xbf, 0x61, b'n', 1]).is_err()); // no break
    }
}
