use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::future::poll_fn;
use core::sync::atomic::{AtomicU32, Ordering};
use core::task::{Poll, Waker};

use super::*;
use crate::mem::{OwnerId, PartitionId};

type Trace = Rc<RefCell<Vec<String>>>;

fn yielder(trace: &Trace, name: &'static str, rounds: usize) -> impl Future<Output = ()> + 'static {
    let trace = trace.clone();
    async move {
        for round in 0..rounds {
            trace.borrow_mut().push(alloc::format!("{name}{round}"));
            yield_now().await;
        }
    }
}

#[test]
fn ready_queue_is_fifo_round_robin() {
    let mut ex = Executor::new().unwrap();
    let trace = Trace::default();
    for name in ["a", "b", "c"] {
        ex.spawn(name, yielder(&trace, name, 2)).unwrap();
    }
    // 3 tasks × (2 rounds + the final poll that returns Ready).
    assert_eq!(ex.run_until_idle(), 9);
    assert_eq!(*trace.borrow(), ["a0", "b0", "c0", "a1", "b1", "c1"]);
    assert!(ex.is_empty());
}

#[test]
fn step_reports_suspension_and_completion() {
    let mut ex = Executor::new().unwrap();
    let id = ex.spawn("once", async { yield_now().await }).unwrap();
    assert_eq!(ex.step(), Step::Suspended(id));
    assert_eq!(ex.step(), Step::Finished(id));
    assert_eq!(ex.step(), Step::Idle);
}

#[test]
fn stale_task_ids_are_detected_even_after_slot_reuse() {
    let mut ex = Executor::with_capacity(1).unwrap();
    let first = ex.spawn("first", async {}).unwrap();
    ex.run_until_idle();
    assert_eq!(ex.info(first), Err(TaskError::Stale));
    let second = ex.spawn("second", async { yield_now().await }).unwrap();
    assert_eq!(second.slot(), first.slot());
    assert_ne!(second.generation(), first.generation());
    assert_eq!(ex.info(first), Err(TaskError::Stale));
    assert_eq!(ex.cancel(first), Err(TaskError::Stale));
    assert_eq!(ex.wake(first), Err(TaskError::Stale));
    assert!(ex.contains(second));
    assert_eq!(ex.info(second).unwrap().name, "second");
}

#[test]
fn forged_task_id_is_out_of_range() {
    let ex = Executor::with_capacity(2).unwrap();
    let forged = TaskId {
        slot: 7,
        generation: 1,
    };
    assert_eq!(ex.info(forged), Err(TaskError::OutOfRange));
}

#[test]
fn full_executor_hands_the_future_back() {
    let mut ex = Executor::with_capacity(1).unwrap();
    ex.spawn("a", async {}).unwrap();
    let marker = 42u32;
    match ex.spawn("b", async move {
        let _ = marker;
    }) {
        Err(SpawnError::Full(_future)) => {}
        Ok(_) => panic!("spawned past capacity"),
    }
    assert!(matches!(
        Executor::with_capacity(MAX_TASKS + 1),
        Err(ExecutorError::CapacityTooLarge)
    ));
}

#[test]
fn metadata_counts_polls_and_yields_and_dump_lists_tasks() {
    let mut ex = Executor::new().unwrap();
    let trace = Trace::default();
    let busy = ex.spawn("busy", yielder(&trace, "x", 3)).unwrap();
    let parked_waker: Rc<RefCell<Option<Waker>>> = Rc::default();
    let slot = parked_waker.clone();
    let parked = ex
        .spawn_in(
            "parked",
            Placement::service(3),
            poll_fn(move |cx| {
                *slot.borrow_mut() = Some(cx.waker().clone());
                Poll::<()>::Pending
            }),
        )
        .unwrap();
    ex.run_for(4); // busy, parked, busy, busy
    let info = ex.info(busy).unwrap();
    assert_eq!(
        (info.polls, info.yields, info.state),
        (3, 3, TaskState::Ready)
    );
    let info = ex.info(parked).unwrap();
    assert_eq!(
        (info.polls, info.yields, info.state),
        (1, 0, TaskState::Waiting)
    );
    assert_eq!(
        info.placement,
        Placement::new(PartitionId::Services, OwnerId(3))
    );

    let dump = ex.dump().to_string();
    std::println!("{dump}");
    let lines: Vec<&str> = dump.lines().collect();
    assert!(lines[0].starts_with("id"));
    assert!(lines[1].contains("busy") && lines[1].contains("ready") && lines[1].contains("P1/0"));
    assert!(
        lines[2].contains("parked") && lines[2].contains("waiting") && lines[2].contains("P4/3")
    );
    assert!(lines[2].contains(&parked.to_string()));
    assert_eq!(
        lines[3],
        "2 task(s), 1 ready, capacity 32".replace("32", &MAX_TASKS.to_string())
    );

    // The parked task's waker makes it ready again.
    parked_waker.borrow().as_ref().unwrap().wake_by_ref();
    assert_eq!(ex.info(parked).unwrap().state, TaskState::Ready);
}

#[test]
fn cancel_drops_the_future_and_cancel_owned_by_spares_others() {
    struct Flag(Rc<Cell<u32>>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    let dropped = Rc::new(Cell::new(0));
    let mut ex = Executor::new().unwrap();
    let pending = |flag: Flag| async move {
        let _flag = flag;
        core::future::pending::<()>().await;
    };
    let a = ex.spawn("a", pending(Flag(dropped.clone()))).unwrap();
    ex.spawn_in("g1", Placement::guest(9), pending(Flag(dropped.clone())))
        .unwrap();
    ex.spawn_in("g2", Placement::guest(9), pending(Flag(dropped.clone())))
        .unwrap();
    let other = ex
        .spawn_in("g3", Placement::guest(8), pending(Flag(dropped.clone())))
        .unwrap();
    ex.run_until_idle();
    ex.cancel(a).unwrap();
    assert_eq!(dropped.get(), 1);
    assert_eq!(ex.cancel_owned_by(Placement::guest(9)), 2);
    assert_eq!(dropped.get(), 3);
    assert!(ex.contains(other));
    assert_eq!(ex.len(), 1);
    drop(ex);
    assert_eq!(
        dropped.get(),
        4,
        "dropping the executor drops remaining tasks"
    );
}

#[test]
fn cancelling_a_queued_task_keeps_the_others_in_order() {
    let mut ex = Executor::new().unwrap();
    let trace = Trace::default();
    ex.spawn("a", yielder(&trace, "a", 1)).unwrap();
    let b = ex.spawn("b", yielder(&trace, "b", 1)).unwrap();
    ex.spawn("c", yielder(&trace, "c", 1)).unwrap();
    ex.cancel(b).unwrap();
    assert_eq!(ex.ready_len(), 2);
    ex.run_until_idle();
    assert_eq!(*trace.borrow(), ["a0", "c0"]);
}

#[test]
fn a_waker_that_outlives_its_executor_is_harmless() {
    let kept: Rc<RefCell<Option<Waker>>> = Rc::default();
    {
        let mut ex = Executor::new().unwrap();
        let slot = kept.clone();
        ex.spawn(
            "keeper",
            poll_fn(move |cx| {
                *slot.borrow_mut() = Some(cx.waker().clone());
                Poll::<()>::Pending
            }),
        )
        .unwrap();
        ex.run_until_idle();
    }
    // The board may now belong to another executor; the generation check filters the wake.
    let mut ex = Executor::new().unwrap();
    let polls = Rc::new(Cell::new(0));
    let counter = polls.clone();
    ex.spawn(
        "fresh",
        poll_fn(move |_| {
            counter.set(counter.get() + 1);
            Poll::<()>::Pending
        }),
    )
    .unwrap();
    ex.run_until_idle();
    kept.borrow().as_ref().unwrap().wake_by_ref();
    ex.run_until_idle();
    assert_eq!(
        polls.get(),
        1,
        "a stale waker must not wake an unrelated task"
    );
}

#[test]
fn external_wake_by_id_requeues_a_waiting_task() {
    let mut ex = Executor::new().unwrap();
    let polls = Rc::new(Cell::new(0));
    let counter = polls.clone();
    let id = ex
        .spawn(
            "isr-driven",
            poll_fn(move |_| {
                counter.set(counter.get() + 1);
                if counter.get() == 2 {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }),
        )
        .unwrap();
    ex.run_until_idle();
    assert_eq!(ex.info(id).unwrap().state, TaskState::Waiting);
    ex.wake(id).unwrap();
    ex.wake(id).unwrap(); // a task is queued at most once
    assert_eq!(ex.ready_len(), 1);
    ex.run_until_idle();
    assert_eq!(polls.get(), 2);
    assert!(!ex.contains(id));
}

/// A partition switch that records the placement current during each poll.
struct Recorder {
    current: AtomicU32,
    switches: AtomicU32,
}

impl PartitionSwitch for Recorder {
    fn switch_to(&self, to: Placement) -> Placement {
        self.switches.fetch_add(1, Ordering::Relaxed);
        Placement::unpack(self.current.swap(to.pack(), Ordering::Relaxed))
    }
}

#[test]
fn each_poll_runs_in_the_tasks_placement() {
    let recorder: &'static Recorder = Box::leak(Box::new(Recorder {
        current: AtomicU32::new(Placement::KERNEL.pack()),
        switches: AtomicU32::new(0),
    }));
    let mut ex = Executor::new().unwrap();
    ex.set_partition_switch(recorder);
    let seen: Rc<RefCell<Vec<Placement>>> = Rc::default();
    for placement in [Placement::guest(1), Placement::service(2)] {
        let seen = seen.clone();
        ex.spawn_in("t", placement, async move {
            seen.borrow_mut()
                .push(Placement::unpack(recorder.current.load(Ordering::Relaxed)));
            yield_now().await;
            seen.borrow_mut()
                .push(Placement::unpack(recorder.current.load(Ordering::Relaxed)));
        })
        .unwrap();
    }
    ex.run_until_idle();
    let g = Placement::guest(1);
    let s = Placement::service(2);
    assert_eq!(*seen.borrow(), [g, s, g, s]);
    assert_eq!(
        Placement::unpack(recorder.current.load(Ordering::Relaxed)),
        Placement::KERNEL
    );
    // 2 spawns + 4 polls, each switching in and back out.
    assert_eq!(recorder.switches.load(Ordering::Relaxed), 12);
}

