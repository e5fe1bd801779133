//! The host's control port: `fireball run <manifest> --control udp:127.0.0.1:PORT` serves
//! MCUmgr's Simple Management Protocol (SMP over UDP: one datagram, one SMP message) beside
//! the running deployment, so the tools a user already has (`smpmgr`, `smpclient`,
//! `mcumgr`) upload, list and remove modules as they would on a board.
//!
//! A run with a control port keeps going after its guests finish (the services still
//! serve) until `--for` runs out, and its virtual clock is held to the wall clock, so a
//! person or a tool has the time to talk to it.
//!
//! What the port does is [`ControlPort`]'s, shared with the board's UART1 port: SMP served
//! by the deployment's module manager (an upload is a signed package, checked and installed
//! as `sys://modules` would). A reset request ends the run early, as a board would reset.

use std::{
    io::ErrorKind,
    net::{SocketAddr, UdpSocket},
    time::{Duration, Instant},
};

use fireball_deploy::{RunReport, System, Turn, control::ControlPort};

/// Where a control port listens, from `--control`: `udp:HOST:PORT`.
pub fn parse_address(text: &str) -> Result<SocketAddr, String> {
    let Some(address) = text.strip_prefix("udp:") else {
        return Err(format!(
            "--control {text}: say `udp:127.0.0.1:PORT` (SMP over UDP)"
        ));
    };
    address
        .parse()
        .map_err(|e| format!("--control {text}: {e}"))
}

/// Run `system` serving SMP on `socket` until its clock reads `until_us` (or a client asks
/// for a reset), the virtual clock held to the wall clock; the run's report.
pub fn serve(mut system: System, socket: &UdpSocket, until_us: u64) -> std::io::Result<RunReport> {
    socket.set_nonblocking(true)?;
    let mut port = ControlPort::new(&system, 1024, 1);
    // The datagram buffer lives with the port's, in P2.
    let mut buffer = System::in_module_partition(system.heap(), || vec![0; 2048]);
    let mut peer: Option<SocketAddr> = None;
    let start = Instant::now();
    while system.now() < until_us && system.halted().is_none() && !port.reset_requested() {
        let turn = system.turn();
        loop {
            match socket.recv_from(&mut buffer) {
                Ok((len, from)) => {
                    peer = Some(from);
                    if let Some(response) = port.handle(&mut system, &buffer[..len]) {
                        socket.send_to(&response, from)?;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                // A datagram to a peer that went away comes back as a refusal: not ours.
                Err(e) if e.kind() == ErrorKind::ConnectionRefused => continue,
                Err(e) => return Err(e),
            }
        }
        for response in port.finished(&mut system) {
            if let Some(to) = peer {
                socket.send_to(&response, to)?;
            }
        }
        // Virtual time goes no faster than the wall clock (it may go slower).
        let wall = start.elapsed().as_micros() as u64;
        let ahead = system.now().saturating_sub(wall);
        if turn == Turn::Idle {
            // Nothing will happen until a request comes: let time pass.
            std::thread::sleep(Duration::from_millis(2));
            system.advance_clock(start.elapsed().as_micros() as u64);
        } else if ahead > 0 {
            std::thread::sleep(Duration::from_micros(ahead.min(2_000)));
        }
    }
    system.settle();
    Ok(system.finish())
}
