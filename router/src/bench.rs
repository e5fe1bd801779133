//! Shared benchmark workloads (feature `bench`): the same code measured on the host (wall
//! clock, `benches/router.rs`) and on the Cortex-M33 under QEMU (instruction counts, the
//! firmware's bench harness).
//!
//! Each [`Workload`] performs one operation `iters` times and returns a checksum of what it
//! saw, so that the work cannot be optimised away and a broken router shows up as a wrong
//! checksum (`tests/bench_workloads.rs` checks every one). Setup (a router, endpoints, an
//! executor, a route table) costs the same whatever `iters` is, so a harness measuring
//! `run(2N) - run(N)` and dividing by `N` gets the cost of one operation alone.
//!
//! | workload | one operation | baseline |
//! | --- | --- | --- |
//! | `router/request_reply` | `call().await` on a binding + the handler task's `recv().await` and `reply_with()`, two tasks on the kernel executor; the records are reused (the reply is written into the request's record, the next request into the reply): no allocation | — |
//! | `router/request_reply_fresh` | the same with a new record each way (`Record::new()` for the request, `reply(Record::new()…)`) | `router/request_reply` |
//! | `router/bound_call` | the same round trip through a binding, driven by hand (no executor): check, enqueue, handler `try_recv` + `reply`, result | `router/resolve_every_call` |
//! | `router/resolve_every_call` | the same, but parsing and resolving the URI on every call (`call_uri`) | — |
//! | `router/policy_check` | [`Endpoint::may`]: dispatch by route index, grant lookup (16 callers × 64 routes), liveness | — |
//! | `router/record_encode` | postcard-encode a 7-field sensor record (≈ 90 B) into a stack buffer | — |
//! | `router/record_decode` | validate such bytes in place (`RecordView`: limits, canonical form, UTF-8, unique keys) and read one field | — |
//! | `router/record_decode_owned` | decode such bytes into an owned `Record` (the same checks, then a copy) | — |
//! | `router/lookup_16` / `_256` / `_1024` | resolve a parsed URI in a table of 16 / 256 / 1024 patterns | — |
//!
//! Tracing is off in every workload (`TraceConfig { capacity: 0, .. }`): they measure the
//! router, not the trace buffer. Checksums fold values with `acc.rotate_left(5) ^ value` over
//! `u32`: replies' `n` fields, policy verdicts (1 denied, 2 allowed), encoded lengths and
//! `seq` bytes, decoded `seq` fields, matched route indices + 1 (a miss folds `u32::MAX`).
//! What is folded varies with the iteration, because folding one value over and over cycles
//! back to zero (rotating a 32-bit word by 5 has period 32): the firmware harness treats a
//! zero checksum as a failed workload.

use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::Cell;
use core::hint::black_box;
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use fireball_kernel::sched::Executor;

use crate::record::RecordView;
use crate::table::RouteTable;
use crate::trace::TraceConfig;
use crate::uri::Uri;
use crate::{
    Delivery, Endpoint, Limits, Method, Methods, Record, Registration, Router, RouterAuthority,
    RouterConfig, Value,
};

pub use fireball_kernel::workload::Workload;

static WORKLOADS: [Workload; 11] = [
    Workload {
        name: "router/request_reply",
        baseline: None,
        run: request_reply,
    },
    Workload {
        name: "router/request_reply_fresh",
        baseline: Some("router/request_reply"),
        run: request_reply_fresh,
    },
    Workload {
        name: "router/bound_call",
        baseline: Some("router/resolve_every_call"),
        run: bound_call,
    },
    Workload {
        name: "router/resolve_every_call",
        baseline: None,
        run: resolve_every_call,
    },
    Workload {
        name: "router/policy_check",
        baseline: None,
        run: policy_check,
    },
    Workload {
        name: "router/record_encode",
        baseline: None,
        run: record_encode,
    },
    Workload {
        name: "router/record_decode",
        baseline: None,
        run: record_decode,
    },
    Workload {
        name: "router/record_decode_owned",
        baseline: None,
        run: record_decode_owned,
    },
    Workload {
        name: "router/lookup_16",
        baseline: None,
        run: lookup_16,
    },
    Workload {
        name: "router/lookup_256",
        baseline: None,
        run: lookup_256,
    },
    Workload {
        name: "router/lookup_1024",
        baseline: None,
        run: lookup_1024,
    },
];

/// Every workload, baselines included.
pub fn workloads() -> &'static [Workload] {
    &WORKLOADS
}

#[inline]
fn fold(acc: u32, value: u32) -> u32 {
    acc.rotate_left(5) ^ value
}

