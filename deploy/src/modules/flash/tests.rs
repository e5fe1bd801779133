//! [`FlashStore`] on a fake NOR flash that keeps NOR's rules and can lose power after any
//! number of page erases and word writes.

extern crate std;

use alloc::{vec, vec::Vec};

use embedded_storage::nor_flash::{ErrorType, NorFlash, NorFlashErrorKind, ReadNorFlash};
use proptest::prelude::*;

use super::*;

/// The fake's erase page and write word.
const PAGE: usize = 256;
const WORD: usize = 4;
/// Four pages a slot, four slots.
const SLOT: usize = 4 * PAGE;
const REGION: usize = 4 * SLOT;
const MAX: usize = SLOT - HEADER_BYTES;

/// A NOR flash: erases pages to `0xFF`, writes whole words that only clear bits, refuses a
/// second write to a word before its page is erased (a bug in the store: the test fails). It
/// loses power after `budget` operations (page erases and word writes): the operation it
/// loses power in had not begun, left its page (erase) or word (write) undefined — noise —
/// or had finished, as the noise decides; every one after it does nothing and fails.
#[derive(Clone, Debug)]
struct FakeFlash {
    bytes: Vec<u8>,
    /// Per word: written since its page was last erased.
    written: Vec<bool>,
    /// Operations done so far (erases and word writes).
    ops: usize,
    /// Operations left before the power goes (`None`: it never does).
    budget: Option<usize>,
    off: bool,
    noise: u64,
}

impl FakeFlash {
    fn new() -> Self {
        Self {
            bytes: vec![0xFF; REGION],
            written: vec![false; REGION / WORD],
            ops: 0,
            budget: None,
            off: false,
            noise: 0x9E37_79B9_7F4A_7C15,
        }
    }

    /// The same flash, losing power after `ops` more operations; `seed` for the noise.
    fn cut_after(mut self, ops: usize, seed: u64) -> Self {
        self.budget = Some(ops);
        self.noise = seed | 1;
        self
    }

    /// Power back on (after a reset): what the flash holds stays.
    fn power_on(mut self) -> Self {
        self.budget = None;
        self.off = false;
        self
    }

    fn random(&mut self) -> u8 {
        // xorshift64
        self.noise ^= self.noise << 13;
        self.noise ^= self.noise >> 7;
        self.noise ^= self.noise << 17;
        self.noise as u8
    }

    /// One more operation: `Ok` if the power holds for it, `Err(true)` if it goes during
    /// it, `Err(false)` if it went before.
    fn step(&mut self) -> Result<(), bool> {
        if self.off {
            return Err(false);
        }
        self.ops += 1;
        match &mut self.budget {
            Some(0) => {
                self.off = true;
                Err(true)
            }
            Some(n) => {
                *n -= 1;
                Ok(())
            }
            None => Ok(()),
        }
    }
}

impl ErrorType for FakeFlash {
    type Error = NorFlashErrorKind;
}

impl ReadNorFlash for FakeFlash {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        let at = offset as usize;
        let from = self.bytes.get(at..at + bytes.len());
        bytes.copy_from_slice(from.ok_or(NorFlashErrorKind::OutOfBounds)?);
        Ok(())
    }

    fn capacity(&self) -> usize {
        REGION
    }
}

