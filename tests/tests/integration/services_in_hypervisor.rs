//! The three service plugins in the hypervisor, beyond what the demo's guests ask of them:
//! once the sensor-hub deployment's guests are done, a native probe reads the filter's state and retunes a
//! channel, reads what the aggregator wrote to `stats`, asks the mesh gateway for its node
//! table and counters, and sends each a request it must refuse.

use std::{cell::RefCell, rc::Rc};

use filter_messages::{Alphas, ChannelState};
use fireball::deploy::{self, Output, RunOptions};
use fireball_router::{CallError, Method, Methods, Record, Registration, from_record, to_record};
use fireball_subsystems::host::BufferConsole;
use fireball_tests::{modules_dir, repo_root};
use mesh_messages::{Nodes, Stats};
use stats_messages::{Keys, Sample, Summary};

#[derive(Debug, Default)]
struct Seen {
    state: Option<ChannelState>,
    retuned: Option<ChannelState>,
    bad_alpha: Option<CallError>,
    keys: Option<Keys>,
    sensor0: Option<Summary>,
    nan: Option<CallError>,
    nodes: Option<Nodes>,
    mesh: Option<Stats>,
    empty_tx: Option<CallError>,
}

#[test]
fn filter_stats_and_mesh_answer_every_route_and_refuse_bad_requests() {
    let console = BufferConsole::new();
    let options = RunOptions {
        output: Output::Buffer(console.clone()),
        ..RunOptions::default()
    };
    let manifest = repo_root().join("examples/sensor-hub/fireball.toml");
    let mut system = deploy::boot_file(&manifest, &modules_dir(), options).unwrap();
    // The deployment runs as the demo does; the services keep serving after the guests.
    assert!(!system.run_guests());
    let router = system.router();
    let authority = system.router_authority();
    for route in [
        "svc://filter/{ch}/{what}",
        "svc://stats",
        "svc://stats/{key}",
        "svc://mesh/{op}",
    ] {
        authority
            .allow("probe", route, Methods::READ | Methods::WRITE)
            .unwrap();
    }
    let mut probe = router.register(Registration::new("probe", &[])).unwrap();
    let seen = Rc::new(RefCell::new(Seen::default()));
    let out = seen.clone();
    system
        .spawn_native("probe", async move {
            let mut call = async |uri: &str, method: Method, body: Record| {
                let binding = probe.bind(uri).unwrap();
                probe.call(&binding, method, body).await
            };
            let state = call("svc://filter/2/state", Method::Read, Record::new()).await;
            out.borrow_mut().state = Some(from_record(&state.unwrap()).unwrap());
            let same = to_record(&Alphas {
                alphas: [0.1, 0.3, 0.5],
            })
            .unwrap();
            let retuned = call("svc://filter/2/alpha", Method::Write, same).await;
            out.borrow_mut().retuned = Some(from_record(&retuned.unwrap()).unwrap());
            let zero = to_record(&Alphas {
                alphas: [0.0, 0.3, 0.5],
            })
            .unwrap();
            out.borrow_mut().bad_alpha = call("svc://filter/2/alpha", Method::Write, zero)
                .await
                .err();
            let nan = to_record(&Sample { value: f64::NAN }).unwrap();
            out.borrow_mut().nan = call("svc://stats/probe", Method::Write, nan).await.err();
            let empty = Record::new().with("data", fireball_router::Value::Bytes(Vec::new()));
            out.borrow_mut().empty_tx = call("svc://mesh/tx", Method::Write, empty).await.err();
            // Both of the aggregator's windows reached the statistics.
            let summary = call("svc://stats/sensor0", Method::Read, Record::new()).await;
            out.borrow_mut().sensor0 = Some(from_record(&summary.unwrap()).unwrap());
            let keys = call("svc://stats", Method::Read, Record::new()).await;
            out.borrow_mut().keys = Some(from_record(&keys.unwrap()).unwrap());
            let nodes = call("svc://mesh/nodes", Method::Read, Record::new()).await;
            out.borrow_mut().nodes = Some(from_record(&nodes.unwrap()).unwrap());
            let stats = call("svc://mesh/stats", Method::Read, Record::new()).await;
            out.borrow_mut().mesh = Some(from_record(&stats.unwrap()).unwrap());
        })
        .unwrap();
    system.settle();
    let report = system.finish();
    assert!(
        report.all_guests_finished(),
        "{report}\n{}",
        console.contents()
    );
    let seen = seen.borrow();

    let state = seen.state.unwrap();
    assert_eq!((state.channel, state.alphas), (2, [0.1, 0.3, 0.5]));
    assert_eq!(seen.retuned.unwrap().alphas, [0.1, 0.3, 0.5]);
    assert_eq!(seen.bad_alpha, Some(CallError::Failed(422)));
    assert_eq!(seen.nan, Some(CallError::Failed(422)));
    assert_eq!(seen.empty_tx, Some(CallError::Failed(400)));

    let keys = &seen.keys.as_ref().unwrap().keys;
    assert_eq!(keys, &["sensor0", "sensor1", "sensor2", "sensor3"]);
    let sensor0 = seen.sensor0.unwrap();
    assert_eq!(sensor0.count, 2, "one mean per window");
    assert!(
        sensor0.min <= sensor0.mean && sensor0.mean <= sensor0.max,
        "{sensor0:?}"
    );

    let nodes = &seen.nodes.as_ref().unwrap().nodes;
    let ids: Vec<u8> = nodes.iter().map(|n| n.id).collect();
    assert_eq!(
        ids,
        [1, 2, 3],
        "the three remote nodes announced themselves"
    );
    let mesh = seen.mesh.unwrap();
    assert!(mesh.messages >= 4, "{mesh:?}");
    assert_eq!(mesh.failed, 0);
    assert!(mesh.received >= 3);
}
