//! The WASM → WASM path, end to end (issue 14, item 4): a guest module's `route_call` to a
//! WASM service through the router, and the reply back, one round trip per operation.
//!
//! | workload | one op | modules' code |
//! | --- | --- | --- |
//! | `vsoc/wasm_route_call` | the guest's `route_call` + `route_reply`; the service's `route_next` + `route_take` + `route_respond` (empty handler, empty record both ways) | `route_guest.wat`, `route_service.wat` |
//! | `wasmi/route_stubs` | the same two modules on bare wasmi (the vSoC's engine settings), every import a host function that returns at once: the modules' own work plus five bare wasmi host calls | the same |
//! | `wasmi/route_own_work` | the two loops with their five calls replaced by constants: the modules' own work alone | `route_guest_own.wat`, `route_service_own.wat` |
//!
//! `vsoc/wasm_route_call` is the real path: the guest's host call → the `route_call`
//! builtin (the request decoded and staged, the wasmi call suspended) → the guest's kernel
//! task calls the router (`Endpoint::call`: policy check, limits, enqueue into the
//! service's inbox) and waits → the service's task wakes from `route_next`, the delivery is
//! encoded in the `abi::delivery` layout and the service resumes → `route_take` copies it
//! out → `route_respond` decodes the reply record and replies through the router → the
//! guest's task wakes, encodes the reply, resumes the guest → `route_reply` copies it out.
//! The service is set up as a deployment sets one up (a P4 quota of its own,
//! `Vsoc::register_service` with an inbox of 4), the guest (in P5) reaches it by a policy rule (`allow("guest", "svc://null", READ)`).
//! Differences from a deployment: tracing is off (as in the router's workloads), and the
//! allocations are not placed in partitions (the bench image has one plain heap).
//!
//! **Beyond the modules' own work.** The modules' own work per round trip is counted the
//! same deterministic way as everything else, as its own workload: `wasmi/route_own_work`
//! runs both modules' loops on bare wasmi with each of the five calls replaced by the value
//! it returns (one `i32.sub` more, the service's countdown). So
//!
//! - `vsoc/wasm_route_call − wasmi/route_own_work` is the path's cost beyond the two
//!   modules' own work (issue 14's figure; goal ≤ 6,000 instructions on the M33), and
//! - `wasmi/route_stubs − wasmi/route_own_work` is the part of it that the five host calls
//!   would cost on bare wasmi with nothing behind them (wasmi's call entry and exit), so
//! - `vsoc/wasm_route_call − wasmi/route_stubs` is what the vSoC, the router, the kernel
//!   and the record codec add on top.
//!
//! Checksums: the guest sums what `route_call` and `route_reply` return (the reply's
//! length, 1 for an empty record, or a negative status), so a run of `n` round trips
//! returns `2 n` only if every reply arrived; the baselines' stubs return the same values.

use alloc::boxed::Box;
use alloc::rc::Rc;
use core::cell::Cell;

use fireball_kernel::mem::Placement;
use fireball_router::{Methods, Router, RouterConfig, TraceConfig};
use fireball_subsystems::hal::{Console, NullConsole};

use crate::{Vsoc, VsocConfig, kernel::sched::Executor};

const GUEST: &[u8] = include_bytes!("route_guest.wasm");
const SERVICE: &[u8] = include_bytes!("route_service.wasm");
const GUEST_OWN: &[u8] = include_bytes!("route_guest_own.wasm");
const SERVICE_OWN: &[u8] = include_bytes!("route_service_own.wasm");

const ROUTE: &str = "svc://null";
/// The service's owner id and P4 quota (the vSoC's admission estimate for it is ~25 KB).
const SERVICE_ID: u16 = 1;
const SERVICE_QUOTA: usize = 32 * 1024;

/// A console that keeps the last four bytes printed (the guest prints its sum once).
struct Tally(Rc<Cell<u32>>);

impl Console for Tally {
    fn write(&mut self, bytes: &[u8]) {
        if let Ok(sum) = <[u8; 4]>::try_from(bytes) {
            self.0.set(u32::from_le_bytes(sum));
        }
    }
}

/// `iters` round trips from a guest to a WASM service through the router.
pub(super) fn vsoc_wasm_route_call(iters: u32) -> u64 {
    let (router, authority) = Router::new(RouterConfig {
        trace: TraceConfig {
            capacity: 0,
            bodies: false,
        },
        ..RouterConfig::default()
    });
    if authority.allow("guest", ROUTE, Methods::READ).is_err() {
        return 0;
    }
    let vsoc = Vsoc::new(VsocConfig::default());
    vsoc.attach_router(router);
    let Ok(mut executor) = Executor::with_capacity(2) else {
        return 0;
    };
    let (Ok(service), Ok(guest)) = (vsoc.load("null", SERVICE), vsoc.load("guest", GUEST)) else {
        return 0;
    };
    // The service in a P4 quota of its own (what a deployment gives it), the guest in P5.
    vsoc.set_service_quota(SERVICE_ID, SERVICE_QUOTA);
    let sum = Rc::new(Cell::new(0));
    let (Ok(service), Ok(mut guest)) = (
        vsoc.instantiate_in(
            &service,
            Box::new(NullConsole::default()),
            Placement::service(SERVICE_ID),
        ),
        vsoc.instantiate(&guest, Box::new(Tally(sum.clone()))),
    ) else {
        return 0;
    };
    if vsoc.register_service(&service, &[ROUTE], 4).is_err()
        || guest.write_memory(0, &iters.to_le_bytes()).is_err()
        || vsoc.spawn(&mut executor, service).is_err()
        || vsoc.spawn(&mut executor, guest).is_err()
    {
        return 0;
    }
    // The guest finishes; the service is left waiting in `route_next`.
    vsoc.run_until_idle(&mut executor);
    u64::from(sum.get())
}