fn quiet_router() -> (Router, RouterAuthority) {
    Router::new(RouterConfig {
        limits: Limits::DEFAULT,
        trace: TraceConfig {
            capacity: 0,
            bodies: false,
        },
        // A deadline costs a call the same with or without one (one cell write).
        call_timeout_us: None,
    })
}

/// A router with `hal.adc` serving `hal://adc/{channel}` and `app` allowed to read it.
fn adc_pair() -> (Router, Endpoint, Endpoint) {
    let (router, authority) = quiet_router();
    let adc = router
        .register(Registration::new("hal.adc", &["hal://adc/{channel}"]))
        .expect("fresh router");
    let app = router
        .register(Registration::new("app", &[]))
        .expect("fresh router");
    authority
        .allow("app", "hal://adc/{channel}", Methods::READ)
        .expect("valid pattern");
    (router, adc, app)
}

/// The handler: `n` back as `n + 1`, written into the request's own record.
fn answer(delivery: Delivery) -> u64 {
    match delivery {
        Delivery::Request(request) => {
            let n = request.body().uint("n").unwrap_or(u64::MAX);
            let _ = request.reply_with(|body| {
                body.insert("n", n + 1);
            });
            n
        }
        _ => u64::MAX,
    }
}

/// The handler as most code is first written: a new record for every reply.
fn answer_fresh(delivery: Delivery) -> u64 {
    match delivery {
        Delivery::Request(request) => {
            let n = request.body().uint("n").unwrap_or(u64::MAX);
            let _ = request.reply(Record::new().with("n", n + 1));
            n
        }
        _ => u64::MAX,
    }
}

/// Two tasks on the executor: the caller reuses each reply's record for its next request
/// and the handler answers in the request's record, so no round trip allocates.
fn request_reply(iters: u32) -> u64 {
    let (_router, adc, mut app) = adc_pair();
    let Ok(mut executor) = Executor::with_capacity(2) else {
        return 0;
    };
    let acc = Rc::new(Cell::new(0u32));
    let sink = acc.clone();
    let _ = executor.spawn("adc", async move {
        while let Some(delivery) = adc.recv().await {
            answer(delivery);
        }
    });
    let _ = executor.spawn("app", async move {
        let Ok(binding) = app.bind("hal://adc/3") else {
            return;
        };
        let mut body = Record::new();
        for i in 0..iters {
            body.clear();
            body.insert("n", i);
            let n = match app.call(&binding, Method::Read, body).await {
                Ok(reply) => {
                    let n = reply.uint("n").unwrap_or(0) as u32;
                    body = reply;
                    n
                }
                Err(_) => {
                    body = Record::new();
                    u32::MAX
                }
            };
            sink.set(fold(sink.get(), n));
        }
    });
    executor.run_until_idle();
    u64::from(acc.get())
}

/// [`request_reply`] with a new record each way, as most code is first written.
fn request_reply_fresh(iters: u32) -> u64 {
    let (_router, adc, mut app) = adc_pair();
    let Ok(mut executor) = Executor::with_capacity(2) else {
        return 0;
    };
    let acc = Rc::new(Cell::new(0u32));
    let sink = acc.clone();
    let _ = executor.spawn("adc", async move {
        while let Some(delivery) = adc.recv().await {
            answer_fresh(delivery);
        }
    });
    let _ = executor.spawn("app", async move {
        let Ok(binding) = app.bind("hal://adc/3") else {
            return;
        };
        for i in 0..iters {
            let body = Record::new().with("n", i);
            let n = match app.call(&binding, Method::Read, body).await {
                Ok(reply) => reply.uint("n").unwrap_or(0) as u32,
                Err(_) => u32::MAX,
            };
            sink.set(fold(sink.get(), n));
        }
    });
    executor.run_until_idle();
    u64::from(acc.get())
}

/// One round trip driven by hand: poll the call (it enqueues and waits), let the handler
/// answer, poll again.
fn round_trip(app: &mut Endpoint, adc: &Endpoint, uri: Option<&crate::Binding>, i: u32) -> u32 {
    let mut cx = Context::from_waker(Waker::noop());
    let body = Record::new().with("n", i);
    let result = match uri {
        Some(binding) => {
            let mut call = pin!(app.call(binding, Method::Read, body));
            drive(&mut call, &mut cx, adc)
        }
        None => {
            let mut call = pin!(app.call_uri("hal://adc/3", Method::Read, body));
            drive(&mut call, &mut cx, adc)
        }
    };
    match result {
        Some(Ok(reply)) => reply.uint("n").unwrap_or(0) as u32,
        _ => u32::MAX,
    }
}

