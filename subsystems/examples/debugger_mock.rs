//! The debugger stub serving the scripted mock debuggee on TCP, for a manual check with
//! a stock LLDB 22:
//!
//! ```sh
//! cargo run -p fireball-subsystems --features debugger,std --example debugger_mock -- 127.0.0.1:4711
//! lldb-22 --batch -o "process connect --plugin wasm connect://127.0.0.1:4711" \
//!     -o "thread list" -o bt -o "register read pc" -o c
//! ```
//!
//! Two instances walk their stop locations, one every 20 ms (paths repeated so they run
//! for a while). The mock has no module file, so LLDB shows addresses, not source lines.
//! `TRACE=1` prints every packet in (`<-`) and out (`->`).

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use fireball_subsystems::debugger::Stub;
use fireball_subsystems::debugger::mock::MockDebuggee;

struct Tcp {
    stream: TcpStream,
    trace: bool,
}

impl gdbstub::conn::Connection for Tcp {
    type Error = std::io::Error;
    fn write(&mut self, byte: u8) -> std::io::Result<()> {
        self.write_all(&[byte])
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if self.trace {
            eprintln!("-> {}", String::from_utf8_lossy(buf));
        }
        self.stream.write_all(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.stream.flush()
    }
}

fn mock() -> MockDebuggee {
    let mut m = MockDebuggee::default();
    m.add(
        1,
        "aggregator",
        &[0x184, 0x18a, 0x190, 0x19c, 0x1a0].repeat(400),
    );
    m.add(2, "sensor-buffer", &[0x210, 0x214, 0x220].repeat(400));
    m
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:4711".into());
    let trace = std::env::var_os("TRACE").is_some();
    let listener = TcpListener::bind(&addr)?;
    eprintln!("debugger_mock: waiting for LLDB on {addr}");
    let mut debuggee = mock();
    loop {
        let (stream, peer) = listener.accept()?;
        eprintln!("debugger_mock: {peer} connected");
        stream.set_read_timeout(Some(Duration::from_millis(5)))?;
        stream.set_nodelay(true)?;
        let mut reader = stream.try_clone()?;
        let mut stub = Stub::new(Tcp { stream, trace });
        let mut turn = Instant::now();
        let mut buf = [0u8; 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if trace {
                        eprintln!("<- {}", String::from_utf8_lossy(&buf[..n]).escape_debug());
                    }
                    if stub.receive(&mut debuggee, &buf[..n]).is_err() {
                        break;
                    }
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => break,
            }
            if turn.elapsed() >= Duration::from_millis(20) {
                turn = Instant::now();
                debuggee.tick();
            }
            if stub.poll(&mut debuggee).is_err() {
                break;
            }
        }
        stub.disconnect(&mut debuggee);
        eprintln!("debugger_mock: {peer} gone, the instances run on");
        if debuggee.instances.is_empty() {
            debuggee = mock();
        }
    }
}
