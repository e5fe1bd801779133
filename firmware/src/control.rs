//! The `deploy` image's control port (feature `control-port`): MCUmgr's SMP on UART1 in
//! SMP's serial framing, beside the running deployment — `smpmgr`, `smpclient`'s
//! `SMPSerialTransport` or `mcumgr` upload, list and remove modules as on any Zephyr board.
//!
//! What a request does is [`ControlPort`]'s (shared with the host's `--control`): the
//! deployment's module manager installs a signed package, checked against the keys the
//! image embeds. This file is the transport and the loop:
//!
//! - each turn of the deployment ([`System::turn`]) is followed by a poll of UART1's
//!   receiver that never blocks when nothing came; once a byte came, the bytes that follow
//!   it are read as they arrive (QEMU hands the UART one byte at a time), so a request is
//!   decoded in one go rather than a byte per turn;
//! - virtual time is held to SysTick (the board's real time; under QEMU without `-icount`,
//!   the host's) by [`Wall::hold`](fireball_deploy::Wall::hold): when the deployment's clock gets
//!   ahead, or nothing is left to run ([`Turn::Idle`](fireball_deploy::Turn::Idle)), the loop
//!   waits on UART1 instead of letting virtual time jump ahead, so a client talking at its
//!   own pace finds the deployment where it expects it;
//! - the run ends when a client asks for a reset (SMP OS reset, answered first: under QEMU
//!   the run ends with its report, a board would reset into the same image — the module
//!   store is RAM), when a partition the board cannot lose runs out, or after
//!   [`RunOptions::max_time_us`](fireball_deploy::RunOptions) of virtual time.

use alloc::vec::Vec;
use core::cell::Cell;

use cortex_m::interrupt::{self, Mutex};

use embedded_io::{Read, ReadReady};
use fireball_deploy::{RunReport, System, Wall, control::ControlPort};
use fireball_smp::{FrameDecoder, encode};
use fireball_subsystems::hal::Console;

use crate::{
    clock::{self, SysTickClock},
    uart::{CmsdkUart, UART1},
};

/// The largest frame the port takes (frame length, packet and CRC, as Zephyr counts it):
/// what the MCUmgr parameters announce; clients size their upload chunks to it.
pub const BUF_SIZE: u16 = 1024;

/// Polls of an empty receiver after a byte before the loop goes back to the deployment: a
/// request's bytes follow one another closely, a new request comes much later.
const FOLLOWING_POLLS: u32 = 2_000;

/// Longest wait on UART1 in one go (µs of SysTick) while the deployment waits for time to
/// pass.
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

/// The port's transport state: UART1, the frame decoder and the response buffer.
struct Serial {
    uart: CmsdkUart,
    decoder: FrameDecoder,
    wire: Vec<u8>,
}

impl Serial {
    /// Read what UART1 has; each whole request answered. Returns at once if nothing came.
    fn receive(&mut self, port: &mut ControlPort, system: &mut System) {
        let mut quiet = 0;
        while quiet < FOLLOWING_POLLS {
            if !self.uart.read_ready().unwrap_or(false) {
                quiet += 1;
                continue;
            }
            quiet = 0;
            let mut byte = [0];
            if self.uart.read(&mut byte).unwrap_or(0) == 0 {
                continue;
            }
            let response = match self.decoder.push(byte[0]) {
                Ok(Some(packet)) => port.handle(system, packet),
                // Between frames, or a damaged frame: the client's timeout resends it.
                Ok(None) | Err(_) => None,
            };
            if let Some(response) = response {
                self.send(system, &response);
            }
            // The answer may have been a reset: leave it to the loop.
            if port.reset_requested() {
                return;
            }
        }
    }

    /// `packet`, framed, out on UART1.
    fn send(&mut self, system: &System, packet: &[u8]) {
        let wire = &mut self.wire;
        let framed = System::in_module_partition(system.heap(), || {
            wire.clear();
            encode(packet, wire).is_ok()
        });
        if framed {
            Console::write(&mut self.uart, wire);
        }
    }
}

/// Run `system` serving SMP on UART1 until a client asks for a reset, the board halts, or
/// the plan's time is up; the run's report.
pub fn serve(mut system: System, until_us: u64) -> Served {
    // Safety: UART1 is the mps2-an505's second CMSDK UART; nothing else in this image
    // drives it (every console and log line goes to UART0).
    let uart = unsafe { CmsdkUart::new(UART1) };
    let mut port = ControlPort::new(&system, BUF_SIZE, 1);
    // The decoder's buffer and the response's, with the port's, in P2: what the port
    // receives is a package on its way to the module manager.
    let (decoder, wire) = System::in_module_partition(system.heap(), || {
        (
            FrameDecoder::new(usize::from(BUF_SIZE) - 4),
            Vec::with_capacity(usize::from(BUF_SIZE) * 2),
        )
    });
    let mut serial = Serial {
        uart,
        decoder,
        wire,
    };
    let wall = Wall::start(SysTickClock);
    while system.now() < until_us && system.halted().is_none() && !port.reset_requested() {
        let turn = system.turn();
        serial.receive(&mut port, &mut system);
        for response in port.finished(&mut system) {
            serial.send(&system, &response);
        }
        // Virtual time goes no faster than SysTick (it may go slower): wait on UART1 until
        // real time catches up, a slice at a time.
        wall.hold(&mut system, turn, WAIT_SLICE_US, |until| {
            let from = clock::ticks();
            while wall.now() < until && !serial.uart.read_ready().unwrap_or(false) {}
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
