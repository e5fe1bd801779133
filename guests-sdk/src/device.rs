//! Safe wrappers for the device, time and coordination builtins.
//!
//! Blocking calls ([`sleep_ticks`], [`Channel::recv`], [`Channel::send`],
//! [`wait_irq`]) are plain function calls: the hypervisor suspends the guest
//! while it waits and resumes it with the result. Under the host stub they act
//! on a per-thread simulated board (see [`crate::stub`]).

use fireball_abi::status;

use crate::sys;

/// Why a builtin refused (the guest asked for something it may not have).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The channel is closed.
    Closed,
    /// The handle names no live channel.
    BadHandle,
    /// No such pin.
    NoSuchPin,
    /// The pin cannot be used that way (e.g. writing an input).
    PinMode,
    /// The ISR flags belong to another instance (or none were given).
    IrqTaken,
    /// A status this SDK does not know.
    Unknown(i32),
}

fn check(code: i32) -> Result<i32, Error> {
    match code {
        c if c >= 0 => Ok(c),
        status::CLOSED => Err(Error::Closed),
        status::BAD_HANDLE => Err(Error::BadHandle),
        status::NO_SUCH_PIN => Err(Error::NoSuchPin),
        status::PIN_MODE => Err(Error::PinMode),
        status::IRQ_TAKEN => Err(Error::IrqTaken),
        other => Err(Error::Unknown(other)),
    }
}

/// Whether `pin` reads high.
pub fn gpio_read(pin: u32) -> Result<bool, Error> {
    check(sys::gpio_read(pin as i32)).map(|level| level != 0)
}

/// Drive output `pin` high (`true`) or low.
pub fn gpio_write(pin: u32, high: bool) -> Result<(), Error> {
    check(sys::gpio_write(pin as i32, i32::from(high))).map(drop)
}

/// Invert output `pin`; returns the new level.
pub fn gpio_toggle(pin: u32) -> Result<bool, Error> {
    check(sys::gpio_toggle(pin as i32)).map(|level| level != 0)
}

/// Monotonic ticks of the board clock.
pub fn now_ticks() -> u64 {
    sys::time_ticks() as u64
}

/// Block until the clock has advanced `ticks`.
pub fn sleep_ticks(ticks: u64) {
    sys::sleep_ticks(ticks.min(i64::MAX as u64) as i64)
}

/// Let the other guests run before continuing.
pub fn yield_now() {
    sys::yield_now()
}

/// Pause here if the debugger armed breakpoint `id`.
pub fn breakpoint(id: u32) {
    sys::breakpoint(id as i32)
}

/// A kernel channel, by the handle the deployment gave this guest.
///
/// Channels carry `i64` values between modules and native tasks. Both ends block: a
/// rendezvous channel (capacity 0) hands the value over when sender and receiver meet, a
/// buffered one blocks the sender only while it is full. The ABI has no non-blocking
/// variant; a module that must never wait sends a router notification instead
/// ([`route::notify`](crate::route::notify)). Once closed, both ends get
/// [`Error::Closed`] for good.
///
/// ```ignore
/// let samples = Channel(2);
/// samples.send(filtered as i64)?;
/// let next = samples.recv()?;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Channel(pub u32);

impl Channel {
    /// Send `value`, waiting until a receiver takes it (rendezvous) or there is room.
    pub fn send(self, value: i64) -> Result<(), Error> {
        check(sys::chan_send(self.0 as i32, value)).map(drop)
    }

    /// Receive a value, waiting until one arrives.
    pub fn recv(self) -> Result<i64, Error> {
        let mut slot = [0u8; 8];
        check(sys::chan_recv(self.0 as i32, &mut slot))?;
        Ok(i64::from_le_bytes(slot))
    }
}

/// Claim the ISR flags in `mask` (flags 0..=30) for this guest.
pub fn irq_subscribe(mask: u32) -> Result<(), Error> {
    check(sys::irq_subscribe(mask as i32)).map(drop)
}

/// Block until one of the subscribed flags in `mask` is raised; returns them.
pub fn wait_irq(mask: u32) -> Result<u32, Error> {
    check(sys::wait_irq(mask as i32)).map(|flags| flags as u32)
}

/// Read a 32-bit register of the vOffloader window (`0xC000_0000..`).
pub fn mmio_read32(addr: u32) -> u32 {
    sys::mmio_read32(addr as i32) as u32
}

/// Write a 32-bit register of the vOffloader window.
pub fn mmio_write32(addr: u32, value: u32) {
    sys::mmio_write32(addr as i32, value as i32)
}

/// `c = a × b` for row-major matrices (`a`: m×k, `b`: k×n, `c`: m×n), computed
/// natively by the hypervisor. Returns `false` (and does nothing) if the
/// slices do not have those sizes.
pub fn matmul_f32(a: &[f32], b: &[f32], c: &mut [f32], m: usize, k: usize, n: usize) -> bool {
    if a.len() != m * k || b.len() != k * n || c.len() != m * n {
        return false;
    }
    sys::matmul_f32(a, b, c, (m, k, n));
    true
}

#[cfg(test)]
mod tests {
    use crate::device::{self, Channel};

    #[test]
    fn device_wrappers_work_on_the_host_stub() {
        device::gpio_write(3, true).unwrap();
        assert_eq!(device::gpio_toggle(3), Ok(false));
        assert_eq!(device::gpio_read(40), Err(device::Error::NoSuchPin));
        device::sleep_ticks(5);
        assert_eq!(device::now_ticks(), 5);
        Channel(9).send(-7).unwrap();
        assert_eq!(Channel(9).recv(), Ok(-7));
        assert_eq!(Channel(9).recv(), Err(device::Error::Closed));
        device::irq_subscribe(0b10).unwrap();
        crate::stub::board::raise_irq(0b110);
        assert_eq!(device::wait_irq(0b10), Ok(0b10));
        let mut c = [0.0f32; 4];
        assert!(device::matmul_f32(
            &[1.0, 2.0, 3.0, 4.0],
            &[1.0, 0.0, 0.0, 1.0],
            &mut c,
            2,
            2,
            2
        ));
        assert_eq!(c, [1.0, 2.0, 3.0, 4.0]);
        assert!(!device::matmul_f32(&[1.0], &[1.0], &mut c, 2, 2, 2));
        device::breakpoint(4);
        assert_eq!(crate::stub::board::breakpoints_hit(), [4]);
    }
}
