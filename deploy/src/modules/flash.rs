//! [`FlashStore`]: installed packages kept in NOR flash, so they survive a reset; a reset at
//! any point of a save or a removal leaves the store as it was before or as it is after,
//! never anything in between.
//!
//! Generic over `embedded-storage`'s [`NorFlash`] (erase to `0xFF` by `ERASE_SIZE` pages,
//! writes of `WRITE_SIZE` words that only clear bits, each word written once per erase),
//! plus [`MappedFlash`]: the region as the CPU reads it, so [`get`](ModuleStore::get)
//! borrows a package from flash instead of copying it to RAM (on the nRF5340 the flash is
//! memory-mapped).
//!
//! # Layout
//!
//! The region is cut into equal **slots** (a whole number of erase pages each). A slot holds
//! one package: a 64-byte [header](HEADER_BYTES) at its start, the package right after it.
//!
//! | offset | field |
//! | ---: | --- |
//! | 0 | magic `FBMS` (`0x534D_4246`, little endian) |
//! | 4 | sequence number: higher is newer, across the whole store |
//! | 8 | package length |
//! | 12 | CRC-32 (ISO-HDLC) of the package |
//! | 16 | name length (at most [`MAX_NAME_BYTES`]) |
//! | 20 | the component's name, UTF-8, padded with `0xFF` to 40 bytes |
//! | 60 | CRC-32 of bytes 0..60 |
//!
//! A slot counts only if its magic, both CRCs, its length and its name check out; for a
//! name kept in several slots, the highest sequence number wins.
//!
//! # Why a reset cannot leave garbage
//!
//! - **Save** of `name`: into a slot that holds no name's current package: its pages are
//!   erased (only those the package needs), the package written, read back, and only then
//!   the header, last — the commit. Until the header's last word is in, the slot does not
//!   count and `name`'s old slot is still the newest; once it is, the new slot has the
//!   higher sequence number. The old slot's header page is erased afterwards (a reset before
//!   that leaves a stale copy that loses to the new one, and is reused like a free slot).
//! - **Remove** of `name`: the header pages of every slot holding it are erased, older copies
//!   first and the newest last: until that last erase the newest copy is intact.
//! - One slot is always left free, so an update of a kept package always has somewhere to
//!   go: a store of `n` slots keeps at most `n - 1` packages.
//!
//! An erase or write a reset interrupts leaves its page or words undefined (`NorFlash`'s
//! contract); the CRCs make such a slot not count. The packages are also signed: the boot
//! that restores one verifies it again before running it.

use alloc::{string::String, vec::Vec};

use embedded_storage::nor_flash::{NorFlash, NorFlashError};

use super::{ModuleStore, StoreError};

/// Bytes of a slot's header; the package starts right after it.
pub const HEADER_BYTES: usize = 64;

/// The longest component name a slot's header holds, bytes.
pub const MAX_NAME_BYTES: usize = 40;

const MAGIC: u32 = u32::from_le_bytes(*b"FBMS");
const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// A [`NorFlash`] region the CPU can also read in place.
pub trait MappedFlash: NorFlash {
    /// The whole region as the CPU reads it: byte `i` is at flash offset `i`.
    fn mapped(&self) -> &[u8];
}

/// One slot's header, once it checks out.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Header {
    name: String,
    seq: u32,
    len: usize,
}

/// A package kept in a slot.
#[derive(Debug)]
struct Kept {
    name: String,
    slot: usize,
    seq: u32,
    len: usize,
}

/// A [`ModuleStore`] in NOR flash: `slots` slots of `slot_bytes` each over the whole of
/// `F`'s region (see the module docs for the layout and why a reset leaves no garbage).
#[derive(Debug)]
pub struct FlashStore<F> {
    flash: F,
    slot_bytes: usize,
    slots: usize,
    /// The newest valid copy of each name.
    kept: Vec<Kept>,
    next_seq: u32,
}

fn flash_error(error: impl NorFlashError) -> StoreError {
    StoreError::Flash(error.kind())
}

fn word(bytes: &[u8], at: usize) -> u32 {
    let mut w = [0; 4];
    w.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(w)
}

/// The header of a slot holding `package` for `name` as number `seq`.
fn header(name: &str, seq: u32, package: &[u8]) -> [u8; HEADER_BYTES] {
    let mut h = [0xFF; HEADER_BYTES];
    h[0..4].copy_from_slice(&MAGIC.to_le_bytes());
    h[4..8].copy_from_slice(&seq.to_le_bytes());
    h[8..12].copy_from_slice(&(package.len() as u32).to_le_bytes());
    h[12..16].copy_from_slice(&CRC.checksum(package).to_le_bytes());
    h[16..20].copy_from_slice(&(name.len() as u32).to_le_bytes());
    h[20..20 + name.len()].copy_from_slice(name.as_bytes());
    let crc = CRC.checksum(&h[..60]);
    h[60..64].copy_from_slice(&crc.to_le_bytes());
    h
}

