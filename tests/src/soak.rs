//! The soak run (issue 20, part 3): the sensor hub for hours of virtual time. Its three
//! guests run their course at the start (1.4 s); `sensors`, a healthy guest, then keeps its
//! three services busy for the whole run, and `chaos`, a guest that misbehaves at seeded
//! random intervals, is restarted each time it stops ([`guests`] says what each does).
//!
//! What it shows, and how:
//!
//! - **Nothing leaks across a restart.** At each of `chaos`'s restarts ([`Sink::restarted`]:
//!   the old instance dropped, the new one made and not yet run) the deployment's heap is
//!   read, partition by partition and quota by quota, when every other component is idle (a
//!   guest asleep or done, a service waiting for a request: nearly always, see
//!   [`Figures::leak_samples`]) and warm-up is over. Each reading must equal the first, to
//!   the byte: P1 (kernel), P3 (router, `hal`, `logger`), each service's quota, P5 (the
//!   guests, `chaos` among them). P2 is left out: it holds the engine's code, which grows as
//!   functions are first called and is not any instance's.
//! - **Every request is answered.** A counting [`Sink`] reads the router's trace as it is
//!   made, keeping only the ids of the requests still open: requests = replies + failures
//!   (a failed reply or a timeout), nothing answered twice, nothing left open.
//! - **The host stays flat.** Nothing of the run is kept but counters: no trace, no output
//!   (`keep_trace` off, a console that only counts). The process's resident set is sampled
//!   every 10 s of virtual time; after the first tenth of the run (warm-up: the heap's pages
//!   touched for the first time, the interpreter's caches filled) it may grow by at most
//!   [`RSS_SLACK_KB`].
//!
//! # Time
//!
//! The deployment's clock is virtual ([`fireball_deploy::System`]): a slice of fuel advances
//! it by the time the board would take, and when every task waits it jumps to the next
//! deadline. The healthy guests work in short bursts ([`SENSORS_PERIOD_US`] apart) and
//! `chaos` sleeps between its misdeeds, so most of a virtual hour is skipped, not
//! simulated: that jump is the soak's whole speed-up, and nothing is added to it.

pub mod guests;

use std::{
    cell::{Cell, RefCell},
    collections::{BTreeMap, BTreeSet},
    fmt,
    path::Path,
    rc::Rc,
    time::{Duration, Instant},
};

use fireball_deploy::{RunOptions, RunReport, Sink, System};
use fireball_kernel::mem::{OwnerId, PartitionId, PartitionedHeap, Placement};
use fireball_manifest::{Manifest, ModuleDirs};
use fireball_subsystems::hal::Console;

/// How far the resident set may grow after warm-up, KiB.
pub const RSS_SLACK_KB: u64 = 512;

/// Virtual time between two rounds of the `sensors` guest.
pub const SENSORS_PERIOD_US: u64 = 200_000;

/// The partitions the soak lays out on the host (P1 to P6): at least twice the manifest's
/// sizes, for a 64-bit host's pointers (`fireball run` doubles them exactly); the partition
/// table still states the manifest's.
pub const HOST_PARTITIONS: [usize; 6] =
    [64 << 10, 1 << 20, 128 << 10, 256 << 10, 512 << 10, 16 << 10];

/// The sensor hub's manifest with the soak's two guests added (`chaos` restarted on failure),
/// P5 and P3 grown for them (the whole still fits the nRF5340's 512 KiB).
pub fn manifest(sensor_hub: &str) -> String {
    let mut text = sensor_hub
        .replace("name = \"sensor-hub\"", "name = \"sensor-hub-soak\"")
        .replace("guests = 81920 ", "guests = 131072")
        .replace("subsystems = 28672 ", "subsystems = 40960");
    text.push_str(
        r#"
# The soak's guests (tests/src/soak.rs).
[[guest]]
name = "sensors"
module = "sensors.wasm"
reach = [
  { route = "svc://filter/{ch}", methods = ["read"] },
  { route = "svc://stats/{key}", methods = ["write"] },
  { route = "svc://mesh/{op}", methods = ["write"] },
]

[[guest]]
name = "chaos"
module = "chaos.wasm"
restart = "on-failure"
max_restarts = 30
restart_window_ms = 10000
restart_backoff_ms = 10
reach = [{ route = "svc://stats/{key}", methods = ["write"] }]
"#,
    );
    text
}

