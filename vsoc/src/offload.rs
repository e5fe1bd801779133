//! The vOffloader: an MMIO-style device window and native accelerator calls.
//!
//! Guests reach devices through `mmio_read32` / `mmio_write32` on addresses in the
//! window at [`WINDOW_BASE`] (seed §5 memory map). The [`MmioBus`] dispatches each
//! access to the [`DeviceModel`] registered for that address range; an access no
//! device claims is a [`MmioFault`] and stops the instance.
//!
//! [`matmul_f32`] multiplies f32 matrices natively inside the guest's own linear
//! memory; every pointer and length is checked (overflow-safe) first.

use alloc::{boxed::Box, vec::Vec};
use core::fmt;

use fireball_abi::limits::MAX_MATRIX_ELEMENTS;
pub use fireball_abi::mmio::{WINDOW_BASE, WINDOW_SIZE};

use crate::guest_memory::{GuestSlice, MemoryFault};

/// A device model behind a range of the MMIO window. Offsets are relative to its base.
pub trait DeviceModel {
    /// Read the 32-bit register at `offset`.
    fn read32(&mut self, offset: u32) -> Result<u32, DeviceFault>;
    /// Write the 32-bit register at `offset`.
    fn write32(&mut self, offset: u32, value: u32) -> Result<(), DeviceFault>;
}

/// A device refused an access (the guest is at fault: wrong register or value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceFault {
    /// The device has no register at this offset.
    NoRegister,
    /// The register is read-only.
    ReadOnly,
    /// The value is not accepted by this register.
    BadValue,
}

/// Why an MMIO access stopped the instance. The guest is at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MmioFault {
    /// No device is mapped at this address (or the address is outside the window).
    Unmapped {
        /// The address accessed.
        addr: u32,
    },
    /// The address is not 4-byte aligned.
    Unaligned {
        /// The address accessed.
        addr: u32,
    },
    /// The device refused the access.
    Device {
        /// The address accessed.
        addr: u32,
        /// What the device said.
        fault: DeviceFault,
    },
}

impl fmt::Display for MmioFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unmapped { addr } => write!(f, "no device mapped at {addr:#010x}"),
            Self::Unaligned { addr } => write!(f, "unaligned MMIO access at {addr:#010x}"),
            Self::Device { addr, fault } => write!(f, "device at {addr:#010x} refused: {fault:?}"),
        }
    }
}

/// Why a device could not be mapped (the platform's setup is at fault).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// The range is empty, unaligned, or not inside the window.
    OutsideWindow,
    /// The range overlaps a device already mapped.
    Overlap,
}

struct Mapping {
    base: u32,
    len: u32,
    device: Box<dyn DeviceModel>,
}

/// The devices mapped into the window, by address range.
#[derive(Default)]
pub struct MmioBus {
    mappings: Vec<Mapping>,
}

impl MmioBus {
    /// Map `device` at `base..base+len` (inside the window, 4-byte aligned, no overlap).
    pub fn map(
        &mut self,
        base: u32,
        len: u32,
        device: Box<dyn DeviceModel>,
    ) -> Result<(), MapError> {
        let end = base.checked_add(len).ok_or(MapError::OutsideWindow)?;
        let window_end = WINDOW_BASE + WINDOW_SIZE;
        if len == 0
            || !base.is_multiple_of(4)
            || !len.is_multiple_of(4)
            || base < WINDOW_BASE
            || end > window_end
        {
            return Err(MapError::OutsideWindow);
        }
        if self
            .mappings
            .iter()
            .any(|m| base < m.base + m.len && m.base < end)
        {
            return Err(MapError::Overlap);
        }
        self.mappings.push(Mapping { base, len, device });
        Ok(())
    }

