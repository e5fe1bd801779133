//! Checking what a guest hands the host against that guest's own memory.
//!
//! A [`GuestSlice`] is an *allegation*: a pointer and a length as the guest
//! passed them. The only way to reach the bytes is [`GuestSlice::read`] /
//! [`GuestSlice::write`], which check the range against the instance's linear
//! memory first. There is no unchecked path.

use core::fmt;

/// A `(ptr, len)` pair from a guest, not yet checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestSlice {
    ptr: u32,
    len: u32,
}

/// A guest handed the host a range it does not own. The guest is at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryFault {
    /// `ptr..ptr+len` is not inside the guest's linear memory.
    OutOfBounds {
        /// Start of the range, as the guest passed it.
        ptr: u32,
        /// Length of the range, as the guest passed it.
        len: u32,
        /// Bytes of linear memory the guest has.
        memory: usize,
    },
    /// The range is longer than this builtin accepts.
    TooLong {
        /// Length the guest passed.
        len: u32,
        /// Longest range the builtin accepts.
        limit: usize,
    },
    /// The module has no linear memory to point into.
    NoMemory,
}

impl fmt::Display for MemoryFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OutOfBounds { ptr, len, memory } => write!(
                f,
                "guest passed {len} bytes at {ptr:#x}, outside its {memory}-byte memory"
            ),
            Self::TooLong { len, limit } => {
                write!(
                    f,
                    "guest passed {len} bytes, this builtin takes at most {limit}"
                )
            }
            Self::NoMemory => write!(f, "guest passed a pointer but has no linear memory"),
        }
    }
}

impl GuestSlice {
    /// The allegation as the guest made it (wasm `i32`s reinterpreted as offsets).
    pub fn new(ptr: i32, len: i32) -> Self {
        Self {
            ptr: ptr as u32,
            len: len as u32,
        }
    }

    fn range(&self, memory: usize, limit: usize) -> Result<core::ops::Range<usize>, MemoryFault> {
        if self.len as usize > limit {
            return Err(MemoryFault::TooLong {
                len: self.len,
                limit,
            });
        }
        let start = self.ptr as usize;
        match start.checked_add(self.len as usize) {
            Some(end) if end <= memory => Ok(start..end),
            _ => Err(MemoryFault::OutOfBounds {
                ptr: self.ptr,
                len: self.len,
                memory,
            }),
        }
    }

    /// The bytes, if the whole range lies in `memory` and is at most `limit` long.
    pub fn read<'m>(&self, memory: &'m [u8], limit: usize) -> Result<&'m [u8], MemoryFault> {
        let range = self.range(memory.len(), limit)?;
        Ok(&memory[range])
    }

    /// The bytes, writable, under the same checks as [`GuestSlice::read`].
    pub fn write<'m>(
        &self,
        memory: &'m mut [u8],
        limit: usize,
    ) -> Result<&'m mut [u8], MemoryFault> {
        let range = self.range(memory.len(), limit)?;
        Ok(&mut memory[range])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_bounds_ranges_are_granted() {
        let memory = [1u8, 2, 3, 4];
        assert_eq!(GuestSlice::new(1, 2).read(&memory, 8), Ok(&memory[1..3]));
        assert_eq!(GuestSlice::new(4, 0).read(&memory, 8), Ok(&memory[4..4]));
    }

    #[test]
    fn out_of_bounds_negative_and_wrapping_ranges_are_faults() {
        let memory = [0u8; 16];
        for (ptr, len) in [(15, 2), (-1, 1), (0, -1), (i32::MAX, i32::MAX), (17, 0)] {
            assert!(
                GuestSlice::new(ptr, len).read(&memory, usize::MAX).is_err(),
                "({ptr}, {len}) must be refused"
            );
        }
    }

    #[test]
    fn length_limit_is_enforced_before_bounds() {
        let mut memory = [0u8; 16];
        assert_eq!(
            GuestSlice::new(0, 9).write(&mut memory, 8),
            Err(MemoryFault::TooLong { len: 9, limit: 8 })
        );
    }
}
