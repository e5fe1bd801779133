//! The protocols spoken to a running board: the control port's SMP and the debugger's GDB
//! remote packets.

use fireball_smp::{Control, FrameDecoder, Header, Image, Install, Rc, Refusal, Server};
use fireball_subsystems::debugger::{Outbox, Stub, mock::MockDebuggee};

/// A module manager in RAM whose installs alternate between done, deferred and refused.
#[derive(Default)]
struct Ram {
    modules: Vec<Vec<u8>>,
    installs: u32,
}

impl Control for Ram {
    fn images(&self) -> Vec<Image> {
        (self.modules.iter().enumerate())
            .map(|(i, m)| Image {
                name: format!("m{i}"),
                version: "1.0.0".into(),
                hash: [m.len() as u8; 32],
                active: i % 2 == 0,
                confirmed: true,
                pending: i % 2 == 1,
                permanent: false,
                bootable: true,
            })
            .collect()
    }

    fn install(&mut self, package: Vec<u8>) -> Result<Install, Refusal> {
        self.installs += 1;
        match self.installs % 3 {
            0 => Err(Refusal::new(Rc::AccessDenied, "refused")),
            1 => {
                self.modules.push(package);
                Ok(Install::Done)
            }
            _ => Ok(Install::Deferred),
        }
    }

    fn remove(&mut self, name: &str) -> Result<(), Refusal> {
        let i = name.strip_prefix('m').and_then(|n| n.parse::<usize>().ok());
        match i.filter(|&i| i < self.modules.len()) {
            Some(i) => {
                self.modules.remove(i);
                Ok(())
            }
            None => Err(Refusal::new(Rc::NoEntry, "no such module")),
        }
    }
}

/// `response` answers `request`: the response op of the request's op, its group, sequence
/// and id, and a body as long as its header says.
fn answers(request: &[u8], response: Option<Vec<u8>>, server: &mut Server) {
    let Ok(req) = Header::parse(request) else {
        assert!(response.is_none());
        return;
    };
    let Some(rsp_op) = req.op.response() else {
        assert!(response.is_none());
        return;
    };
    let response = match response {
        Some(r) => r,
        // Deferred: finishing gives the held answer.
        None => server
            .finish_install(Ok(()))
            .expect("a deferred install is held"),
    };
    let (rsp, _) = Header::split(&response).expect("a well-formed response");
    assert_eq!(
        (rsp.op, rsp.group, rsp.seq, rsp.id),
        (rsp_op, req.group, req.seq, req.id)
    );
}

/// Bytes to the control port's SMP server, as one UDP datagram and as a serial stream
/// (through `FrameDecoder`, each decoded packet to the server): every response answers its
/// request.
pub fn smp(bytes: &[u8]) {
    let mut board = Ram::default();
    let mut server = Server::new(4096);
    let response = server.handle(bytes, &mut board);
    answers(bytes, response, &mut server);

    let mut decoder = FrameDecoder::new(1020);
    for &byte in bytes {
        if let Ok(Some(packet)) = decoder.push(byte) {
            assert!(packet.len() <= 1020);
            let packet = packet.to_vec();
            let response = server.handle(&packet, &mut board);
            answers(&packet, response, &mut server);
        }
    }
}

/// Every reply in the stub's output is a well-formed `$…#cs` packet, an ack or a NAK.
fn well_formed(out: &[u8]) {
    let mut rest = out;
    while let Some((&first, tail)) = rest.split_first() {
        match first {
            b'+' | b'-' => rest = tail,
            b'$' => {
                let hash = tail
                    .iter()
                    .position(|b| *b == b'#')
                    .expect("unterminated reply");
                let sum = tail[..hash].iter().fold(0u8, |a, b| a.wrapping_add(*b));
                let cs = std::str::from_utf8(&tail[hash + 1..hash + 3]).unwrap();
                assert_eq!(u8::from_str_radix(cs, 16).unwrap(), sum, "bad checksum");
                rest = &tail[hash + 3..];
            }
            other => panic!("stray byte {other:#x} in the stub's output"),
        }
    }
}

/// Bytes from a debugger to the GDB remote stub over the mock debuggee, in chunks split at
/// 0xff with a scheduler turn and a poll between chunks: every reply is well-formed.
pub fn debugger(bytes: &[u8]) {
    let mut mock = MockDebuggee::two();
    let mut stub = Stub::new(Outbox::default());
    for chunk in bytes.split(|b| *b == 0xff) {
        stub.receive(&mut mock, chunk).unwrap();
        mock.tick();
        stub.poll(&mut mock).unwrap();
        well_formed(&std::mem::take(&mut stub.transport().0));
    }
    stub.disconnect(&mut mock);
}