impl<F: MappedFlash> FlashStore<F> {
    /// The store over all of `flash`, in slots of `slot_bytes` (a whole number of erase
    /// pages, at least two slots); what it holds is read from the flash: the packages a
    /// save committed before the last reset.
    pub fn open(flash: F, slot_bytes: usize) -> Result<Self, StoreError> {
        let slots = flash.capacity() / slot_bytes.max(1);
        if slot_bytes == 0
            || !slot_bytes.is_multiple_of(F::ERASE_SIZE)
            || !HEADER_BYTES.is_multiple_of(F::WRITE_SIZE)
            || slot_bytes <= HEADER_BYTES
            || slots < 2
            || flash.mapped().len() < slots * slot_bytes
        {
            return Err(StoreError::Geometry);
        }
        let mut store = Self {
            flash,
            slot_bytes,
            slots,
            kept: Vec::new(),
            next_seq: 1,
        };
        for slot in 0..slots {
            let Some(h) = store.read_header(slot) else {
                continue;
            };
            store.next_seq = store.next_seq.max(h.seq.wrapping_add(1));
            match store.kept.iter_mut().find(|k| k.name == h.name) {
                Some(k) if k.seq >= h.seq => {}
                Some(k) => {
                    (k.slot, k.seq, k.len) = (slot, h.seq, h.len);
                }
                None => store.kept.push(Kept {
                    name: h.name,
                    slot,
                    seq: h.seq,
                    len: h.len,
                }),
            }
        }
        Ok(store)
    }

    /// The flash the store is on, given back.
    pub fn into_flash(self) -> F {
        self.flash
    }

    /// The largest package a slot holds.
    pub fn max_package(&self) -> usize {
        self.slot_bytes - HEADER_BYTES
    }

    /// Slots in the region (one is always kept free for updates).
    pub fn slots(&self) -> usize {
        self.slots
    }

    fn slot_range(&self, slot: usize, len: usize) -> core::ops::Range<usize> {
        let start = slot * self.slot_bytes;
        start..start + len
    }

    /// Slot `slot`'s header, if the slot counts: magic, header CRC, length, name and the
    /// package's CRC all check out.
    fn read_header(&self, slot: usize) -> Option<Header> {
        let bytes = self.flash.mapped();
        let h = &bytes[self.slot_range(slot, HEADER_BYTES)];
        if word(h, 0) != MAGIC || word(h, 60) != CRC.checksum(&h[..60]) {
            return None;
        }
        let (seq, len, crc) = (word(h, 4), word(h, 8) as usize, word(h, 12));
        let name_len = word(h, 16) as usize;
        if len > self.max_package() || name_len > MAX_NAME_BYTES {
            return None;
        }
        let name = core::str::from_utf8(&h[20..20 + name_len]).ok()?;
        let start = slot * self.slot_bytes + HEADER_BYTES;
        if CRC.checksum(&bytes[start..start + len]) != crc {
            return None;
        }
        Some(Header {
            name: name.into(),
            seq,
            len,
        })
    }

    /// Erase the pages of `range` (page-aligned start) unless they read erased already.
    fn erase(&mut self, range: core::ops::Range<usize>) -> Result<(), StoreError> {
        let end = range.end.next_multiple_of(F::ERASE_SIZE);
        if self.flash.mapped()[range.start..end]
            .iter()
            .all(|&b| b == 0xFF)
        {
            return Ok(());
        }
        self.flash
            .erase(range.start as u32, end as u32)
            .map_err(flash_error)
    }

    /// Write `bytes` at `at`, the last word padded with `0xFF`.
    fn write(&mut self, at: usize, bytes: &[u8]) -> Result<(), StoreError> {
        let whole = bytes.len() - bytes.len() % F::WRITE_SIZE;
        if whole > 0 {
            self.flash
                .write(at as u32, &bytes[..whole])
                .map_err(flash_error)?;
        }
        if whole < bytes.len() {
            let mut tail = [0xFF; 64];
            let tail = &mut tail[..F::WRITE_SIZE];
            tail[..bytes.len() - whole].copy_from_slice(&bytes[whole..]);
            self.flash
                .write((at + whole) as u32, tail)
                .map_err(flash_error)?;
        }
        Ok(())
    }

