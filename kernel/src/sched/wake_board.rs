//! Wake boards: the executors' ready queues, in static memory so that a waker never dangles.
//!
//! A waker carries only a packed word (board index, slot, low bits of the slot's state, see
//! [`super::waker`]). It finds its executor's ready queue here, in a static array of boards,
//! instead of through a pointer into the executor: a waker that outlives its executor (kept
//! by a channel, say) can therefore never touch freed memory. At worst it reaches a board that
//! another executor has since claimed, where the generation check turns it into a no-op.
//!
//! Each board holds, per task slot, one state word — the slot's generation (odd while a task
//! lives there) shifted left by one, with the "queued" flag as bit 0 — plus a FIFO ring of
//! slot numbers. One word for both means a wake-up checks "this task, still alive, not yet
//! queued" with a single load and compare: the waker carries the state word as it was while
//! the task ran (queued clear), so any other value — a later generation, an empty slot, the
//! flag set — is not a match. Every slot is in the ring at most once, so a ring of
//! [`SLOTS`] entries never overflows and waking never allocates.
//!
//! Slot and ring indices are reduced by power-of-two masks that the compiler can see, so the
//! hot paths carry no bounds checks: the tables have [`SLOTS`] entries (`MAX_TASKS` rounded
//! up to a power of two, the same unless the configuration says otherwise) and the array of
//! boards [`BOARD_COUNT`] (`MAX_EXECUTORS` rounded up). The ring's head and tail run freely
//! and wrap; the ring position is their low bits.
//!
//! All fields are atomics used with `Relaxed` loads and stores (plain `ldr`/`str` on
//! Cortex-M): a board is only touched from its executor's thread. A waker called from another
//! thread is a contract violation that may lose or misorder a wake-up but cannot cause undefined
//! behaviour.

use core::sync::atomic::{AtomicBool, AtomicU16, AtomicU32, Ordering::Relaxed};

use crate::config::{MAX_EXECUTORS, MAX_TASKS};

/// Entries of each board's tables: `MAX_TASKS` rounded up to a power of two, so that a slot
/// number masked with `SLOTS - 1` needs no bounds check.
pub(crate) const SLOTS: usize = MAX_TASKS.next_power_of_two();

/// Boards in the static array: `MAX_EXECUTORS` rounded up to a power of two, for the same
/// reason (only the first `MAX_EXECUTORS` are ever claimed).
pub(crate) const BOARD_COUNT: usize = MAX_EXECUTORS.next_power_of_two();

/// Bits of a board index in a ring entry and a waker's word.
pub(crate) const BOARD_BITS: u32 = BOARD_COUNT.trailing_zeros();

/// Bit 0 of a slot's state word: the slot is in the ready ring.
pub(crate) const QUEUED: u32 = 1;

/// One executor's wake state: slot state words and the FIFO ready ring.
pub(crate) struct WakeBoard {
    claimed: AtomicBool,
    /// Per slot: `generation << 1 | queued`.
    state: [AtomicU32; SLOTS],
    /// Queued slots as waker prefixes ([`entry`]: board index and slot, the low bits of the
    /// waker's word), so that the executor builds a task's waker with one `orr`.
    ring: [AtomicU16; SLOTS],
    /// Ring position one past the newest entry (free-running; its low bits index the ring).
    /// The oldest entry's position, the head, is the executor's alone: it keeps it in a
    /// register across its run loop and passes it in.
    tail: AtomicU32,
    /// Ring entry of the task being polled (set by the executor before each poll): what the
    /// executor's running waker (see [`super::waker`]) wakes or clones.
    current: AtomicU16,
}

/// The ring entry (and low bits of a waker's word) for `slot` on board `board`.
#[inline(always)]
pub(crate) fn entry(board: usize, slot: usize) -> u16 {
    // BOARD_BITS + SLOT_BITS <= 16 (asserted in `waker`).
    (board | slot << BOARD_BITS) as u16
}