impl NorFlash for FakeFlash {
    const WRITE_SIZE: usize = WORD;
    const ERASE_SIZE: usize = PAGE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        let (from, to) = (from as usize, to as usize);
        if !from.is_multiple_of(PAGE) || !to.is_multiple_of(PAGE) {
            return Err(NorFlashErrorKind::NotAligned);
        }
        if from > to || to > REGION {
            return Err(NorFlashErrorKind::OutOfBounds);
        }
        for page in (from..to).step_by(PAGE) {
            match self.step() {
                Ok(()) => {
                    self.bytes[page..page + PAGE].fill(0xFF);
                    self.written[page / WORD..(page + PAGE) / WORD].fill(false);
                }
                Err(during) => {
                    if during {
                        match self.random() % 3 {
                            0 => {}
                            1 => {
                                for i in page..page + PAGE {
                                    self.bytes[i] = self.random();
                                }
                                // Undefined: the store must erase it before writing.
                                self.written[page / WORD..(page + PAGE) / WORD].fill(true);
                            }
                            _ => {
                                self.bytes[page..page + PAGE].fill(0xFF);
                                self.written[page / WORD..(page + PAGE) / WORD].fill(false);
                            }
                        }
                    }
                    return Err(NorFlashErrorKind::Other);
                }
            }
        }
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        let at = offset as usize;
        if !at.is_multiple_of(WORD) || !bytes.len().is_multiple_of(WORD) {
            return Err(NorFlashErrorKind::NotAligned);
        }
        if at + bytes.len() > REGION {
            return Err(NorFlashErrorKind::OutOfBounds);
        }
        for (i, new) in bytes.chunks(WORD).enumerate() {
            let w = at / WORD + i;
            // All ones programs nothing.
            if new.iter().all(|&b| b == 0xFF) {
                continue;
            }
            assert!(
                !self.written[w],
                "word {w:#x} written twice without an erase"
            );
            match self.step() {
                Ok(()) => {
                    for (j, &b) in new.iter().enumerate() {
                        self.bytes[w * WORD + j] &= b;
                    }
                    self.written[w] = true;
                }
                Err(during) => {
                    if during {
                        let finished = self.random() % 3;
                        for (j, &b) in new.iter().enumerate() {
                            let noise = self.random();
                            self.bytes[w * WORD + j] &= match finished {
                                0 => 0xFF,
                                1 => noise,
                                _ => b,
                            };
                        }
                        self.written[w] = finished != 0;
                    }
                    return Err(NorFlashErrorKind::Other);
                }
            }
        }
        Ok(())
    }
}

impl MappedFlash for FakeFlash {
    fn mapped(&self) -> &[u8] {
        &self.bytes
    }
}

fn open(flash: FakeFlash) -> FlashStore<FakeFlash> {
    FlashStore::open(flash, SLOT).expect("the fake's geometry")
}

/// Reset: the store opened again from what its flash holds.
fn reset(store: FlashStore<FakeFlash>) -> FlashStore<FakeFlash> {
    open(store.into_flash().power_on())
}

#[test]
fn a_saved_package_survives_a_reset_and_an_update_replaces_it() {
    let mut store = open(FakeFlash::new());
    assert_eq!(store.get("stats"), None);
    store.save("stats", &[1; 100]).unwrap();
    store.save("filter", &[2; 3]).unwrap();
    let mut store = reset(store);
    assert_eq!(store.get("stats"), Some(&[1; 100][..]));
    assert_eq!(store.get("filter"), Some(&[2; 3][..]));
    store.save("stats", &[3; 7]).unwrap();
    let store = reset(store);
    assert_eq!(store.get("stats"), Some(&[3; 7][..]));
    assert_eq!(store.usage(), (10, 3 * MAX));
}

#[test]
fn a_removed_package_stays_removed_after_a_reset() {
    let mut store = open(FakeFlash::new());
    store.save("stats", &[1; 10]).unwrap();
    assert!(store.remove("stats"));
    assert!(!store.remove("stats"));
    assert!(!store.remove("nobody"));
    let mut store = reset(store);
    assert_eq!(store.get("stats"), None);
    store.save("stats", &[4; 9]).unwrap();
    assert_eq!(reset(store).get("stats"), Some(&[4; 9][..]));
}

#[test]
fn one_slot_stays_free_so_a_full_store_still_takes_updates() {
    let mut store = open(FakeFlash::new());
    for name in ["a", "b", "c"] {
        store.save(name, &[9; 50]).unwrap();
    }
    assert_eq!(
        store.save("d", &[1; 5]),
        Err(StoreError::NoSlot { packages: 3 })
    );
    assert_eq!(store.room("d", 5), Err(StoreError::NoSlot { packages: 3 }));
    // Every kept package can still be updated, over and over.
    for round in 0..5u8 {
        for name in ["a", "b", "c"] {
            store.save(name, &[round; 60]).unwrap();
        }
    }
    let store = reset(store);
    for name in ["a", "b", "c"] {
        assert_eq!(store.get(name), Some(&[4; 60][..]));
    }
    assert_eq!(store.get("d"), None);
}

#[test]
fn what_does_not_fit_a_slot_is_refused_by_type_and_changes_nothing() {
    let mut store = open(FakeFlash::new());
    store.save("a", &[1; 4]).unwrap();
    assert_eq!(
        store.save("a", &vec![0; MAX + 1]),
        Err(StoreError::TooLarge {
            len: MAX + 1,
            max: MAX
        })
    );
    let long = "n".repeat(MAX_NAME_BYTES + 1);
    assert_eq!(
        store.save(&long, &[1]),
        Err(StoreError::Name {
            len: MAX_NAME_BYTES + 1,
            max: MAX_NAME_BYTES
        })
    );
    store.save("a", &vec![5; MAX]).unwrap();
    assert_eq!(reset(store).get("a"), Some(&vec![5; MAX][..]));
    assert_eq!(
        FlashStore::open(FakeFlash::new(), PAGE + 1).err(),
        Some(StoreError::Geometry)
    );
    assert_eq!(
        FlashStore::open(FakeFlash::new(), REGION).err(),
        Some(StoreError::Geometry),
        "one slot leaves none free"
    );
}

