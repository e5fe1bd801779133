//! [`Stub`]: gdbstub's state machine, fed whole packets by the [`Gate`], polled between
//! scheduler turns.

use alloc::vec::Vec;
use core::convert::Infallible;

use gdbstub::common::Signal;
use gdbstub::conn::Connection;
use gdbstub::stub::state_machine::GdbStubStateMachine;
use gdbstub::stub::{GdbStubBuilder, MultiThreadStopReason};
use gdbstub_arch::wasm::reg::id::WasmRegId;

use super::frame::{Framed, Gate, write_packet};
use super::lent::Lent;
use super::target::{Bridge, Exit, tid};
use super::{Debuggee, Event, PACKET_SIZE, StopKind};

type Machine = GdbStubStateMachine<'static, Bridge, Outbox>;
type Stop = MultiThreadStopReason<u64>;

/// A byte sink in memory: gdbstub's connection inside the stub (replies collect here and go
/// to the transport after each call), and a transport for tests and the fuzz target.
#[derive(Default)]
pub struct Outbox(pub Vec<u8>);

impl Connection for Outbox {
    type Error = Infallible;
    fn write(&mut self, byte: u8) -> Result<(), Infallible> {
        self.0.push(byte);
        Ok(())
    }
    fn write_all(&mut self, buf: &[u8]) -> Result<(), Infallible> {
        self.0.extend_from_slice(buf);
        Ok(())
    }
    fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// The transport failed; the session is over (call [`Stub::disconnect`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StubError<E> {
    /// Writing a reply to the transport failed with this error.
    Transport(E),
}

/// The GDB remote stub on one transport.
///
/// Owns the transport `C` (only written to: the caller reads it and hands the bytes to
/// [`receive`](Self::receive)). The debuggee is lent for each call, so the scheduler keeps
/// it between calls.
pub struct Stub<C: Connection> {
    transport: C,
    machine: Option<Machine>,
    bridge: Bridge,
    gate: Gate,
    /// A session is going on: `Debuggee::attach(true)` was called.
    attached: bool,
    /// `QStartNoAckMode` was accepted (replayed if gdbstub has to be rebuilt).
    no_ack: bool,
    /// The last `qSupported` (replayed likewise).
    supported: Vec<u8>,
    /// A `?` that waits for the first stop of an interrupt-all.
    held: Option<Vec<u8>>,
    /// Replies this call produced outside gdbstub, and the drained output.
    out: Vec<u8>,
}

impl<C: Connection> Stub<C> {
    /// A stub answering on `transport`; it attaches at the first packet.
    pub fn new(transport: C) -> Self {
        let mut bridge = Bridge::default();
        let machine = fresh(&mut bridge);
        Stub {
            transport,
            machine,
            bridge,
            gate: Gate::new(),
            attached: false,
            no_ack: false,
            supported: Vec::new(),
            held: None,
            out: Vec::new(),
        }
    }

    /// Whether a debugger is attached.
    pub fn is_attached(&self) -> bool {
        self.attached
    }

    /// The transport (e.g. to read from it).
    pub fn transport(&mut self) -> &mut C {
        &mut self.transport
    }

    /// Feed bytes received from the transport; answers go to the transport.
    pub fn receive(
        &mut self,
        debuggee: &mut dyn Debuggee,
        bytes: &[u8],
    ) -> Result<(), StubError<C::Error>> {
        Lent::scope(
            self,
            |s| &mut s.bridge.lent,
            debuggee,
            |s| {
                for &byte in bytes {
                    s.byte(byte);
                }
                s.settle();
            },
        );
        self.flush()
    }

    /// Between turns: report the stops and exits the debuggee produced while LLDB waited.
    pub fn poll(&mut self, debuggee: &mut dyn Debuggee) -> Result<(), StubError<C::Error>> {
        Lent::scope(
            self,
            |s| &mut s.bridge.lent,
            debuggee,
            |s| {
                while let Some(event) = s.bridge.debuggee_mut().and_then(|d| d.poll_event()) {
                    if s.attached {
                        s.event(event);
                    }
                }
                s.settle();
            },
        );
        self.flush()
    }

    /// The transport lost its peer: detach (the debuggee runs on) and wait for a new
    /// session on the same stub.
    pub fn disconnect(&mut self, debuggee: &mut dyn Debuggee) {
        if self.attached {
            debuggee.attach(false);
        }
        self.end_session();
    }

    fn end_session(&mut self) {
        self.attached = false;
        self.no_ack = false;
        self.supported.clear();
        self.held = None;
        self.gate.reset();
        self.bridge.pending.clear();
        self.bridge.exit = None;
        self.machine = fresh(&mut self.bridge);
        if let Some(m) = &mut self.machine {
            conn(m).0.clear();
        }
    }

    fn flush(&mut self) -> Result<(), StubError<C::Error>> {
        if let Some(m) = &mut self.machine {
            self.out.append(&mut conn(m).0);
        }
        if self.out.is_empty() {
            return Ok(());
        }
        let result = self
            .transport
            .write_all(&self.out)
            .and_then(|()| self.transport.flush());
        self.out.clear();
        result.map_err(StubError::Transport)
    }

