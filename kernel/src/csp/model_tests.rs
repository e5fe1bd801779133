//! Proptest: channels against a model, under random schedules of the real executor.

use alloc::collections::VecDeque;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

use proptest::prelude::*;

use super::{Channel, TryRecvError, TrySendError};
use crate::sched::{Executor, TaskId};

#[derive(Clone, Debug)]
enum TryOp {
    Send(u8),
    Recv,
    Close,
}

fn try_op() -> impl Strategy<Value = TryOp> {
    prop_oneof![4 => any::<u8>().prop_map(TryOp::Send), 4 => Just(TryOp::Recv), 1 => Just(TryOp::Close)]
}

proptest! {
    /// `try_send`/`try_recv`/`close` on a buffered channel behave exactly like a bounded FIFO.
    #[test]
    fn buffered_channel_matches_a_bounded_fifo(capacity in 0usize..4, ops in prop::collection::vec(try_op(), 0..60)) {
        let chan = Channel::new(capacity);
        let mut model: VecDeque<u8> = VecDeque::new();
        let mut closed = false;
        for op in ops {
            match op {
                TryOp::Send(v) => {
                    let expected = if closed {
                        Err(TrySendError::Closed(v))
                    } else if model.len() >= capacity {
                        Err(TrySendError::Full(v))
                    } else {
                        model.push_back(v);
                        Ok(())
                    };
                    prop_assert_eq!(chan.try_send(v), expected);
                }
                TryOp::Recv => {
                    let expected = match model.pop_front() {
                        Some(v) => Ok(v),
                        None if closed => Err(TryRecvError::Closed),
                        None => Err(TryRecvError::Empty),
                    };
                    prop_assert_eq!(chan.try_recv(), expected);
                }
                TryOp::Close => {
                    chan.close();
                    closed = true;
                }
            }
            prop_assert_eq!(chan.len(), model.len());
        }
    }
}

/// A value that records its own destruction, so that loss and duplication are visible.
struct Token {
    id: u32,
    drops: Rc<RefCell<Vec<u32>>>,
}

impl Drop for Token {
    fn drop(&mut self) {
        self.drops.borrow_mut().push(self.id);
    }
}

#[derive(Clone, Debug)]
enum Op {
    /// A task sending this many values, one after the other, stopping at the first error.
    Sender(u8),
    /// A task receiving until the channel is closed and drained.
    Receiver,
    /// Poll this many ready tasks.
    Step(u8),
    /// Cancel the n-th spawned task (modulo the count), if still alive.
    Cancel(u8),
    Close,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1u8..4).prop_map(Op::Sender),
        3 => Just(Op::Receiver),
        4 => (1u8..6).prop_map(Op::Step),
        1 => any::<u8>().prop_map(Op::Cancel),
        1 => Just(Op::Close),
    ]
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Outcome {
    /// (receiver task, value) in the order values were received.
    received: Vec<(usize, u32)>,
    /// Values whose send returned Ok, in order of acknowledgement.
    acked: Vec<u32>,
    /// Values handed back by a failed send.
    returned: Vec<u32>,
    /// Every token destroyed, in order.
    drops: Vec<u32>,
    /// Values whose send was acknowledged while no receiver had them yet and no receiver
    /// was waiting (a rendezvous violation when capacity is 0).
    early_acks: usize,
}

