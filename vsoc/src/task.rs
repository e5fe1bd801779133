//! Instances as kernel tasks: one slice per poll, awaiting blocking builtins.
//!
//! `drive` is the future behind every spawned instance. Each poll runs one
//! turn of the instance; at the end of it (the context switch) the SoC's ISR
//! flags and timers are checked and due waiters woken. Out of fuel (or `yield`),
//! the task wakes itself and returns `Pending`, so the FIFO executor runs every
//! other ready task first. A blocking builtin is answered by awaiting the
//! kernel future for it (a channel's `send`/`recv`, a timer, an ISR flag) and
//! the guest resumes with the result. When the instance stops, the task ends
//! and the instance is dropped, which gives its memory back.

use alloc::rc::Rc;
use core::{fmt, future::poll_fn, task::Poll};

use fireball_kernel::sched::{Executor, TaskId, yield_now};

use crate::{
    builtins,
    instance::{Instance, Turn},
    monitor::{Monitor, RunState},
    registry::Registry,
    soc::Soc,
    stop::{StopReason, VsocEvent},
};

/// A spawned instance: its kernel task and its monitor.
#[derive(Clone, Debug)]
pub struct InstanceTask {
    /// The kernel task running it.
    pub id: TaskId,
    /// State, statistics and breakpoints of the instance.
    pub monitor: Rc<Monitor>,
}

/// The executor had no free task slot; the instance comes back (boxed: it is large).
pub struct ExecutorFull(pub alloc::boxed::Box<Instance>);

impl fmt::Debug for ExecutorFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExecutorFull(..)")
    }
}

/// Kernel task kinds (the observer and the vSoC's dump are told the component's name).
const GUEST_TASK: &str = "wasm-guest";
const SERVICE_TASK: &str = "wasm-service";

pub(crate) fn spawn(
    soc: &Rc<Soc>,
    registry: &Rc<Registry>,
    executor: &mut Executor,
    instance: Instance,
) -> Result<InstanceTask, ExecutorFull> {
    if executor.len() >= executor.capacity() {
        return Err(ExecutorFull(alloc::boxed::Box::new(instance)));
    }
    let monitor = instance.monitor();
    let placement = instance.placement();
    let name = match placement.partition {
        fireball_kernel::mem::PartitionId::Services => SERVICE_TASK,
        _ => GUEST_TASK,
    };
    let future = drive(instance, soc.clone(), registry.clone());
    // The capacity check above leaves a free slot, so this cannot be `Full`.
    let id = executor
        .spawn_labelled_in(name, monitor.name(), placement, future)
        .map_err(|_| ())
        .ok();
    let Some(id) = id else {
        unreachable!("a free task slot was checked for")
    };
    registry
        .monitors
        .borrow_mut()
        .retain(|(task, _)| executor.contains(*task));
    registry.monitors.borrow_mut().push((id, monitor.clone()));
    Ok(InstanceTask { id, monitor })
}

/// The task body of one instance.
pub(crate) async fn drive(mut instance: Instance, soc: Rc<Soc>, registry: Rc<Registry>) {
    let monitor = instance.monitor();
    loop {
        let turn = instance.run();
        // The context switch: deliver ISR flags and expired timers.
        soc.wake_due();
        match turn {
            Turn::Yielded => yield_now().await,
            Turn::Blocked(op) => {
                let done = builtins::complete(&soc, &registry, op).await;
                instance.complete(done);
            }
            Turn::Breakpoint(id) => {
                *monitor.state.borrow_mut() = RunState::Paused(id);
                poll_fn(|cx| {
                    if monitor.resume.take() {
                        Poll::Ready(())
                    } else {
                        *monitor.waker.borrow_mut() = Some(cx.waker().clone());
                        Poll::Pending
                    }
                })
                .await;
                *monitor.state.borrow_mut() = RunState::Running;
            }
            Turn::Finished => {
                registry.forget(&monitor);
                registry.events.borrow_mut().push_back(VsocEvent::Finished {
                    module: monitor.name.clone(),
                    placement: monitor.placement,
                });
                return;
            }
            Turn::Trapped(trap) => {
                let reason = instance.stop_reason().unwrap_or(StopReason::Trapped(trap));
                registry.forget(&monitor);
                registry.events.borrow_mut().push_back(VsocEvent::Stopped {
                    placement: monitor.placement,
                    reason,
                });
                // Returning drops the instance: the guest is unloaded, its memory freed.
                return;
            }
        }
    }
}