#[test]
fn a_flash_that_fails_gives_a_typed_error_and_keeps_the_old_package() {
    let mut store = open(FakeFlash::new());
    store.save("a", &[1; 40]).unwrap();
    let mut store = open(store.into_flash().cut_after(0, 7));
    assert_eq!(
        store.save("a", &[2; 40]),
        Err(StoreError::Flash(NorFlashErrorKind::Other))
    );
    assert_eq!(store.get("a"), Some(&[1; 40][..]));
    assert_eq!(reset(store).get("a"), Some(&[1; 40][..]));
}

/// Operations `f` does on a flash that never loses power.
fn ops_of(flash: &FakeFlash, f: impl Fn(&mut FlashStore<FakeFlash>)) -> usize {
    let mut store = open(flash.clone());
    let before = flash.ops;
    f(&mut store);
    store.into_flash().ops - before
}

/// A flash holding `other` (for `b`), `old` (for `a`, if any), with `b` saved again
/// `moves` times so the slots are not in their first order.
fn prepared(old: &Option<Vec<u8>>, other: &[u8], moves: usize) -> FakeFlash {
    let mut store = open(FakeFlash::new());
    store.save("b", other).unwrap();
    if let Some(old) = old {
        store.save("a", old).unwrap();
    }
    for _ in 0..moves {
        store.save("b", other).unwrap();
    }
    store.into_flash()
}

fn package() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 1..=MAX)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A reset after any number of a save's erases and word writes: the store opens to the
    /// old package or the new one (never garbage, never neither when there was one), the
    /// other package is untouched, and the store takes the next save.
    #[test]
    fn a_reset_at_any_point_of_a_save_leaves_the_old_or_the_new_package(
        old in prop::option::of(package()),
        new in package(),
        other in package(),
        moves in 0usize..3,
        seed in any::<u64>(),
    ) {
        let flash = prepared(&old, &other, moves);
        let total = ops_of(&flash, |s| s.save("a", &new).unwrap());
        for cut in 0..=total {
            let mut store = open(flash.clone().cut_after(cut, seed));
            let _ = store.save("a", &new);
            let mut store = reset(store);
            let got = store.get("a");
            prop_assert!(
                got == old.as_deref() || got == Some(&new[..]),
                "cut after {cut} of {total}: neither the old package nor the new one"
            );
            if cut == total {
                prop_assert_eq!(got, Some(&new[..]));
            }
            prop_assert_eq!(store.get("b"), Some(&other[..]));
            store.save("a", &[7; 5]).unwrap();
            let store = reset(store);
            prop_assert_eq!(store.get("a"), Some(&[7; 5][..]));
        }
    }

    /// A reset after any number of a removal's erases: the package is there whole, or gone
    /// — also when an update before it lost power while it erased the old copy (which may
    /// then still be there, stale, for the removal to find).
    #[test]
    fn a_reset_at_any_point_of_a_remove_leaves_the_package_or_nothing(
        first in package(),
        update in prop::option::of(package()),
        other in package(),
        moves in 0usize..3,
        seed in any::<u64>(),
    ) {
        let mut flash = prepared(&Some(first.clone()), &other, moves);
        let mut old = first;
        if let Some(update) = update {
            // Power lost in the update's last operation: the erase of the old copy.
            let total = ops_of(&flash, |s| s.save("a", &update).unwrap());
            let mut store = open(flash.cut_after(total - 1, seed ^ 0x5555));
            let _ = store.save("a", &update);
            let store = reset(store);
            prop_assert_eq!(store.get("a"), Some(&update[..]));
            flash = store.into_flash();
            old = update;
        }
        let total = ops_of(&flash, |s| assert!(s.remove("a")));
        for cut in 0..=total {
            let mut store = open(flash.clone().cut_after(cut, seed));
            store.remove("a");
            let store = reset(store);
            let got = store.get("a");
            prop_assert!(got.is_none() || got == Some(&old[..]), "cut after {cut} of {total}");
            if cut == total {
                prop_assert_eq!(got, None);
            }
            prop_assert_eq!(store.get("b"), Some(&other[..]));
        }
    }
}
