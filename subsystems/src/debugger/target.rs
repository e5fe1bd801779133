//! [`Bridge`]: gdbstub's `Target`, answering from the lent [`Debuggee`].
//!
//! Every refusal is non-fatal: an `Exx` reply (errno numbers: `E03` no such instance,
//! `E10` running, `E0e` out of range, `E1c` breakpoint slots full, `E16` an address of
//! the wrong space), or an empty reply for the Wasm queries, whose gdbstub hooks cannot
//! send errors (LLDB then shows the value as unavailable).

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::convert::Infallible;
use core::fmt::Write as _;
use core::num::NonZeroUsize;

use gdbstub::arch::lldb::{Encoding, Format, Generic, Register};
use gdbstub::common::{Endianness, Pid, Signal, Tid};
use gdbstub::outputln;
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::ext::base::multithread::{
    MultiThreadBase, MultiThreadResume, MultiThreadResumeOps, MultiThreadSchedulerLocking,
    MultiThreadSchedulerLockingOps, MultiThreadSingleStep, MultiThreadSingleStepOps,
};
use gdbstub::target::ext::base::single_register_access::{
    SingleRegisterAccess, SingleRegisterAccessOps,
};
use gdbstub::target::ext::breakpoints::{
    Breakpoints, BreakpointsOps, SwBreakpoint, SwBreakpointOps,
};
use gdbstub::target::ext::host_info::{HostInfo, HostInfoOps, HostInfoResponse};
use gdbstub::target::ext::libraries::{Libraries, LibrariesOps};
use gdbstub::target::ext::lldb_register_info_override::{
    Callback, CallbackToken, LldbRegisterInfoOverride, LldbRegisterInfoOverrideOps,
};
use gdbstub::target::ext::monitor_cmd::{ConsoleOutput, MonitorCmd, MonitorCmdOps};
use gdbstub::target::ext::process_info::{ProcessInfo, ProcessInfoOps, ProcessInfoResponse};
use gdbstub::target::ext::thread_extra_info::{ThreadExtraInfo, ThreadExtraInfoOps};
use gdbstub::target::ext::wasm::{Wasm, WasmOps};
use gdbstub::target::{Target, TargetError, TargetResult};
use gdbstub_arch::wasm::Wasm as WasmArch;
use gdbstub_arch::wasm::addr::{WasmAddr, WasmAddrType};
use gdbstub_arch::wasm::reg::WasmRegisters;
use gdbstub_arch::wasm::reg::id::WasmRegId;

use super::lent::Lent;
use super::{DebugError, Debuggee, InstanceId, Resume, StopKind, code_address};

/// The triple LLDB's WebAssembly plugin expects.
const TRIPLE: &str = "wasm32-unknown-unknown-wasm";

/// errno numbers for the `Exx` replies.
const ESRCH: u8 = 0x03;
const EBUSY: u8 = 0x10;
const EFAULT: u8 = 0x0e;
const ENOSPC: u8 = 0x1c;
const EINVAL: u8 = 0x16;

fn errno(e: DebugError) -> TargetError<Infallible> {
    TargetError::Errno(match e {
        DebugError::NoInstance => ESRCH,
        DebugError::Running => EBUSY,
        DebugError::OutOfRange => EFAULT,
        DebugError::BreakpointsFull => ENOSPC,
    })
}

pub(super) fn tid(id: InstanceId) -> Option<Tid> {
    NonZeroUsize::new(usize::try_from(id).ok()?)
}

fn instance(tid: Tid) -> InstanceId {
    // A thread id LLDB sends that is no u32 names no instance: 0 is never one.
    InstanceId::try_from(tid.get()).unwrap_or(0)
}

/// How the process ended, once the last debuggable instance is gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Exit {
    /// The last one returned from its entry point: `W00`.
    Finished,
    /// The last one trapped or was stopped: `X09` (SIGKILL).
    Died,
}

/// The stub's session state that gdbstub's target callbacks read and write.
#[derive(Default)]
pub(super) struct Bridge {
    pub(super) lent: Lent,
    /// Stops not reported yet (at most one per instance), oldest first.
    pub(super) pending: VecDeque<(InstanceId, StopKind)>,
    /// Set once the last instance is gone, until reported.
    pub(super) exit: Option<Exit>,
    /// The explicit actions of the `vCont` being parsed.
    actions: Vec<(InstanceId, Resume)>,
    /// No wildcard action in that `vCont`: threads without an action stay paused.
    locked: bool,
}

impl Bridge {
    pub(super) fn debuggee(&self) -> Option<&dyn Debuggee> {
        self.lent.get()
    }

    pub(super) fn debuggee_mut(&mut self) -> Option<&mut dyn Debuggee> {
        self.lent.get_mut()
    }

