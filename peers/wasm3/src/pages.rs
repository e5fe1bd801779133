//! Re-encoding a module's custom-page-size memory for wasm3.
//!
//! The vSoC's modules declare small memories with the custom-page-sizes proposal
//! (`(memory 256 256 (pagesize 1))`: limits flag `0x08` and a page-size exponent), which
//! wasmi supports and wasm3 0.5.0 predates. [`standard_pages`] rewrites the memory
//! section to the smallest number of 64 KiB pages that holds the declared bytes and
//! returns those bytes, which the runner sets as wasm3's `memoryLimit` so wasm3
//! allocates only them. Every other section is copied as it is.

use alloc::vec::Vec;

const MEMORY_SECTION: u8 = 5;
const HAS_MAX: u32 = 0x01;
const SHARED: u32 = 0x02;
const MEMORY64: u32 = 0x04;
const CUSTOM_PAGE_SIZE: u32 = 0x08;
const PAGE: u64 = 65_536;

/// `bytes` with standard 64 KiB pages, and the bytes the memory declares (0: no memory
/// with a custom page size, no limit). `None` for what it cannot read or re-encode (a
/// malformed module, several memories, `memory64`, a shared memory).
pub fn standard_pages(bytes: &[u8]) -> Option<(Vec<u8>, u32)> {
    if bytes.get(..8)? != b"\0asm\x01\0\0\0" {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..8]);
    let mut limit = 0;
    let mut at = 8;
    while at < bytes.len() {
        let start = at;
        let id = bytes[at];
        let (size, next) = leb(bytes, at + 1)?;
        let end = next.checked_add(usize::try_from(size).ok()?)?;
        let body = bytes.get(next..end)?;
        at = end;
        if id == MEMORY_SECTION {
            let (section, declared) = memory_section(body)?;
            limit = declared;
            out.push(id);
            push_leb(&mut out, u64::try_from(section.len()).ok()?);
            out.extend_from_slice(&section);
        } else {
            out.extend_from_slice(&bytes[start..end]);
        }
    }
    Some((out, limit))
}

/// The memory section re-encoded, and the bytes its memory declares (0 if it has
/// standard pages already).
fn memory_section(body: &[u8]) -> Option<(Vec<u8>, u32)> {
    let (count, mut at) = leb(body, 0)?;
    if count != 1 {
        return (count == 0).then(|| (body.to_vec(), 0));
    }
    let (flags, next) = leb(body, at)?;
    let flags = u32::try_from(flags).ok()?;
    if flags & (SHARED | MEMORY64) != 0 || flags & !(HAS_MAX | CUSTOM_PAGE_SIZE) != 0 {
        return None;
    }
    let (min, next) = leb(body, next)?;
    at = next;
    let mut max = None;
    if flags & HAS_MAX != 0 {
        let (value, next) = leb(body, at)?;
        max = Some(value);
        at = next;
    }
    let mut page_bytes = PAGE;
    if flags & CUSTOM_PAGE_SIZE != 0 {
        let (log2, next) = leb(body, at)?;
        page_bytes = 1u64.checked_shl(u32::try_from(log2).ok()?)?;
        at = next;
    }
    if at != body.len() {
        return None;
    }
    if flags & CUSTOM_PAGE_SIZE == 0 {
        return Some((body.to_vec(), 0));
    }
    let declared = min.checked_mul(page_bytes)?;
    let pages = |bytes: u64| bytes.div_ceil(PAGE).max(1);
    let mut section = Vec::new();
    push_leb(&mut section, 1);
    push_leb(&mut section, u64::from(flags & HAS_MAX));
    push_leb(&mut section, pages(declared));
    if let Some(max) = max {
        push_leb(&mut section, pages(max.checked_mul(page_bytes)?));
    }
    Some((section, u32::try_from(declared).ok()?))
}

/// An unsigned LEB128 at `at`: its value and the offset after it.
fn leb(bytes: &[u8], mut at: usize) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(at)?;
        at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some((value, at));
        }
    }
    None
}

fn push_leb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPUTE: &[u8] = include_bytes!("../../../vsoc/src/bench/compute.wasm");

    #[test]
    fn custom_pages_become_one_standard_page_capped_at_the_declared_bytes() {
        let (wasm, limit) = standard_pages(COMPUTE).unwrap();
        assert_eq!(limit, 256);
        // Same module otherwise: only the memory section changed (one byte shorter: the
        // page-size exponent went, 256 pages became 1).
        assert_eq!(wasm.len() + 3, COMPUTE.len());
        let (again, none) = standard_pages(&wasm).unwrap();
        assert_eq!((again.as_slice(), none), (wasm.as_slice(), 0));
    }

    #[test]
    fn malformed_modules_are_refused() {
        assert!(standard_pages(b"\0asm").is_none());
        assert!(standard_pages(&COMPUTE[..COMPUTE.len() - 1]).is_none());
    }
}
