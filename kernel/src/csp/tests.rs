use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use super::*;
use crate::sched::{Executor, yield_now};

type Log = Rc<RefCell<Vec<String>>>;

fn log(l: &Log, entry: String) {
    l.borrow_mut().push(entry);
}

#[test]
fn rendezvous_send_waits_for_a_receiver() {
    let mut ex = Executor::new().unwrap();
    let chan = Rc::new(Channel::<u32>::rendezvous());
    let events = Log::default();
    let (c, l) = (chan.clone(), events.clone());
    ex.spawn("sender", async move {
        c.send(7).await.unwrap();
        log(&l, "sent".into());
    })
    .unwrap();
    ex.run_until_idle();
    assert!(
        events.borrow().is_empty(),
        "no receiver yet: the send must still be pending"
    );
    assert_eq!(chan.len(), 0, "a rendezvous channel buffers nothing");

    let (c, l) = (chan.clone(), events.clone());
    ex.spawn("receiver", async move {
        let v = c.recv().await.unwrap();
        log(&l, alloc::format!("got {v}"));
    })
    .unwrap();
    ex.run_until_idle();
    assert_eq!(*events.borrow(), ["got 7", "sent"]);
}

#[test]
fn rendezvous_fast_path_when_receiver_waits() {
    let mut ex = Executor::new().unwrap();
    let chan = Rc::new(Channel::<u32>::rendezvous());
    let events = Log::default();
    let (c, l) = (chan.clone(), events.clone());
    ex.spawn("receiver", async move {
        let v = c.recv().await.unwrap();
        log(&l, alloc::format!("got {v}"));
    })
    .unwrap();
    ex.run_until_idle();
    let (c, l) = (chan.clone(), events.clone());
    let sender = ex
        .spawn("sender", async move {
            c.send(9).await.unwrap();
            log(&l, "sent".into());
        })
        .unwrap();
    // The sender's very first poll completes: the waiting receiver is entitled to the value.
    assert_eq!(ex.step(), crate::sched::Step::Finished(sender));
    ex.run_until_idle();
    assert_eq!(*events.borrow(), ["sent", "got 9"]);
    // try_send on a rendezvous succeeds only while a receiver waits.
    assert_eq!(chan.try_send(1), Err(TrySendError::Full(1)));
}

