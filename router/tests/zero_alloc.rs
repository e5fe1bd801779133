//! A bound request/reply touches no heap once warmed up: the router allocates nothing per
//! message, and a caller and handler that reuse their records (`Request::reply_with`, the
//! reply as the next request) allocate nothing either. Counted with a global allocator that
//! counts per thread (the tests run on threads of their own, side by side).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::rc::Rc;

use fireball_kernel::sched::Executor;
use fireball_router::{
    Delivery, Limits, Method, Methods, Record, Registration, Router, RouterConfig, TraceConfig,
};

struct Counting;

thread_local! {
    // Const-initialised: reading it never allocates.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// Safety: forwards to the system allocator; the counter is only read.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // Safety: the caller's contract, forwarded.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Safety: the caller's contract, forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        count();
        // Safety: the caller's contract, forwarded.
        unsafe { System.realloc(ptr, layout, size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

/// Runs `warm_up + measured` round trips on two tasks; returns the allocations made during
/// the `measured` ones. `reuse`: the records are recycled; otherwise each side builds a new
/// record per message.
fn allocations_in_round_trips(reuse: bool, warm_up: u32, measured: u32) -> usize {
    let (router, authority) = Router::new(RouterConfig {
        limits: Limits::DEFAULT,
        trace: TraceConfig {
            capacity: 0,
            bodies: false,
        },
        // A deadline costs a call the same with or without one (one cell write).
        call_timeout_us: None,
    });
    let adc = router
        .register(Registration::new("hal.adc", &["hal://adc/{channel}"]))
        .unwrap();
    let mut app = router.register(Registration::new("app", &[])).unwrap();
    authority
        .allow("app", "hal://adc/{channel}", Methods::READ)
        .unwrap();
    let mut executor = Executor::with_capacity(2).unwrap();
    let counted = Rc::new(Cell::new(None::<usize>));
    let replies = Rc::new(Cell::new(0u32));
    executor
        .spawn("adc", async move {
            while let Some(Delivery::Request(request)) = adc.recv().await {
                let n = request.body().uint("n").unwrap();
                if reuse {
                    request.reply_with(|body| {
                        body.insert("n", n + 1);
                    })
                } else {
                    request.reply(Record::new().with("n", n + 1))
                }
                .unwrap();
            }
        })
        .unwrap();
    let (seen, result) = (replies.clone(), counted.clone());
    executor
        .spawn("app", async move {
            let binding = app.bind("hal://adc/3").unwrap();
            let mut body = Record::new();
            let mut start = 0;
            for i in 0..warm_up + measured {
                if i == warm_up {
                    start = allocations();
                }
                let request = if reuse {
                    body.clear();
                    body.insert("n", i);
                    core::mem::take(&mut body)
                } else {
                    Record::new().with("n", i)
                };
                let reply = app.call(&binding, Method::Read, request).await.unwrap();
                assert_eq!(reply.uint("n"), Some(u64::from(i) + 1));
                seen.set(seen.get() + 1);
                if reuse {
                    body = reply;
                }
            }
            result.set(Some(allocations() - start));
        })
        .unwrap();
    executor.run_until_idle();
    assert_eq!(replies.get(), warm_up + measured, "every request answered");
    counted.get().expect("the caller finished")
}

#[test]
fn a_bound_round_trip_allocates_nothing_after_warm_up() {
    assert_eq!(allocations_in_round_trips(true, 4, 1000), 0);
}

#[test]
fn the_router_adds_no_allocation_of_its_own() {
    // Fresh records each way: exactly the two records the components built, per round trip.
    assert_eq!(allocations_in_round_trips(false, 4, 100), 2 * 100);
}
