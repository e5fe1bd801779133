//! The `deploy` image's debugger port (feature `gdb`): the GDB remote protocol with LLDB's
//! WebAssembly extensions (the `debugger` subsystem's [`Stub`]) on a serial port ([`PORT`]:
//! QEMU's UART2, the nRF5340-DK's UARTE1), beside the running deployment — a stock
//! `lldb-22` debugs the components built from their instrumented debug builds (`cargo xtask
//! deploy <manifest> --gdb PORT --debug NAME` under QEMU, `cargo xtask deploy <manifest>
//! --board nrf5340dk --debug NAME` for the DK) while every other component runs on, as `fireball run --gdb` does on the host (`docs/debugger.md`).
//!
//! What a packet does is the stub's and the vSoC's debug port's (shared with the host's
//! `--gdb`). This file is the transport and the loop, shaped like the control port's
//! (`control.rs`):
//!
//! - the debugged components are interrupted at boot, so each waits at its first line for
//!   a debugger;
//! - each turn of the deployment ([`System::turn`]) is followed by a poll of the port's
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

use embedded_io::{Read, ReadReady, Write};
use fireball_deploy::{RunReport, System, Turn};
use fireball_subsystems::{
    debugger::{Connection, Stub},
    hal::Clock,
};

use crate::clock::SysTickClock;

/// The debugger port, as the board's log line names it.
#[cfg(not(feature = "nrf5340dk"))]
pub const PORT: &str = "UART2";
/// The debugger port, as the board's log line names it: UARTE1, the pins the control port
/// uses in an image with one (an image serves one or the other).
#[cfg(feature = "nrf5340dk")]
pub const PORT: &str = "UARTE1 (TX P1.01, RX P1.00, 115200 8N1)";

/// QEMU's UART2, the debugger port of the `mps2-an505` image.
#[cfg(not(feature = "nrf5340dk"))]
pub fn qemu_uart2() -> crate::uart::CmsdkUart {
    // Safety: UART2 is the mps2-an505's third CMSDK UART; nothing else in this image drives
    // it (every console and log line goes to UART0).
    unsafe { crate::uart::CmsdkUart::new(crate::uart::UART2) }
}

/// Polls of an empty receiver after a byte before the loop goes back to the deployment: a
/// packet's bytes follow one another closely, the next packet comes after the reply.
const FOLLOWING_POLLS: u32 = 2_000;

/// Longest wait on the port in one go (µs of SysTick) while the deployment waits for time to
/// pass.
const WAIT_SLICE_US: u64 = 2_000;

/// Bytes handed to the stub at once (a packet longer than this is handed over in pieces).
const CHUNK: usize = 256;

/// The port as the stub's byte sink: a reply goes out whole, the transmitter paces it.
struct Serial<T>(T);

impl<T: Write> Connection for Serial<T> {
    type Error = T::Error;

    fn write(&mut self, byte: u8) -> Result<(), Self::Error> {
        self.0.write_all(&[byte])
    }

    fn write_all(&mut self, buf: &[u8]) -> Result<(), Self::Error> {
        self.0.write_all(buf)
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        self.0.flush()
    }
}

/// Read what the port has into `buffer`, waiting [`FOLLOWING_POLLS`] after each byte for the
/// next one; the bytes read (none at once if nothing came). Reads only what is there: a
/// read never waits.
fn receive<T: Read + ReadReady>(uart: &mut T, buffer: &mut [u8]) -> usize {
    let mut n = 0;
    let mut quiet = 0;
    while n < buffer.len() && quiet < FOLLOWING_POLLS {
        if !uart.read_ready().unwrap_or(false) {
            if n == 0 {
                return 0;
            }
            quiet += 1;
            continue;
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

/// Run `system` serving the debugger on `port` ([`PORT`]) until every guest has finished,
/// the board halts, or the clock reads `until_us`; the run's report.
pub fn serve<T: Read + ReadReady + Write>(mut system: System, until_us: u64, port: T) -> RunReport {
    let heap = system.heap();
    let uart = port;
    let mut port = system.debug_port();
    // The debugged components wait for the debugger: each stops at its first line.
    port.hold(&mut |id, component, library| {
        info!(
            "fireball: debugger: {} (thread {}) waits at its first line; DWARF from {}",
            component, id, library
        );
    });
    info!(
        "fireball: debugger: GDB remote on {} (lldb-22: process connect --plugin wasm)",
        PORT
    );
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
                // A reply the port could not send is LLDB's to ask again (it times out).
                let _ = stub.receive(&mut port, &buffer[..n]);
            }
            let _ = stub.poll(&mut port);
        });
        // Virtual time goes no faster than SysTick (it may go slower): wait on the port until
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
