//! Allocation-free wakers: a static vtable and a packed integer, never a pointer.
//!
//! An executor polls every task with one *running waker* (see [`running_waker`]), which names
//! its board and wakes whichever task the board says is being polled; it is lent only for the
//! length of a poll. What a task keeps is a clone, a *task waker*, described here.
//!
//! The task waker's data word is not an address: it packs the wake board index, the task slot and
//! the low bits of the slot's state word as it was while the task ran (generation and live bit,
//! queued flag clear; the remaining bits of the word). Field widths follow the configuration —
//! `log2` of the board count and of the slot count, both rounded up to powers of two — so the
//! default firmware (2 executors, 32 tasks) carries 26 bits of state (25 of generation), and
//! the largest configuration (64, 1024) 16 (15 of generation); 64-bit hosts carry all 32.
//! Cloning copies the word, dropping does nothing, waking decodes the word and asks the static
//! [`WakeBoard`] to queue the slot if its state still matches. No task-waker function
//! dereferences the data word, so a task waker may outlive its executor; the running waker's
//! data is a pointer to a static board, which cannot dangle either.
//!
//! This is the crate's only scheduler `unsafe`: [`Waker::from_raw`] needs it.
#![allow(unsafe_code)]

use core::task::{RawWaker, RawWakerVTable, Waker};

use super::wake_board::{BOARD_BITS, BOARD_COUNT, SLOTS, WakeBoard};

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

/// The executor's running waker: the one in every `Context` it polls with (see
/// [`running_waker`]).
static RUNNING_VTABLE: RawWakerVTable =
    RawWakerVTable::new(running_clone, running_wake, running_wake, drop);

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

/// The board a running waker's data pointer names.
#[inline(always)]
fn running_board(data: *const ()) -> &'static WakeBoard {
    // Safety: running wakers are made only by `running_waker`, whose data pointer comes from a
    // `&'static WakeBoard` (an element of the static array of boards): it is aligned, never
    // dangles and is only ever read through shared references (all fields are atomics).
    unsafe { &*data.cast::<WakeBoard>() }
}

/// Cloning the running waker gives the task's own packed waker (as [`task_raw_waker`] makes
/// it), which stays valid — and safe when stale — after the poll.
fn running_clone(data: *const ()) -> RawWaker {
    let (entry, state) = running_board(data).current();
    task_raw_waker(entry, state)
}

fn running_wake(data: *const ()) {
    running_board(data).wake_current();
}

/// The waker an executor polls every task with: its data pointer names the executor's board,
/// and waking it queues the task being polled (the board's current entry). A `Context` lends it
/// only for the length of one poll, while that task is alive and current, so it needs no
/// generation check; anything kept beyond the poll is a clone, a packed task waker.
/// Polling every task with the same waker saves building one per poll.
pub(crate) fn running_waker(board: &'static WakeBoard) -> Waker {
    let data = core::ptr::from_ref(board).cast::<()>();
    // Safety: the RawWaker contract asks that the vtable functions be sound for this data
    // pointer and thread-safe. They only read the static board `data` points to (through
    // shared references to its atomics); clone returns a packed task waker (see
    // `task_raw_waker`) and drop has nothing to release.
    unsafe { Waker::from_raw(RawWaker::new(data, &RUNNING_VTABLE)) }
}

/// Whether `waker` is an executor's running waker; if so, queues the task being polled on its
/// board (a yield's fast path: no call through the vtable) and returns true.
#[inline(always)]
pub(crate) fn wake_if_running(waker: &Waker) -> bool {
    if core::ptr::eq(waker.vtable(), &RUNNING_VTABLE) {
        running_board(waker.data()).wake_current();
        true
    } else {
        false
    }
}

/// A clone of `waker` to keep beyond the poll; a running waker's (the task's packed waker) is
/// made inline, without the call through its vtable.
#[inline(always)]
pub(crate) fn clone_waker(waker: &Waker) -> Waker {
    if core::ptr::eq(waker.vtable(), &RUNNING_VTABLE) {
        let (entry, state) = running_board(waker.data()).current();
        // Safety: as in `running_waker`'s clone, a packed task waker (see `task_raw_waker`).
        unsafe { Waker::from_raw(task_raw_waker(entry, state)) }
    } else {
        waker.clone()
    }
}

/// Drops `waker`; a kernel task waker without the call through its vtable (its drop does
/// nothing: it owns nothing).
#[inline(always)]
pub(crate) fn drop_waker(waker: Waker) {
    if core::ptr::eq(waker.vtable(), &VTABLE) {
        core::mem::forget(waker);
    } else {
        core::mem::drop(waker);
    }
}

/// [`Waker::will_wake`], except that a running waker matches the clone it gives ([`clone_waker`]):
/// whether `kept` wakes the same task as `waker`, so that a repoll need not replace it.
#[inline(always)]
pub(crate) fn will_wake(kept: &Waker, waker: &Waker) -> bool {
    if core::ptr::eq(waker.vtable(), &RUNNING_VTABLE) {
        let (entry, state) = running_board(waker.data()).current();
        core::ptr::eq(kept.vtable(), &VTABLE) && kept.data().addr() == task_word(entry, state)
    } else {
        kept.will_wake(waker)
    }
}

/// The data word of the task waker for ring entry `entry`, state word `state` (flag clear).
#[inline(always)]
fn task_word(entry: u16, state: u32) -> usize {
    usize::from(entry) | (((state & STATE_MASK) as usize) << STATE_SHIFT)
}

/// The raw waker for the task of ring entry `entry` whose state word is `state` (flag clear).
#[inline(always)]
fn task_raw_waker(entry: u16, state: u32) -> RawWaker {
    RawWaker::new(
        core::ptr::without_provenance::<()>(task_word(entry, state)),
        &VTABLE,
    )
}
