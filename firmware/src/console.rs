//! Consoles on the board.

use fireball_subsystems::hal::Console;

/// Guest output over semihosting (QEMU prints it on its stdout).
pub struct Semihosting;

impl Console for Semihosting {
    fn write(&mut self, bytes: &[u8]) {
        if let Ok(mut out) = cortex_m_semihosting::hio::hstdout() {
            let _ = out.write_all(bytes);
        }
    }
}
