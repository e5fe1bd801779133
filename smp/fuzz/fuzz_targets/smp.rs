//! Untrusted bytes -> the server, as a UDP datagram (the bytes are one packet) and as a
//! serial stream (the bytes go through `FrameDecoder`, each decoded packet to the server):
//! never a panic, and every response is a well-formed answer to its request — the
//! response op of the request's op, its group, sequence and id, a body as long as the
//! header says. Installs alternate between done, deferred (then finished) and refused.
#![no_main]

use fireball_smp::{Control, FrameDecoder, Header, Image, Install, Rc, Refusal, Server};
use libfuzzer_sys::fuzz_target;

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

    fn install(&mut self, package: &[u8]) -> Result<Install, Refusal> {
        self.installs += 1;
        match self.installs % 3 {
            0 => Err(Refusal::new(Rc::AccessDenied, "refused")),
            1 => {
                self.modules.push(package.to_vec());
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

/// `response` answers `request`.
fn check(request: &[u8], response: Option<Vec<u8>>, server: &mut Server) {
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

fuzz_target!(|bytes: &[u8]| {
    let mut board = Ram::default();
    let mut server = Server::new(4096);
    let response = server.handle(bytes, &mut board);
    check(bytes, response, &mut server);

    let mut decoder = FrameDecoder::new(1020);
    for &byte in bytes {
        if let Ok(Some(packet)) = decoder.push(byte) {
            assert!(packet.len() <= 1020);
            let packet = packet.to_vec();
            let response = server.handle(&packet, &mut board);
            check(&packet, response, &mut server);
        }
    }
});
