//! The firmware's status stream as text: an image built with `defmt` (the `deploy` image)
//! writes defmt frames where the others write text lines (QEMU's semihosting stdout), and
//! this decodes them with the table the image's ELF carries (`defmt-decoder`), one message
//! per line — what the text path prints for the same line. An image without a defmt table
//! passes through as text.

use std::path::Path;

use defmt_decoder::{DecodeError, Table};

/// `bytes` (what `elf` wrote on semihosting stdout) as text: decoded when `elf` has a defmt
/// table, as they are otherwise. A frame the decoder cannot read becomes a line saying so,
/// so a test reading the text fails on it rather than on a missing line.
pub fn text(elf: &Path, bytes: &[u8]) -> String {
    let table = std::fs::read(elf)
        .map_err(|e| e.to_string())
        .and_then(|image| Table::parse(&image).map_err(|e| e.to_string()));
    match table {
        Ok(Some(table)) => decode(&table, bytes),
        Ok(None) => String::from_utf8_lossy(bytes).into_owned(),
        Err(e) => format!(
            "defmt: cannot read the defmt table of {}: {e}\n{}",
            elf.display(),
            String::from_utf8_lossy(bytes)
        ),
    }
}

/// Whether `elf` carries a defmt table, i.e. logs with defmt.
pub fn has_table(elf: &Path) -> bool {
    std::fs::read(elf)
        .ok()
        .and_then(|image| Table::parse(&image).ok().flatten())
        .is_some()
}

/// Every whole frame of `bytes`, each message on a line of its own.
pub fn decode(table: &Table, bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut stream = table.new_stream_decoder();
    stream.received(bytes);
    loop {
        match stream.decode() {
            Ok(frame) => {
                out += &frame.display_message().to_string();
                out.push('\n');
            }
            // A run cut short (killed, faulted) may end in the middle of a frame.
            Err(DecodeError::UnexpectedEof) => break,
            Err(DecodeError::Malformed) if table.encoding().can_recover() => {
                out += "defmt: a malformed frame (skipped)\n";
            }
            Err(DecodeError::Malformed) => {
                out += "defmt: a malformed frame; the rest is not decoded\n";
                break;
            }
        }
    }
    out
}
