//! `value`: owned values and the handles WASM code uses to refer to them.
//!
//! Inside the kernel a value's owner is simply whoever holds it: channels move values, and
//! Rust's ownership is the seed's `co_value`. WASM code cannot hold a Rust value, so the host
//! keeps it in a [`HandleTable`] and gives the guest a [`Handle`] — a `u32` packing the slot
//! index (low 16 bits) and the slot's generation (high 16 bits). A handle coming back from a
//! guest is only an *allegation* until the table checks it: an index past the table is
//! [`HandleError::OutOfRange`], a generation the table never issued is
//! [`HandleError::Forged`], a handle whose value was moved out with [`HandleTable::take`] is
//! [`HandleError::Moved`], and one whose value was removed (or an older one for a reused slot)
//! is [`HandleError::Stale`]. None of them can reach another value.
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
        } else if h == g - 1 && slot.last_exit == Exit::Moved {
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
