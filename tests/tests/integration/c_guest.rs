//! The seed's app 1 written in C (`examples/sensor-buffer-c`: clang, no SDK, no libc) runs
//! in a deployment exactly where the Rust guest runs: same manifest entry, same routes,
//! same messages on the router and the air.

use fireball::deploy::{self, Output, RunOptions, RunReport, State};
use fireball_manifest::{Manifest, ModuleDirs};
use fireball_subsystems::host::BufferConsole;
use fireball_tests::modules_dir;

fn run(module: &str) -> (RunReport, String) {
    let manifest = format!(
        r#"
[deployment]
name = "c-guest"

[partitions]
services = 57344

[[service]]
name = "mesh"
module = "mesh"
quota = 57344
routes = ["svc://mesh/{{op}}"]
reach = [
  {{ route = "hal://radio/{{radio}}", methods = ["read", "write"] }},
  {{ route = "hal://timer/{{timer}}", methods = ["read"] }},
]

[[guest]]
name = "sensor-buffer"
module = "{module}"
reach = [
  {{ route = "hal://adc/0", methods = ["read"] }},
  {{ route = "svc://mesh/{{op}}", methods = ["write"] }},
  {{ route = "log://", methods = ["write"] }},
]
"#
    );
    let out = BufferConsole::new();
    let options = RunOptions {
        output: Output::Buffer(out.clone()),
        ..RunOptions::default()
    };
    let dirs = ModuleDirs {
        manifest_dir: modules_dir(),
        modules_dir: modules_dir(),
    };
    let system = deploy::boot(&Manifest::parse(&manifest).unwrap(), &dirs, options)
        .unwrap_or_else(|e| panic!("{module}: {e}"));
    (system.run(), out.contents())
}

/// `(method, uri, request bytes)` of every request the guest made.
fn requests_of(report: &RunReport, caller: &str) -> Vec<(String, String, String)> {
    report
        .trace
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            (f.get(1) == Some(&"request") && f[3].starts_with(&format!("{caller}#")))
                .then(|| (f[6].to_string(), f[7].to_string(), f[8].to_string()))
        })
        .collect()
}

#[test]
fn the_c_guest_does_what_the_rust_guest_does() {
    let (rust, rust_said) = run("sensor-buffer");
    let (c, c_said) = run("sensor-buffer-c");
    for report in [&rust, &c] {
        let guest = report
            .components
            .iter()
            .find(|c| c.name == "sensor-buffer")
            .unwrap();
        assert_eq!(guest.state, State::Finished, "{report}");
    }
    // 128 ADC reads and 2 transmits of 128 bytes, from both.
    let (rust_requests, c_requests) = (
        requests_of(&rust, "sensor-buffer"),
        requests_of(&c, "sensor-buffer"),
    );
    assert_eq!(rust_requests.len(), 130);
    assert_eq!(c_requests.len(), rust_requests.len());
    let shape = |r: &[(String, String, String)]| -> Vec<(String, String)> {
        r.iter().map(|(m, u, _)| (m.clone(), u.clone())).collect()
    };
    assert_eq!(shape(&c_requests), shape(&rust_requests));
    // The same record encodings: equal sizes for every request (ADC reads are empty
    // records; each transmit carries 128 bytes).
    assert_eq!(c_requests, rust_requests);
    // The remote nodes heard the same number of frames and bytes.
    assert_eq!(c.radio, rust.radio);
    // And the logger got the same lines.
    let lines = |said: &str| -> Vec<String> {
        said.lines()
            .filter(|l| l.contains("sensor-buffer: "))
            .map(|l| l.split("sensor-buffer: ").nth(1).unwrap().to_string())
            .collect()
    };
    assert_eq!(lines(&c_said), lines(&rust_said));
    assert_eq!(lines(&c_said).len(), 3, "{c_said}");
}
