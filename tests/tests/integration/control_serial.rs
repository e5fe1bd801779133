//! The control port's serial transport (issue 18: "UARTE framing of the control port"),
//! on the host against a fake UART: [`SerialPort`] over any `embedded-io` driver decodes
//! SMP's serial frames as their bytes arrive — in bursts, with gaps shorter than its
//! patience — answers each through the module manager, and frames the answer back; the
//! same code the QEMU image runs on its CMSDK UART1 and the nRF5340-DK image on UARTE1.

use std::collections::VecDeque;

use embedded_io::{ErrorKind, ErrorType, Read, ReadReady, Write};
use fireball_deploy::control::{ControlPort, SerialPort};
use fireball_smp::{FrameDecoder, Header, Op, encode};

use super::modules::{MANIFEST, caller, echo, keys};

/// A UART whose receiver holds `rx`: each entry a byte, or `None` for a poll that finds the
/// receiver empty (a gap on the line). What is written goes to `tx`.
#[derive(Default)]
struct FakeUart {
    rx: VecDeque<Option<u8>>,
    tx: Vec<u8>,
}

impl ErrorType for FakeUart {
    type Error = ErrorKind;
}

impl ReadReady for FakeUart {
    fn read_ready(&mut self) -> Result<bool, Self::Error> {
        match self.rx.front() {
            Some(Some(_)) => Ok(true),
            Some(None) => {
                self.rx.pop_front();
                Ok(false)
            }
            None => Ok(false),
        }
    }
}

