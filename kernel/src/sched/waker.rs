//! Allocation-free wakers: a static vtable and a packed integer, never a pointer.
//!
//! The waker's data word is not an address: it packs the wake board index (6 bits), the task
//! slot (10 bits) and the task generation (the remaining bits: 16 on 32-bit targets, all 32 on
//! 64-bit hosts). Cloning copies the word, dropping does nothing, waking decodes the word and
//! asks the static [`WakeBoard`] to queue the slot if the generation still matches. No
//! function here dereferences the data word, so a waker may outlive its executor.
//!
//! This is the crate's only scheduler `unsafe`: [`Waker::from_raw`] needs it.
#![allow(unsafe_code)]

use core::task::{RawWaker, RawWakerVTable, Waker};

use super::board::WakeBoard;

const BOARD_BITS: u32 = 6;
const SLOT_BITS: u32 = 10;
const GENERATION_SHIFT: u32 = BOARD_BITS + SLOT_BITS;

/// The generation bits a waker can carry on this target.
pub(crate) const GENERATION_MASK: u32 = if usize::BITS >= GENERATION_SHIFT + 32 {
    u32::MAX
} else {
    (1 << (usize::BITS - GENERATION_SHIFT)) - 1
};

// The packed layout must hold every board and slot the configuration allows.
const _: () = assert!(crate::config::MAX_EXECUTORS <= 1 << BOARD_BITS);
const _: () = assert!(crate::config::MAX_TASKS <= 1 << SLOT_BITS);

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake, drop);

fn clone(data: *const ()) -> RawWaker {
    RawWaker::new(data, &VTABLE)
}

fn wake(data: *const ()) {
    let word = data.addr();
    let board = word & ((1 << BOARD_BITS) - 1);
    let slot = (word >> BOARD_BITS) & ((1 << SLOT_BITS) - 1);
    // Truncation to the carried generation bits is the point of the mask.
    let generation = (word >> GENERATION_SHIFT) as u32 & GENERATION_MASK;
    if let Some(board) = WakeBoard::get(board) {
        board.wake(slot, generation, GENERATION_MASK);
    }
}

fn drop(_data: *const ()) {}

/// The waker for task `slot` at `generation` on board `board`.
pub(crate) fn task_waker(board: u8, slot: usize, generation: u32) -> Waker {
    let word = usize::from(board)
        | (slot << BOARD_BITS)
        | (((generation & GENERATION_MASK) as usize) << GENERATION_SHIFT);
    let data = core::ptr::without_provenance::<()>(word);
    // Safety: the RawWaker contract asks that the vtable functions be sound for this data
    // pointer and thread-safe. None of them dereferences `data`: they only read its integer
    // value, and `wake` touches nothing but the static boards, whose fields are all atomics.
    // Clone returns an identical RawWaker and drop has nothing to release.
    unsafe { Waker::from_raw(RawWaker::new(data, &VTABLE)) }
}
