//! The `deploy` image's control port (feature `control-port`): MCUmgr's SMP in SMP's serial
//! framing on UART1 (QEMU) or UARTE1 (the nRF5340-DK), beside the running deployment —
//! `smpmgr`, `smpclient`'s `SMPSerialTransport` or `mcumgr` upload, list and remove modules
//! as on any Zephyr board.
//!
//! What a request does is [`ControlPort`]'s (shared with the host's `--control`): the
//! deployment's module manager installs a signed package, checked against the keys the
//! image embeds; the framing over any `embedded-io` UART is [`SerialPort`]'s (host-tested
//! against a fake UART). This file is the loop, generic over the board's UART:
//!
//! - each turn of the deployment ([`System::turn`]) is followed by a poll of the port's
//!   receiver that never blocks when nothing came; once a byte came, the bytes that follow
//!   it are read as they arrive (QEMU hands the UART one byte at a time), so a request is
//!   decoded in one go rather than a byte per turn;
//! - virtual time is held to SysTick (the board's real time; under QEMU without `-icount`,
//!   the host's) by [`Wall::hold`](fireball_deploy::Wall::hold): when the deployment's clock
//!   gets ahead, or nothing is left to run ([`Turn::Idle`](fireball_deploy::Turn::Idle)), the
//!   loop waits on the port instead of letting virtual time jump ahead, so a client talking at
//!   its own pace finds the deployment where it expects it;
//! - the run ends when a client asks for a reset (SMP OS reset, answered first: under QEMU
//!   the run ends with its report, whose module store is RAM; the nRF5340-DK prints its
//!   report and resets, and boots again from the packages its flash store kept), when a
//!   partition the board cannot lose runs out, or after
//!   [`RunOptions::max_time_us`](fireball_deploy::RunOptions) of virtual time.

use core::cell::Cell;

use cortex_m::interrupt::{self, Mutex};

use embedded_io::{Read, ReadReady, Write};
use fireball_deploy::{
    RunReport, System, Wall,
    control::{ControlPort, SerialPort},
};

use crate::clock::{self, SysTickClock};

/// The largest frame the port takes (frame length, packet and CRC, as Zephyr counts it):
/// what the MCUmgr parameters announce; clients size their upload chunks to it.
pub const BUF_SIZE: u16 = 1024;

/// Where the port is, for the image's status line.
#[cfg(not(feature = "nrf5340dk"))]
pub const PORT: &str = "UART1";
/// Where the port is, for the image's status line.
#[cfg(feature = "nrf5340dk")]
pub const PORT: &str = "UARTE1 (TX P1.01, RX P1.00, 115200 8N1)";

/// Polls of an empty receiver after a byte before the loop goes back to the deployment: a
/// request's bytes follow one another closely, a new request comes much later.
const FOLLOWING_POLLS: u32 = 2_000;

/// Longest wait on the port in one go (µs of SysTick) while the deployment waits for time
/// to pass.
const WAIT_SLICE_US: u64 = 2_000;

/// SysTick ticks the loop has spent waiting for real time to catch up with the deployment's
/// clock: pacing, not work (the image stamps its UART0 lines with it beside the time).
static WAITED: Mutex<Cell<u64>> = Mutex::new(Cell::new(0));

/// Ticks spent so far waiting for SysTick to catch up with the deployment's clock.
pub fn waited_ticks() -> u64 {
    interrupt::free(|cs| WAITED.borrow(cs).get())
}

/// How the run ended.
pub struct Served {
    /// The run's report.
    pub report: RunReport,
    /// A client asked for a reset (the run's normal end).
    pub reset: bool,
}

/// QEMU mps2-an505's UART1, the port's transport there.
#[cfg(not(feature = "nrf5340dk"))]
pub fn qemu_uart1() -> crate::uart::CmsdkUart {
    // Safety: UART1 is the mps2-an505's second CMSDK UART; nothing else in this image
    // drives it (every console and log line goes to UART0).
    unsafe { crate::uart::CmsdkUart::new(crate::uart::UART1) }
}

/// Run `system` serving SMP on `transport` (the board's port: QEMU's UART1, the
/// nRF5340-DK's UARTE1) until a client asks for a reset, the board halts, or the plan's time
/// is up; the run's report.
pub fn serve<T: Read + ReadReady + Write>(
    mut system: System,
    until_us: u64,
    transport: T,
) -> Served {
    let mut port = ControlPort::new(&system, BUF_SIZE, 1);
    // The decoder's buffer and the response's, with the port's, in P2: what the port
    // receives is a package on its way to the module manager.
    let mut serial = SerialPort::new(&system, transport, BUF_SIZE, FOLLOWING_POLLS);
    let wall = Wall::start(SysTickClock);
    while system.now() < until_us && system.halted().is_none() && !port.reset_requested() {
        let turn = system.turn();
        serial.receive(&mut port, &mut system);
        for response in port.finished(&mut system) {
            serial.send(&system, &response);
        }
        // Virtual time goes no faster than SysTick (it may go slower): wait on the port
        // until real time catches up, a slice at a time.
        wall.hold(&mut system, turn, WAIT_SLICE_US, |until| {
            let from = clock::ticks();
            while wall.now() < until && !serial.transport().read_ready().unwrap_or(false) {}
            let waited = clock::ticks() - from;
            interrupt::free(|cs| {
                let total = WAITED.borrow(cs);
                total.set(total.get() + waited);
            });
        });
    }
    let reset = port.reset_requested();
    system.settle();
    Served {
        report: system.finish(),
        reset,
    }
}
