//! The `debugger` subsystem: a GDB remote stub with LLDB's WebAssembly extensions.
//!
//! The stub speaks the protocol over any byte stream (TCP loopback on the host, a UART on
//! a board) and drives whatever implements [`Debuggee`] — the vSoC's debug support, which
//! sees the instances built for debugging (`docs/debugger.md`). It is polled between
//! scheduler turns like the control port, so only the debugged instance ever waits.
//!
//! # Threads and addresses
//!
//! Every debuggable instance is one thread of one process; its thread id is
//! [`InstanceId`] (≥ 1) and its module id in LLDB's 64-bit WebAssembly addresses is the
//! same number: code `0x4000_0000_0000_0000 | id << 32 | offset into the module file`,
//! linear memory `id << 32 | offset`.
//!
//! # The stub
//!
//! [`Stub`] wraps the `gdbstub` crate's non-blocking state machine. Bytes from the
//! transport go to [`Stub::receive`] (answers go straight back to the transport), and
//! [`Stub::poll`] runs between scheduler turns to report what the debuggee did while LLDB
//! waited. The debuggee is lent for each call (`&mut dyn Debuggee`), never kept.
//!
//! - Sessions: the first packet attaches (`Debuggee::attach(true)`); `D`, `k` or
//!   [`Stub::disconnect`] (the transport lost its peer) detach and leave the instances
//!   running (`k` does not kill: the hypervisor owns the instances). A new session can
//!   follow on the same stub.
//! - Stops: `?` answers with a paused instance if there is one, else interrupts them all
//!   and answers at the first stop. `vCont` resumes every paused instance (`c`) or steps
//!   one (`s:tid`), others as the action list says; Ctrl-C interrupts all and reports
//!   the first stop as `SIGINT`. A breakpoint stop is `T05thread:ID;swbreak:;`, a step
//!   `T05thread:ID;` (LLDB turns a SIGTRAP at a breakpoint site into "breakpoint" and one
//!   after a step into "trace"). A stop that happens while LLDB is looking is reported at
//!   the next resume (that instance is not resumed); stops from an interrupt-all that
//!   LLDB did not wait for are dropped.
//! - Exit: when the last debuggable instance is gone the process exits (`W00` when it
//!   returned, `X09` when it trapped) and the session ends; instances that go while
//!   others remain just leave the thread list (gdbstub 0.7 has no thread-exit stop).
//! - Bounds: a packet is at most [`PACKET_SIZE`] bytes with its framing (also the
//!   `PacketSize` advertised); a longer one, a bad checksum or a packet gdbstub cannot
//!   parse gets an error reply and the session goes on. Nothing the client sends panics.
//! - Queries: `qXfer:libraries:read` (one library per instance, named by
//!   [`Debuggee::names`], at its code address 0), `qWasmCallStack`, `qWasmLocal`,
//!   `qWasmGlobal`, `qWasmStackValue` (always empty: no operand stack is kept),
//!   `qHostInfo` / `qProcessInfo` (`wasm32-unknown-unknown-wasm`), one register (`pc`,
//!   frame 0's code address), `qThreadExtraInfo` (the component name), and
//!   `monitor ps` (the instances and their state).

mod frame;
mod lent;
pub mod mock;
mod stub;
mod target;
#[cfg(test)]
mod tests;

/// The byte sink a [`Stub`] writes its replies to (gdbstub's).
pub use gdbstub::conn::Connection;
pub use stub::{Outbox, Stub, StubError};

/// The largest packet the stub takes, framing (`$`, `#cs`) included, and the reply
/// buffer gdbstub allocates once per stub.
pub const PACKET_SIZE: usize = 2048;

/// The code address of `offset` in instance `id`'s module.
pub const fn code_address(id: InstanceId, offset: u32) -> u64 {
    1u64 << 62 | (id as u64) << 32 | offset as u64
}

/// The linear-memory address of `offset` in instance `id`'s memory.
pub const fn memory_address(id: InstanceId, offset: u32) -> u64 {
    (id as u64) << 32 | offset as u64
}

/// A debuggable instance: its thread id, and its module id in WebAssembly addresses.
pub type InstanceId = u32;

/// Why an instance stopped for the debugger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopKind {
    /// At an armed code breakpoint.
    Breakpoint,
    /// A single step finished (the next stop location was reached).
    Step,
    /// Stopped because the debugger asked (`interrupt`).
    Interrupted,
}

