//! The two candidates, behind one interface: a name → value map of at most a few dozen
//! entries, filled at start-up (or by a guest, up to a cap) and read by name afterwards.
#![no_std]

extern crate alloc;

use alloc::{rc::Rc, vec::Vec};

/// Fireball's structure today: `(name, value)` pairs scanned in order.
#[derive(Default)]
pub struct Scan {
    entries: Vec<(Rc<str>, u16)>,
}

impl Scan {
    pub fn insert(&mut self, name: Rc<str>, value: u16) {
        match self.entries.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => *v = value,
            None => self.entries.push((name, value)),
        }
    }

    pub fn get(&self, name: &str) -> Option<u16> {
        self.entries
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, v)| *v)
    }

    /// Heap bytes held (the vector's buffer; the names are shared either way).
    pub fn heap_bytes(&self) -> usize {
        self.entries.capacity() * core::mem::size_of::<(Rc<str>, u16)>()
    }
}

/// The candidate: hashbrown with foldhash's fixed-seed hasher (a `no_std` board has no
/// entropy source for a random one).
pub struct Hashed {
    map: hashbrown::HashMap<Rc<str>, u16, foldhash::fast::FixedState>,
}

impl Default for Hashed {
    fn default() -> Self {
        Self {
            map: hashbrown::HashMap::with_hasher(foldhash::fast::FixedState::default()),
        }
    }
}

impl Hashed {
    pub fn insert(&mut self, name: Rc<str>, value: u16) {
        self.map.insert(name, value);
    }

    pub fn get(&self, name: &str) -> Option<u16> {
        self.map.get(name).copied()
    }

    /// Heap bytes held: hashbrown's own count (buckets, control bytes, a group's worth more).
    pub fn heap_bytes(&self) -> usize {
        self.map.allocation_size()
    }
}
