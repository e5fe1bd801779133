//! The module store on the nRF5340's own flash: NVMC (`embassy_nrf::nvmc::Nvmc`, blocking,
//! `embedded-storage`'s `NorFlash`) over the region `memory-nrf5340.x` reserves, the top
//! 256 KiB of the 1 MiB flash (0x000C_0000..0x0010_0000), cut by `fireball-deploy`'s
//! [`FlashStore`] into four 64 KiB slots: three installed packages (each up to 65,472 B) and
//! one slot kept free so an update always has somewhere to go.
//!
//! NVMC's flash is memory-mapped: [`NvmcRegion`]'s `mapped` view is the region itself, so a
//! kept package is compiled straight from flash at boot. While the NVMC erases a page or
//! writes a word the CPU stalls on flash reads: a save blocks the deployment loop for the
//! pages it erases and the words it writes.

use embassy_nrf::{
    Peri,
    nvmc::{self, Nvmc},
    peripherals::NVMC,
};
use embedded_storage::nor_flash::{ErrorType, NorFlash, ReadNorFlash};
use fireball_deploy::{FlashStore, MappedFlash, StoreError};

/// Bytes of a slot: 16 NVMC pages.
pub const SLOT_BYTES: usize = 16 * nvmc::PAGE_SIZE;

unsafe extern "C" {
    // memory-nrf5340.x: the STORE region, outside FLASH (nothing is linked there).
    static _fireball_store_start: u8;
    static _fireball_store_end: u8;
}

/// The store's flash region, through the NVMC: offsets are from the region's start.
pub struct NvmcRegion {
    nvmc: Nvmc<'static>,
    base: u32,
    len: usize,
}

impl NvmcRegion {
    /// The region `memory-nrf5340.x` reserves, written through `nvmc`.
    pub fn new(nvmc: Peri<'static, NVMC>) -> Self {
        let start = &raw const _fireball_store_start as usize;
        let end = &raw const _fireball_store_end as usize;
        Self {
            nvmc: Nvmc::new(nvmc),
            base: start as u32,
            len: end - start,
        }
    }

    /// `offset..offset + len` of the region as an absolute flash range, if it is inside.
    fn absolute(&self, offset: u32, len: usize) -> Result<u32, nvmc::Error> {
        match (offset as usize).checked_add(len) {
            Some(end) if end <= self.len => Ok(self.base + offset),
            _ => Err(nvmc::Error::OutOfBounds),
        }
    }
}

impl ErrorType for NvmcRegion {
    type Error = nvmc::Error;
}

impl ReadNorFlash for NvmcRegion {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        let at = self.absolute(offset, bytes.len())?;
        self.nvmc.read(at, bytes)
    }

    fn capacity(&self) -> usize {
        self.len
    }
}

impl NorFlash for NvmcRegion {
    const WRITE_SIZE: usize = <Nvmc<'static> as NorFlash>::WRITE_SIZE;
    const ERASE_SIZE: usize = <Nvmc<'static> as NorFlash>::ERASE_SIZE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        let len = to.checked_sub(from).ok_or(nvmc::Error::OutOfBounds)?;
        let at = self.absolute(from, len as usize)?;
        self.nvmc.erase(at, at + len)
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        let at = self.absolute(offset, bytes.len())?;
        self.nvmc.write(at, bytes)
    }
}

impl MappedFlash for NvmcRegion {
    fn mapped(&self) -> &[u8] {
        // Safety: `base..base + len` is the STORE region of `memory-nrf5340.x`: on-chip
        // flash, memory-mapped and always readable, that nothing is linked into. It changes
        // only through this value's NVMC (`erase`, `write`), which take `&mut self`, so no
        // write happens while the slice is borrowed.
        unsafe { core::slice::from_raw_parts(self.base as *const u8, self.len) }
    }
}

/// The store over the region: what the last boot's saves left in it.
pub fn open(region: NvmcRegion) -> Result<FlashStore<NvmcRegion>, StoreError> {
    FlashStore::open(region, SLOT_BYTES)
}