/// What to run.
#[derive(Clone, Debug)]
pub struct Soak {
    /// Virtual time the guests work for (µs).
    pub virtual_us: u64,
    /// The seed `chaos` picks its intervals and misdeeds with.
    pub seed: u32,
}

/// What a soak run measured.
#[derive(Clone, Debug, Default)]
pub struct Figures {
    /// Virtual time at the end (µs).
    pub virtual_us: u64,
    /// Wall time the run took.
    pub wall: Duration,
    /// `chaos`'s stops, by reason (numbers in the reason replaced by `N`).
    pub stops: BTreeMap<String, u64>,
    /// Its restarts.
    pub restarts: u64,
    /// Spins and floods it survived.
    pub spins: u64,
    /// Floods.
    pub floods: u64,
    /// Restarts the heap was read at (every other guest asleep), and the ones skipped.
    pub leak_samples: (u64, u64),
    /// Per partition or quota: bytes at the first sampled restart, and the largest difference
    /// from it at any later one (the bytes leaked, if any).
    pub leaks: Vec<(String, usize, i64)>,
    /// The partition table at the end (peaks over the whole run).
    pub partitions: String,
    /// Requests, replies (ok), failures (failed replies and timeouts), still open.
    pub requests: u64,
    /// Replies that were ok.
    pub replies: u64,
    /// Failed replies and timeouts, by error.
    pub failures: BTreeMap<String, u64>,
    /// Requests never answered.
    pub open: u64,
    /// Answers for no open request (answered twice).
    pub stray: u64,
    /// Calls refused before they were requests (a full inbox, a denial), by error.
    pub refused: BTreeMap<String, u64>,
    /// Notifications delivered.
    pub notified: u64,
    /// Trace events lost before they were read.
    pub lost: u64,
    /// Lines the guests printed `unexpected` (a status the soak did not expect).
    pub unexpected: u64,
    /// Stops of components other than `chaos`, and `chaos` giving up.
    pub casualties: Vec<String>,
    /// RSS (KiB): first sample, at the end of warm-up, largest after it, last; samples.
    pub rss: (u64, u64, u64, u64, usize),
    /// RSS (KiB) at the end of each tenth of the run: its shape, flat or climbing.
    pub rss_tenths: Vec<u64>,
    /// Whether the run halted (a partition the board cannot lose ran out).
    pub halted: Option<String>,
    /// Whether every guest finished.
    pub finished: bool,
}

/// The counting sink: counters and open request ids, nothing else.
struct Counter {
    heap: &'static PartitionedHeap,
    beside: fn(&mut dyn FnMut()),
    figures: RefCell<Figures>,
    open: RefCell<BTreeSet<u32>>,
    /// Whether every guest but `chaos` sleeps (set at each turn's end, observe feature).
    quiet: Cell<bool>,
    /// Heap figures at the first sampled restart, and the largest difference since.
    leaks: RefCell<Vec<(String, usize, i64)>>,
    rss: RefCell<RssSamples>,
    seconds: Cell<u64>,
    warm_up_s: u64,
    /// The guests' working time, s (the tenths of [`Figures::rss_tenths`]).
    run_s: u64,
}

#[derive(Default)]
struct RssSamples {
    first: Option<u64>,
    warm: Option<u64>,
    max_after: u64,
    last: u64,
    count: usize,
    tenths: Vec<u64>,
}

/// The resident set of this process, KiB (`VmRSS`; 0 where there is no procfs).
pub fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// `text` with each run of digits replaced by `N`: a reason's kind, whatever its numbers.
fn kind(text: &str) -> String {
    let mut out = String::new();
    let mut digits = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !digits {
                out.push('N');
            }
            digits = true;
        } else {
            out.push(c);
            digits = false;
        }
    }
    out
}

impl Counter {
    fn aside(&self, mut f: impl FnMut()) {
        (self.beside)(&mut f);
    }

    /// The heap's figures now, per partition and per service quota.
    fn heap_now(&self) -> Vec<(String, usize)> {
        let mut rows: Vec<(String, usize)> = PartitionId::ALL
            .into_iter()
            .filter(|&p| p != PartitionId::Runtime)
            .map(|p| {
                let used = self.heap.allocated(Placement::new(p, OwnerId(0)));
                (format!("P{} {}", p.number(), p.name()), used)
            })
            .collect();
        for owner in self.heap.service_owners() {
            if let Some(stats) = self.heap.service_stats(owner) {
                rows.push((format!("  quota P4/{}", owner.0), stats.allocated));
            }
        }
        rows
    }

