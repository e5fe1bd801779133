//! The control port's side of a deployment: MCUmgr's Simple Management Protocol served by
//! the module manager, whatever carries the packets (UDP on the host, SMP's serial
//! framing on the board's UART1).
//!
//! [`ControlPort`] holds the [`Server`]; each packet goes to it with the [`System`], which
//! it sees through [`Control`]: the image list is [`System::modules`], an upload is
//! [`System::install_package`] (a signed package, checked as `sys://modules` checks one),
//! a removal [`System::remove`]. An install finishes on a later turn; its answer comes
//! from [`ControlPort::finished`]. Every allocation of the port (the upload on its way to
//! the module manager, the responses) lands in P2, where the manager keeps packages.
//!
//! A reset request is granted and remembered ([`ControlPort::reset_requested`]): the
//! board resets once the answer is out (under QEMU, and on the host, the run ends).
//!
//! [`SerialPort`] carries the packets over a board's UART in SMP's serial framing, for any
//! driver that implements `embedded-io`'s `Read + ReadReady + Write` (the QEMU image's CMSDK
//! UART1, the nRF5340-DK's UARTE1): what the firmware's loop polls between turns.

use alloc::{string::ToString, vec::Vec};

use embedded_io::{Read, ReadReady, Write};
use fireball_package::PackageError;
use fireball_smp::{Control, FrameDecoder, Image, Install, Rc, Refusal, Server, encode};

use crate::{ModuleError, System, modules::MAX_PACKAGE_BYTES, system::CONTROL};

/// The MCUmgr return code and reason for a module manager's refusal.
pub fn refusal(error: &ModuleError) -> Refusal {
    let rc = match error {
        ModuleError::BadRequest(_) => Rc::Invalid,
        ModuleError::Method | ModuleError::NoInstaller => Rc::NotSupported,
        ModuleError::Package(PackageError::UnknownKey | PackageError::BadSignature)
        | ModuleError::NoKeys
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

/// A deployment's control port: the SMP server and what it was asked to do.
pub struct ControlPort {
    server: Server,
    reset: bool,
}

impl ControlPort {
    /// A port for `system` announcing `buf_size`-byte buffers, `buf_count` of them (what
    /// the transport takes: clients size their chunks to it). Uploads up to the module
    /// manager's limit.
    pub fn new(system: &System, buf_size: u16, buf_count: u16) -> ControlPort {
        System::in_module_partition(system.heap(), || ControlPort {
            server: Server::new(MAX_PACKAGE_BYTES).with_buffers(buf_size, buf_count),
            reset: false,
        })
    }

    /// Answers one request packet (`None`: no answer now, see [`Server::handle`]).
    pub fn handle(&mut self, system: &mut System, packet: &[u8]) -> Option<Vec<u8>> {
        let heap = system.heap();
        let mut board = Managed {
            system,
            reset: &mut self.reset,
        };
        System::in_module_partition(heap, || self.server.handle(packet, &mut board))
    }

    /// The answers to uploads whose install finished since the last call (each the held
    /// response to the upload's last chunk: success, or the module manager's refusal).
    pub fn finished(&mut self, system: &mut System) -> Vec<Vec<u8>> {
        let heap = system.heap();
        let mut out = Vec::new();
        for installed in system.take_installed() {
            let result = installed.result.map(drop).map_err(|e| refusal(&e));
            System::in_module_partition(heap, || {
                out.extend(self.server.finish_install(result));
            });
        }
        out
    }

    /// Whether a client asked for a reset (granted: the board resets after answering).
    pub fn reset_requested(&self) -> bool {
        self.reset
    }

    /// Bytes of the upload in progress so far and its announced length.
    pub fn upload_progress(&self) -> Option<(usize, usize)> {
        self.server.upload_progress()
    }
}

/// The deployment as the SMP server sees it.
struct Managed<'s> {
    system: &'s mut System,
    reset: &'s mut bool,
}

impl Control for Managed<'_> {
    fn images(&self) -> Vec<Image> {
        self.system
            .modules()
            .into_iter()
            .map(|entry| Image {
                version: entry.version(),
                name: entry.name,
                hash: entry.digest,
                active: entry.running,
                // An installed module runs until it is replaced or removed: kept in RAM on
                // the host and QEMU (a reset forgets it), in flash on the nRF5340-DK (the
                // next boot runs it again).
                confirmed: entry.running,
                pending: false,
                permanent: false,
                bootable: entry.running,
            })
            .collect()
    }

    fn install(&mut self, package: Vec<u8>) -> Result<Install, Refusal> {
        self.system
            .install_package(package)
            .map(|()| Install::Deferred)
            .map_err(|e| refusal(&e))
    }

    fn accepts_uploads(&self) -> Result<(), Refusal> {
        self.system.installable().map_err(|e| refusal(&e))
    }

    fn remove(&mut self, name: &str) -> Result<(), Refusal> {
        self.system.remove(CONTROL, name).map_err(|e| refusal(&e))
    }

    fn reset(&mut self) -> Result<(), Refusal> {
        *self.reset = true;
        Ok(())
    }
}

/// SMP's serial framing on a byte transport `T` (a UART): requests decoded as their bytes
/// arrive, each answered through a [`ControlPort`], answers framed and written out.
pub struct SerialPort<T> {
    transport: T,
    decoder: FrameDecoder,
    wire: Vec<u8>,
    following_polls: u32,
}

impl<T: Read + ReadReady + Write> SerialPort<T> {
    /// The framing over `transport` for frames of at most `buf_size` bytes (what the
    /// [`ControlPort`] announces). After a byte, [`receive`](Self::receive) polls an empty
    /// receiver `following_polls` times for the next before it gives up: a request's bytes
    /// follow one another closely, the next request comes much later. Its buffers are in P2.
    pub fn new(system: &System, transport: T, buf_size: u16, following_polls: u32) -> Self {
        let (decoder, wire) = System::in_module_partition(system.heap(), || {
            (
                FrameDecoder::new(usize::from(buf_size).saturating_sub(4)),
                Vec::with_capacity(usize::from(buf_size) * 2),
            )
        });
        Self {
            transport,
            decoder,
            wire,
            following_polls,
        }
    }

    /// The transport (to wait on its receiver, say).
    pub fn transport(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Read what the transport has; each whole request answered. Returns at once if nothing
    /// came, and after a reset request's answer (the loop ends the run).
    pub fn receive(&mut self, port: &mut ControlPort, system: &mut System) {
        let mut quiet = 0;
        while quiet < self.following_polls {
            if !self.transport.read_ready().unwrap_or(false) {
                quiet += 1;
                continue;
            }
            quiet = 0;
            let mut byte = [0];
            if self.transport.read(&mut byte).unwrap_or(0) == 0 {
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
            if port.reset_requested() {
                return;
            }
        }
    }

    /// `packet`, framed, out on the transport (a transport that fails drops it: the
    /// client's timeout asks again).
    pub fn send(&mut self, system: &System, packet: &[u8]) {
        let wire = &mut self.wire;
        let framed = System::in_module_partition(system.heap(), || {
            wire.clear();
            encode(packet, wire).is_ok()
        });
        if framed {
            let _ = self.transport.write_all(&self.wire);
            let _ = self.transport.flush();
        }
    }
}
