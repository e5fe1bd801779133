//! `record_read`: a module's decode, done natively.
//!
//! A module built with our SDKs reads a record by handing over its type's flat layout (a
//! `fireball_record::message::Shape`, which the derive places in the module's data) with the
//! record's bytes; this builtin runs the record crate's [`flat::read`] over the shape as the
//! module's memory holds it ([`GuestShapes`]) and copies the flat block back. The module then
//! builds its value with loads alone: no field walk, varints or limit checks in its code or
//! its fuel (`docs/perf.md`, "Module size and codec cost").
//!
//! Everything the module passes is an allegation: the record and the block are
//! [`GuestSlice`]s (outside memory: a trap, as for every builtin), and every word of the
//! shape is read with a bounds check — a shape that points outside memory, nests options
//! without end or names offsets past the block is a refusal (`BAD_MESSAGE`), never a panic.

use fireball_abi::{builtin, limits::MAX_ROUTE_MESSAGE, status};
use fireball_record::message::flat::{
    self, FieldInfo, LIMITS, MAX_FLAT, Schema, ShapeInfo, TypeInfo, wasm32,
};

use super::{Caller, HostContext, LinkError, define, memory_and_state};
use crate::builtins::route::{guest_bytes, guest_out};

/// Shapes as a 32-bit module's memory holds them (`flat::wasm32` gives the words).
struct GuestShapes<'m> {
    memory: &'m [u8],
}

impl GuestShapes<'_> {
    fn word(&self, at: u32, offset: u32) -> Option<u32> {
        let start = at.checked_add(offset)? as usize;
        let bytes = self.memory.get(start..start.checked_add(4)?)?;
        Some(u32::from_le_bytes(bytes.try_into().ok()?))
    }
}

impl Schema for GuestShapes<'_> {
    type Ty = u32;
    type Sh = u32;

    fn ty(&self, ty: u32) -> Option<TypeInfo<u32, u32>> {
        let [kind, size, len, inner, shape] = wasm32::TYPE.1;
        let inner = self.word(ty, inner)?;
        let shape = self.word(ty, shape)?;
        Some(TypeInfo {
            kind: self.word(ty, kind)?,
            size: self.word(ty, size)?,
            len: self.word(ty, len)?,
            inner: (inner != 0).then_some(inner),
            shape: (shape != 0).then_some(shape),
        })
    }

    fn shape(&self, shape: u32) -> Option<ShapeInfo> {
        let [_, count, _, flags] = wasm32::SHAPE.1;
        Some(ShapeInfo {
            count: self.word(shape, count)?,
            flags: self.word(shape, flags)?,
        })
    }

    fn field(&self, shape: u32, index: usize) -> Option<FieldInfo<'_, u32>> {
        let fields = self.word(shape, wasm32::SHAPE.1[0])?;
        let at = fields.checked_add(u32::try_from(index).ok()?.checked_mul(wasm32::FIELD.0)?)?;
        let [key, key_len, ty, offset, default] = wasm32::FIELD.1;
        let (key, key_len) = (
            self.word(at, key)? as usize,
            self.word(at, key_len)? as usize,
        );
        Some(FieldInfo {
            key: self.memory.get(key..key.checked_add(key_len)?)?,
            ty: self.word(at, ty)?,
            offset: self.word(at, offset)?,
            default: self.word(at, default)? != 0,
        })
    }
}

/// The fuel a read costs the module: a little for the call, one unit per four bytes of the
/// record and two per field of a shape looked at. What the module's own reader spent was
/// ~10× that (`docs/perf.md`); the host's work per unit is of the order of an interpreted
/// instruction's, so a module cannot buy much native time with little fuel.
fn fuel_for(len: usize, lookups: usize) -> u64 {
    8 + (len as u64).div_ceil(4) + 2 * lookups as u64
}