    fn restarted(&self) {
        let mut figures = self.figures.borrow_mut();
        figures.restarts += 1;
        // Before warm-up ends the sensor hub's own guests may still be running or just gone.
        if self.seconds.get() < self.warm_up_s {
            return;
        }
        if !self.quiet.get() {
            figures.leak_samples.1 += 1;
            return;
        }
        figures.leak_samples.0 += 1;
        let now = self.heap_now();
        let mut leaks = self.leaks.borrow_mut();
        if leaks.is_empty() {
            *leaks = now.into_iter().map(|(l, b)| (l, b, 0)).collect();
            return;
        }
        for ((_, first, worst), (_, bytes)) in leaks.iter_mut().zip(now) {
            let diff = bytes as i64 - *first as i64;
            if diff.abs() > worst.abs() {
                *worst = diff;
            }
        }
    }

    fn read_trace(&self, lines: &str) {
        let mut f = self.figures.borrow_mut();
        let mut open = self.open.borrow_mut();
        let id = |rest: &str| -> Option<u32> {
            rest.split_whitespace()
                .find_map(|w| w.strip_prefix('#'))
                .and_then(|n| n.parse().ok())
        };
        for line in lines.lines() {
            if let Some(lost) = line.strip_prefix("…  ") {
                f.lost += lost
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse::<u64>().ok())
                    .unwrap_or(1);
                continue;
            }
            let body = line.split_once(' ').map_or(line, |(_, r)| r).trim_start();
            let (event, rest) = body.split_once(' ').unwrap_or((body, ""));
            match event {
                "request" => {
                    f.requests += 1;
                    if let Some(id) = id(rest) {
                        open.insert(id);
                    }
                }
                "reply" | "timeout" => {
                    if !id(rest).is_some_and(|id| open.remove(&id)) {
                        f.stray += 1;
                    }
                    if event == "reply" && rest.contains(" ok ") {
                        f.replies += 1;
                    } else {
                        let why = match rest.split_once(" err ") {
                            Some((_, e)) => e.to_string(),
                            None => "timeout".into(),
                        };
                        *f.failures.entry(why).or_default() += 1;
                    }
                }
                "notify" => f.notified += 1,
                "failed" | "denied" => {
                    let why = rest.rsplit_once(": ").map_or(event, |(_, e)| e);
                    *f.refused
                        .entry(format!("{event}: {}", kind(why)))
                        .or_default() += 1;
                }
                _ => {}
            }
        }
    }

    fn second(&self) {
        let s = self.seconds.get() + 1;
        self.seconds.set(s);
        if !s.is_multiple_of(10) && s != 1 {
            return;
        }
        let kb = rss_kb();
        let mut rss = self.rss.borrow_mut();
        rss.count += 1;
        rss.last = kb;
        rss.first.get_or_insert(kb);
        if s * 10 >= self.run_s * (rss.tenths.len() as u64 + 1) && rss.tenths.len() < 10 {
            rss.tenths.push(kb);
        }
        if s >= self.warm_up_s {
            match rss.warm {
                None => rss.warm = Some(kb),
                Some(_) => rss.max_after = rss.max_after.max(kb),
            }
        }
    }
}

/// Counts what the guests print: `unexpected` from anyone, `spin` and `flood` from `chaos`.
struct Tally {
    sink: Rc<Counter>,
}

impl Console for Tally {
    fn write(&mut self, bytes: &[u8]) {
        let has = |word: &[u8]| bytes.windows(word.len()).any(|w| w == word);
        let mut f = self.sink.figures.borrow_mut();
        if has(b"unexpected") {
            f.unexpected += 1;
        }
        if has(b"spin\n") {
            f.spins += 1;
        }
        if has(b"flood\n") {
            f.floods += 1;
        }
    }
}

/// The [`Sink`] the deployment gets: a handle on the [`Counter`].
struct CountingSink(Rc<Counter>);

impl Sink for CountingSink {
    fn console(&self, _label: &str) -> Box<dyn Console> {
        let mut console = None;
        let sink = self.0.clone();
        self.0
            .aside(|| console = Some(Box::new(Tally { sink: sink.clone() }) as Box<dyn Console>));
        console.expect("made beside the partitions")
    }

    fn line(&self, text: &str) {
        let Some(text) = text.strip_prefix("[fireball] ") else {
            return;
        };
        self.0.aside(|| {
            if let Some(why) = text.strip_prefix("chaos stopped: ") {
                *self
                    .0
                    .figures
                    .borrow_mut()
                    .stops
                    .entry(kind(why))
                    .or_default() += 1;
            } else if text.contains(" stopped: ") || text.contains(" gave up") {
                self.0.figures.borrow_mut().casualties.push(text.into());
            }
        });
    }