/// Per-task bookkeeping, excluding the future: the slot (future pointer, name, counters,
/// placement) plus the static wake-board entry. On a 32-bit target that is 8 (boxed dyn
/// future) + 8 (name) + 4 + 4 (polls, yields) + 4 (placement) = 28 B of slot, plus 6 B of
/// board (state word, ring entry) = 34 B: 10 B over the seed's 24 B, spent on the name and the counters that the
/// coroutine dump needs. The bound is two fat pointers plus 16 B (12 B of fields rounded up
/// to the word alignment), so it holds on 32-bit targets (32 B) and 64-bit hosts (48 B).
#[test]
fn per_task_overhead_is_bounded() {
    let slot = size_of::<TaskSlot>();
    let word = size_of::<usize>();
    std::println!(
        "per-task overhead: {} B (slot {} B + wake board {} B), usize = {} B",
        TASK_OVERHEAD_BYTES,
        slot,
        wake_board::BOARD_BYTES_PER_SLOT,
        word
    );
    assert!(slot <= 4 * word + 16, "task slot grew to {slot} B");
    const { assert!(wake_board::BOARD_BYTES_PER_SLOT <= 6) };
    assert!(
        TASK_OVERHEAD_BYTES <= 4 * word + 16 + 6,
        "{TASK_OVERHEAD_BYTES} B"
    );
}