fn drive<F: core::future::Future>(
    call: &mut core::pin::Pin<&mut F>,
    cx: &mut Context<'_>,
    adc: &Endpoint,
) -> Option<F::Output> {
    if let Poll::Ready(out) = call.as_mut().poll(cx) {
        return Some(out);
    }
    if let Ok(delivery) = adc.try_recv() {
        answer(delivery);
    }
    match call.as_mut().poll(cx) {
        Poll::Ready(out) => Some(out),
        Poll::Pending => None,
    }
}

fn bound_call(iters: u32) -> u64 {
    let (_router, adc, mut app) = adc_pair();
    let Ok(binding) = app.bind("hal://adc/3") else {
        return 0;
    };
    let mut acc = 0u32;
    for i in 0..iters {
        acc = fold(
            acc,
            round_trip(&mut app, &adc, Some(&binding), black_box(i)),
        );
    }
    u64::from(acc)
}

fn resolve_every_call(iters: u32) -> u64 {
    let (_router, adc, mut app) = adc_pair();
    let mut acc = 0u32;
    for i in 0..iters {
        acc = fold(acc, round_trip(&mut app, &adc, None, black_box(i)));
    }
    u64::from(acc)
}

fn policy_check(iters: u32) -> u64 {
    const ROUTES: usize = 64;
    const CALLERS: usize = 16;
    let (router, authority) = quiet_router();
    let patterns: Vec<String> = (0..ROUTES).map(|r| format!("svc://s{r}/{{op}}")).collect();
    let pattern_refs: Vec<&str> = patterns.iter().map(String::as_str).collect();
    let _server = router
        .register(Registration::new("server", &pattern_refs))
        .expect("fresh router");
    let callers: Vec<Endpoint> = (0..CALLERS)
        .map(|c| {
            router
                .register(Registration::new(&format!("c{c}"), &[]))
                .expect("fresh router")
        })
        .collect();
    // Every caller gets some routes: caller c may read route r when (r + c) % 3 == 0 and
    // call it when r % (c + 1) == 0.
    for (c, _) in callers.iter().enumerate() {
        for (r, pattern) in patterns.iter().enumerate() {
            let mut methods = Methods::NONE;
            if (r + c) % 3 == 0 {
                methods = methods | Methods::READ;
            }
            if r % (c + 1) == 0 {
                methods = methods | Methods::CALL;
            }
            if !methods.is_empty() {
                let _ = authority.allow(&format!("c{c}"), pattern, methods);
            }
        }
    }
    let bindings: Vec<crate::Binding> = (0..ROUTES)
        .filter_map(|r| callers[0].bind(&format!("svc://s{r}/x")).ok())
        .collect();
    let mut acc = 0u32;
    for i in 0..iters as usize {
        let caller = &callers[i % CALLERS];
        let binding = &bindings[(i / CALLERS) % bindings.len()];
        let method = if i % 2 == 0 {
            Method::Read
        } else {
            Method::Call
        };
        let verdict = caller.may(black_box(binding), method).is_ok();
        acc = fold(acc, 1 + u32::from(verdict));
    }
    u64::from(acc)
}

/// A sensor reading of the kind a HAL subsystem returns.
fn sample_record() -> Record {
    Record::new()
        .with("seq", 0u32)
        .with("channel", "adc3")
        .with("millivolts", 1234.5f32)
        .with("at_us", 1_700_000_123u64)
        .with("valid", true)
        .with(
            "raw",
            &[0x12u8, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0][..],
        )
        .with(
            "tags",
            Value::List(alloc::vec![Value::from("cal"), Value::from("fast")]),
        )
}

fn record_encode(iters: u32) -> u64 {
    let mut record = sample_record();
    let mut buf = [0u8; 128];
    let mut acc = 0u32;
    for i in 0..iters {
        record.insert("seq", black_box(i));
        let seen = match black_box(&record).encode_into(&mut buf) {
            // The length and the two bytes after `seq`'s tag (its varint): both change with
            // `i`, so a constant result cannot fold to a constant checksum.
            Ok(bytes) => {
                (bytes.len() as u32) << 16 | u32::from(bytes[6]) << 8 | u32::from(bytes[7])
            }
            Err(_) => u32::MAX,
        };
        acc = fold(acc, seen);
    }
    u64::from(acc)
}

/// Eight encodings of the sample (`seq` 0, 100, 200, …).
fn sample_messages() -> Vec<Vec<u8>> {
    (0..8u32)
        .filter_map(|k| {
            let mut record = sample_record();
            record.insert("seq", k * 100);
            record.encode(&Limits::DEFAULT).ok()
        })
        .collect()
}