/// The slot a ring entry names.
#[inline(always)]
pub(crate) fn slot_of(entry: u16) -> usize {
    (usize::from(entry) >> BOARD_BITS) & (SLOTS - 1)
}

/// The position `index` (free-running) reduced into the ring.
#[inline(always)]
fn at(index: u32) -> usize {
    index as usize & (SLOTS - 1)
}

/// The boards, one per executor that may be alive at once.
static BOARDS: [WakeBoard; BOARD_COUNT] = [const { WakeBoard::new() }; BOARD_COUNT];

/// Bytes of static board memory per task slot (state word, ring entry) when `MAX_TASKS` is a
/// power of two (otherwise the tables round up to the next one).
pub(crate) const BOARD_BYTES_PER_SLOT: usize = size_of::<AtomicU32>() + size_of::<AtomicU16>();

impl WakeBoard {
    const fn new() -> Self {
        Self {
            claimed: AtomicBool::new(false),
            state: [const { AtomicU32::new(0) }; SLOTS],
            ring: [const { AtomicU16::new(0) }; SLOTS],
            tail: AtomicU32::new(0),
            current: AtomicU16::new(0),
        }
    }

    /// Claims a free board for a new executor; `None` when all `MAX_EXECUTORS` are in use.
    pub(crate) fn claim() -> Option<(u8, &'static WakeBoard)> {
        BOARDS[..MAX_EXECUTORS]
            .iter()
            .enumerate()
            .find_map(|(index, board)| {
                board
                    .claimed
                    .compare_exchange(false, true, Relaxed, Relaxed)
                    .ok()
                    .map(|_| {
                        board.tail.store(0, Relaxed);
                        // MAX_EXECUTORS <= 64, so the index fits in u8.
                        (index as u8, board)
                    })
            })
    }