pub(super) fn link(linker: &mut wasmi::Linker<HostContext>) -> Result<(), LinkError> {
    define(
        linker,
        builtin::RECORD_READ,
        |mut caller: Caller<'_>,
         shape: i32,
         ptr: i32,
         len: i32,
         out: i32,
         out_len: i32|
         -> Result<i32, wasmi::Error> {
            let (memory, state) = memory_and_state(&mut caller)?;
            state.stats.host_calls += 1;
            if out_len as u32 as usize > MAX_FLAT {
                return Ok(status::TOO_LARGE);
            }
            let mut block = [0u8; MAX_FLAT];
            let block = &mut block[..out_len as usize];
            // The block must be writable before anything is read (a bad one traps).
            guest_out(memory, out, out_len, MAX_FLAT)?;
            let record = match guest_bytes(memory, ptr, len, MAX_ROUTE_MESSAGE)? {
                Ok(bytes) => bytes,
                Err(code) => return Ok(code),
            };
            let shapes = GuestShapes { memory };
            let (ok, lookups) = flat::read_counting(&shapes, shape as u32, record, &LIMITS, block);
            let cost = fuel_for(record.len(), lookups);
            if ok {
                guest_out(memory, out, out_len, MAX_FLAT)?.copy_from_slice(block);
            }
            // The work is the module's: it pays in fuel, as it would have reading the record
            // itself (at a fraction of the price), so that a loop of reads ends its slice.
            if let Ok(fuel) = caller.get_fuel() {
                caller.set_fuel(fuel.saturating_sub(cost))?;
            }
            Ok(if ok { status::OK } else { status::BAD_MESSAGE })
        },
    )
}

#[cfg(test)]
mod tests {
    use alloc::vec;
    use alloc::vec::Vec;

    use fireball_record::Record;

    use super::*;

    /// A module's memory holding, at 0x100, a shape with one field `a` of the type at
    /// `ty`, and at `ty` whatever the test writes.
    fn memory(ty: u32, ty_words: [u32; 5], key_len: u32) -> Vec<u8> {
        let mut memory = vec![0u8; 1024];
        let mut put = |at: u32, word: u32| {
            memory[at as usize..at as usize + 4].copy_from_slice(&word.to_le_bytes());
        };
        // Shape at 0x100: fields at 0x120, one of them, block 16 bytes, no flags.
        for (offset, word) in wasm32::SHAPE.1.iter().zip([0x120, 1, 16, 0]) {
            put(0x100 + offset, word);
        }
        // Field at 0x120: key "a" at 0x180, type at `ty`, offset 0, not default.
        for (offset, word) in wasm32::FIELD.1.iter().zip([0x180, key_len, ty, 0, 0]) {
            put(0x120 + offset, word);
        }
        if ty as usize + wasm32::TYPE.0 as usize <= 1024 {
            for (offset, word) in wasm32::TYPE.1.iter().zip(ty_words) {
                put(ty + offset, word);
            }
        }
        memory[0x180] = b'a';
        memory
    }

    fn read(memory: &[u8], record: &[u8]) -> Option<[u8; 16]> {
        let mut out = [0u8; 16];
        flat::read(&GuestShapes { memory }, 0x100, record, &LIMITS, &mut out).then_some(out)
    }

    #[test]
    fn a_shape_in_module_memory_is_read_word_by_word_and_never_trusted() {
        let record = Record::new().with("a", 7u32).encode(&LIMITS).unwrap();
        // A `u32` (kind 3, 8 bytes).
        let good = memory(0x200, [flat::kind::U32, 8, 0, 0, 0], 1);
        assert_eq!(read(&good, &record).map(|b| b[0]), Some(7));
        // An option of itself: refused, not followed for ever.
        let cycle = memory(0x200, [flat::kind::OPTION, 1, 0, 0x200, 0], 1);
        assert_eq!(read(&cycle, &record), None);
        // A record whose shape is itself: the depth limit ends it.
        let nested = Record::new()
            .with("a", Record::new().with("a", Record::new()))
            .encode(&LIMITS)
            .unwrap();
        let itself = memory(0x200, [flat::kind::RECORD, 16, 0, 0, 0x100], 1);
        assert_eq!(read(&itself, &nested), None);
        // A type past the end of memory, a key running off it, an unknown kind.
        assert_eq!(read(&memory(1022, [0; 5], 1), &record), None);
        assert_eq!(
            read(
                &memory(0x200, [flat::kind::U32, 8, 0, 0, 0], u32::MAX),
                &record
            ),
            None
        );
        assert_eq!(read(&memory(0x200, [77, 8, 0, 0, 0], 1), &record), None);
        // A shape pointer outside memory.
        let mut out = [0u8; 16];
        let shapes = GuestShapes { memory: &good };
        assert!(!flat::read(
            &shapes,
            u32::MAX - 2,
            &record,
            &LIMITS,
            &mut out
        ));
    }

    #[test]
    fn a_read_costs_fuel_with_the_record_and_the_fields_looked_at() {
        assert_eq!(fuel_for(0, 0), 8);
        assert!(fuel_for(1024, 64 * 64) > fuel_for(1024, 4));
        assert!(fuel_for(1024, 4) > fuel_for(40, 4));
    }
}
