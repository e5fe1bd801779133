//! MCUmgr's return codes (`MGMT_ERR_*`): the `rc` of an error response.

use core::fmt;

/// An MCUmgr return code, as Zephyr's `enum mcumgr_err_t` and smp's `MGMT_ERR` number them.
///
/// The set is closed on purpose: smpclient validates a v1 error's `rc` against exactly these
/// values, so a code outside them would make its response unreadable to the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rc {
    /// 0: no error.
    Ok,
    /// 1: an error nobody has a better code for.
    Unknown,
    /// 2: not enough memory (an upload larger than the server buffers, for one).
    NoMemory,
    /// 3: the request is malformed: bad CBOR, a missing or mistyped field.
    Invalid,
    /// 4: an operation timed out.
    Timeout,
    /// 5: no such entry (a module to remove that is not installed).
    NoEntry,
    /// 6: the current state disallows the command.
    BadState,
    /// 7: the response would be too large.
    MsgSize,
    /// 8: the group or command is not supported.
    NotSupported,
    /// 9: corrupt data (an upload whose SHA-256 does not match the one announced).
    Corrupt,
    /// 10: busy with another command (a deferred install still running).
    Busy,
    /// 11: access denied (a package whose signature the board refuses).
    AccessDenied,
    /// 12: the request's SMP version is too old for this server.
    TooOld,
    /// 13: the request's SMP version is too new for this server.
    TooNew,
}

impl Rc {
    /// The number on the wire.
    pub const fn code(self) -> u16 {
        match self {
            Rc::Ok => 0,
            Rc::Unknown => 1,
            Rc::NoMemory => 2,
            Rc::Invalid => 3,
            Rc::Timeout => 4,
            Rc::NoEntry => 5,
            Rc::BadState => 6,
            Rc::MsgSize => 7,
            Rc::NotSupported => 8,
            Rc::Corrupt => 9,
            Rc::Busy => 10,
            Rc::AccessDenied => 11,
            Rc::TooOld => 12,
            Rc::TooNew => 13,
        }
    }

    /// The code for a number on the wire, `None` for a number MCUmgr does not define.
    pub const fn from_code(code: u16) -> Option<Rc> {
        Some(match code {
            0 => Rc::Ok,
            1 => Rc::Unknown,
            2 => Rc::NoMemory,
            3 => Rc::Invalid,
            4 => Rc::Timeout,
            5 => Rc::NoEntry,
            6 => Rc::BadState,
            7 => Rc::MsgSize,
            8 => Rc::NotSupported,
            9 => Rc::Corrupt,
            10 => Rc::Busy,
            11 => Rc::AccessDenied,
            12 => Rc::TooOld,
            13 => Rc::TooNew,
            _ => return None,
        })
    }
}

impl fmt::Display for Rc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?} ({})", self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::Rc;

    #[test]
    fn codes_round_trip_and_stop_at_13() {
        for code in 0..=13 {
            assert_eq!(Rc::from_code(code).map(Rc::code), Some(code));
        }
        assert_eq!(Rc::from_code(14), None);
        assert_eq!(Rc::from_code(256), None);
    }
}