    fn with<R>(
        &self,
        f: impl FnOnce(&dyn Debuggee) -> Result<R, DebugError>,
    ) -> TargetResult<R, Self> {
        let d = self.debuggee().ok_or(TargetError::Errno(ESRCH))?;
        f(d).map_err(errno)
    }

    /// The live instances, paused ones first (so gdbstub's `?` names a paused thread).
    pub(super) fn threads(&self) -> Vec<InstanceId> {
        let mut ids = Vec::new();
        if let Some(d) = self.debuggee() {
            d.instances(&mut |id| ids.push(id));
            ids.sort_by_key(|id| (d.is_paused(*id) != Ok(true), *id));
        }
        ids
    }

    /// The code address of frame 0 of a paused instance.
    pub(super) fn pc(&self, id: InstanceId) -> TargetResult<u64, Self> {
        let mut pc = None;
        self.with(|d| {
            d.call_stack(id, &mut |offset| {
                pc = pc.or(Some(offset));
            })
        })?;
        Ok(code_address(id, pc.ok_or(TargetError::Errno(EFAULT))?))
    }

    /// A `Z0`/`z0` address: a code address of an instance (module id = instance id).
    fn code_target(addr: u64) -> TargetResult<(InstanceId, u32), Self> {
        match WasmAddr::from_raw(addr) {
            Some(a) if a.addr_type() == WasmAddrType::Object => Ok((a.module_index(), a.offset())),
            _ => Err(TargetError::Errno(EINVAL)),
        }
    }

    /// The library list XML (`qXfer:libraries:read`).
    fn library_list(&self) -> String {
        let mut xml = String::from("<library-list>");
        if let Some(d) = self.debuggee() {
            let mut ids = Vec::new();
            d.instances(&mut |id| ids.push(id));
            for id in ids {
                let _ = d.names(id, &mut |_, library| {
                    xml.push_str("<library name=\"");
                    escape_xml(&mut xml, library);
                    let _ = write!(
                        xml,
                        "\"><section address=\"{:#x}\"/></library>",
                        code_address(id, 0)
                    );
                });
            }
        }
        xml.push_str("</library-list>");
        xml
    }
}

fn escape_xml(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

/// Copy `data[offset..]` into `buf` (at most `length` bytes): the `qXfer` contract.
fn xfer(data: &[u8], offset: u64, length: usize, buf: &mut [u8]) -> usize {
    let Some(rest) = usize::try_from(offset).ok().and_then(|o| data.get(o..)) else {
        return 0;
    };
    let n = rest.len().min(length).min(buf.len());
    buf[..n].copy_from_slice(&rest[..n]);
    n
}

impl Target for Bridge {
    type Arch = WasmArch;
    type Error = Infallible;

    fn base_ops(&mut self) -> BaseOps<'_, WasmArch, Infallible> {
        BaseOps::MultiThread(self)
    }
    fn use_rle(&self) -> bool {
        false
    }
    fn use_lldb_register_info(&self) -> bool {
        true
    }
    fn support_lldb_register_info_override(
        &mut self,
    ) -> Option<LldbRegisterInfoOverrideOps<'_, Self>> {
        Some(self)
    }
    fn support_breakpoints(&mut self) -> Option<BreakpointsOps<'_, Self>> {
        Some(self)
    }
    fn support_libraries(&mut self) -> Option<LibrariesOps<'_, Self>> {
        Some(self)
    }
    fn support_host_info(&mut self) -> Option<HostInfoOps<'_, Self>> {
        Some(self)
    }
    fn support_process_info(&mut self) -> Option<ProcessInfoOps<'_, Self>> {
        Some(self)
    }
    fn support_wasm(&mut self) -> Option<WasmOps<'_, Self>> {
        Some(self)
    }
    fn support_monitor_cmd(&mut self) -> Option<MonitorCmdOps<'_, Self>> {
        Some(self)
    }
}

impl MultiThreadBase for Bridge {
    fn read_registers(&mut self, regs: &mut WasmRegisters, tid: Tid) -> TargetResult<(), Self> {
        regs.pc = self.pc(instance(tid))?;
        Ok(())
    }

    fn write_registers(&mut self, _: &WasmRegisters, _: Tid) -> TargetResult<(), Self> {
        Err(TargetError::Errno(EINVAL))
    }

    fn read_addrs(&mut self, start: u64, data: &mut [u8], t: Tid) -> TargetResult<usize, Self> {
        // Only linear memory: LLDB reads code from the module file the library list names.
        match WasmAddr::from_raw(start) {
            // Module 0 is no instance: LLDB reads a static at its plain DWARF address
            // (`target variable`) without naming a module — the selected thread's memory.
            Some(a) if a.addr_type() == WasmAddrType::Memory => {
                let id = match a.module_index() {
                    0 => instance(t),
                    id => id,
                };
                self.with(|d| d.read_memory(id, a.offset(), data))
            }
            _ => Err(TargetError::Errno(EINVAL)),
        }
    }