    fn trace(&self, lines: &str) {
        self.0.aside(|| self.0.read_trace(lines));
    }

    fn status(&self, _text: &str) {
        self.0.aside(|| self.0.second());
    }

    fn aside(&self, f: &mut dyn FnMut()) {
        (self.0.beside)(f);
    }

    fn restarted(&self, _system: &System, name: &str) {
        if name == "chaos" {
            self.0.aside(|| self.0.restarted());
        }
    }

    fn turned(&self, system: &System) {
        // Only what the next turn's restart needs: whether every other component waits
        // with nothing in hand (a guest asleep or done, a service waiting for a request).
        self.0.aside(|| {
            let quiet = system.activity().components.iter().all(|c| {
                c.name == "chaos"
                    || c.state.starts_with("blocked: sleep")
                    || c.state == "blocked: wait for a request"
                    || c.state == "finished"
            });
            self.0.quiet.set(quiet);
        });
    }
}

/// Run `soak` on `heap` (laid out with [`HOST_PARTITIONS`]), the sensor hub's modules from
/// `modules_dir`. `placed` runs the deployment with its allocations in the heap; `beside`
/// runs the soak's own bookkeeping outside it (a board's UART allocates nothing either).
pub fn run(
    soak: &Soak,
    modules_dir: &Path,
    heap: &'static PartitionedHeap,
    placed: fn(&mut dyn FnMut()),
    beside: fn(&mut dyn FnMut()),
) -> Figures {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("a scratch directory");
    let write = |name: &str, wat: &str| {
        let module = wat::parse_str(wat).unwrap_or_else(|e| panic!("{name}: {e}"));
        std::fs::write(dir.path().join(format!("{name}.wasm")), module).expect("written");
    };
    write(
        "sensors",
        &guests::sensors(SENSORS_PERIOD_US, soak.virtual_us),
    );
    write("chaos", &guests::chaos(soak.seed, soak.virtual_us));
    let sensor_hub = crate::repo_root().join("examples/sensor-hub/fireball.toml");
    let sensor_hub = std::fs::read_to_string(&sensor_hub).expect("the sensor hub's manifest");
    let manifest = Manifest::parse(&manifest(&sensor_hub)).expect("the soak's manifest");
    let dirs = ModuleDirs {
        manifest_dir: dir.path().to_path_buf(),
        modules_dir: modules_dir.to_path_buf(),
    };
    let plan = fireball::deploy::plan(&manifest, &dirs).expect("the soak's plan");

    let counter = Rc::new(Counter {
        heap,
        beside,
        figures: RefCell::default(),
        open: RefCell::default(),
        quiet: Cell::new(false),
        leaks: RefCell::default(),
        rss: RefCell::default(),
        seconds: Cell::new(0),
        run_s: soak.virtual_us / 1_000_000,
        warm_up_s: (soak.virtual_us / 10 / 1_000_000).max(guests::BALLAST_AT_US / 1_000_000 + 1),
    });
    let mut options = RunOptions::new(Rc::new(CountingSink(counter.clone())));
    // A minute past the guests' end: they return by themselves, this only bounds a bug.
    options.max_time_us = soak.virtual_us + 60_000_000;
    options.trace_bodies = false;
    options.keep_trace = false;
    options.heap = Some(heap);
    options.heap_scale = fireball::deploy::HOST_SCALE;
    let mut report: Option<RunReport> = None;
    placed(&mut || {
        let system = System::boot(&plan, options.clone()).expect("the soak boots");
        report = Some(system.run());
    });
    let report = report.expect("the run reported");
    drop(options);

    let mut figures = counter.figures.borrow().clone();
    figures.virtual_us = report.time_us;
    figures.wall = started.elapsed();
    figures.open = counter.open.borrow().len() as u64;
    figures.leaks = counter.leaks.borrow().clone();
    figures.partitions = report
        .partitions
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    figures.halted = report.halted.clone();
    figures.finished = report.all_guests_finished();
    let rss = counter.rss.borrow();
    figures.rss = (
        rss.first.unwrap_or(0),
        rss.warm.unwrap_or(0),
        rss.max_after.max(rss.warm.unwrap_or(0)),
        rss.last,
        rss.count,
    );
    figures.rss_tenths = rss.tenths.clone();
    figures
}

