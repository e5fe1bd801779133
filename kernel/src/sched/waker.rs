//! Allocation-free wakers: a static vtable and a packed integer, never a pointer.
//!
//! The waker's data word is not an address: it packs the wake board index, the task slot and
//! the low bits of the slot's state word as it was while the task ran (generation and live bit,
//! queued flag clear; the remaining bits of the word). Field widths follow the configuration —
//! `log2` of the board count and of the slot count, both rounded up to powers of two — so the
//! default firmware (2 executors, 32 tasks) carries 26 bits of state (25 of generation), and
//! the largest configuration (64, 1024) 16 (15 of generation); 64-bit hosts carry all 32.
//! Cloning copies the word, dropping does nothing, waking decodes the word and asks the static
//! [`WakeBoard`] to queue the slot if its state still matches. No function here dereferences
//! the data word, so a waker may outlive its executor.
//!
//! This is the crate's only scheduler `unsafe`: [`Waker::from_raw`] needs it.
#![allow(unsafe_code)]

use core::task::{RawWaker, RawWakerVTable, Waker};

use super::board::{BOARD_BITS, BOARD_COUNT, SLOTS, WakeBoard};

const SLOT_BITS: u32 = SLOTS.trailing_zeros();
const STATE_SHIFT: u32 = BOARD_BITS + SLOT_BITS;

/// The state bits a waker can carry on this target.
const STATE_MASK: u32 = if usize::BITS >= STATE_SHIFT + 32 {
    u32::MAX
} else {
    (1 << (usize::BITS - STATE_SHIFT)) - 1
};

// The packed layout must leave room for the queued flag and at least 15 generation bits
// (MAX_EXECUTORS <= 64 and MAX_TASKS <= 1024 guarantee 16 state bits on 32-bit targets).
const _: () = assert!(STATE_SHIFT <= 16);

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake, drop);

fn clone(data: *const ()) -> RawWaker {
    RawWaker::new(data, &VTABLE)
}

fn wake(data: *const ()) {
    let word = data.addr();
    let board = word & (BOARD_COUNT - 1);
    // The low bits are the slot's ring entry (board and slot); the truncation to the carried
    // state bits is the point of the masks.
    let entry = (word & ((1 << STATE_SHIFT) - 1)) as u16;
    let expected = (word >> STATE_SHIFT) as u32 & STATE_MASK;
    WakeBoard::get(board).wake(entry, expected, STATE_MASK);
}

fn drop(_data: *const ()) {}

/// The waker for the task of ring entry `entry` (its board and slot, see
/// [`super::board::entry`]), whose state word is `state` with the queued flag clear.
#[inline(always)]
pub(crate) fn task_waker(entry: u16, state: u32) -> Waker {
    let word = usize::from(entry) | (((state & STATE_MASK) as usize) << STATE_SHIFT);
    let data = core::ptr::without_provenance::<()>(word);
    // Safety: the RawWaker contract asks that the vtable functions be sound for this data
    // pointer and thread-safe. None of them dereferences `data`: they only read its integer
    // value, and `wake` touches nothing but the static boards, whose fields are all atomics.
    // Clone returns an identical RawWaker and drop has nothing to release.
    unsafe { Waker::from_raw(RawWaker::new(data, &VTABLE)) }
}