    fn write_addrs(&mut self, _: u64, _: &[u8], _: Tid) -> TargetResult<(), Self> {
        Err(TargetError::Errno(EINVAL))
    }

    fn list_active_threads(&mut self, active: &mut dyn FnMut(Tid)) -> Result<(), Infallible> {
        self.threads().into_iter().filter_map(tid).for_each(active);
        Ok(())
    }

    fn is_thread_alive(&mut self, t: Tid) -> Result<bool, Infallible> {
        let id = instance(t);
        Ok(self.debuggee().is_some_and(|d| d.is_paused(id).is_ok()))
    }

    fn support_single_register_access(&mut self) -> Option<SingleRegisterAccessOps<'_, Tid, Self>> {
        Some(self)
    }
    fn support_resume(&mut self) -> Option<MultiThreadResumeOps<'_, Self>> {
        Some(self)
    }
    fn support_thread_extra_info(&mut self) -> Option<ThreadExtraInfoOps<'_, Self>> {
        Some(self)
    }
}

impl SingleRegisterAccess<Tid> for Bridge {
    fn read_register(
        &mut self,
        tid: Tid,
        reg: WasmRegId,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        match reg {
            WasmRegId::Pc => {
                let bytes = self.pc(instance(tid))?.to_le_bytes();
                let n = bytes.len().min(buf.len());
                buf[..n].copy_from_slice(&bytes[..n]);
                Ok(n)
            }
            _ => Err(TargetError::Errno(EINVAL)),
        }
    }

    fn write_register(&mut self, _: Tid, _: WasmRegId, _: &[u8]) -> TargetResult<(), Self> {
        Err(TargetError::Errno(EINVAL))
    }
}

impl MultiThreadResume for Bridge {
    fn resume(&mut self) -> Result<(), Infallible> {
        // Stops LLDB has not seen yet keep their instance paused (reported right after);
        // stops from an interrupt-all are dropped and those instances go on.
        self.pending
            .retain(|(_, kind)| *kind != StopKind::Interrupted);
        let actions = core::mem::take(&mut self.actions);
        let locked = self.locked;
        let held: Vec<InstanceId> = self.pending.iter().map(|(id, _)| *id).collect();
        let ids = self.threads();
        if let Some(d) = self.debuggee_mut() {
            for id in ids {
                if d.is_paused(id) != Ok(true) || held.contains(&id) {
                    continue;
                }
                let how = match actions.iter().find(|(a, _)| *a == id) {
                    Some((_, how)) => *how,
                    None if locked => continue,
                    None => Resume::Continue,
                };
                let _ = d.resume(id, how);
            }
        }
        Ok(())
    }

    fn clear_resume_actions(&mut self) -> Result<(), Infallible> {
        self.actions.clear();
        self.locked = false;
        Ok(())
    }

    fn set_resume_action_continue(
        &mut self,
        tid: Tid,
        _: Option<Signal>,
    ) -> Result<(), Infallible> {
        self.actions.push((instance(tid), Resume::Continue));
        Ok(())
    }

    fn support_single_step(&mut self) -> Option<MultiThreadSingleStepOps<'_, Self>> {
        Some(self)
    }

    fn support_scheduler_locking(&mut self) -> Option<MultiThreadSchedulerLockingOps<'_, Self>> {
        Some(self)
    }
}

impl MultiThreadSingleStep for Bridge {
    fn set_resume_action_step(&mut self, tid: Tid, _: Option<Signal>) -> Result<(), Infallible> {
        self.actions.push((instance(tid), Resume::Step));
        Ok(())
    }
}

impl MultiThreadSchedulerLocking for Bridge {
    fn set_resume_action_scheduler_lock(&mut self) -> Result<(), Infallible> {
        self.locked = true;
        Ok(())
    }
}

impl Breakpoints for Bridge {
    fn support_sw_breakpoint(&mut self) -> Option<SwBreakpointOps<'_, Self>> {
        Some(self)
    }
}

impl SwBreakpoint for Bridge {
    fn add_sw_breakpoint(&mut self, addr: u64, _: usize) -> TargetResult<bool, Self> {
        let (id, offset) = Self::code_target(addr)?;
        let d = self.debuggee_mut().ok_or(TargetError::Errno(ESRCH))?;
        d.set_breakpoint(id, offset).map_err(errno)?;
        Ok(true)
    }

    fn remove_sw_breakpoint(&mut self, addr: u64, _: usize) -> TargetResult<bool, Self> {
        let (id, offset) = Self::code_target(addr)?;
        let d = self.debuggee_mut().ok_or(TargetError::Errno(ESRCH))?;
        d.clear_breakpoint(id, offset).map_err(errno)?;
        Ok(true)
    }
}

