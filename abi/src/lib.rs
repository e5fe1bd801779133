//! The guest ↔ hypervisor ABI, described once.
//!
//! Both sides of the WebAssembly boundary depend on this crate: `vsoc` links
//! these names as host functions, and `guests-sdk` / `services-sdk` declare
//! them as raw imports. Nothing here executes; it is the contract.
//!
//! Every import lives in the module [`MODULE`]. Pointers and lengths passed
//! across the boundary are `i32` offsets into the caller's own linear memory
//! and are *allegations* until the host has checked them against that memory.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// The import module every Fireball builtin lives in.
pub const MODULE: &str = "fb";

/// The export a guest's entry point must have: `() -> ()`.
pub const ENTRY: &str = "fb_main";

/// Names of the builtins (runtime-embedded host functions that skip the router).
pub mod builtin {
    /// `print(ptr: i32, len: i32)`: write UTF-8 bytes to the instance's console.
    pub const PRINT: &str = "print";
    /// `abort(ptr: i32, len: i32)`: stop the instance with a message (a guest panic).
    pub const ABORT: &str = "abort";
    /// `gpio_read(pin: i32) -> i32`: the pin's level (0 or 1), or a negative [`status`](crate::status).
    pub const GPIO_READ: &str = "gpio_read";
    /// `gpio_write(pin: i32, level: i32) -> i32`: drive an output pin (level 0 low, else high).
    pub const GPIO_WRITE: &str = "gpio_write";
    /// `gpio_toggle(pin: i32) -> i32`: invert an output pin.
    pub const GPIO_TOGGLE: &str = "gpio_toggle";
    /// `time_ticks() -> i64`: monotonic ticks of the platform clock.
    pub const TIME_TICKS: &str = "time_ticks";
    /// `sleep_ticks(ticks: i64)`: block this instance until the clock has advanced `ticks`.
    pub const SLEEP_TICKS: &str = "sleep_ticks";
    /// `yield()`: end this slice now; other tasks run before the instance continues.
    pub const YIELD: &str = "yield";
    /// `breakpoint(id: i32)`: pause the instance here if breakpoint `id` is armed
    /// (ids `0..MAX_BREAKPOINTS`); a no-op otherwise.
    pub const BREAKPOINT: &str = "breakpoint";
    /// `chan_send(handle: i32, value: i64) -> i32`: send on a kernel channel, blocking
    /// while it is full; a [`status`](crate::status).
    pub const CHAN_SEND: &str = "chan_send";
    /// `chan_recv(handle: i32, out_ptr: i32) -> i32`: receive from a kernel channel,
    /// blocking until a value arrives; the value is stored as a little-endian `i64` at
    /// `out_ptr`. Returns a [`status`](crate::status).
    pub const CHAN_RECV: &str = "chan_recv";
    /// `irq_subscribe(mask: i32) -> i32`: claim the ISR flags in `mask` for this instance.
    pub const IRQ_SUBSCRIBE: &str = "irq_subscribe";
    /// `wait_irq(mask: i32) -> i32`: block until one of the subscribed flags in `mask` is
    /// raised; returns (and clears) the raised flags, or a negative [`status`](crate::status).
    pub const WAIT_IRQ: &str = "wait_irq";
    /// `mmio_read32(addr: i32) -> i32`: read a register of the vOffloader device window.
    pub const MMIO_READ32: &str = "mmio_read32";
    /// `mmio_write32(addr: i32, value: i32)`: write a register of the device window.
    pub const MMIO_WRITE32: &str = "mmio_write32";
    /// `matmul_f32(a: i32, b: i32, c: i32, m: i32, k: i32, n: i32)`: `C = A × B` for
    /// row-major f32 matrices `A` (m×k), `B` (k×n), `C` (m×n) in the caller's memory,
    /// computed natively by the vOffloader.
    pub const MATMUL_F32: &str = "matmul_f32";
}

/// Status codes builtins return (`>= 0` is success).
pub mod status {
    /// Success.
    pub const OK: i32 = 0;
    /// The channel is closed: nothing will ever be sent or received on it.
    pub const CLOSED: i32 = -1;
    /// The handle names no live object of this vSoC (stale or forged).
    pub const BAD_HANDLE: i32 = -2;
    /// The pin does not exist on this board.
    pub const NO_SUCH_PIN: i32 = -3;
    /// The pin is not usable that way (e.g. writing an input).
    pub const PIN_MODE: i32 = -4;
    /// The ISR flags are already claimed by another instance, or not claimed by this one.
    pub const IRQ_TAKEN: i32 = -5;
}

/// The vOffloader's MMIO-style device window (seed §5 memory map).
pub mod mmio {
    /// First address of the device window.
    pub const WINDOW_BASE: u32 = 0xC000_0000;
    /// Size of the device window in bytes.
    pub const WINDOW_SIZE: u32 = 0x1000_0000;
}

/// Limits every module is held to, whatever its own declaration says.
pub mod limits {
    /// Longest message `print` or `abort` accepts, in bytes.
    pub const MAX_MESSAGE: usize = 1024;
    /// Breakpoints one instance may have armed at once.
    pub const MAX_BREAKPOINTS: usize = 10;
    /// Most elements (`m*k`, `k*n` or `m*n`) one `matmul_f32` operand may have.
    pub const MAX_MATRIX_ELEMENTS: u32 = 1 << 16;
}