impl Read for FakeUart {
    fn read(&mut self, buffer: &mut [u8]) -> Result<usize, Self::Error> {
        match self.rx.pop_front() {
            Some(Some(byte)) if !buffer.is_empty() => {
                buffer[0] = byte;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

impl Write for FakeUart {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, Self::Error> {
        self.tx.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// A request as a client frames it: group, id, op, sequence and a CBOR body.
fn frame(group: u16, id: u8, op: Op, seq: u8, body: &[u8]) -> Vec<u8> {
    let header = Header {
        op,
        version: 1,
        flags: 0,
        len: body.len() as u16,
        group,
        seq,
        id,
    };
    let mut packet = header.to_bytes().to_vec();
    packet.extend_from_slice(body);
    let mut wire = Vec::new();
    encode(&packet, &mut wire).unwrap();
    wire
}

/// The packets in `wire`, decoded as a client decodes them.
fn packets(wire: &[u8]) -> Vec<(Header, Vec<u8>)> {
    let mut decoder = FrameDecoder::new(4096);
    let mut out = Vec::new();
    for &byte in wire {
        if let Some(packet) = decoder.push(byte).unwrap() {
            let (header, body) = Header::split(packet).unwrap();
            out.push((header, body.to_vec()));
        }
    }
    out
}

fn system() -> (fireball_deploy::System, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, wat: &str| {
        std::fs::write(dir.path().join(name), wat::parse_str(wat).unwrap()).unwrap();
    };
    write("echo.wasm", &echo(""));
    write("app.wasm", &caller(1));
    let (board, _) = keys();
    std::fs::write(dir.path().join("board.pub"), board.public_key().to_bytes()).unwrap();
    let dirs = fireball_manifest::ModuleDirs {
        manifest_dir: dir.path().to_path_buf(),
        modules_dir: dir.path().to_path_buf(),
    };
    let manifest = fireball_manifest::Manifest::parse(MANIFEST).unwrap();
    let options = fireball::deploy::RunOptions {
        output: fireball::deploy::Output::Buffer(fireball_subsystems::host::BufferConsole::new()),
        ..Default::default()
    };
    (
        fireball::deploy::boot(&manifest, &dirs, options).unwrap(),
        dir,
    )
}

/// SMP OS echo `{"d": "hi"}` and its answer `{"r": "hi"}`.
const ECHO: &[u8] = &[0xA1, 0x61, b'd', 0x62, b'h', b'i'];
const ECHOED: &[u8] = &[0xA1, 0x61, b'r', 0x62, b'h', b'i'];

#[test]
fn requests_arriving_in_bursts_are_each_answered_with_one_framed_response() {
    let (mut system, _dir) = system();
    let mut port = ControlPort::new(&system, 1024, 1);
    let mut uart = FakeUart::default();
    // Two requests, the first cut by gaps of a few empty polls, the second right after it.
    let first = frame(0, 0, Op::Write, 7, ECHO);
    for (i, &byte) in first.iter().enumerate() {
        if i % 5 == 4 {
            uart.rx.extend([None, None, None]);
        }
        uart.rx.push_back(Some(byte));
    }
    // Fireball's module list (group 64, id 1, read `{}`).
    uart.rx
        .extend(frame(64, 1, Op::Read, 8, &[0xA0]).into_iter().map(Some));
    let mut serial = SerialPort::new(&system, uart, 1024, 10);
    serial.receive(&mut port, &mut system);
    let out = packets(&serial.transport().tx);
    assert_eq!(out.len(), 2, "one response per request");
    let (echo, body) = &out[0];
    assert_eq!(
        (echo.op, echo.group, echo.id, echo.seq),
        (Op::WriteRsp, 0, 0, 7)
    );
    assert_eq!(body, ECHOED);
    let (list, body) = &out[1];
    assert_eq!((list.op, list.group, list.seq), (Op::ReadRsp, 64, 8));
    // The deployment's two modules, by name, in the CBOR body.
    let text = String::from_utf8_lossy(body);
    assert!(text.contains("echo") && text.contains("app"), "{text}");
    assert!(!port.reset_requested());
}

#[test]
fn a_gap_longer_than_its_patience_hands_the_loop_back_and_the_frame_completes_later() {
    let (mut system, _dir) = system();
    let mut port = ControlPort::new(&system, 1024, 1);
    let mut uart = FakeUart::default();
    let request = frame(0, 0, Op::Write, 1, ECHO);
    let (head, tail) = request.split_at(request.len() / 2);
    uart.rx.extend(head.iter().copied().map(Some));
    uart.rx.extend(std::iter::repeat_n(None, 15));
    uart.rx.extend(tail.iter().copied().map(Some));
    let mut serial = SerialPort::new(&system, uart, 1024, 10);
    serial.receive(&mut port, &mut system);
    assert!(
        serial.transport().tx.is_empty(),
        "nothing answered mid-frame"
    );
    // The next turn's poll sits out the rest of the gap and reads the rest: the frame
    // decoder kept the first half.
    serial.receive(&mut port, &mut system);
    let out = packets(&serial.transport().tx);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].1, ECHOED);
}

#[test]
fn a_damaged_frame_is_dropped_and_a_reset_request_stops_the_reading() {
    let (mut system, _dir) = system();
    let mut port = ControlPort::new(&system, 1024, 1);
    let mut uart = FakeUart::default();
    let mut damaged = frame(0, 0, Op::Write, 2, ECHO);
    let at = damaged.len() / 2;
    damaged[at] = if damaged[at] == b'A' { b'B' } else { b'A' };
    uart.rx.extend(damaged.into_iter().map(Some));
    // OS reset (group 0, id 5, write `{}`), then an echo the loop must not read.
    uart.rx
        .extend(frame(0, 5, Op::Write, 3, &[0xA0]).into_iter().map(Some));
    let after = frame(0, 0, Op::Write, 4, ECHO);
    uart.rx.extend(after.iter().copied().map(Some));
    let mut serial = SerialPort::new(&system, uart, 1024, 10);
    serial.receive(&mut port, &mut system);
    let out = packets(&serial.transport().tx);
    assert_eq!(
        out.len(),
        1,
        "the damaged frame gets no answer: the client resends"
    );
    assert_eq!((out[0].0.group, out[0].0.id, out[0].0.seq), (0, 5, 3));
    assert!(port.reset_requested());
    assert_eq!(serial.transport().rx.len(), after.len(), "left unread");
}