    fn byte(&mut self, byte: u8) {
        let framed = match self.gate.push(byte) {
            None => return,
            Some(Framed::Packet(p)) => Framed::Packet(p),
            Some(other) => {
                match other {
                    Framed::Interrupt => {
                        if self.attached {
                            self.feed(&[0x03]);
                        }
                    }
                    Framed::Oversized => self.reply_error(b"E22"),
                    // A bad checksum: NAK in ack mode (LLDB resends), else an error.
                    _ if !self.no_ack => self.out.push(b'-'),
                    _ => self.reply_error(b"E22"),
                }
                return;
            }
        };
        let Framed::Packet(packet) = framed else {
            return;
        };
        let packet = packet.to_vec();
        if !self.attached {
            self.attached = true;
            if let Some(d) = self.bridge.debuggee_mut() {
                d.attach(true);
            }
        }
        let body = &packet[1..packet.len() - 3];
        if body == b"?" && self.interrupt_for_stop() {
            self.held = Some(packet);
            return;
        }
        if body.starts_with(b"qSupported") {
            self.supported = packet.clone();
        }
        if self.feed(&packet) && body == b"QStartNoAckMode" {
            self.no_ack = true;
        }
    }

    /// `?` with no paused instance: interrupt them all; `true` when the answer waits for
    /// the first stop.
    fn interrupt_for_stop(&mut self) -> bool {
        let ids = self.bridge.threads();
        let Some(d) = self.bridge.debuggee_mut() else {
            return false;
        };
        if ids.is_empty() || ids.iter().any(|id| d.is_paused(*id) == Ok(true)) {
            return false;
        }
        for id in ids {
            let _ = d.interrupt(id);
        }
        true
    }

    /// An ack (in ack mode) and an error reply, for a packet gdbstub never saw.
    fn reply_error(&mut self, body: &[u8]) {
        if !self.no_ack {
            self.out.push(b'+');
        }
        write_packet(&mut self.out, body);
    }

    /// Hand one checked packet to gdbstub; `false` if gdbstub refused it (it is then
    /// rebuilt with this session's no-ack mode and features, and the packet gets `E01`).
    fn feed(&mut self, packet: &[u8]) -> bool {
        let Some(mut m) = self.machine.take() else {
            self.rebuild();
            self.reply_error(b"E01");
            return false;
        };
        // Earlier answers are kept apart: a refused packet loses only its own.
        self.out.append(&mut conn(&mut m).0);
        for &byte in packet {
            let next = match m {
                GdbStubStateMachine::Idle(s) => s.incoming_data(&mut self.bridge, byte),
                GdbStubStateMachine::Running(s) => s.incoming_data(&mut self.bridge, byte),
                // Only reached between packets, and `settle` leaves neither state behind.
                other @ (GdbStubStateMachine::CtrlCInterrupt(_)
                | GdbStubStateMachine::Disconnected(_)) => {
                    self.machine = Some(other);
                    self.settle();
                    return self.feed(packet);
                }
            };
            m = match next {
                Ok(next) => next,
                Err(_) => {
                    self.rebuild();
                    self.reply_error(b"E01");
                    return false;
                }
            };
        }
        self.machine = Some(m);
        self.settle();
        true
    }

