//! The host's control port: `fireball run <manifest> --control udp:127.0.0.1:PORT` serves
//! MCUmgr's Simple Management Protocol (SMP over UDP: one datagram, one SMP message) beside
//! the running deployment, so the tools a user already has (`smpmgr`, `smpclient`,
//! `mcumgr`) upload, list and remove modules as they would on a board.
//!
//! A run with a control port keeps going after its guests finish (the services still
//! serve) until `--for` runs out, and its virtual clock is held to the wall clock, so a
//! person or a tool has the time to talk to it.
//!
//! What the port does is [`fireball_smp::Server`]'s; what it changes, the deployment's
//! module manager's ([`System::install_package`], [`System::remove`], [`System::modules`]):
//! an upload is a signed package, checked and installed as `sys://modules` would.

use std::{
    io::ErrorKind,
    net::{SocketAddr, UdpSocket},
    time::{Duration, Instant},
};

use fireball_deploy::{CONTROL, ModuleError, RunReport, System, Turn};
use fireball_package::PackageError;
use fireball_router::Value;
use fireball_smp::{Control, Image, Install, Rc, Refusal, Server};

/// Largest package the port takes (the module manager's limit).
const MAX_UPLOAD: usize = fireball_deploy::modules::MAX_PACKAGE_BYTES;

/// The MCUmgr return code and reason for a module manager's refusal.
pub fn refusal(error: &ModuleError) -> Refusal {
    let rc = match error {
        ModuleError::BadRequest(_) => Rc::Invalid,
        ModuleError::Method => Rc::NotSupported,
        ModuleError::Package(PackageError::UnknownKey | PackageError::BadSignature)
        | ModuleError::Package(PackageError::ReachNotGranted { .. })
        | ModuleError::NameMismatch { .. }
        | ModuleError::RoutesDiffer => Rc::AccessDenied,
        ModuleError::Package(_) | ModuleError::Load(_) => Rc::Corrupt,
        ModuleError::Unknown => Rc::NoEntry,
        ModuleError::Busy { .. } => Rc::Busy,
        ModuleError::StartFailed(_) => Rc::BadState,
        ModuleError::TooLarge { .. } | ModuleError::NoRoom(_) | ModuleError::Store(_) => {
            Rc::NoMemory
        }
    };
    Refusal::new(rc, error.to_string())
}

/// The deployment as the SMP server sees it.
pub struct Board<'s>(pub &'s mut System);

impl Control for Board<'_> {
    fn images(&self) -> Vec<Image> {
        self.0
            .modules()
            .iter()
            .map(|entry| {
                let text = |key| entry.str(key).unwrap_or_default().to_owned();
                let mut hash = [0; 32];
                if let Some(Value::Bytes(digest)) = entry.get("digest")
                    && digest.len() == 32
                {
                    hash.copy_from_slice(digest);
                }
                let running = entry.str("state") == Some("running");
                Image {
                    name: text("name"),
                    version: text("version"),
                    hash,
                    active: running,
                    // An installed module runs until it is replaced or removed; on the host
                    // and under QEMU its store is RAM, so nothing survives a reset.
                    confirmed: running,
                    pending: false,
                    permanent: false,
                    bootable: running,
                }
            })
            .collect()
    }

    fn install(&mut self, package: &[u8]) -> Result<Install, Refusal> {
        self.0
            .install_package(package.to_vec())
            .map(|()| Install::Deferred)
            .map_err(|e| refusal(&e))
    }

    fn remove(&mut self, name: &str) -> Result<(), Refusal> {
        self.0.remove(CONTROL, name).map_err(|e| refusal(&e))
    }
}

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

/// Run `system` serving SMP on `socket` until its clock reads `until_us`, the virtual clock
/// held to the wall clock; the run's report.
pub fn serve(mut system: System, socket: &UdpSocket, until_us: u64) -> std::io::Result<RunReport> {
    socket.set_nonblocking(true)?;
    // The port's buffers (an upload on its way to the module manager) live where the
    // manager keeps packages, P2, not in the kernel's P1 the loop runs in.
    let heap = system.heap();
    let placed = |f: &mut dyn FnMut()| System::in_module_partition(heap, f);
    let mut server = None;
    let mut buffer = Vec::new();
    placed(&mut || {
        server = Some(Server::new(MAX_UPLOAD));
        buffer = vec![0; 2048];
    });
    let mut server = server.expect("made above");
    let mut peer: Option<SocketAddr> = None;
    let start = Instant::now();
    while system.now() < until_us && system.halted().is_none() {
        let turn = system.turn();
        loop {
            match socket.recv_from(&mut buffer) {
                Ok((len, from)) => {
                    peer = Some(from);
                    let mut response = None;
                    placed(&mut || {
                        response = server.handle(&buffer[..len], &mut Board(&mut system));
                    });
                    if let Some(response) = response {
                        socket.send_to(&response, from)?;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                // A datagram to a peer that went away comes back as a refusal: not ours.
                Err(e) if e.kind() == ErrorKind::ConnectionRefused => continue,
                Err(e) => return Err(e),
            }
        }
        for installed in system.take_installed() {
            let result = installed.result.map(drop).map_err(|e| refusal(&e));
            let mut response = None;
            placed(&mut || response = server.finish_install(result.clone()));
            if let (Some(response), Some(to)) = (response, peer) {
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
