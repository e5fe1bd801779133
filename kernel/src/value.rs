//! `value`: owned values and the handles WASM code uses to refer to them.
//!
//! Inside the kernel a value's owner is simply whoever holds it: channels move values, and
//! Rust's ownership is the seed's `co_value`. WASM code cannot hold a Rust value, so the host
//! keeps it in a [`HandleTable`] and gives the guest a [`Handle`] — a `u32` packing the slot
//! index (low 16 bits) and the slot's generation (high 16 bits). A handle coming back from a
//! guest is only an *allegation* until the table checks it: an index past the table is
//! [`HandleError::OutOfRange`], a generation the table never issued is
//! [`HandleError::Forged`], a handle whose value was moved out with [`HandleTable::take`] is
//! [`HandleError::Moved`] (until the slot is reused), and one whose value was removed, or any
//! older handle of a reused slot, is [`HandleError::Stale`]. None of them can reach another value.
//!
//! Generations start at 1 (so the all-zero word is never valid) and grow by one each time a
//! slot is vacated; a slot whose generation reaches `u16::MAX` is retired instead of reused, so a
//! stale handle can never become valid again.

use alloc::vec::Vec;
use core::fmt;

use crate::config::MAX_HANDLES;

/// A guest-visible reference to a value in a [`HandleTable`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Handle(u32);

impl Handle {
    /// The word handed to WASM code.
    pub const fn to_raw(self) -> u32 {
        self.0
    }

    /// A word received from WASM code: unchecked until a table accepts it.
    pub const fn from_raw(raw: u32) -> Self {
        Self(raw)
    }

    /// The slot index.
    pub const fn index(self) -> u16 {
        self.0 as u16
    }

    /// The slot generation.
    pub const fn generation(self) -> u16 {
        (self.0 >> 16) as u16
    }

    const fn new(index: u16, generation: u16) -> Self {
        Self(index as u32 | (generation as u32) << 16)
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Handle({}.{})", self.index(), self.generation())
    }
}

/// Why a handle was refused. The holder of the handle is at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HandleError {
    /// The index is beyond the table: forged or from another table.
    OutOfRange,
    /// The generation was never issued for this slot: forged.
    Forged,
    /// The value was moved out ([`HandleTable::take`]); the handle is spent.
    Moved,
    /// The value was removed, or the slot has since held another value.
    Stale,
}

/// `insert` found no free slot; the value comes back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TableFull<T>(pub T);

impl<T> fmt::Debug for TableFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TableFull(..)")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exit {
    Moved,
    Removed,
}

struct Slot<T> {
    generation: u16,
    value: Option<T>,
    last_exit: Exit,
}

/// A fixed-capacity table of values addressed by generation-checked [`Handle`]s.
pub struct HandleTable<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u16>,
    len: usize,
}

