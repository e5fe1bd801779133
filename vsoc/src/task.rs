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

use alloc::{boxed::Box, rc::Rc};
use core::{fmt, future::poll_fn, pin::pin, task::Poll};

use fireball_kernel::sched::{Executor, TaskId, yield_now};

use crate::{
    builtins,
    instance::{Instance, Turn},
    monitor::{Monitor, RunState},
    registry::Registry,
    soc::Soc,
    stop::{Overrun, StopReason, VsocEvent},
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

// Cold (boot, restarts): compiled for size in the firmware (docs/perf.md, "Cold code in the
// hot crates").
#[cfg_attr(fireball_size_hints, optimize(size))]
#[inline(never)]
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
        // A service with a watchdog: has it held a request, or run, too long? (Nothing here
        // lives across an await: a task without a watchdog keeps its size.)
        if registry.watched.get()
            && let Some((overrun, limit_us)) = watch(&soc, &registry, &instance, &turn)
        {
            return bark(&registry, &monitor, overrun, limit_us);
        }
        match turn {
            Turn::Yielded => yield_now().await,
            Turn::Blocked(op) => {
                let until = if registry.watched.get() {
                    registry
                        .watchdog(instance.serial(), |dog| dog.held_deadline())
                        .flatten()
                } else {
                    None
                };
                let done = match until {
                    None => builtins::complete(&soc, &registry, op).await,
                    // It waits while it holds a request: at most until its watchdog's limit.
                    Some((_, until)) => {
                        match Box::pin(wait_or_bark(&soc, &registry, op, until)).await {
                            Ok(done) => done,
                            Err(()) => {
                                let serial = instance.serial();
                                let (overrun, limit_us) = held_too_long(&soc, &registry, serial);
                                return bark(&registry, &monitor, overrun, limit_us);
                            }
                        }
                    }
                };
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
            #[cfg(feature = "debug")]
            Turn::Debug => match park(instance, &monitor, &soc, &registry).await {
                Some(back) => instance = back,
                // The debugger kept the instance: it cannot run again (a bug in the port,
                // reported rather than a panic); dropping the last handle unloads it.
                None => {
                    registry.forget(&monitor);
                    registry.events.borrow_mut().push_back(VsocEvent::Stopped {
                        placement: monitor.placement,
                        reason: StopReason::Trapped(crate::stop::Trap {
                            module: monitor.name.clone(),
                            function: fireball_abi::ENTRY,
                            kind: crate::stop::TrapKind::Other("held by the debugger".into()),
                        }),
                    });
                    return;
                }
            },
            // Without the debug probes no builtin stops for the debugger.
            #[cfg(not(feature = "debug"))]
            Turn::Debug => {}
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

/// Stopped for the debugger: lend the instance to it (its memory and globals are read
/// while it waits) until the debugger resumes it; the instance back, or `None` if the
/// debugger still holds it.
#[cfg(feature = "debug")]
async fn park(
    instance: Instance,
    monitor: &Rc<Monitor>,
    soc: &Soc,
    registry: &Registry,
) -> Option<Instance> {
    use core::cell::RefCell;
    let probes = monitor.probes.as_deref()?;
    let serial = instance.serial();
    let stopped_at = soc.clock.now_us();
    let lent = Rc::new(RefCell::new(instance));
    *probes.parked.borrow_mut() = Some(lent.clone());
    *monitor.state.borrow_mut() = RunState::Debugging;
    poll_fn(|cx| {
        if monitor.resume.take() {
            Poll::Ready(())
        } else {
            *monitor.waker.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        }
    })
    .await;
    probes.parked.borrow_mut().take();
    // A service's watchdog does not count the time the debugger held it.
    let held_for = soc.clock.now_us().saturating_sub(stopped_at);
    registry.watchdog(serial, |dog| dog.paused(held_for));
    probes.stopped.set(None);
    probes.reported.set(false);
    *monitor.state.borrow_mut() = RunState::Running;
    Rc::try_unwrap(lent).ok().map(RefCell::into_inner)
}

/// The watchdog's look at `instance` after `turn`: an overrun and the limit, if it overran.
fn watch(
    soc: &Soc,
    registry: &Registry,
    instance: &Instance,
    turn: &Turn,
) -> Option<(Overrun, u64)> {
    let serial = instance.serial();
    let now = soc.clock.now_us();
    let oldest = registry.routes.oldest_open(serial);
    let ran = matches!(turn, Turn::Yielded);
    registry
        .watchdog(serial, |dog| {
            dog.after_turn(now, ran, oldest)
                .map(|overrun| (overrun, dog.limit_us))
        })
        .flatten()
}

/// What a service that waited past its holding limit overran, and the limit.
fn held_too_long(soc: &Soc, registry: &Registry, serial: u16) -> (Overrun, u64) {
    let now = soc.clock.now_us();
    registry
        .watchdog(serial, |dog| {
            let (token, until) = dog.held_deadline().unwrap_or((0, now));
            let since = (until - 1).saturating_sub(dog.limit_us);
            let overrun = Overrun::Held {
                token,
                for_us: now.saturating_sub(since),
            };
            (overrun, dog.limit_us)
        })
        .unwrap_or((
            Overrun::Held {
                token: 0,
                for_us: 0,
            },
            0,
        ))
}

/// Complete `op`, unless the clock reaches `until` first (`Err`: the watchdog's limit).
async fn wait_or_bark(
    soc: &Soc,
    registry: &Registry,
    op: crate::pending::Pending,
    until: u64,
) -> Result<crate::pending::Completion, ()> {
    let mut done = pin!(builtins::complete(soc, registry, op));
    let mut limit = pin!(soc.sleep(until));
    poll_fn(|cx| {
        if let Poll::Ready(done) = done.as_mut().poll(cx) {
            return Poll::Ready(Ok(done));
        }
        match limit.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(())),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

/// The watchdog stopped the instance: say so; returning from the task drops it (its requests
/// are answered by the router, its memory freed).
fn bark(registry: &Registry, monitor: &Rc<Monitor>, overrun: Overrun, limit_us: u64) {
    let reason = StopReason::Watchdog {
        module: monitor.name.clone(),
        overrun,
        limit_us,
    };
    *monitor.state.borrow_mut() = RunState::Stopped(reason.clone());
    registry.forget(monitor);
    registry.events.borrow_mut().push_back(VsocEvent::Stopped {
        placement: monitor.placement,
        reason,
    });
}