    fn route(&mut self, addr: u32) -> Result<(&mut (dyn DeviceModel + 'static), u32), MmioFault> {
        if !addr.is_multiple_of(4) {
            return Err(MmioFault::Unaligned { addr });
        }
        self.mappings
            .iter_mut()
            .find(|m| addr >= m.base && addr - m.base < m.len)
            .map(|m| (&mut *m.device, addr - m.base))
            .ok_or(MmioFault::Unmapped { addr })
    }

    /// Read the register at `addr`.
    pub fn read32(&mut self, addr: u32) -> Result<u32, MmioFault> {
        let (device, offset) = self.route(addr)?;
        device
            .read32(offset)
            .map_err(|fault| MmioFault::Device { addr, fault })
    }

    /// Write the register at `addr`.
    pub fn write32(&mut self, addr: u32, value: u32) -> Result<(), MmioFault> {
        let (device, offset) = self.route(addr)?;
        device
            .write32(offset, value)
            .map_err(|fault| MmioFault::Device { addr, fault })
    }
}

/// A matrix operand a guest passed, checked against `memory`: its byte offset.
fn operand(memory: &[u8], ptr: i32, rows: u32, cols: u32) -> Result<usize, MemoryFault> {
    let limit = MAX_MATRIX_ELEMENTS as usize * 4;
    let elements = rows.checked_mul(cols).filter(|&e| e <= MAX_MATRIX_ELEMENTS);
    let Some(elements) = elements else {
        return Err(MemoryFault::TooLong {
            len: rows.saturating_mul(cols).saturating_mul(4),
            limit,
        });
    };
    // elements <= 2^16, so the byte length fits an i32.
    GuestSlice::new(ptr, (elements * 4) as i32).read(memory, limit)?;
    Ok(ptr as u32 as usize)
}

fn load(memory: &[u8], at: usize) -> f32 {
    f32::from_le_bytes([memory[at], memory[at + 1], memory[at + 2], memory[at + 3]])
}

/// `C = A × B` for row-major little-endian f32 matrices in `memory`: `A` is `m×k`
/// at `a`, `B` is `k×n` at `b`, `C` is `m×n` at `c`.
///
/// All three ranges are checked before anything is read or written, so a bad
/// operand leaves memory unchanged. Nothing is allocated. Elements of `C` are
/// computed in row-major order and stored one by one, so if `C` overlaps an input
/// later elements see the earlier results (defined, if not useful).
pub fn matmul_f32(
    memory: &mut [u8],
    (a, b, c): (i32, i32, i32),
    (m, k, n): (i32, i32, i32),
) -> Result<(), MemoryFault> {
    let (m, k, n) = (m as u32, k as u32, n as u32);
    let a = operand(memory, a, m, k)?;
    let b = operand(memory, b, k, n)?;
    let c = operand(memory, c, m, n)?;
    // An empty `C` is no work, however many rows or columns it has on its other side: the
    // loops below would spin through up to 2^32 empty rows (found by the fault matrix).
    if m == 0 || n == 0 {
        return Ok(());
    }
    let (m, k, n) = (m as usize, k as usize, n as usize);
    for row in 0..m {
        for col in 0..n {
            let mut acc = 0.0f32;
            for i in 0..k {
                acc += load(memory, a + 4 * (row * k + i)) * load(memory, b + 4 * (i * n + col));
            }
            let at = c + 4 * (row * n + col);
            memory[at..at + 4].copy_from_slice(&acc.to_le_bytes());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(memory: &mut [u8], at: usize, values: &[f32]) {
        for (i, v) in values.iter().enumerate() {
            memory[at + 4 * i..at + 4 * i + 4].copy_from_slice(&v.to_le_bytes());
        }
    }

    #[test]
    fn multiplies_in_place() {
        let mut memory = [0u8; 128];
        put(&mut memory, 0, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]); // 2x3
        put(&mut memory, 32, &[7.0, 8.0, 9.0, 10.0, 11.0, 12.0]); // 3x2
        matmul_f32(&mut memory, (0, 32, 64), (2, 3, 2)).unwrap();
        let c: Vec<f32> = (0..4).map(|i| load(&memory, 64 + 4 * i)).collect();
        assert_eq!(c, [58.0, 64.0, 139.0, 154.0]);
    }

    #[test]
    fn an_empty_product_returns_at_once() {
        let mut memory = [0u8; 16];
        // 2^32 - 1 rows of nothing: C is empty, and so is the work.
        matmul_f32(&mut memory, (0, 0, 0), (-1, 0, 0)).unwrap();
        matmul_f32(&mut memory, (0, 0, 0), (0, 0, -1)).unwrap();
        matmul_f32(&mut memory, (0, 0, 0), (0, -1, 0)).unwrap();
        assert_eq!(memory, [0; 16]);
    }

    #[test]
    fn bad_operands_are_refused_before_any_write() {
        let mut memory = [0u8; 64];
        let cases = [
            ((0, 0, 60), (1, 1, 2)),              // C runs past the end
            ((-4, 0, 0), (1, 1, 1)),              // negative pointer
            ((0, 0, 0), (-1, -1, 1)),             // m*k overflows
            ((0, 0, 0), (0x1_0000, 2, 1)),        // too many elements
            ((0, 0, 0), (i32::MAX, i32::MAX, 0)), // wraps
        ];
        for (ptrs, dims) in cases {
            assert!(
                matmul_f32(&mut memory, ptrs, dims).is_err(),
                "{ptrs:?} {dims:?}"
            );
            assert_eq!(memory, [0u8; 64]);
        }
    }

    struct Counter(u32);

    impl DeviceModel for Counter {
        fn read32(&mut self, offset: u32) -> Result<u32, DeviceFault> {
            match offset {
                0 => Ok(self.0),
                _ => Err(DeviceFault::NoRegister),
            }
        }
        fn write32(&mut self, offset: u32, value: u32) -> Result<(), DeviceFault> {
            match offset {
                0 => {
                    self.0 = value;
                    Ok(())
                }
                _ => Err(DeviceFault::ReadOnly),
            }
        }
    }

    #[test]
    fn bus_routes_by_range_and_refuses_the_rest() {
        let mut bus = MmioBus::default();
        bus.map(WINDOW_BASE + 0x100, 0x10, Box::new(Counter(5)))
            .unwrap();
        assert_eq!(
            bus.map(WINDOW_BASE + 0x108, 4, Box::new(Counter(0))),
            Err(MapError::Overlap)
        );
        assert_eq!(
            bus.map(0x2000_0000, 4, Box::new(Counter(0))),
            Err(MapError::OutsideWindow)
        );
        assert_eq!(bus.read32(WINDOW_BASE + 0x100), Ok(5));
        bus.write32(WINDOW_BASE + 0x100, 9).unwrap();
        assert_eq!(bus.read32(WINDOW_BASE + 0x100), Ok(9));
        assert_eq!(
            bus.read32(WINDOW_BASE + 0x110),
            Err(MmioFault::Unmapped {
                addr: WINDOW_BASE + 0x110
            })
        );
        assert_eq!(
            bus.read32(WINDOW_BASE + 0x101),
            Err(MmioFault::Unaligned {
                addr: WINDOW_BASE + 0x101
            })
        );
        assert!(matches!(
            bus.write32(WINDOW_BASE + 0x104, 1),
            Err(MmioFault::Device {
                fault: DeviceFault::ReadOnly,
                ..
            })
        ));
    }
}
