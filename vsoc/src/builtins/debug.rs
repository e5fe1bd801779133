//! The debug probes (`fireball_dbg`, feature `debug`): what an instrumented debug build
//! calls at its function entries and exits, stop locations and calls. They keep the
//! instance's [`Probes`](crate::probes::Probes) — shadow frames, locals — and pause the
//! instance when the debugger wants it stopped. Release modules never call them.

use fireball_abi::debug;
use fireball_subsystems::debugger::StopKind;

use super::{Caller, HostContext, LinkError, suspend};
use crate::{
    pending::Pending,
    probes::{Frame, Local, Probes},
};

/// The probe state of the calling instance. A module that imports the probes always has
/// it (the instance creates it from the imports), so `None` only guards a bug here.
fn probes<'a>(caller: &'a Caller<'_>) -> Option<&'a Probes> {
    caller.data().monitor.probes.as_deref()
}

fn record(caller: &Caller<'_>, index: i32, value: Local) {
    let Some(probes) = probes(caller) else { return };
    let mut frames = probes.frames.borrow_mut();
    let (Some(frame), Ok(index)) = (frames.last_mut(), usize::try_from(index)) else {
        return;
    };
    // A function has at most 50,000 locals (wasmi's limit): the index is bounded.
    if index >= frame.locals.len() {
        frame.locals.resize(index + 1, None);
    }
    frame.locals[index] = Some(value);
}

fn define<Params, Results>(
    linker: &mut wasmi::Linker<HostContext>,
    name: &'static str,
    func: impl wasmi::IntoFunc<HostContext, Params, Results>,
) -> Result<(), LinkError> {
    match linker.func_wrap(debug::MODULE, name, func) {
        Ok(_) => Ok(()),
        Err(_) => Err(LinkError::DefinedTwice(name)),
    }
}

pub(super) fn link(linker: &mut wasmi::Linker<HostContext>) -> Result<(), LinkError> {
    define(linker, debug::ENTER, |caller: Caller<'_>, body: i32| {
        if let Some(probes) = probes(&caller) {
            let mut frames = probes.frames.borrow_mut();
            frames.push(Frame {
                pc: body as u32,
                locals: alloc::vec::Vec::new(),
            });
            // A breakpoint on the body start (a function LLDB breaks on without skipping its
            // prologue): stop at the frame's first stop location, shown here.
            if probes.breakpoint_at(body as u32) {
                probes.entry_stop.set(Some((frames.len(), body as u32)));
            }
        }
    })?;
    define(linker, debug::LEAVE, |caller: Caller<'_>| {
        if let Some(probes) = probes(&caller) {
            let mut frames = probes.frames.borrow_mut();
            // A function that returns before its first stop location does not stop there.
            if probes
                .entry_stop
                .get()
                .is_some_and(|(at, _)| at == frames.len())
            {
                probes.entry_stop.set(None);
            }
            frames.pop();
        }
    })?;
    define(
        linker,
        debug::LINE,
        |caller: Caller<'_>, offset: i32| -> i32 {
            let Some(probes) = probes(&caller) else {
                return 0;
            };
            let mut frames = probes.frames.borrow_mut();
            let depth = frames.len();
            let Some(frame) = frames.last_mut() else {
                return 0;
            };
            frame.pc = offset as u32;
            if let Some((at, body)) = probes.entry_stop.get()
                && at == depth
            {
                // The frame stopped at on entry: shown at its body start, the breakpoint's.
                probes.entry_stop.set(None);
                frame.pc = body;
                probes.stopped.set(Some(StopKind::Breakpoint));
                return 1;
            }
            drop(frames);
            match probes.stop_at(offset as u32) {
                Some(kind) => {
                    probes.stopped.set(Some(kind));
                    1
                }
                None => 0,
            }
        },
    )?;
    define(linker, debug::CALL, |caller: Caller<'_>, ret: i32| -> i32 {
        let Some(probes) = probes(&caller) else {
            return 0;
        };
        if let Some(frame) = probes.frames.borrow_mut().last_mut() {
            frame.pc = ret as u32;
        }
        i32::from(probes.attached.get())
    })?;
    define(linker, debug::LOCAL_I32, |c: Caller<'_>, i: i32, v: i32| {
        record(&c, i, Local::I32(v))
    })?;
    define(linker, debug::LOCAL_I64, |c: Caller<'_>, i: i32, v: i64| {
        record(&c, i, Local::I64(v))
    })?;
    define(linker, debug::LOCAL_F32, |c: Caller<'_>, i: i32, v: f32| {
        record(&c, i, Local::F32(v))
    })?;
    define(linker, debug::LOCAL_F64, |c: Caller<'_>, i: i32, v: f64| {
        record(&c, i, Local::F64(v))
    })?;
    define(
        linker,
        debug::STOP,
        |mut caller: Caller<'_>| -> Result<(), wasmi::Error> {
            match probes(&caller).and_then(|p| p.stopped.get()) {
                Some(_) => Err(suspend(caller.data_mut(), Pending::Debug)),
                None => Ok(()),
            }
        },
    )?;
    Ok(())
}
