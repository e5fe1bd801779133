//! SMP over UDP on 127.0.0.1 (one datagram = one SMP packet, no framing), with a board
//! that keeps packages in RAM: what `tests/interop.py` runs smpclient against.
//!
//! ```text
//! cargo run -p fireball-smp --example udp_server -- [PORT]   (0 or none: any free port)
//! cargo run -p fireball-smp --example udp_server -- --stdio
//! ```
//!
//! It prints `listening on 127.0.0.1:PORT`, then one line per request. With `--stdio` it
//! speaks the serial framing instead (`FrameDecoder` on stdin, `encode`d responses on
//! stdout, log lines on stderr): `tests/interop.py` puts it behind a pty and runs
//! smpclient's `SMPSerialTransport` on the other end. A package here is
//! the test format `FBPK | name length (u8) | name | version length (u8) | version | ..`;
//! installing one under a name already installed replaces it.

use fireball_smp::{Control, FrameDecoder, Image, Install, Rc, Refusal, Server, encode};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::net::UdpSocket;

/// Installed packages by name.
#[derive(Default)]
struct RamBoard {
    modules: Vec<(String, String, Vec<u8>)>,
}

/// Name and version of a test package.
fn parse(package: &[u8]) -> Option<(String, String)> {
    let rest = package.strip_prefix(b"FBPK")?;
    let (&n, rest) = rest.split_first()?;
    let name = std::str::from_utf8(rest.get(..usize::from(n))?).ok()?;
    let rest = &rest[usize::from(n)..];
    let (&v, rest) = rest.split_first()?;
    let version = std::str::from_utf8(rest.get(..usize::from(v))?).ok()?;
    (!name.is_empty()).then(|| (name.to_string(), version.to_string()))
}

impl Control for RamBoard {
    fn images(&self) -> Vec<Image> {
        self.modules
            .iter()
            .map(|(name, version, bytes)| Image {
                name: name.clone(),
                version: version.clone(),
                hash: Sha256::digest(bytes).into(),
                active: true,
                confirmed: true,
                pending: false,
                permanent: false,
                bootable: true,
            })
            .collect()
    }

    fn install(&mut self, package: Vec<u8>) -> Result<Install, Refusal> {
        let Some((name, version)) = parse(&package) else {
            return Err(Refusal::new(Rc::Invalid, "not an FBPK test package"));
        };
        eprintln!("install {name} {version} ({} bytes)", package.len());
        self.modules.retain(|(n, _, _)| *n != name);
        self.modules.push((name, version, package));
        Ok(Install::Done)
    }

    fn remove(&mut self, name: &str) -> Result<(), Refusal> {
        let before = self.modules.len();
        self.modules.retain(|(n, _, _)| n != name);
        if self.modules.len() == before {
            return Err(Refusal::new(Rc::NoEntry, "no module by that name"));
        }
        eprintln!("remove {name}");
        Ok(())
    }
}

/// The serial framing on stdin and stdout, until stdin ends.
fn stdio() -> std::io::Result<()> {
    let buf_size = 1024;
    // The serial buffer holds the frame's length and CRC too (smpclient sends packets of
    // at most buf_size - 4).
    let mut decoder = FrameDecoder::new(usize::from(buf_size) - 4);
    let mut server = Server::new(256 * 1024).with_buffers(buf_size, 1);
    let mut board = RamBoard::default();
    let (mut input, mut output) = (std::io::stdin().lock(), std::io::stdout().lock());
    let mut bytes = [0u8; 256];
    let mut wire = Vec::new();
    loop {
        let n = input.read(&mut bytes)?;
        if n == 0 {
            return Ok(());
        }
        for &byte in &bytes[..n] {
            let response = match decoder.push(byte) {
                Ok(Some(packet)) => server.handle(packet, &mut board),
                Ok(None) => None,
                Err(e) => {
                    eprintln!("frame refused: {e}");
                    None
                }
            };
            if let Some(response) = response {
                wire.clear();
                if encode(&response, &mut wire).is_ok() {
                    eprintln!("{} B response, {} B framed", response.len(), wire.len());
                    output.write_all(&wire)?;
                    output.flush()?;
                }
            }
        }
    }
}

fn main() -> std::io::Result<()> {
    let arg = std::env::args().nth(1);
    if arg.as_deref() == Some("--stdio") {
        return stdio();
    }
    let port: u16 = arg.and_then(|p| p.parse().ok()).unwrap_or(0);
    let socket = UdpSocket::bind(("127.0.0.1", port))?;
    println!("listening on {}", socket.local_addr()?);
    let mut server = Server::new(256 * 1024).with_buffers(1024, 1);
    let mut board = RamBoard::default();
    let mut datagram = [0u8; 2048];
    loop {
        let (n, from) = socket.recv_from(&mut datagram)?;
        let packet = &datagram[..n];
        match server.handle(packet, &mut board) {
            Some(response) => {
                println!("{n} B from {from} -> {} B", response.len());
                socket.send_to(&response, from)?;
            }
            None => println!("{n} B from {from} -> no response"),
        }
    }
}