/// What the debugger learns about an instance it did not stop itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// `id` paused for `kind`.
    Stopped(InstanceId, StopKind),
    /// `id` returned from its entry point: it is gone.
    Finished(InstanceId),
    /// `id` trapped or was stopped by the hypervisor: it is gone.
    Died(InstanceId),
}

/// How a paused instance goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    /// Run until a breakpoint or an interrupt.
    Continue,
    /// Run to the next stop location (any frame), then stop with [`StopKind::Step`].
    Step,
}

/// Why the debuggee refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DebugError {
    /// No debuggable instance has this id (or it is gone).
    NoInstance,
    /// The instance is running: its frames, locals and memory are only readable while
    /// it is paused.
    Running,
    /// The frame, local, global or address does not exist.
    OutOfRange,
    /// Every breakpoint slot of the instance is taken.
    BreakpointsFull,
}

/// The debugger's view of the hypervisor: the instances built for debugging.
///
/// Implemented by the vSoC (`fireball_vsoc::debug`); the stub never sees wasmi.
pub trait Debuggee {
    /// Call `f` with every debuggable instance that is alive, in ascending id order.
    fn instances(&self, f: &mut dyn FnMut(InstanceId));
    /// Call `f` with the instance's component name (`aggregator`) and the name its module
    /// is reported under as a library (the path of the module file with DWARF on the host
    /// that built it, or the component name).
    fn names(&self, id: InstanceId, f: &mut dyn FnMut(&str, &str)) -> Result<(), DebugError>;
    /// Whether the instance is paused (stopped for the debugger).
    fn is_paused(&self, id: InstanceId) -> Result<bool, DebugError>;
    /// The next thing that happened to a debuggable instance since the last call, if any.
    fn poll_event(&mut self) -> Option<Event>;
    /// Let a paused instance go on; a running one is left alone.
    fn resume(&mut self, id: InstanceId, how: Resume) -> Result<(), DebugError>;
    /// Ask a running instance to stop at its next stop location (it reports
    /// [`StopKind::Interrupted`] through [`poll_event`](Self::poll_event)).
    fn interrupt(&mut self, id: InstanceId) -> Result<(), DebugError>;
    /// Attach (`true`: instances record what a debugger needs, e.g. every frame's locals)
    /// or detach (`false`: breakpoints cleared, paused instances resumed).
    fn attach(&mut self, attached: bool);
    /// Call `f` with the code offset of each frame of a paused instance, innermost first
    /// (outer frames: the return address, the offset after the call).
    fn call_stack(&self, id: InstanceId, f: &mut dyn FnMut(u32)) -> Result<(), DebugError>;
    /// Local `index` of frame `frame` (0 innermost) of a paused instance, little endian at
    /// its natural width, into `buf`; the number of bytes written.
    fn read_local(
        &self,
        id: InstanceId,
        frame: usize,
        index: u32,
        buf: &mut [u8],
    ) -> Result<usize, DebugError>;
    /// Global `index` of a paused instance, like [`read_local`](Self::read_local).
    fn read_global(&self, id: InstanceId, index: u32, buf: &mut [u8]) -> Result<usize, DebugError>;
    /// Bytes of a paused instance's linear memory from `offset`: as many as fit `buf` and
    /// exist; the number read (0 past the end is [`DebugError::OutOfRange`]).
    fn read_memory(&self, id: InstanceId, offset: u32, buf: &mut [u8])
    -> Result<usize, DebugError>;
    /// Arm a breakpoint at code offset `offset` (a stop location; any other offset is never
    /// reached and the breakpoint never hits, as on a line without code).
    fn set_breakpoint(&mut self, id: InstanceId, offset: u32) -> Result<(), DebugError>;
    /// Disarm it; `Ok(false)` when none was armed there.
    fn clear_breakpoint(&mut self, id: InstanceId, offset: u32) -> Result<bool, DebugError>;
    /// Write a table of every instance of the hypervisor, debuggable or not (`monitor ps`):
    /// one line each with its name, state and counters, so a user sees the rest of the
    /// system run on while one component is stopped.
    fn ps(&self, out: &mut dyn core::fmt::Write) -> core::fmt::Result;
}
