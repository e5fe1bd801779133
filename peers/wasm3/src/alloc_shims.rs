//! wasm3's `calloc`, `realloc`, `free` and `abort`, renamed to `fireball_wasm3_*` when
//! `c/fireball_wasm3.c` compiles wasm3's `m3_core.c`: wasm3 allocates from Rust's global
//! allocator (the firmware's heap on the board, the system allocator on the host), like
//! wasmi beside it, and no libc allocator is linked into the image.
//!
//! Each block carries its size in a header so `realloc` and `free` can rebuild the
//! `Layout` Rust's allocator needs.

use core::{
    alloc::Layout,
    ffi::c_void,
    mem::{align_of, size_of},
    ptr,
};

/// What C's `malloc` guarantees: alignment for any scalar (`max_align_t`: 8 bytes on the
/// Cortex-M33, 16 on x86-64). The header is that big, so the block stays aligned.
const ALIGN: usize = if 2 * size_of::<usize>() > align_of::<u64>() {
    2 * size_of::<usize>()
} else {
    align_of::<u64>()
};
const HEADER: usize = ALIGN;

fn layout(bytes: usize) -> Option<Layout> {
    Layout::from_size_align(bytes.checked_add(HEADER)?, ALIGN).ok()
}

/// Record `bytes` in the header at `base` and return the block after it.
///
/// # Safety
///
/// `base` is null or an allocation of `layout(bytes)`.
unsafe fn finish(base: *mut u8, bytes: usize) -> *mut c_void {
    if base.is_null() {
        return ptr::null_mut();
    }
    // Safety: `base` is an allocation of at least HEADER bytes aligned to ALIGN, so the
    // header holds a `usize` and the block starts HEADER bytes in.
    unsafe {
        base.cast::<usize>().write(bytes);
        base.add(HEADER).cast()
    }
}

/// The header of a block returned by [`finish`]: its base and size.
///
/// # Safety
///
/// `block` came from [`finish`] and was not freed.
unsafe fn header(block: *mut c_void) -> (*mut u8, usize) {
    // Safety: the header sits HEADER bytes before the block (the caller's contract).
    unsafe {
        let base = block.cast::<u8>().sub(HEADER);
        (base, base.cast::<usize>().read())
    }
}

/// `calloc(count, size)`: zeroed, null on overflow or when the heap is exhausted.
#[unsafe(no_mangle)]
pub extern "C" fn fireball_wasm3_calloc(count: usize, size: usize) -> *mut c_void {
    let Some(bytes) = count.checked_mul(size) else {
        return ptr::null_mut();
    };
    let Some(layout) = layout(bytes) else {
        return ptr::null_mut();
    };
    // Safety: the layout is never zero-sized (it includes the header); `finish` gets
    // what the allocator returned for `layout(bytes)`.
    unsafe { finish(alloc::alloc::alloc_zeroed(layout), bytes) }
}

/// `realloc(block, size)`: a new block for null; the old block stays valid on failure.
///
/// # Safety
///
/// `block` is null or came from these functions and was not freed (wasm3's use of C's
/// `realloc`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fireball_wasm3_realloc(block: *mut c_void, size: usize) -> *mut c_void {
    if block.is_null() {
        return fireball_wasm3_calloc(1, size);
    }
    let Some(new_layout) = layout(size) else {
        return ptr::null_mut();
    };
    // Safety: the caller's contract; the old layout is rebuilt from the header exactly
    // as it was allocated, and the new size is a valid layout with the same alignment.
    unsafe {
        let (base, bytes) = header(block);
        let Some(old_layout) = layout(bytes) else {
            return ptr::null_mut();
        };
        finish(
            alloc::alloc::realloc(base, old_layout, new_layout.size()),
            size,
        )
    }
}

/// `free(block)`; null is ignored.
///
/// # Safety
///
/// `block` is null or came from these functions and was not freed (wasm3's use of C's
/// `free`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fireball_wasm3_free(block: *mut c_void) {
    if block.is_null() {
        return;
    }
    // Safety: the caller's contract; the layout is rebuilt from the header exactly as it
    // was allocated.
    unsafe {
        let (base, bytes) = header(block);
        if let Some(layout) = layout(bytes) {
            alloc::alloc::dealloc(base, layout);
        }
    }
}

/// `abort()`: wasm3 calls it only on an internal error it cannot report.
#[unsafe(no_mangle)]
pub extern "C" fn fireball_wasm3_abort() -> ! {
    panic!("wasm3 aborted")
}