#[test]
fn buffered_channel_is_fifo_and_try_send_hands_back_on_full() {
    let chan = Channel::new(2);
    chan.try_send('a').unwrap();
    chan.try_send('b').unwrap();
    assert_eq!(chan.try_send('c'), Err(TrySendError::Full('c')));
    assert_eq!(chan.try_recv(), Ok('a'));
    chan.try_send('c').unwrap();
    assert_eq!(chan.try_recv(), Ok('b'));
    assert_eq!(chan.try_recv(), Ok('c'));
    assert_eq!(chan.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn close_drains_accepted_values_and_returns_blocked_ones() {
    let mut ex = Executor::new().unwrap();
    let chan = Rc::new(Channel::<u32>::new(1));
    let events = Log::default();
    let (c, l) = (chan.clone(), events.clone());
    ex.spawn("sender", async move {
        for v in [1, 2] {
            match c.send(v).await {
                Ok(()) => log(&l, alloc::format!("ok {v}")),
                Err(SendError(back)) => log(&l, alloc::format!("back {back}")),
            }
        }
    })
    .unwrap();
    ex.run_until_idle(); // 1 buffered, 2 blocked
    chan.close();
    assert_eq!(chan.try_send(3), Err(TrySendError::Closed(3)));
    ex.run_until_idle();
    assert_eq!(*events.borrow(), ["ok 1", "back 2"]);
    assert_eq!(chan.try_recv(), Ok(1), "accepted values survive the close");
    assert_eq!(chan.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn recv_on_closed_channel_gives_none_and_last_handle_closes() {
    let mut ex = Executor::new().unwrap();
    let (tx, rx) = channel::<u32>(4);
    let events = Log::default();
    let l = events.clone();
    ex.spawn("rx", async move {
        while let Some(v) = rx.recv().await {
            log(&l, alloc::format!("{v}"));
        }
        log(&l, "closed".into());
    })
    .unwrap();
    let tx2 = tx.clone();
    tx.try_send(1).unwrap();
    drop(tx);
    tx2.try_send(2).unwrap();
    ex.run_until_idle();
    assert_eq!(*events.borrow(), ["1", "2"]);
    drop(tx2); // the last sender closes the channel
    ex.run_until_idle();
    assert_eq!(*events.borrow(), ["1", "2", "closed"]);
}

#[test]
fn receivers_are_served_in_arrival_order() {
    let mut ex = Executor::new().unwrap();
    let chan = Rc::new(Channel::<u32>::rendezvous());
    let events = Log::default();
    for name in ["r1", "r2", "r3"] {
        let (c, l) = (chan.clone(), events.clone());
        ex.spawn(name, async move {
            let v = c.recv().await.unwrap();
            log(&l, alloc::format!("{name}={v}"));
        })
        .unwrap();
    }
    ex.run_until_idle();
    for v in [10, 20, 30] {
        chan.try_send(v).unwrap();
    }
    ex.run_until_idle();
    assert_eq!(*events.borrow(), ["r1=10", "r2=20", "r3=30"]);
}

#[test]
fn senders_are_served_in_arrival_order() {
    let mut ex = Executor::new().unwrap();
    let chan = Rc::new(Channel::<&'static str>::rendezvous());
    for name in ["s1", "s2", "s3"] {
        let c = chan.clone();
        ex.spawn(name, async move { c.send(name).await.unwrap() })
            .unwrap();
    }
    ex.run_until_idle();
    let got: Vec<_> = (0..3).map(|_| chan.try_recv().unwrap()).collect();
    assert_eq!(got, ["s1", "s2", "s3"]);
    ex.run_until_idle();
    assert!(ex.is_empty(), "every sender was released");
}

#[test]
fn a_cancelled_receiver_passes_its_turn_on() {
    let mut ex = Executor::new().unwrap();
    let chan = Rc::new(Channel::<u32>::rendezvous());
    let events = Log::default();
    let mut ids = Vec::new();
    for name in ["r1", "r2"] {
        let (c, l) = (chan.clone(), events.clone());
        ids.push(
            ex.spawn(name, async move {
                let v = c.recv().await.unwrap();
                log(&l, alloc::format!("{name}={v}"));
            })
            .unwrap(),
        );
    }
    ex.run_until_idle();
    chan.try_send(5).unwrap(); // r1 is entitled to it
    ex.cancel(ids[0]).unwrap(); // ...but goes away before taking it
    ex.run_until_idle();
    assert_eq!(*events.borrow(), ["r2=5"]);
}

#[test]
fn select_reports_which_channel_fired_and_releases_the_others() {
    let mut ex = Executor::new().unwrap();
    let a = Rc::new(Channel::<u32>::new(1));
    let b = Rc::new(Channel::<u32>::new(1));
    let events = Log::default();
    let (ca, cb, l) = (a.clone(), b.clone(), events.clone());
    ex.spawn("router", async move {
        for _ in 0..3 {
            let (index, value) = select([&*ca, &*cb]).await;
            log(&l, alloc::format!("{index}:{value:?}"));
        }
    })
    .unwrap();
    ex.run_until_idle();
    b.try_send(2).unwrap();
    ex.run_until_idle();
    a.try_send(1).unwrap();
    b.try_send(3).unwrap();
    ex.run_until_idle(); // both ready: the lowest index wins
    assert_eq!(*events.borrow(), ["1:Some(2)", "0:Some(1)", "1:Some(3)"]);
    // The router's select is gone from every queue: a plain try_recv may take new values.
    a.try_send(4).unwrap();
    assert_eq!(a.try_recv(), Ok(4));
}

#[test]
fn select_sees_a_closed_channel() {
    let mut ex = Executor::new().unwrap();
    let a = Rc::new(Channel::<u32>::rendezvous());
    let b = Rc::new(Channel::<u32>::rendezvous());
    let events = Log::default();
    let (ca, cb, l) = (a.clone(), b.clone(), events.clone());
    ex.spawn("router", async move {
        let fired = select([&*ca, &*cb]).await;
        log(&l, alloc::format!("{fired:?}"));
    })
    .unwrap();
    ex.run_until_idle();
    b.close();
    ex.run_until_idle();
    assert_eq!(*events.borrow(), ["(1, None)"]);
}

/// A small pipeline — two producers, a router selecting over them, two workers sharing a
/// buffered queue — whose trace must be identical run after run.
fn pipeline_trace() -> Vec<String> {
    let mut ex = Executor::new().unwrap();
    let trace = Log::default();
    let left = Rc::new(Channel::<u32>::rendezvous());
    let right = Rc::new(Channel::<u32>::new(2));
    let work = Rc::new(Channel::<u32>::new(1));
    for (name, chan, base) in [("left", left.clone(), 100), ("right", right.clone(), 200)] {
        let t = trace.clone();
        ex.spawn(name, async move {
            for i in 0..4 {
                chan.send(base + i).await.unwrap();
                log(&t, alloc::format!("{name} sent {}", base + i));
                if i % 2 == 0 {
                    yield_now().await;
                }
            }
            chan.close();
        })
        .unwrap();
    }
    let (l, r, w, t) = (left.clone(), right.clone(), work.clone(), trace.clone());
    ex.spawn("router", async move {
        loop {
            match select([&*l, &*r]).await {
                (i, Some(v)) => {
                    log(&t, alloc::format!("route {i}:{v}"));
                    w.send(v).await.unwrap();
                }
                (i, None) => {
                    // One side is done: drain the other with a plain receive.
                    let other = if i == 0 { &*r } else { &*l };
                    while let Some(v) = other.recv().await {
                        log(&t, alloc::format!("route {}:{v}", 1 - i));
                        w.send(v).await.unwrap();
                    }
                    break;
                }
            }
        }
        w.close();
    })
    .unwrap();
    for name in ["w1", "w2"] {
        let (w, t) = (work.clone(), trace.clone());
        ex.spawn(name, async move {
            while let Some(v) = w.recv().await {
                log(&t, alloc::format!("{name} did {v}"));
                yield_now().await;
            }
        })
        .unwrap();
    }
    ex.run_for(10_000);
    trace.borrow().clone()
}

#[test]
fn same_program_same_interleaving() {
    let first = pipeline_trace();
    let second = pipeline_trace();
    assert!(first.len() > 16, "the pipeline did real work: {first:?}");
    assert_eq!(first, second);
}

/// A value whose destruction uses the channel it travels on.
struct Reentrant(Rc<Channel<Reentrant>>);

impl Drop for Reentrant {
    fn drop(&mut self) {
        let _ = self.0.try_recv();
        self.0.close();
    }
}

#[test]
fn a_value_s_drop_may_use_its_own_channel() {
    let mut ex = Executor::new().unwrap();
    let chan = Rc::new(Channel::<Reentrant>::rendezvous());
    let c = chan.clone();
    let sender = ex
        .spawn("sender", async move {
            let _ = c.send(Reentrant(c.clone())).await;
        })
        .unwrap();
    ex.run_until_idle(); // the offer waits for a receiver
    ex.cancel(sender).unwrap(); // withdrawn, then dropped: its drop closes the channel
    assert!(chan.is_closed());

    let buffered = Rc::new(Channel::<Reentrant>::new(2));
    buffered.try_send(Reentrant(buffered.clone())).unwrap();
    let back = buffered.try_recv().unwrap();
    drop(back); // received, then dropped: try_recv finds nothing, close succeeds
    assert!(buffered.is_closed());
    assert_eq!(buffered.try_recv().err(), Some(TryRecvError::Closed));
}

/// Records `(event, id)` pairs; leaked so channels can hold it as `&'static`.
#[derive(Default)]
struct ChannelLog(RefCell<Vec<(&'static str, u16)>>);

impl ChannelObserver for ChannelLog {
    fn sent(&self, id: u16) {
        self.0.borrow_mut().push(("sent", id));
    }
    fn received(&self, id: u16) {
        self.0.borrow_mut().push(("received", id));
    }
    fn closed(&self, id: u16) {
        self.0.borrow_mut().push(("closed", id));
    }
}

#[test]
fn an_observed_channel_reports_every_send_receive_and_one_close() {
    let observer: Rc<ChannelLog> = Rc::default();
    let mut ex = Executor::new().unwrap();
    let rendezvous = Rc::new(Channel::<u32>::rendezvous());
    rendezvous.observe(7, observer.clone());
    let buffered = Rc::new(Channel::<u32>::new(2));
    buffered.observe(9, observer.clone());
    let unobserved = Channel::<u32>::new(1);

    let (r, b) = (rendezvous.clone(), buffered.clone());
    ex.spawn("receiver", async move {
        assert_eq!(r.recv().await, Some(1));
        assert_eq!(b.recv().await, Some(2));
        assert_eq!(b.try_recv(), Ok(3));
        assert_eq!(r.recv().await, None);
    })
    .unwrap();
    let (r, b) = (rendezvous.clone(), buffered.clone());
    ex.spawn("sender", async move {
        r.send(1).await.unwrap();
        b.send(2).await.unwrap();
        b.try_send(3).unwrap();
        assert!(
            matches!(b.try_send(4), Err(TrySendError::Full(4))),
            "a full buffer is not a send"
        );
        r.close();
        r.close();
        assert!(r.try_send(5).is_err(), "a failed send is not reported");
    })
    .unwrap();
    unobserved.try_send(1).unwrap();
    ex.run_until_idle();

    assert_eq!(
        *observer.0.borrow(),
        [
            // The rendezvous completes for the sender at once (the receiver was waiting);
            // the receiver takes the value when it next runs.
            ("sent", 7),
            ("sent", 9),
            ("sent", 9),
            ("closed", 7),
            ("received", 7),
            ("received", 9),
            ("received", 9),
        ]
    );
    assert_eq!(rendezvous.id(), 7);
    assert_eq!(unobserved.id(), 0);
}

/// The observed flag shares its word with the count of waiting senders and the closed bit:
/// an observed channel with blocked senders must still refill, count and close like any other.
#[test]
fn an_observed_channel_with_blocked_senders_delivers_in_order() {
    let observer: Rc<ChannelLog> = Rc::default();
    let mut ex = Executor::new().unwrap();
    let chan = Rc::new(Channel::<u32>::new(1));
    chan.observe(3, observer.clone());
    let got = Rc::new(RefCell::new(Vec::new()));
    for first in [10, 20] {
        let c = chan.clone();
        ex.spawn("sender", async move {
            c.send(first).await.unwrap();
            c.send(first + 1).await.unwrap();
        })
        .unwrap();
    }
    ex.run_until_idle();
    assert_eq!(
        chan.try_send(99),
        Err(TrySendError::Full(99)),
        "senders wait"
    );
    let (c, sink) = (chan.clone(), got.clone());
    ex.spawn("receiver", async move {
        while let Ok(v) = c.try_recv() {
            sink.borrow_mut().push(v);
            crate::sched::yield_now().await;
        }
        c.close();
    })
    .unwrap();
    ex.run_until_idle();
    // The first sender buffers 10 and queues 11 in one poll; the second queues 20, then 21.
    assert_eq!(*got.borrow(), [10, 11, 20, 21]);
    assert!(chan.is_closed());
    let log = observer.0.borrow();
    let count = |event| log.iter().filter(|&&(e, id)| e == event && id == 3).count();
    assert_eq!(
        (count("sent"), count("received"), count("closed")),
        (4, 4, 1)
    );
}
