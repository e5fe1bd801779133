//! The `deploy` image's debugger port (feature `gdb`): the GDB remote protocol with LLDB's
//! WebAssembly extensions (the `debugger` subsystem's [`Stub`]) on UART2, beside the running
//! deployment — a stock `lldb-22` debugs the components built from their instrumented
//! debug builds (`cargo xtask deploy <manifest> --gdb PORT --debug NAME`) while every other
//! component runs on, as `fireball run --gdb` does on the host (`docs/debugger.md`).
//!
//! What a packet does is the stub's and the vSoC's debug port's (shared with the host's
//! `--gdb`). This file is the transport and the loop, shaped like the control port's
//! (`control.rs`):
//!
//! - the debugged components are interrupted at boot, so each waits at its first line for
//!   a debugger;
//! - each turn of the deployment ([`System::turn`]) is followed by a poll of UART2's
//!   receiver that never blocks when nothing came; once a byte came, the bytes that follow
//!   it are read as they arrive (QEMU hands the UART one byte at a time) and given to the
//!   stub together, then the stub reports what the debugged components did meanwhile;
//! - virtual time is held to SysTick (the board's real time; under QEMU without `-icount`,
//!   the host's), so timers and deadlines pass in real time while LLDB looks; where the
//!   board falls behind real time, its clock stays behind rather than jumping to catch up;
//! - the run ends when every guest has finished (the debugged ones too: LLDB sees the
//!   process exit), when a partition the board cannot lose runs out, or after
//!   [`RunOptions::max_time_us`](fireball_deploy::RunOptions) of virtual time.
//!
//! A UART has no connection to lose: a session starts with LLDB's first packet and ends
//! with its `D` or `k` (the stopped components then run on); a debugger that vanishes
//! without one leaves its breakpoints behind until the next session's first packet.

use cortex_m_semihosting::hprintln;
use embedded_io::{Read, ReadReady};
use fireball_deploy::{RunReport, System, Turn};
use fireball_subsystems::{
    debugger::{Connection, Stub},
    hal::{Clock, Console},
};

use crate::{
    clock::SysTickClock,
    uart::{CmsdkUart, UART2},
};

/// Polls of an empty receiver after a byte before the loop goes back to the deployment: a
/// packet's bytes follow one another closely, the next packet comes after the reply.
const FOLLOWING_POLLS: u32 = 2_000;

/// Longest wait on UART2 in one go (µs of SysTick) while the deployment waits for time to
/// pass.
const WAIT_SLICE_US: u64 = 2_000;

/// Bytes handed to the stub at once (a packet longer than this is handed over in pieces).
const CHUNK: usize = 256;

/// UART2 as the stub's byte sink: a reply goes out whole, the UART's transmitter paces it.
struct Serial(CmsdkUart);

impl Connection for Serial {
    type Error = core::convert::Infallible;

    fn write(&mut self, byte: u8) -> Result<(), Self::Error> {
        Console::write(&mut self.0, &[byte]);
        Ok(())
    }

    fn write_all(&mut self, buf: &[u8]) -> Result<(), Self::Error> {
        Console::write(&mut self.0, buf);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        embedded_io::Write::flush(&mut self.0)
    }
}

/// Read what UART2 has into `buffer`, waiting [`FOLLOWING_POLLS`] after each byte for the
/// next one; the bytes read (none at once if nothing came).
fn receive(uart: &mut CmsdkUart, buffer: &mut [u8]) -> usize {
    let mut n = 0;
    let mut quiet = 0;
    while n < buffer.len() && quiet < FOLLOWING_POLLS {
        if n == 0 && quiet == 0 && !uart.read_ready().unwrap_or(false) {
            return 0;
        }
        match uart.read(&mut buffer[n..n + 1]) {
            Ok(1) => {
                n += 1;
                quiet = 0;
            }
            _ => quiet += 1,
        }
    }
    n
}

/// Run `system` serving the debugger on UART2 until every guest has finished, the board
/// halts, or the clock reads `until_us`; the run's report.
pub fn serve(mut system: System, until_us: u64) -> RunReport {
    let heap = system.heap();
    let mut port = system.debug_port();
    // The debugged components wait for the debugger: each stops at its first line.
    port.hold(&mut |id, component, library| {
        hprintln!(
            "fireball: debugger: {} (thread {}) waits at its first line; DWARF from {}",
            component,
            id,
            library
        );
    });
    hprintln!("fireball: debugger: GDB remote on UART2 (lldb-22: process connect --plugin wasm)");
    // Safety: UART2 is the mps2-an505's third CMSDK UART; nothing else in this image drives
    // it (every console and log line goes to UART0).
    let uart = unsafe { CmsdkUart::new(UART2) };
    // The stub's packet buffers in P2, beside the instrumented modules it reads: P1 and P3
    // are sized for the deployment without a debugger.
    let mut stub = System::in_module_partition(heap, || Stub::new(Serial(uart)));
    let mut buffer = [0u8; CHUNK];
    let start = SysTickClock.now_us();
    let wall = || SysTickClock.now_us() - start;
    let mut behind = 0;
    while system.now() < until_us && system.halted().is_none() && system.guests_left() > 0 {
        let turn = system.turn();
        System::in_module_partition(heap, || {
            loop {
                let n = receive(&mut stub.transport().0, &mut buffer);
                if n == 0 {
                    break;
                }
                // Replies cannot fail to go out on a UART (`Infallible`).
                let _ = stub.receive(&mut port, &buffer[..n]);
            }
            let _ = stub.poll(&mut port);
        });
        // Virtual time goes no faster than SysTick (it may go slower): wait on UART2 until
        // real time catches up, a slice at a time. Where the board ran slower than real
        // time, the clock stays behind by as much (`behind`): when everything sleeps it
        // moves on at SysTick's pace from there, never in one jump to SysTick — a jump
        // would fire every pending timer at once, and a debugged guest would race through
        // seconds of its work between two of LLDB's commands.
        let now = system.now();
        let paced = wall().saturating_sub(behind);
        if turn != Turn::Idle && now < paced {
            behind = wall() - now;
        }
        let ahead = now.saturating_sub(wall().saturating_sub(behind));
        if turn == Turn::Idle || ahead > 0 {
            let until = wall() + ahead.clamp(1, WAIT_SLICE_US);
            let uart = &mut stub.transport().0;
            while wall() < until && !uart.read_ready().unwrap_or(false) {}
            if turn == Turn::Idle {
                system.advance_clock(wall().saturating_sub(behind));
            }
        }
    }
    // Tell a debugger still attached that the debugged components are gone.
    System::in_module_partition(heap, || {
        let _ = stub.poll(&mut port);
        stub.disconnect(&mut port);
    });
    system.settle();
    system.finish()
}