impl<T> HandleTable<T> {
    /// A table with `capacity` slots (clamped to 1..=65535), allocated now and never grown.
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.clamp(1, usize::from(u16::MAX));
        let mut slots = Vec::with_capacity(capacity);
        slots.resize_with(capacity, || Slot {
            generation: 1,
            value: None,
            last_exit: Exit::Removed,
        });
        // Free list as a stack, lowest index on top: deterministic reuse order.
        let free = (0..capacity as u16).rev().collect();
        Self {
            slots,
            free,
            len: 0,
        }
    }

    /// A table of [`MAX_HANDLES`] slots.
    pub fn from_config() -> Self {
        Self::new(MAX_HANDLES)
    }

    /// Stores `value` and returns its handle; the value comes back if the table is full.
    pub fn insert(&mut self, value: T) -> Result<Handle, TableFull<T>> {
        let Some(index) = self.free.pop() else {
            return Err(TableFull(value));
        };
        let slot = &mut self.slots[usize::from(index)];
        slot.value = Some(value);
        self.len += 1;
        Ok(Handle::new(index, slot.generation))
    }

    /// Checks `handle` and returns its slot index.
    pub fn check(&self, handle: Handle) -> Result<usize, HandleError> {
        let index = usize::from(handle.index());
        let slot = self.slots.get(index).ok_or(HandleError::OutOfRange)?;
        let (h, g) = (handle.generation(), slot.generation);
        if h == 0 || h > g || (h == g && slot.value.is_none()) {
            Err(HandleError::Forged)
        } else if h == g {
            Ok(index)
        } else if h == g - 1 && slot.value.is_none() && slot.last_exit == Exit::Moved {
            Err(HandleError::Moved)
        } else {
            Err(HandleError::Stale)
        }
    }

    /// The value behind `handle`.
    pub fn get(&self, handle: Handle) -> Result<&T, HandleError> {
        let index = self.check(handle)?;
        self.slots[index].value.as_ref().ok_or(HandleError::Stale)
    }

    /// The value behind `handle`, mutably.
    pub fn get_mut(&mut self, handle: Handle) -> Result<&mut T, HandleError> {
        let index = self.check(handle)?;
        self.slots[index].value.as_mut().ok_or(HandleError::Stale)
    }

    /// Moves the value out; the handle becomes [`HandleError::Moved`].
    pub fn take(&mut self, handle: Handle) -> Result<T, HandleError> {
        let index = self.check(handle)?;
        Ok(self.vacate(index, Exit::Moved))
    }

    /// Drops the value; the handle becomes [`HandleError::Stale`].
    pub fn remove(&mut self, handle: Handle) -> Result<(), HandleError> {
        let index = self.check(handle)?;
        drop(self.vacate(index, Exit::Removed));
        Ok(())
    }

    /// Whether `handle` currently names a value.
    pub fn contains(&self, handle: Handle) -> bool {
        self.check(handle).is_ok()
    }

    /// Values stored.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no value is stored.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Slots in the table (including retired ones).
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    fn vacate(&mut self, index: usize, exit: Exit) -> T {
        let slot = &mut self.slots[index];
        let Some(value) = slot.value.take() else {
            unreachable!("checked handles name live slots")
        };
        slot.last_exit = exit;
        self.len -= 1;
        // Occupied slots are always below u16::MAX (see below), so this cannot overflow.
        slot.generation += 1;
        if slot.generation < u16::MAX {
            // index < capacity <= u16::MAX
            self.free.push(index as u16);
        }
        // A slot that reached u16::MAX is retired: never reused, so its handles stay refused.
        value
    }
}