/// What the baselines' stub imports need: the calls left before `route_next` refuses.
struct Stubs {
    remaining: u32,
}

/// Run `guest` and `service` on bare wasmi (the vSoC's engine settings, fuel set once),
/// each as one call of `fb_main` over `iters` rounds, every import a host function that
/// returns at once with what the real one returns in the round trip; the guest's sum.
fn run_pair_in_wasmi(guest: &[u8], service: &[u8], iters: u32) -> u64 {
    let config = VsocConfig::default();
    let mut wasm = wasmi::Config::default();
    wasm.consume_fuel(true)
        .compilation_mode(wasmi::CompilationMode::Eager)
        .wasm_custom_page_sizes(true)
        .set_max_recursion_depth(config.max_call_depth)
        .set_max_stack_height(config.max_value_stack);
    let engine = wasmi::Engine::new(&wasm);
    let mut linker = wasmi::Linker::<Stubs>::new(&engine);
    type C<'a> = wasmi::Caller<'a, Stubs>;
    let linked = (|| -> Result<(), wasmi::Error> {
        linker.func_wrap("fb", "print", |_: C<'_>, _: i32, _: i32| {})?;
        linker.func_wrap("fb", "route_bind", |_: C<'_>, _: i32, _: i32| -> i32 { 1 })?;
        linker.func_wrap(
            "fb",
            "route_call_into",
            |_: C<'_>, _: i32, _: i32, _: i32, _: i32, _: i32, _: i32| -> i32 { 1 },
        )?;
        linker.func_wrap(
            "fb",
            "route_respond_next",
            |mut caller: C<'_>, _: i32, _: i32, _: i32, _: i32, _: i32, _: i32| -> i32 {
                let stubs = caller.data_mut();
                match stubs.remaining.checked_sub(1) {
                    Some(left) => {
                        stubs.remaining = left;
                        33
                    }
                    None => -1,
                }
            },
        )?;
        Ok(())
    })();
    if linked.is_err() {
        return 0;
    }
    let mut sum = 0;
    for (bytes, is_guest) in [(service, false), (guest, true)] {
        let Ok(module) = wasmi::Module::new(&engine, bytes) else {
            return 0;
        };
        let mut store = wasmi::Store::new(&engine, Stubs { remaining: iters });
        if store.set_fuel(u64::MAX / 2).is_err() {
            return 0;
        }
        let Ok(instance) = linker.instantiate_and_start(&mut store, &module) else {
            return 0;
        };
        let (Some(memory), Ok(main)) = (
            instance.get_memory(&store, "memory"),
            instance.get_typed_func::<(), ()>(&store, "fb_main"),
        ) else {
            return 0;
        };
        memory.data_mut(&mut store)[..4].copy_from_slice(&iters.to_le_bytes());
        if main.call(&mut store, ()).is_err() {
            return 0;
        }
        if is_guest {
            let data = memory.data(&store);
            sum = u64::from(u32::from_le_bytes([data[4], data[5], data[6], data[7]]));
        }
    }
    sum
}

/// The same two modules, every import a stub.
pub(super) fn wasmi_route_stubs(iters: u32) -> u64 {
    run_pair_in_wasmi(GUEST, SERVICE, iters)
}

/// The two modules' loops without their calls: their own work.
pub(super) fn wasmi_route_own_work(iters: u32) -> u64 {
    run_pair_in_wasmi(GUEST_OWN, SERVICE_OWN, iters)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every reply arrived: `route_call_into` returned the empty record's length once per
    /// round trip; the baselines agree.
    #[test]
    fn every_round_trip_gets_its_reply() {
        for iters in [1, 2, 7, 1_000] {
            let expected = u64::from(iters);
            assert_eq!(vsoc_wasm_route_call(iters), expected, "{iters} round trips");
            assert_eq!(wasmi_route_stubs(iters), expected);
            assert_eq!(wasmi_route_own_work(iters), expected);
        }
    }

    /// The empty record the modules send is what the router encodes for one.
    #[test]
    fn the_modules_send_an_empty_record() {
        let empty = fireball_router::Record::new()
            .encode(&fireball_router::Limits::default())
            .unwrap();
        assert_eq!(empty, [0u8]);
    }
}