    /// A fresh gdbstub in this session's state (no-ack mode, features), output discarded.
    fn rebuild(&mut self) {
        self.machine = fresh(&mut self.bridge);
        let mut replay: Vec<Vec<u8>> = Vec::new();
        if !self.supported.is_empty() {
            replay.push(self.supported.clone());
        }
        if self.no_ack {
            let mut p = Vec::new();
            write_packet(&mut p, b"QStartNoAckMode");
            replay.push(p);
        }
        for packet in replay {
            let Some(mut m) = self.machine.take() else {
                return;
            };
            for &byte in &packet {
                m = match m {
                    GdbStubStateMachine::Idle(s) => match s.incoming_data(&mut self.bridge, byte) {
                        Ok(m) => m,
                        Err(_) => return,
                    },
                    other => other,
                };
            }
            conn(&mut m).0.clear();
            self.machine = Some(m);
        }
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::Stopped(id, kind) => {
                self.bridge.pending.retain(|(p, _)| *p != id);
                self.bridge.pending.push_back((id, kind));
                if let Some(held) = self.held.take() {
                    // Answer the held `?`: the stopped instance is listed first.
                    self.bridge.pending.retain(|(p, _)| *p != id);
                    self.feed(&held);
                }
            }
            Event::Finished(id) | Event::Died(id) => {
                self.bridge.pending.retain(|(p, _)| *p != id);
                if self.bridge.threads().is_empty() {
                    self.bridge.exit = Some(match event {
                        Event::Finished(_) => Exit::Finished,
                        _ => Exit::Died,
                    });
                    if let Some(held) = self.held.take() {
                        self.feed(&held);
                    }
                }
            }
        }
    }

    /// Move gdbstub on from the states that need the stub: a Ctrl-C (interrupt every
    /// instance), a disconnect (detach), a pending stop while LLDB waits (report it).
    fn settle(&mut self) {
        loop {
            let Some(m) = self.machine.take() else { return };
            let next = match m {
                GdbStubStateMachine::Idle(s) => {
                    // LLDB is looking: stops of an interrupt-all are not news.
                    self.bridge
                        .pending
                        .retain(|(_, kind)| *kind != StopKind::Interrupted);
                    self.machine = Some(s.into());
                    return;
                }
                GdbStubStateMachine::CtrlCInterrupt(s) => {
                    let ids = self.bridge.threads();
                    if let Some(d) = self.bridge.debuggee_mut() {
                        for id in ids {
                            let _ = d.interrupt(id);
                        }
                    }
                    s.interrupt_handled(&mut self.bridge, None::<Stop>)
                }
                GdbStubStateMachine::Disconnected(mut s) => {
                    self.out.append(&mut s.borrow_conn().0);
                    if let Some(d) = self.bridge.debuggee_mut() {
                        d.attach(false);
                    }
                    let out = core::mem::take(&mut self.out);
                    self.end_session();
                    self.out = out;
                    return;
                }
                GdbStubStateMachine::Running(mut s) => {
                    let mark = s.borrow_conn().0.len();
                    let (stop, reason, pc) = self.next_stop();
                    // The pc goes with the stop (expedited): LLDB matches it against its
                    // breakpoint sites before it reads any register.
                    let pc = pc.map(u64::to_le_bytes);
                    let mut regs = pc.iter().map(|pc| (WasmRegId::Pc, &pc[..]));
                    match stop {
                        Some(stop) => s
                            .report_stop_with_regs(&mut self.bridge, stop, &mut regs)
                            .map(|mut m| {
                                if let Some(reason) = reason {
                                    add_reason(&mut conn(&mut m).0, mark, reason);
                                }
                                m
                            }),
                        None => {
                            self.machine = Some(s.into());
                            return;
                        }
                    }
                }
            };
            match next {
                Ok(m) => self.machine = Some(m),
                Err(_) => {
                    self.rebuild();
                    self.reply_error(b"E01");
                    return;
                }
            }
        }
    }
}

impl<C: Connection> Stub<C> {
    /// The stop to report while LLDB waits, with the `reason` key LLDB 22 needs to call
    /// it a breakpoint or a step (gdbstub's `swbreak` alone shows as "signal SIGTRAP").
    fn next_stop(&mut self) -> (Option<Stop>, Option<&'static [u8]>, Option<u64>) {
        if let Some((id, kind)) = self.bridge.pending.pop_front() {
            let Some(tid) = tid(id) else {
                return (None, None, None);
            };
            let pc = self.bridge.pc(id).ok();
            let (stop, reason): (_, Option<&'static [u8]>) = match kind {
                StopKind::Breakpoint => (Some(Stop::SwBreak(tid)), Some(b"reason:breakpoint;")),
                StopKind::Step => (
                    Some(Stop::SignalWithThread {
                        tid,
                        signal: Signal::SIGTRAP,
                    }),
                    Some(b"reason:trace;"),
                ),
                StopKind::Interrupted => (
                    Some(Stop::SignalWithThread {
                        tid,
                        signal: Signal::SIGINT,
                    }),
                    None,
                ),
            };
            return (stop, reason, pc);
        }
        let exit = self.bridge.exit.take().map(|exit| match exit {
            Exit::Finished => Stop::Exited(0),
            Exit::Died => Stop::Terminated(Signal::SIGKILL),
        });
        (exit, None, None)
    }
}

/// Append `key` to the body of the stop reply written at `out[mark..]` (re-summed).
fn add_reason(out: &mut Vec<u8>, mark: usize, key: &[u8]) {
    let Some(start) = out[mark..]
        .iter()
        .position(|b| *b == b'$')
        .map(|i| mark + i)
    else {
        return;
    };
    if out.len() < start + 4 || out[out.len() - 3] != b'#' {
        return;
    }
    let mut body = out[start + 1..out.len() - 3].to_vec();
    body.extend_from_slice(key);
    out.truncate(start);
    write_packet(out, &body);
}

fn conn(m: &mut Machine) -> &mut Outbox {
    match m {
        GdbStubStateMachine::Idle(s) => s.borrow_conn(),
        GdbStubStateMachine::Running(s) => s.borrow_conn(),
        GdbStubStateMachine::CtrlCInterrupt(s) => s.borrow_conn(),
        GdbStubStateMachine::Disconnected(s) => s.borrow_conn(),
    }
}

/// A new gdbstub session (`None` only if gdbstub refuses the configuration).
fn fresh(bridge: &mut Bridge) -> Option<Machine> {
    let stub = GdbStubBuilder::new(Outbox::default())
        .packet_buffer_size(PACKET_SIZE)
        .build()
        .ok()?;
    stub.run_state_machine(bridge).ok()
}
