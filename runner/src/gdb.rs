//! The host's debugger port: `fireball run <manifest> --gdb 127.0.0.1:PORT --debug NAME`
//! serves the GDB remote protocol with LLDB's WebAssembly extensions (the `debugger`
//! subsystem's [`Stub`]) on a TCP socket beside the running deployment, so a stock
//! `lldb-22` debugs the components named by `--debug` while every other component runs on
//! (`docs/debugger.md`).
//!
//! The debugged components stop at their first line and wait there for a debugger. As
//! with the control port, the virtual clock is held to the wall clock, so timers and
//! deadlines pass in real time while LLDB is attached; the run ends when every guest has
//! finished (or `--for` runs out). One debugger at a time: when it disconnects, its
//! breakpoints go and the stopped components run on; another may connect.

use std::{
    io::{ErrorKind, Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    time::{Duration, Instant},
};

use fireball_deploy::{RunReport, System, Turn};
use fireball_subsystems::debugger::{Connection, Stub};

/// Where the debugger port listens, from `--gdb`: `HOST:PORT` (127.0.0.1 on a shared
/// machine: the protocol has no authentication).
pub fn parse_address(text: &str) -> Result<SocketAddr, String> {
    text.parse()
        .map_err(|e| format!("--gdb {text}: {e} (say 127.0.0.1:PORT)"))
}

/// A TCP stream as the stub's byte sink.
struct Tcp(TcpStream);

impl Connection for Tcp {
    type Error = std::io::Error;

    fn write(&mut self, byte: u8) -> Result<(), Self::Error> {
        self.write_all(&[byte])
    }

    fn write_all(&mut self, buf: &[u8]) -> Result<(), Self::Error> {
        // The stream is non-blocking for reads; a reply is written whole.
        self.0.set_nonblocking(false)?;
        let written = Write::write_all(&mut self.0, buf);
        self.0.set_nonblocking(true)?;
        written
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Write::flush(&mut self.0)
    }
}

/// Run `system`, serving the debugger on `listener`, until every guest has finished, the
/// board halts, or the clock reads `until_us`; the run's report.
pub fn serve(
    mut system: System,
    listener: &TcpListener,
    until_us: u64,
) -> std::io::Result<RunReport> {
    listener.set_nonblocking(true)?;
    let mut port = system.debug_port();
    // The debugged components wait for the debugger: each stops at its first line.
    port.hold(&mut |id, component, library| {
        eprintln!(
            "fireball: debugger: {component} (thread {id}) waits at its first line; DWARF from {library}"
        );
    });
    let mut stub: Option<Stub<Tcp>> = None;
    let mut buffer = [0u8; 4096];
    let start = Instant::now();
    while system.now() < until_us && system.halted().is_none() && system.guests_left() > 0 {
        let turn = system.turn();
        if stub.is_none() {
            match listener.accept() {
                Ok((stream, from)) => {
                    stream.set_nonblocking(true)?;
                    stream.set_nodelay(true)?;
                    eprintln!("fireball: debugger: {from} connected");
                    stub = Some(Stub::new(Tcp(stream)));
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        if let Some(session) = stub.as_mut() {
            let mut lost = false;
            loop {
                match session.transport().0.read(&mut buffer) {
                    Ok(0) => {
                        lost = true;
                        break;
                    }
                    Ok(n) => {
                        if session.receive(&mut port, &buffer[..n]).is_err() {
                            lost = true;
                            break;
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(_) => {
                        lost = true;
                        break;
                    }
                }
            }
            if !lost && session.poll(&mut port).is_err() {
                lost = true;
            }
            if lost {
                session.disconnect(&mut port);
                stub = None;
                eprintln!("fireball: debugger: disconnected; the debugged components run on");
            }
        }
        // Virtual time goes no faster than the wall clock (it may go slower).
        let wall = start.elapsed().as_micros() as u64;
        let ahead = system.now().saturating_sub(wall);
        if turn == Turn::Idle {
            std::thread::sleep(Duration::from_millis(1));
            system.advance_clock(start.elapsed().as_micros() as u64);
        } else if ahead > 0 {
            std::thread::sleep(Duration::from_micros(ahead.min(1_000)));
        }
    }
    // Tell a debugger still attached that the debugged components are gone.
    if let Some(session) = stub.as_mut() {
        let _ = session.poll(&mut port);
        session.disconnect(&mut port);
    }
    system.settle();
    Ok(system.finish())
}
