//! A deployment on the kernel's partitioned heap, as on the board (this test binary's
//! global allocator is the `PartitionedHeap`; see `fireball_tests::placed`): a service whose
//! P4 quota runs out while it serves is stopped by its partition's policy — the reserve
//! covers the allocation that failed until then — its caller gets an error, and the other
//! service and the guest go on.

use std::{cell::RefCell, rc::Rc};

use fireball::deploy;
use fireball_deploy::{RunOptions, Sink, State, System};
use fireball_manifest::{Manifest, ModuleDirs};
use fireball_subsystems::hal::Console;
use fireball_tests::{
    placed::{Routed, lay_out, placed},
    wat::ECHO,
};
use fireball_vsoc::kernel::mem::{OwnerId, PartitionId, PartitionedHeap};

static HEAP: PartitionedHeap = PartitionedHeap::new();

#[global_allocator]
static ALLOCATOR: Routed = Routed(&HEAP);

/// Serves `svc://hog`: each request recurses 6 frames of 1,024 locals deep before it
/// answers: 48 KiB of value stack (grown to 64 KiB by doubling), within the 64 KiB cap the
/// vSoC admitted it with, but more than its quota has room for beside its store.
fn hog() -> String {
    let locals = "(local i64) ".repeat(1024);
    format!(
        r#"(module
        (import "fb" "route_next" (func $next (result i32)))
        (import "fb" "route_take" (func $take (param i32 i32) (result i32)))
        (import "fb" "route_respond" (func $respond (param i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 8192 8192 (pagesize 1))
        (func $deep (param $n i32) {locals}
            (if (i32.gt_u (local.get $n) (i32.const 0))
                (then (call $deep (i32.sub (local.get $n) (i32.const 1))))))
        (func (export "fb_main")
            (loop $serve
                (if (i32.lt_s (call $next) (i32.const 0)) (then (return)))
                (drop (call $take (i32.const 0) (i32.const 4096)))
                (call $deep (i32.const 5))
                (if (i32.eqz (i32.load8_u (i32.const 0)))
                    (then (drop (call $respond (i32.load (i32.const 4)) (i32.const 0)
                        (i32.const 16) (i32.const 0)))))
                (br $serve))))"#
    )
}

/// Calls `svc://hog` once, then `svc://echo` three times; prints `ok` per reply, `E` per
/// failure.
const APP: &str = r#"(module
    (import "fb" "route_bind" (func $bind (param i32 i32) (result i32)))
    (import "fb" "route_call" (func $call (param i32 i32 i32 i32) (result i32)))
    (import "fb" "print" (func $print (param i32 i32)))
    (memory (export "memory") 8192 8192 (pagesize 1))
    (data (i32.const 0) "svc://hog")
    (data (i32.const 100) "svc://echo")
    (data (i32.const 200) "\00")
    (data (i32.const 300) "ok\nE\n")
    (func $report (param $status i32)
        (if (i32.ge_s (local.get $status) (i32.const 0))
            (then (call $print (i32.const 300) (i32.const 3)))
            (else (call $print (i32.const 303) (i32.const 2)))))
    (func (export "fb_main") (local $b i32) (local $i i32)
        (local.set $b (call $bind (i32.const 0) (i32.const 9)))
        (call $report (call $call (local.get $b) (i32.const 0) (i32.const 200) (i32.const 1)))
        (local.set $b (call $bind (i32.const 100) (i32.const 10)))
        (loop $again
            (call $report (call $call (local.get $b) (i32.const 0) (i32.const 200) (i32.const 1)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $again (i32.lt_u (local.get $i) (i32.const 3))))))"#;

const MANIFEST: &str = r#"
[deployment]
name = "quota-test"
value_stack = 65536

# Checked against the board's RAM; this test lays out host-sized partitions of its own.
[partitions]
services = 196608
guests = 98304

[[service]]
name = "echo"
module = "echo.wasm"
quota = 98304
routes = ["svc://echo"]

[[service]]
name = "hog"
module = "hog.wasm"
# Exactly what admission charges (the 64 KiB stack cap, 8 KiB of memory, 8 KiB of store);
# the store's real size on a 64-bit host leaves the stack less than its cap.
quota = 81920
routes = ["svc://hog"]

[[guest]]
name = "app"
module = "app.wasm"
reach = [
  { route = "svc://echo", methods = ["read"] },
  { route = "svc://hog", methods = ["read"] },
]
"#;

/// Everything the deployment prints, in one buffer.
#[derive(Clone, Default)]
struct Collect(Rc<RefCell<String>>);

impl Console for Collect {
    fn write(&mut self, bytes: &[u8]) {
        self.0
            .borrow_mut()
            .push_str(&String::from_utf8_lossy(bytes));
    }
}

impl Sink for Collect {
    fn console(&self, label: &str) -> Box<dyn Console> {
        Box::new(fireball_subsystems::hal::Labelled::new(label, self.clone()))
    }

    fn line(&self, text: &str) {
        let mut out = self.0.borrow_mut();
        out.push_str(text);
        out.push('\n');
    }
}

/// The whole scenario is one test: the partitioned heap is process-global.
#[test]
fn a_service_that_outgrows_its_quota_is_stopped_and_the_rest_run_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("echo.wasm"), wat::parse_str(ECHO).unwrap()).unwrap();
    std::fs::write(dir.path().join("hog.wasm"), wat::parse_str(hog()).unwrap()).unwrap();
    std::fs::write(dir.path().join("app.wasm"), wat::parse_str(APP).unwrap()).unwrap();
    let manifest = Manifest::parse(MANIFEST).unwrap();
    let dirs = ModuleDirs {
        manifest_dir: dir.path().to_path_buf(),
        modules_dir: dir.path().to_path_buf(),
    };
    let plan = deploy::plan(&manifest, &dirs).unwrap();
    // Host-sized partitions (64-bit pointers); the reserve can cover the hog's first
    // doubling of its value stack.
    lay_out(
        &HEAP,
        [1 << 20, 4 << 20, 1 << 20, 512 << 10, 256 << 10, 512 << 10],
    );

    let out = Collect::default();
    let (report, quotas) = placed(|| {
        let mut options = RunOptions::new(Rc::new(out.clone()));
        options.heap = Some(&HEAP);
        let mut system = System::boot(&plan, options).unwrap();
        system.run_guests();
        // While the deployment is still up: the echo service holds its instance.
        let quotas = [1, 2].map(|id| HEAP.service_stats(OwnerId(id)).unwrap());
        (system.finish(), quotas)
    });
    let out = out.0.borrow().clone();

    // The hog's request failed, every echo came back.
    assert!(
        out.contains("[app] E\n[app] ok\n[app] ok\n[app] ok\n"),
        "{out}"
    );
    let hog = report.components.iter().find(|c| c.name == "hog").unwrap();
    let State::Stopped(why) = &hog.state else {
        panic!("the hog should be stopped: {:?}\n{out}", hog.state)
    };
    assert!(
        why.starts_with("P4 quota exhausted (asked ") && why.ends_with("the reserve covered it)"),
        "{why}"
    );
    assert!(
        out.contains(&format!("[fireball] hog stopped: {why}")),
        "{out}"
    );
    let echo = report.components.iter().find(|c| c.name == "echo").unwrap();
    assert!(matches!(echo.state, State::Running(_)), "{:?}", echo.state);
    let app = report.components.iter().find(|c| c.name == "app").unwrap();
    assert_eq!(app.state, State::Finished);
    assert!(report.halted.is_none());

    // The hog's memory went back, all but its monitor (the record the report reads), and
    // the reserve was repaid; the echo service still holds its instance.
    assert!(quotas[1].allocated < 512, "{:?}", quotas[1]);
    assert!(quotas[1].peak > 40_000, "{:?}", quotas[1]);
    assert!(quotas[1].failures > 0);
    assert_eq!(HEAP.stats(PartitionId::Reserve).unwrap().allocated, 0);
    assert!(HEAP.loans() > 0);
    assert!(quotas[0].allocated > 0);
    assert!(HEAP.check().is_ok());
    // Each component's RAM was measured.
    assert_eq!(report.ram.len(), 3);
    assert!(
        report.ram.iter().all(|c| c.instance > 0),
        "{:?}",
        report.ram
    );
    assert!(report.fixed_ram.is_some_and(|f| f > 0));
}