impl LldbRegisterInfoOverride for Bridge {
    fn lldb_register_info<'a>(
        &mut self,
        reg: usize,
        info: Callback<'a>,
    ) -> Result<CallbackToken<'a>, Infallible> {
        Ok(match reg {
            0 => info.write(Register {
                name: "pc",
                alt_name: Some("pc"),
                bitsize: 64,
                offset: 0,
                encoding: Encoding::Uint,
                format: Format::Hex,
                set: "General Purpose Registers",
                gcc: None,
                dwarf: None,
                generic: Some(Generic::Pc),
                container_regs: None,
                invalidate_regs: None,
            }),
            _ => info.done(),
        })
    }
}

impl Libraries for Bridge {
    fn get_libraries(
        &self,
        offset: u64,
        length: usize,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        Ok(xfer(self.library_list().as_bytes(), offset, length, buf))
    }
}

impl HostInfo for Bridge {
    fn host_info(&self, item: &mut dyn FnMut(&HostInfoResponse<'_>)) -> Result<(), Infallible> {
        item(&HostInfoResponse::Triple(TRIPLE));
        item(&HostInfoResponse::Endianness(Endianness::Little));
        item(&HostInfoResponse::PointerSize(4));
        Ok(())
    }
}

impl ProcessInfo for Bridge {
    fn process_info(
        &self,
        item: &mut dyn FnMut(&ProcessInfoResponse<'_>),
    ) -> Result<(), Infallible> {
        item(&ProcessInfoResponse::Pid(Pid::MIN));
        item(&ProcessInfoResponse::Triple(TRIPLE));
        item(&ProcessInfoResponse::Endianness(Endianness::Little));
        item(&ProcessInfoResponse::PointerSize(4));
        Ok(())
    }
}

impl ThreadExtraInfo for Bridge {
    fn thread_extra_info(&self, tid: Tid, buf: &mut [u8]) -> Result<usize, Infallible> {
        let mut name = String::new();
        if let Some(d) = self.debuggee() {
            let _ = d.names(instance(tid), &mut |component, _| name.push_str(component));
        }
        Ok(xfer(name.as_bytes(), 0, buf.len(), buf))
    }
}

impl MonitorCmd for Bridge {
    fn handle_monitor_cmd(
        &mut self,
        cmd: &[u8],
        mut out: ConsoleOutput<'_>,
    ) -> Result<(), Infallible> {
        match cmd {
            b"ps" => {
                let Some(d) = self.debuggee() else {
                    return Ok(());
                };
                let mut table = String::new();
                let _ = d.ps(&mut table);
                for line in table.lines() {
                    outputln!(out, "{line}");
                }
            }
            b"threads" => {
                let Some(d) = self.debuggee() else {
                    return Ok(());
                };
                let mut ids = Vec::new();
                d.instances(&mut |id| ids.push(id));
                outputln!(out, "  id  state    component");
                for id in ids {
                    let state = match d.is_paused(id) {
                        Ok(true) => "paused",
                        Ok(false) => "running",
                        Err(_) => "gone",
                    };
                    let mut name = String::new();
                    let _ = d.names(id, &mut |component, _| name.push_str(component));
                    outputln!(out, "{id:>4}  {state:<8} {name}");
                }
            }
            _ => outputln!(
                out,
                "monitor commands: ps (every component: state, slices, builtin calls, fuel), \
                 threads (the debuggable ones)"
            ),
        }
        Ok(())
    }
}

impl Wasm for Bridge {
    fn wasm_call_stack(&self, tid: Tid, next_pc: &mut dyn FnMut(u64)) -> Result<(), Infallible> {
        let id = instance(tid);
        if let Some(d) = self.debuggee() {
            let _ = d.call_stack(id, &mut |offset| next_pc(code_address(id, offset)));
        }
        Ok(())
    }

    fn read_wasm_local(
        &self,
        tid: Tid,
        frame: usize,
        local: usize,
        buf: &mut [u8],
    ) -> Result<usize, Infallible> {
        let Ok(local) = u32::try_from(local) else {
            return Ok(0);
        };
        Ok(self
            .with(|d| d.read_local(instance(tid), frame, local, buf))
            .unwrap_or(0))
    }

    fn read_wasm_global(
        &self,
        tid: Tid,
        _frame: usize,
        global: usize,
        buf: &mut [u8],
    ) -> Result<usize, Infallible> {
        let Ok(global) = u32::try_from(global) else {
            return Ok(0);
        };
        Ok(self
            .with(|d| d.read_global(instance(tid), global, buf))
            .unwrap_or(0))
    }

    /// No operand stack is kept: always empty.
    fn read_wasm_stack(
        &self,
        _: Tid,
        _: usize,
        _: usize,
        _: &mut [u8],
    ) -> Result<usize, Infallible> {
        Ok(0)
    }
}