    /// Every slot whose header names `name`, oldest first.
    fn copies_of(&self, name: &str) -> Vec<(u32, usize)> {
        let mut copies: Vec<(u32, usize)> = (0..self.slots)
            .filter_map(|slot| {
                let h = self.read_header(slot)?;
                (h.name == name).then_some((h.seq, slot))
            })
            .collect();
        // A few slots at most: an insertion sort, where `sort_unstable` links ~2 KB of
        // generic sorting code into the image (docs/perf.md, "The sensor hub on the board").
        for i in 1..copies.len() {
            let mut j = i;
            while j > 0 && copies[j - 1] > copies[j] {
                copies.swap(j - 1, j);
                j -= 1;
            }
        }
        copies
    }

    /// Whether `name`'s `len`-byte package would be taken.
    fn fits(&self, name: &str, len: usize) -> Result<(), StoreError> {
        if name.len() > MAX_NAME_BYTES {
            return Err(StoreError::Name {
                len: name.len(),
                max: MAX_NAME_BYTES,
            });
        }
        if len > self.max_package() {
            return Err(StoreError::TooLarge {
                len,
                max: self.max_package(),
            });
        }
        let kept = self.kept.iter().any(|k| k.name == name);
        if !kept && self.kept.len() + 1 >= self.slots {
            return Err(StoreError::NoSlot {
                packages: self.slots - 1,
            });
        }
        Ok(())
    }
}

impl<F: MappedFlash> ModuleStore for FlashStore<F> {
    fn save(&mut self, name: &str, package: &[u8]) -> Result<(), StoreError> {
        self.fits(name, package.len())?;
        // WRITE_SIZE above 64 has no room in the tail buffer: refused by `open` (the header
        // is a whole number of words).
        let busy = |slot: usize| self.kept.iter().any(|k| k.slot == slot);
        let slot = (0..self.slots)
            .find(|&s| !busy(s))
            .ok_or(StoreError::NoSlot {
                packages: self.slots - 1,
            })?;
        let start = slot * self.slot_bytes;
        self.erase(start..start + HEADER_BYTES + package.len())?;
        self.write(start + HEADER_BYTES, package)?;
        let data = start + HEADER_BYTES;
        if self.flash.mapped()[data..data + package.len()] != *package {
            return Err(StoreError::Mismatch);
        }
        let seq = self.next_seq;
        self.write(start, &header(name, seq, package))?;
        if self.read_header(slot).is_none() {
            return Err(StoreError::Mismatch);
        }
        // Committed.
        self.next_seq = seq.wrapping_add(1);
        let old = match self.kept.iter_mut().find(|k| k.name == name) {
            Some(k) => Some(core::mem::replace(&mut k.slot, slot)),
            None => {
                self.kept.push(Kept {
                    name: name.into(),
                    slot,
                    seq,
                    len: package.len(),
                });
                None
            }
        };
        if let Some(k) = self.kept.iter_mut().find(|k| k.name == name) {
            (k.seq, k.len) = (seq, package.len());
        }
        // The old copy loses to the new one either way; erased, a later remove has one
        // copy to erase. A failure here leaves a stale copy, which is harmless.
        if let Some(old) = old {
            let at = old * self.slot_bytes;
            let _ = self.erase(at..at + HEADER_BYTES);
        }
        Ok(())
    }

    fn get(&self, name: &str) -> Option<&[u8]> {
        let k = self.kept.iter().find(|k| k.name == name)?;
        let start = k.slot * self.slot_bytes + HEADER_BYTES;
        Some(&self.flash.mapped()[start..start + k.len])
    }

    fn remove(&mut self, name: &str) -> bool {
        let Some(index) = self.kept.iter().position(|k| k.name == name) else {
            return false;
        };
        // Oldest first: until the newest copy's header is erased, the package is there.
        for (_, slot) in self.copies_of(name) {
            let at = slot * self.slot_bytes;
            if self.erase(at..at + HEADER_BYTES).is_err() {
                // Still there (or gone with a stale copy left): say what the flash says.
                let gone = self.read_header(self.kept[index].slot).is_none();
                if gone {
                    self.kept.remove(index);
                }
                return gone;
            }
        }
        self.kept.remove(index);
        true
    }

    fn usage(&self) -> (usize, usize) {
        let used = self.kept.iter().map(|k| k.len).sum();
        (used, (self.slots - 1) * self.max_package())
    }

    fn room(&self, name: &str, len: usize) -> Result<(), StoreError> {
        self.fits(name, len)
    }
}

#[cfg(test)]
mod tests;