fn run(capacity: usize, ops: &[Op]) -> Outcome {
    let mut ex = Executor::new().expect("executor");
    let chan = Rc::new(Channel::<Token>::new(capacity));
    let drops = Rc::new(RefCell::new(Vec::new()));
    let out = Rc::new(RefCell::new(Outcome::default()));
    let mut tasks: Vec<TaskId> = Vec::new();
    let mut next_id = 0u32;
    for op in ops {
        match *op {
            Op::Sender(count) => {
                let (c, o) = (chan.clone(), out.clone());
                let tokens: Vec<Token> = (0..count)
                    .map(|_| {
                        next_id += 1;
                        Token {
                            id: next_id,
                            drops: drops.clone(),
                        }
                    })
                    .collect();
                let spawned = ex.spawn("sender", async move {
                    for token in tokens {
                        let id = token.id;
                        match c.send(token).await {
                            Ok(()) => o.borrow_mut().acked.push(id),
                            Err(back) => {
                                o.borrow_mut().returned.push(back.0.id);
                                break;
                            }
                        }
                    }
                });
                if let Ok(id) = spawned {
                    tasks.push(id);
                }
            }
            Op::Receiver => {
                let index = tasks.len();
                let (c, o) = (chan.clone(), out.clone());
                if let Ok(id) = ex.spawn("receiver", async move {
                    while let Some(token) = c.recv().await {
                        o.borrow_mut().received.push((index, token.id));
                    }
                }) {
                    tasks.push(id);
                }
            }
            Op::Step(n) => {
                ex.run_for(usize::from(n));
            }
            Op::Cancel(n) => {
                if !tasks.is_empty() {
                    let _ = ex.cancel(tasks[usize::from(n) % tasks.len()]);
                }
            }
            Op::Close => chan.close(),
        }
        // Rendezvous: an acknowledged value is with a receiver — received already, or
        // committed to a receiver that was waiting when it was sent. Buffered channels never
        // hold more than their capacity.
        let o = out.borrow();
        if capacity == 0 {
            let in_flight = o
                .acked
                .iter()
                .filter(|a| !o.received.iter().any(|r| r.1 == **a))
                .count();
            let committed = chan.committed();
            if in_flight > committed {
                drop(o);
                out.borrow_mut().early_acks += 1;
            }
        } else {
            assert!(chan.len() <= capacity);
        }
    }
    chan.close();
    ex.run_for(10_000);
    while let Ok(token) = chan.try_recv() {
        out.borrow_mut().received.push((usize::MAX, token.id));
    }
    drop(ex);
    drop(chan);
    let mut outcome = core::mem::take(&mut *out.borrow_mut());
    outcome.drops = drops.borrow().clone();
    outcome.acked.sort_unstable();
    outcome
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    /// No value is lost or duplicated, every acknowledged value is received, values from one
    /// sender arrive in the order it sent them, rendezvous sends complete only with a receiver,
    /// and the same schedule always gives the same outcome.
    #[test]
    fn channels_never_lose_duplicate_or_reorder(capacity in 0usize..3, ops in prop::collection::vec(op(), 1..40)) {
        let outcome = run(capacity, &ops);

        // Every token is destroyed exactly once: nothing leaked, nothing duplicated.
        let mut drops = outcome.drops.clone();
        drops.sort_unstable();
        let created = drops.last().copied().unwrap_or(0);
        prop_assert_eq!(drops.clone(), (1..=created).collect::<Vec<_>>());

        // Received at most once, never both received and returned.
        let mut received: Vec<u32> = outcome.received.iter().map(|r| r.1).collect();
        received.sort_unstable();
        let mut dedup = received.clone();
        dedup.dedup();
        prop_assert_eq!(&dedup, &received);
        prop_assert!(outcome.returned.iter().all(|v| !received.contains(v)));

        // Acknowledged values are all delivered (close only returns unaccepted values).
        prop_assert!(outcome.acked.iter().all(|v| received.contains(v)), "{:?}", outcome);

        // Per-sender FIFO: sender ids are consecutive, so within each sender's run of ids the
        // receive order must be increasing. Values of one sender form a contiguous id range and
        // a sender only sends its next value after the previous one was accepted, so a global
        // check suffices: received ids from the same sender appear in increasing order.
        let order: Vec<u32> = outcome.received.iter().map(|r| r.1).collect();
        for (i, a) in order.iter().enumerate() {
            for b in &order[i + 1..] {
                // Values from one sender differ by less than 4 and the earlier id is smaller.
                let same_sender = same_batch(&ops, *a, *b);
                prop_assert!(!same_sender || a < b, "{} received after {}", b, a);
            }
        }

        prop_assert_eq!(outcome.early_acks, 0, "rendezvous send completed with no receiver");

        // Determinism: the same program and schedule, the same outcome.
        prop_assert_eq!(run(capacity, &ops), outcome);
    }
}

/// Whether token ids `a` and `b` were created by the same `Op::Sender`.
fn same_batch(ops: &[Op], a: u32, b: u32) -> bool {
    let mut next = 1u32;
    for op in ops {
        if let Op::Sender(count) = *op {
            let range = next..next + u32::from(count);
            if range.contains(&a) {
                return range.contains(&b);
            }
            next = range.end;
        }
    }
    false
}