/// The sample's encodings validated and read in place in turn.
fn record_decode(iters: u32) -> u64 {
    let messages = sample_messages();
    if messages.len() != 8 {
        return 0;
    }
    let mut acc = 0u32;
    for i in 0..iters as usize {
        let bytes = black_box(&messages[i % messages.len()]);
        let seen = match RecordView::new(bytes, &Limits::DEFAULT) {
            Ok(r) => (r.uint("seq").unwrap_or(0) as u32) << 8 | r.len() as u32,
            Err(_) => u32::MAX,
        };
        acc = fold(acc, seen);
    }
    u64::from(acc)
}

/// The sample's encodings decoded into owned records in turn.
fn record_decode_owned(iters: u32) -> u64 {
    let messages = sample_messages();
    if messages.len() != 8 {
        return 0;
    }
    let mut acc = 0u32;
    for i in 0..iters as usize {
        let bytes = black_box(&messages[i % messages.len()]);
        let seen = match Record::decode(bytes, &Limits::DEFAULT) {
            Ok(r) => (r.uint("seq").unwrap_or(0) as u32) << 8 | r.len() as u32,
            Err(_) => u32::MAX,
        };
        acc = fold(acc, seen);
    }
    u64::from(acc)
}

/// `n` patterns in the shapes deployments use: per-device literal routes, parameterised
/// channels, and a few catch-alls per scheme; plus 64 URIs that hit them.
fn route_set(n: usize) -> (RouteTable<u32>, Vec<String>) {
    const SCHEMES: [&str; 4] = ["hal", "svc", "log", "net"];
    let mut table = RouteTable::with_capacity(n);
    let mut uris = Vec::new();
    for k in 0..n {
        let scheme = SCHEMES[k % SCHEMES.len()];
        let group = k / 16;
        let (pattern, uri) = match k % 4 {
            0 => (
                format!("{scheme}://dev{group}/reg{k}"),
                format!("{scheme}://dev{group}/reg{k}"),
            ),
            1 => (
                format!("{scheme}://dev{group}/ch{k}/{{channel}}"),
                format!("{scheme}://dev{group}/ch{k}/7"),
            ),
            2 => (
                format!("{scheme}://dev{group}/{{unit}}/op{k}"),
                format!("{scheme}://dev{group}/u2/op{k}"),
            ),
            _ => (
                format!("{scheme}://bus{k}/{{addr}}/{{reg}}"),
                format!("{scheme}://bus{k}/48/3"),
            ),
        };
        let _ = table.insert(&pattern, k as u32);
        uris.push(uri);
    }
    // 64 targets spread over the table.
    let step = (n / 64).max(1);
    let uris = (0..64)
        .map(|i| uris[(i * step + i / 7) % n].clone())
        .collect();
    (table, uris)
}

fn lookup(n: usize, iters: u32) -> u64 {
    let (table, texts) = route_set(n);
    let uris: Vec<Uri<'_>> = texts.iter().filter_map(|t| Uri::parse(t).ok()).collect();
    let mut acc = 0u32;
    for i in 0..iters as usize {
        let uri = black_box(&uris[i % uris.len()]);
        let found = table.lookup(uri).map_or(u32::MAX, |m| *m.value() + 1);
        acc = fold(acc, found);
    }
    u64::from(acc)
}

fn lookup_16(iters: u32) -> u64 {
    lookup(16, iters)
}

fn lookup_256(iters: u32) -> u64 {
    lookup(256, iters)
}

fn lookup_1024(iters: u32) -> u64 {
    lookup(1024, iters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lookup_target_resolves_to_the_pattern_it_was_made_for() {
        for n in [16, 256, 1024] {
            let (table, uris) = route_set(n);
            assert_eq!(table.len(), n, "no pattern conflicts");
            // 124 bytes a route on a 64-bit host (≈ 105 on the M33), text included: 1024
            // routes fit the firmware bench image's 256 KiB heap with room to spare.
            assert!(
                table.heap_bytes() < 1024 + n * 130,
                "{n}: {} B",
                table.heap_bytes()
            );
            for text in &uris {
                let uri = Uri::parse(text).unwrap();
                let m = table
                    .lookup(&uri)
                    .unwrap_or_else(|| panic!("{text} misses"));
                let pattern = crate::uri::Pattern::parse(m.pattern()).unwrap();
                assert!(pattern.matches(&uri).is_some(), "{text} -> {}", m.pattern());
            }
        }
    }
}