    /// The board with this index (below [`BOARD_COUNT`] once masked).
    #[inline(always)]
    pub(crate) fn get(index: usize) -> &'static WakeBoard {
        &BOARDS[index & (BOARD_COUNT - 1)]
    }

    /// Gives the board back. Every slot must already be vacated (generation even), so no
    /// queued flag is left to clear; clearing them anyway keeps a stale flag from a misused
    /// board out of the next executor's way.
    pub(crate) fn release(&self) {
        for state in &self.state {
            state.store(state.load(Relaxed) & !QUEUED, Relaxed);
        }
        self.tail.store(0, Relaxed);
        self.claimed.store(false, Relaxed);
    }

    /// Marks `slot` live and returns its new (odd) generation.
    pub(crate) fn occupy(&self, slot: usize) -> u32 {
        let state = &self.state[slot & (SLOTS - 1)];
        let g = state.load(Relaxed) >> 1;
        let next = if g.is_multiple_of(2) {
            g.wrapping_add(1)
        } else {
            g.wrapping_add(2)
        };
        state.store(next << 1, Relaxed);
        next & (u32::MAX >> 1)
    }

    /// Marks `slot` empty (generation becomes even) and drops it from the ready ring, whose
    /// oldest entry is at `head`.
    pub(crate) fn vacate(&self, slot: usize, head: u32) {
        let slot = slot & (SLOTS - 1);
        if self.state[slot].load(Relaxed) & QUEUED != 0 {
            self.unlink(slot, head);
        }
        let s = self.state[slot].load(Relaxed);
        self.state[slot].store((s & !QUEUED).wrapping_add(2), Relaxed);
    }

    /// Current generation of `slot` (odd while live; 31 bits, wrapping).
    pub(crate) fn generation(&self, slot: usize) -> u32 {
        self.state[slot & (SLOTS - 1)].load(Relaxed) >> 1
    }

    /// Whether `slot` is in the ready ring.
    #[inline(always)]
    pub(crate) fn is_queued(&self, slot: usize) -> bool {
        self.state[slot & (SLOTS - 1)].load(Relaxed) & QUEUED != 0
    }

    /// 1 if `slot` is in the ready ring, else 0.
    #[inline(always)]
    pub(crate) fn queued_bit(&self, slot: usize) -> u32 {
        self.state[slot & (SLOTS - 1)].load(Relaxed) & QUEUED
    }

    /// Number of slots in the ready ring, whose oldest entry is at `head`.
    pub(crate) fn ready_len(&self, head: u32) -> usize {
        self.tail.load(Relaxed).wrapping_sub(head) as usize
    }

    /// Queues the slot of ring entry `entry` if its state word, under `mask`, is still
    /// `expected`: the same task (generation), alive, and not queued already (`expected` has
    /// the flag clear).
    #[inline(always)]
    pub(crate) fn wake(&self, entry: u16, expected: u32, mask: u32) {
        let slot = slot_of(entry);
        let state = self.state[slot].load(Relaxed);
        if state & mask == expected {
            self.enqueue(slot, entry, state);
        }
    }

    /// Records `entry` as the task about to be polled.
    #[inline(always)]
    pub(crate) fn set_current(&self, entry: u16) {
        self.current.store(entry, Relaxed);
    }

    /// The ring entry of the task being polled, and its state word with the queued flag clear
    /// (what a waker for it carries).
    #[inline(always)]
    pub(crate) fn current(&self) -> (u16, u32) {
        let entry = self.current.load(Relaxed);
        (entry, self.state[slot_of(entry)].load(Relaxed) & !QUEUED)
    }

    /// Queues the task being polled unless it is queued already. It is alive — a task is not
    /// vacated while it runs — so only the queued flag needs checking.
    #[inline(always)]
    pub(crate) fn wake_current(&self) {
        self.push(self.current.load(Relaxed));
    }

    /// Appends `slot` (ring entry `entry`) to the ready ring unless it is already there.
    #[inline(always)]
    pub(crate) fn push(&self, entry: u16) {
        let slot = slot_of(entry);
        let state = self.state[slot].load(Relaxed);
        if state & QUEUED == 0 {
            self.enqueue(slot, entry, state);
        }
    }

    /// Sets `slot`'s queued flag (its state word is `state`, flag clear) and appends its ring
    /// entry.
    #[inline(always)]
    fn enqueue(&self, slot: usize, entry: u16, state: u32) {
        self.state[slot].store(state | QUEUED, Relaxed);
        let tail = self.tail.load(Relaxed);
        self.ring[at(tail)].store(entry, Relaxed);
        self.tail.store(tail.wrapping_add(1), Relaxed);
    }

    /// Removes the ring entry at `head`, the front, if the ring is not empty; returns it with
    /// its slot's state word (the queued flag now clear). The caller advances its head.
    #[inline(always)]
    pub(crate) fn pop(&self, head: u32) -> Option<(u16, u32)> {
        if head == self.tail.load(Relaxed) {
            return None;
        }
        let entry = self.ring[at(head)].load(Relaxed);
        let slot = slot_of(entry);
        let state = self.state[slot].load(Relaxed) & !QUEUED;
        self.state[slot].store(state, Relaxed);
        Some((entry, state))
    }

    /// Removes `slot` from the middle of the ring (oldest entry at `head`), keeping the
    /// others' order (rare: a task that was cancelled or finished while queued).
    fn unlink(&self, slot: usize, head: u32) {
        let len = self.tail.load(Relaxed).wrapping_sub(head);
        let mut kept = 0u32;
        for i in 0..len {
            let entry = self.ring[at(head.wrapping_add(i))].load(Relaxed);
            if slot_of(entry) != slot {
                self.ring[at(head.wrapping_add(kept))].store(entry, Relaxed);
                kept += 1;
            }
        }
        self.tail.store(head.wrapping_add(kept), Relaxed);
        let state = &self.state[slot & (SLOTS - 1)];
        state.store(state.load(Relaxed) & !QUEUED, Relaxed);
    }
}
