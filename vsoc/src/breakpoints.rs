//! An instance's armed breakpoints ([`Breakpoints`]): the table the `breakpoint` builtin
//! checks, and the debugger's probes keep for a debugged instance. A leaf: the monitor and
//! the probes both use it, neither the other.

use fireball_abi::limits::MAX_BREAKPOINTS;

/// The breakpoints armed in one instance: at most [`MAX_BREAKPOINTS`] ids.
///
/// A guest marks a spot with the `breakpoint(id)` builtin; the call pauses the
/// instance only while `id` is armed here. Checking is a scan of ≤ 10 words,
/// done inside the builtin — no router involved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Breakpoints {
    ids: [u32; MAX_BREAKPOINTS],
    len: u8,
}

/// All [`MAX_BREAKPOINTS`] breakpoint slots are armed; the id comes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakpointsFull(pub u32);

impl Breakpoints {
    /// Whether `id` is armed.
    pub fn is_armed(&self, id: u32) -> bool {
        self.ids[..usize::from(self.len)].contains(&id)
    }

    /// Arm `id` (arming an armed id is a no-op).
    pub fn try_arm(&mut self, id: u32) -> Result<(), BreakpointsFull> {
        if self.is_armed(id) {
            return Ok(());
        }
        let slot = self
            .ids
            .get_mut(usize::from(self.len))
            .ok_or(BreakpointsFull(id))?;
        *slot = id;
        self.len += 1;
        Ok(())
    }

    /// Disarm `id`; returns whether it was armed.
    pub fn disarm(&mut self, id: u32) -> bool {
        let len = usize::from(self.len);
        match self.ids[..len].iter().position(|&x| x == id) {
            Some(i) => {
                self.ids.copy_within(i + 1..len, i);
                self.len -= 1;
                true
            }
            None => false,
        }
    }

    /// The armed ids.
    pub fn ids(&self) -> &[u32] {
        &self.ids[..usize::from(self.len)]
    }

    /// Number of armed breakpoints.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether none is armed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_ten_breakpoints_and_disarm_compacts() {
        let mut table = Breakpoints::default();
        for id in 0..10 {
            table.try_arm(id * 7).unwrap();
        }
        assert_eq!(table.try_arm(99), Err(BreakpointsFull(99)));
        table.try_arm(14).unwrap(); // already armed: fine
        assert!(table.disarm(14));
        assert!(!table.is_armed(14));
        assert!(table.is_armed(63));
        table.try_arm(99).unwrap();
        assert_eq!(table.len(), 10);
        assert!(!table.disarm(1000));
    }
}
