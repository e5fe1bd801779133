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

use alloc::{string::ToString, vec::Vec};

use fireball_package::PackageError;
use fireball_smp::{Control, Image, Install, Rc, Refusal, Server};

use crate::{ModuleError, System, modules::MAX_PACKAGE_BYTES, system::CONTROL};

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
                // An installed module runs until it is replaced or removed; its store is RAM
                // (the host, QEMU), so nothing survives a reset.
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

    fn remove(&mut self, name: &str) -> Result<(), Refusal> {
        self.system.remove(CONTROL, name).map_err(|e| refusal(&e))
    }

    fn reset(&mut self) -> Result<(), Refusal> {
        *self.reset = true;
        Ok(())
    }
}