/// Records what the observer hook reports, as `(event, slot)` (a spawn as its label).
#[derive(Default)]
struct TaskLog(RefCell<Vec<(&'static str, u16)>>);

impl TaskObserver for TaskLog {
    fn spawned(&self, id: TaskId, name: &str, _placement: Placement) {
        // The labels these tests use, as `'static` strings.
        let name = ["a", "b", "component-c"]
            .into_iter()
            .find(|known| *known == name)
            .unwrap_or("?");
        self.0.borrow_mut().push((name, id.slot()));
    }
    fn resumed(&self, id: TaskId) {
        self.0.borrow_mut().push(("resumed", id.slot()));
    }
    fn completed(&self, id: TaskId) {
        self.0.borrow_mut().push(("completed", id.slot()));
    }
    fn cancelled(&self, id: TaskId) {
        self.0.borrow_mut().push(("cancelled", id.slot()));
    }
}

#[test]
fn the_observer_sees_spawn_resume_complete_and_cancel() {
    let recorder: Rc<TaskLog> = Rc::default();
    let mut ex = Executor::with_capacity(4).unwrap();
    ex.set_observer(recorder.clone());
    ex.spawn("a", async { yield_now().await }).unwrap();
    let b = ex.spawn("b", core::future::pending::<()>()).unwrap();
    ex.run_until_idle();
    ex.cancel(b).unwrap();
    // A labelled spawn tells the observer its label (the dump keeps the static name).
    let label = String::from("component-c");
    let placement = Placement::new(PartitionId::Services, OwnerId(1));
    let c = ex
        .spawn_labelled_in("kind", &label, placement, async {})
        .unwrap();
    assert_eq!(
        *recorder.0.borrow(),
        [
            ("a", 0),
            ("b", 1),
            ("resumed", 0),
            ("resumed", 1),
            ("resumed", 0),
            ("completed", 0),
            ("cancelled", 1),
            ("component-c", c.slot()),
        ]
    );
}

#[test]
fn the_running_waker_clones_to_the_tasks_own_waker() {
    let mut ex = Executor::new().unwrap();
    let kept: Rc<RefCell<Option<Waker>>> = Rc::default();
    let checks: Rc<RefCell<Vec<bool>>> = Rc::default();
    let (k, c) = (kept.clone(), checks.clone());
    let id = ex
        .spawn(
            "keeper",
            poll_fn(move |cx| {
                let mut kept = k.borrow_mut();
                // The inline clone and comparison agree with the vtable's.
                let same = kept.as_ref().map(|w| super::will_wake(w, cx.waker()));
                c.borrow_mut().push(same.unwrap_or(false));
                if kept.is_none() {
                    let fast = super::clone_waker(cx.waker());
                    assert!(fast.will_wake(&cx.waker().clone()));
                    *kept = Some(fast);
                }
                Poll::<()>::Pending
            }),
        )
        .unwrap();
    assert_eq!(ex.run_until_idle(), 1);
    // The kept clone wakes the task after the poll that made it.
    kept.borrow().as_ref().unwrap().wake_by_ref();
    assert_eq!(ex.run_until_idle(), 1);
    assert_eq!(*checks.borrow(), [false, true]);
    // And is stale once the task is gone.
    ex.cancel(id).unwrap();
    kept.borrow().as_ref().unwrap().wake_by_ref();
    assert_eq!(ex.ready_len(), 0);
}