impl Figures {
    /// Failed replies and timeouts.
    pub fn failed(&self) -> u64 {
        self.failures.values().sum()
    }

    /// The largest difference any partition or quota showed between sampled restarts.
    pub fn worst_leak(&self) -> i64 {
        self.leaks
            .iter()
            .map(|&(_, _, d)| d)
            .max_by_key(|d| d.abs())
            .unwrap_or(0)
    }

    /// What the run got wrong (empty: it passed).
    pub fn violations(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut check = |ok: bool, what: String| {
            if !ok {
                out.push(what);
            }
        };
        check(self.restarts > 0, "chaos was never restarted".into());
        check(
            self.leak_samples.0 >= 2,
            format!(
                "{} restarts sampled: too few to compare",
                self.leak_samples.0
            ),
        );
        for (label, first, diff) in &self.leaks {
            check(
                *diff == 0,
                format!("{}: {diff:+} B against {first} B", label.trim()),
            );
        }
        check(
            self.requests == self.replies + self.failed() && self.open == 0,
            format!(
                "requests {} != replies {} + failures {} ({} open)",
                self.requests,
                self.replies,
                self.failed(),
                self.open
            ),
        );
        check(
            self.stray == 0,
            format!("{} answers to no open request", self.stray),
        );
        check(self.lost == 0, format!("{} trace events lost", self.lost));
        check(
            self.unexpected == 0,
            format!("{} unexpected statuses", self.unexpected),
        );
        check(
            self.casualties.is_empty(),
            format!("other stops: {:?}", self.casualties),
        );
        check(self.halted.is_none(), format!("halted: {:?}", self.halted));
        check(self.finished, "not every guest finished".into());
        let (_, warm, max, _, samples) = self.rss;
        check(
            samples >= 3 && max.saturating_sub(warm) <= RSS_SLACK_KB,
            format!(
                "RSS grew {} KiB after warm-up ({samples} samples; at most {RSS_SLACK_KB})",
                max.saturating_sub(warm)
            ),
        );
        out
    }
}

impl fmt::Display for Figures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.virtual_us / 1_000_000;
        writeln!(
            f,
            "soak: {}h{:02}m{:02}s virtual in {:.1?} wall",
            t / 3600,
            t / 60 % 60,
            t % 60,
            self.wall
        )?;
        writeln!(f, "\nchaos: {} restarts", self.restarts)?;
        for (why, n) in &self.stops {
            writeln!(f, "  {n:>7}  stopped: {why}")?;
        }
        writeln!(f, "  {:>7}  spins survived", self.spins)?;
        writeln!(f, "  {:>7}  floods survived", self.floods)?;
        writeln!(
            f,
            "\nleaked bytes per restart: worst {:+} B ({} restarts read with every other component \
             idle; {} skipped, one busy; {} in warm-up)",
            self.worst_leak(),
            self.leak_samples.0,
            self.leak_samples.1,
            self.restarts - self.leak_samples.0 - self.leak_samples.1
        )?;
        writeln!(
            f,
            "  {:<22} {:>10} {:>10}",
            "heap", "at restart", "worst diff"
        )?;
        for (label, first, diff) in &self.leaks {
            writeln!(f, "  {label:<22} {first:>10} {diff:>+10}")?;
        }
        writeln!(f, "\n{}", self.partitions.trim_end())?;
        writeln!(
            f,
            "\nrouter: {} requests = {} replies + {} failures; {} open, {} answered twice, {} \
             trace events lost",
            self.requests,
            self.replies,
            self.failed(),
            self.open,
            self.stray,
            self.lost
        )?;
        for (why, n) in &self.failures {
            writeln!(f, "  {n:>7}  failed: {why}")?;
        }
        for (why, n) in &self.refused {
            writeln!(f, "  {n:>7}  refused before delivery ({why})")?;
        }
        writeln!(f, "  {:>7}  notifications delivered", self.notified)?;
        let (first, warm, max, last, samples) = self.rss;
        writeln!(
            f,
            "\nhost RSS (KiB, {samples} samples): first {first}, after warm-up {warm}, max after \
             {max}, last {last} (growth after warm-up {} KiB, at most {RSS_SLACK_KB})",
            max.saturating_sub(warm)
        )?;
        write!(f, "  at each tenth of the run:")?;
        for kb in &self.rss_tenths {
            write!(f, " {kb}")?;
        }
        writeln!(f)
    }
}
