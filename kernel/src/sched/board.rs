//! Wake boards: the executors' ready queues, in static memory so that a waker never dangles.
//!
//! A waker carries only a packed word (board index, slot, low generation bits, see
//! [`super::waker`]). It finds its executor's ready queue here, in a static array of boards,
//! instead of through a pointer into the executor: a waker that outlives its executor (kept
//! by a channel, say) can therefore never touch freed memory. At worst it reaches a board that
//! another executor has since claimed, where the generation check turns it into a no-op.
//!
//! Each board holds, per task slot, the slot's generation (odd while a task lives there) and a
//! "queued" flag, plus a FIFO ring of slot numbers. Every slot is in the ring at most once, so a
//! ring of `MAX_TASKS` entries never overflows and waking never allocates.
//!
//! All fields are atomics used with `Relaxed` loads and stores (plain `ldr`/`str` on
//! Cortex-M): a board is only touched from its executor's thread. A waker called from another
//! thread is a contract violation that may lose or misorder a wake-up but cannot cause undefined
//! behaviour.

use core::sync::atomic::{AtomicBool, AtomicU16, AtomicU32, AtomicUsize, Ordering::Relaxed};

use crate::config::{MAX_EXECUTORS, MAX_TASKS};

/// One executor's wake state: slot generations, queued flags and the FIFO ready ring.
pub(crate) struct WakeBoard {
    claimed: AtomicBool,
    generation: [AtomicU32; MAX_TASKS],
    queued: [AtomicBool; MAX_TASKS],
    ring: [AtomicU16; MAX_TASKS],
    head: AtomicUsize,
    len: AtomicUsize,
}

/// `index` (below `2 * MAX_TASKS`) reduced into the ring, without a division when
/// `MAX_TASKS` is not a power of two.
#[inline(always)]
fn wrap(index: usize) -> usize {
    if index >= MAX_TASKS {
        index - MAX_TASKS
    } else {
        index
    }
}

/// The boards, one per executor that may be alive at once.
static BOARDS: [WakeBoard; MAX_EXECUTORS] = [const { WakeBoard::new() }; MAX_EXECUTORS];

/// Bytes of static board memory per task slot (generation, queued flag, ring entry).
pub(crate) const BOARD_BYTES_PER_SLOT: usize =
    size_of::<AtomicU32>() + size_of::<AtomicBool>() + size_of::<AtomicU16>();

impl WakeBoard {
    const fn new() -> Self {
        Self {
            claimed: AtomicBool::new(false),
            generation: [const { AtomicU32::new(0) }; MAX_TASKS],
            queued: [const { AtomicBool::new(false) }; MAX_TASKS],
            ring: [const { AtomicU16::new(0) }; MAX_TASKS],
            head: AtomicUsize::new(0),
            len: AtomicUsize::new(0),
        }
    }

    /// Claims a free board for a new executor; `None` when all `MAX_EXECUTORS` are in use.
    pub(crate) fn claim() -> Option<(u8, &'static WakeBoard)> {
        BOARDS.iter().enumerate().find_map(|(index, board)| {
            board
                .claimed
                .compare_exchange(false, true, Relaxed, Relaxed)
                .ok()
                .map(|_| {
                    board.head.store(0, Relaxed);
                    board.len.store(0, Relaxed);
                    // MAX_EXECUTORS <= 64, so the index fits in u8.
                    (index as u8, board)
                })
        })
    }

    /// The board with this index, if it exists.
    pub(crate) fn get(index: usize) -> Option<&'static WakeBoard> {
        BOARDS.get(index)
    }

    /// Gives the board back. Every slot must already be vacated (generation even).
    pub(crate) fn release(&self) {
        for flag in &self.queued {
            flag.store(false, Relaxed);
        }
        self.len.store(0, Relaxed);
        self.claimed.store(false, Relaxed);
    }

    /// Marks `slot` live and returns its new (odd) generation.
    pub(crate) fn occupy(&self, slot: usize) -> u32 {
        let g = self.generation[slot].load(Relaxed);
        let next = if g.is_multiple_of(2) {
            g.wrapping_add(1)
        } else {
            g.wrapping_add(2)
        };
        self.generation[slot].store(next, Relaxed);
        next
    }

    /// Marks `slot` empty (generation becomes even) and drops it from the ready ring.
    pub(crate) fn vacate(&self, slot: usize) {
        let g = self.generation[slot].load(Relaxed);
        self.generation[slot].store(g.wrapping_add(1), Relaxed);
        if self.queued[slot].load(Relaxed) {
            self.unlink(slot);
        }
    }

    /// Current generation of `slot` (odd while live).
    pub(crate) fn generation(&self, slot: usize) -> u32 {
        self.generation[slot].load(Relaxed)
    }

    /// Whether `slot` is in the ready ring.
    pub(crate) fn is_queued(&self, slot: usize) -> bool {
        self.queued[slot].load(Relaxed)
    }

    /// Number of slots in the ready ring.
    pub(crate) fn ready_len(&self) -> usize {
        self.len.load(Relaxed)
    }

    /// Wakes `slot` if its live generation still matches `generation_bits` under `mask`.
    pub(crate) fn wake(&self, slot: usize, generation_bits: u32, mask: u32) {
        let Some(g) = self.generation.get(slot) else {
            return;
        };
        let g = g.load(Relaxed);
        if g % 2 == 1 && g & mask == generation_bits {
            self.push(slot);
        }
    }

    /// Appends `slot` to the ready ring unless it is already there.
    pub(crate) fn push(&self, slot: usize) {
        if self.queued[slot].load(Relaxed) {
            return;
        }
        self.queued[slot].store(true, Relaxed);
        let len = self.len.load(Relaxed);
        let tail = wrap(self.head.load(Relaxed) + len);
        // Slots are < MAX_TASKS <= 1024, so they fit in u16.
        self.ring[tail].store(slot as u16, Relaxed);
        self.len.store(len + 1, Relaxed);
    }

    /// Removes and returns the slot at the front of the ready ring.
    pub(crate) fn pop(&self) -> Option<usize> {
        let len = self.len.load(Relaxed);
        if len == 0 {
            return None;
        }
        let head = self.head.load(Relaxed);
        let slot = usize::from(self.ring[head].load(Relaxed));
        self.head.store(wrap(head + 1), Relaxed);
        self.len.store(len - 1, Relaxed);
        self.queued[slot].store(false, Relaxed);
        Some(slot)
    }

    /// Removes `slot` from the middle of the ring, keeping the others' order (rare: a task that
    /// was cancelled or finished while queued).
    fn unlink(&self, slot: usize) {
        let len = self.len.load(Relaxed);
        let head = self.head.load(Relaxed);
        let mut kept = 0;
        for i in 0..len {
            let entry = self.ring[wrap(head + i)].load(Relaxed);
            if usize::from(entry) != slot {
                self.ring[wrap(head + kept)].store(entry, Relaxed);
                kept += 1;
            }
        }
        self.len.store(kept, Relaxed);
        self.queued[slot].store(false, Relaxed);
    }
}