impl<T> fmt::Debug for HandleTable<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandleTable")
            .field("len", &self.len)
            .field("capacity", &self.capacity())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn insert_get_take_remove() {
        let mut table = HandleTable::new(2);
        let a = table.insert("a").unwrap();
        let b = table.insert("b").unwrap();
        assert_eq!(table.insert("c"), Err(TableFull("c")));
        assert_eq!(table.get(a), Ok(&"a"));
        *table.get_mut(b).unwrap() = "B";
        assert_eq!(table.take(b), Ok("B"));
        assert_eq!(table.get(b), Err(HandleError::Moved));
        table.remove(a).unwrap();
        assert_eq!(table.get(a), Err(HandleError::Stale));
        assert!(table.is_empty());
    }

    #[test]
    fn reused_slot_rejects_old_handles_and_forgeries() {
        let mut table = HandleTable::new(1);
        let old = table.insert(1).unwrap();
        table.take(old).unwrap();
        let new = table.insert(2).unwrap();
        assert_eq!(new.index(), old.index());
        assert_eq!(
            table.get(old),
            Err(HandleError::Stale),
            "moved, then the slot was reused"
        );
        assert_eq!(table.get(new), Ok(&2));
        let ahead = Handle::new(new.index(), new.generation() + 1);
        assert_eq!(table.get(ahead), Err(HandleError::Forged));
        assert_eq!(table.get(Handle::from_raw(0)), Err(HandleError::Forged));
        assert_eq!(table.get(Handle::from_raw(5)), Err(HandleError::OutOfRange));
        assert_eq!(Handle::from_raw(new.to_raw()), new);
    }

    #[test]
    fn a_worn_out_slot_is_retired() {
        let mut table = HandleTable::new(1);
        let mut last = table.insert(0u8).unwrap();
        while let Ok(()) = table.remove(last) {
            match table.insert(0) {
                Ok(h) => last = h,
                Err(_) => break,
            }
        }
        assert_eq!(last.generation(), u16::MAX - 1);
        assert_eq!(
            table.insert(1),
            Err(TableFull(1)),
            "the slot is never reused"
        );
        assert_eq!(table.get(last), Err(HandleError::Stale));
    }

    #[derive(Clone, Debug)]
    enum Op {
        Insert(u32),
        Take(usize),
        Remove(usize),
        Get(usize),
        Forge(u32),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            any::<u32>().prop_map(Op::Insert),
            any::<usize>().prop_map(Op::Take),
            any::<usize>().prop_map(Op::Remove),
            any::<usize>().prop_map(Op::Get),
            any::<u32>().prop_map(Op::Forge),
        ]
    }

    proptest! {
        /// Against a model: every handle ever issued is either live (and yields exactly its
        /// value) or refused; a refused handle never reaches another value.
        #[test]
        fn handles_match_the_model(capacity in 1usize..6, ops in prop::collection::vec(op(), 0..80)) {
            let mut table = HandleTable::new(capacity);
            // Every handle issued, with its value while live.
            let mut issued: Vec<(Handle, Option<u32>, Option<HandleError>)> = Vec::new();
            for op in ops {
                match op {
                    Op::Insert(v) => match table.insert(v) {
                        Ok(h) => {
                            prop_assert!(issued.iter().all(|(old, _, _)| *old != h), "handle reissued");
                            issued.push((h, Some(v), None));
                        }
                        Err(TableFull(back)) => {
                            prop_assert_eq!(back, v);
                            prop_assert_eq!(table.len(), capacity);
                        }
                    },
                    Op::Take(i) | Op::Remove(i) if !issued.is_empty() => {
                        let i = i % issued.len();
                        let (h, live, _) = issued[i];
                        let took = matches!(op, Op::Take(_));
                        match live {
                            Some(v) if took => {
                                prop_assert_eq!(table.take(h), Ok(v));
                                issued[i] = (h, None, Some(HandleError::Moved));
                            }
                            Some(_) => {
                                prop_assert_eq!(table.remove(h), Ok(()));
                                issued[i] = (h, None, Some(HandleError::Stale));
                            }
                            None => prop_assert!(table.take(h).is_err()),
                        }
                    }
                    Op::Get(i) if !issued.is_empty() => {
                        let (h, live, _) = issued[i % issued.len()];
                        match live {
                            Some(v) => prop_assert_eq!(table.get(h), Ok(&v)),
                            None => prop_assert!(table.get(h).is_err()),
                        }
                    }
                    Op::Forge(raw) => {
                        let h = Handle::from_raw(raw);
                        let live = issued.iter().find(|(i, v, _)| *i == h && v.is_some());
                        match live {
                            Some((_, Some(v), _)) => prop_assert_eq!(table.get(h), Ok(v)),
                            _ => prop_assert!(table.get(h).is_err()),
                        }
                    }
                    _ => {}
                }
                // The most recent exit of each slot is reported precisely.
                for (h, live, exit) in &issued {
                    let newest = issued.iter().rev().find(|(o, _, _)| o.index() == h.index()).map(|x| x.0);
                    if live.is_none() && newest == Some(*h) {
                        prop_assert_eq!(table.get(*h).err(), *exit);
                    }
                }
                prop_assert_eq!(table.len(), issued.iter().filter(|x| x.1.is_some()).count());
            }
        }
    }
}
