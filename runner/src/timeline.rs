//! `fireball run … --timeline FILE`: the run as a timeline, in Chrome's trace-event format
//! (`.json`: Perfetto, ui.perfetto.dev, and `chrome://tracing` open it) or as a
//! self-contained HTML page with the same timeline drawn in SVG (`.html`: any browser,
//! offline).
//!
//! What it holds, on the deployment's virtual clock (microseconds):
//!
//! - one track per task (each component, and the native `hal`, `logger`, `modules`), with
//!   a slice per scheduler poll: the fuel it burned and what the task was doing after it
//!   (`ready` when its fuel ran out, `blocked: wait for a reply`, `finished`, …);
//! - every router request as a flow arrow from the caller's slice to the server's next
//!   slice, and its reply as an arrow back, named by its outcome (`ok`, `err 404`, …);
//!   one-way notifications to a server likewise;
//! - what components log, as instants on their track (the text and level); registrations,
//!   denials, timeouts and publications as instants;
//! - each partition's bytes in use, as counters (when the run has the partitioned heap, as
//!   `fireball run` does), sampled at most once per virtual millisecond.
//!
//! It is recorded by a [`Sink`] wrapper ([`Recorder`]) that the deployment calls after each
//! turn (`fireball-deploy`'s feature `observe`): the recording is the host's, beside the
//! deployment's partitions, and a board image has none of it.

use std::{
    cell::RefCell,
    collections::{HashMap, HashSet},
    fmt::Write as _,
    rc::Rc,
};

use fireball_deploy::{Activity, Kind, Sink, System};
use fireball_kernel::mem::PartitionId;
use fireball_subsystems::hal::Console;
use serde_json::{Value, json};

/// The trace-event process all tracks belong to.
const PID: u32 = 1;

/// Counters are sampled at most this often (virtual µs).
const COUNTER_PERIOD_US: u64 = 1_000;

/// A flow waiting for its destination track's next slice.
#[derive(Debug)]
struct PendingFlow {
    id: u64,
    name: String,
    category: &'static str,
}

/// A request seen, waiting for its reply.
#[derive(Debug)]
struct OpenRequest {
    caller: String,
    target: String,
    label: String,
}

/// The timeline being recorded.
#[derive(Debug)]
pub struct Timeline {
    name: String,
    tracks: Vec<String>,
    events: Vec<Value>,
    last_now: u64,
    polls: HashMap<&'static str, u32>,
    /// Each component's slices and fuel at the last turn.
    ran: HashMap<String, (u64, u64)>,
    /// Router trace lines of the turn in progress.
    lines: String,
    open: HashMap<u64, OpenRequest>,
    waiting: HashMap<String, Vec<PendingFlow>>,
    /// Flows started and not yet finished (dropped at the end if they never are).
    unfinished: HashSet<u64>,
    next_flow: u64,
    next_counter_us: u64,
}

impl Timeline {
    /// An empty timeline of deployment `name`.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            tracks: Vec::new(),
            events: Vec::new(),
            last_now: 0,
            polls: HashMap::new(),
            ran: HashMap::new(),
            lines: String::new(),
            open: HashMap::new(),
            waiting: HashMap::new(),
            unfinished: HashSet::new(),
            next_flow: 1,
            next_counter_us: 0,
        }
    }

    /// Name the deployment (once its report is out).
    pub fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
    }

    /// The track (thread id) of `name`, made on first use.
    fn track(&mut self, name: &str) -> usize {
        match self.tracks.iter().position(|t| t == name) {
            Some(i) => i + 1,
            None => {
                self.tracks.push(name.to_string());
                self.tracks.len()
            }
        }
    }

    fn instant(&mut self, track: &str, ts: u64, name: &str, args: Value) {
        let tid = self.track(track);
        self.events.push(json!({
            "name": name, "cat": "event", "ph": "i", "s": "t",
            "ts": ts, "pid": PID, "tid": tid, "args": args,
        }));
    }

    fn flow_start(&mut self, from: &str, ts: u64, to: &str, name: String, category: &'static str) {
        let id = self.next_flow;
        self.next_flow += 1;
        let tid = self.track(from);
        self.events.push(json!({
            "name": name, "cat": category, "ph": "s", "id": id,
            "ts": ts, "pid": PID, "tid": tid,
        }));
        self.unfinished.insert(id);
        self.waiting
            .entry(to.to_string())
            .or_default()
            .push(PendingFlow { id, name, category });
    }

    /// One turn ended: record who ran, what they said and sent, and the partitions.
    fn turned(&mut self, now: u64, activity: &Activity, partitions: Option<[usize; 6]>) {
        let start = self.last_now;
        let dur = now.saturating_sub(start);
        let middle = start + dur / 2;
        // Who ran: the components whose slices went up (the vSoC's runner tasks run them),
        // else a native task that was polled.
        let mut ran: Vec<(String, String, Value)> = Vec::new();
        for c in &activity.components {
            let (slices, fuel) = self
                .ran
                .insert(c.name.clone(), (c.slices, c.fuel))
                .unwrap_or((0, 0));
            if c.slices > slices {
                let kind = match c.kind {
                    Kind::Guest => "guest",
                    Kind::Service => "service",
                };
                ran.push((
                    c.name.clone(),
                    format!("slice → {}", c.state),
                    json!({ "fuel": c.fuel - fuel, "then": c.state, "kind": kind }),
                ));
            }
        }
        let components_ran = !ran.is_empty();
        for &(name, polls) in &activity.tasks {
            let before = self.polls.insert(name, polls).unwrap_or(0);
            let runner = name.starts_with("wasm-");
            if polls > before && !runner && !components_ran {
                ran.push((
                    name.to_string(),
                    "native".to_string(),
                    json!({ "kind": "native" }),
                ));
            }
        }
        for (name, label, args) in &ran {
            let tid = self.track(name);
            self.events.push(json!({
                "name": label, "cat": "slice", "ph": "X", "ts": start, "dur": dur,
                "pid": PID, "tid": tid, "args": args,
            }));
            for flow in self.waiting.remove(name).unwrap_or_default() {
                self.events.push(json!({
                    "name": flow.name, "cat": flow.category, "ph": "f", "bp": "e",
                    "id": flow.id, "ts": middle, "pid": PID, "tid": tid,
                }));
                self.unfinished.remove(&flow.id);
            }
        }
        let ran = ran.first().map(|(name, ..)| name.as_str());
        let lines = std::mem::take(&mut self.lines);
        let ran = ran.map(str::to_string);
        for line in lines.lines() {
            self.trace_line(line, middle, ran.as_deref());
        }
        if let Some(used) = partitions
            && now >= self.next_counter_us
        {
            let mut args = serde_json::Map::new();
            for (i, bytes) in used.iter().enumerate() {
                args.insert(format!("P{}", i + 1), json!(bytes));
            }
            self.events.push(json!({
                "name": "partitions (bytes in use)", "ph": "C", "ts": now, "pid": PID,
                "tid": 0, "args": args,
            }));
            self.next_counter_us = now + COUNTER_PERIOD_US;
        }
        self.last_now = now;
    }

    /// One router trace line, at `ts`, during a turn in which `ran` was polled.
    fn trace_line(&mut self, line: &str, ts: u64, ran: Option<&str>) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let name = |who: &str| who.split('#').next().unwrap_or(who).to_string();
        match fields.as_slice() {
            [_, "request", id, caller, "->", target, method, uri, ..] => {
                let (caller, target) = (name(caller), name(target));
                let label = format!("{method} {uri}");
                if let Some(id) = id.strip_prefix('#').and_then(|n| n.parse().ok()) {
                    self.open.insert(
                        id,
                        OpenRequest {
                            caller: caller.clone(),
                            target: target.clone(),
                            label: label.clone(),
                        },
                    );
                }
                self.flow_start(&caller, ts, &target, label, "request");
            }
            [_, "reply", id, outcome, rest @ ..] => {
                let Some(request) = id
                    .strip_prefix('#')
                    .and_then(|n| n.parse::<u64>().ok())
                    .and_then(|n| self.open.remove(&n))
                else {
                    return;
                };
                let outcome = match (*outcome, rest.first()) {
                    ("err", Some(why)) => format!("err {why}"),
                    (outcome, _) => outcome.to_string(),
                };
                let label = format!("{outcome}: {}", request.label);
                let from = ran.map_or(request.target.clone(), str::to_string);
                self.flow_start(&from, ts, &request.caller, label, "reply");
            }
            [_, "notify", caller, "->", target, method, uri, ..] => {
                let (caller, target) = (name(caller), name(target));
                if *uri == "log://" {
                    let (level, text) = log_body(line);
                    self.instant(&caller, ts, &text, json!({ "level": level }));
                } else {
                    self.flow_start(&caller, ts, &target, format!("{method} {uri}"), "notify");
                }
            }
            [_, "denied", caller, "->", _, method, uri, ..] => {
                let caller = name(caller);
                self.instant(&caller, ts, &format!("denied {method} {uri}"), json!({}));
            }
            [_, "timeout", _, caller, ..] => {
                let caller = name(caller);
                self.instant(&caller, ts, "call timed out", json!({ "line": line }));
            }
            [_, what @ ("register" | "unregister"), who, ..] => {
                let who = name(who);
                self.instant(&who, ts, what, json!({ "line": line }));
            }
            [_, "publish", publisher, uri, ..] => {
                let publisher = name(publisher);
                self.instant(
                    &publisher,
                    ts,
                    &format!("publish {uri}"),
                    json!({ "line": line }),
                );
            }
            _ => {}
        }
    }

    /// The trace-event JSON: `{"traceEvents": […], …}`. Flows whose destination never ran
    /// again are left out, so every flow start has its end.
    pub fn to_json(&self) -> Value {
        let mut events = vec![json!({
            "name": "process_name", "ph": "M", "pid": PID, "args": { "name": self.name },
        })];
        for (i, track) in self.tracks.iter().enumerate() {
            events.push(json!({
                "name": "thread_name", "ph": "M", "pid": PID, "tid": i + 1,
                "args": { "name": track },
            }));
            events.push(json!({
                "name": "thread_sort_index", "ph": "M", "pid": PID, "tid": i + 1,
                "args": { "sort_index": i + 1 },
            }));
        }
        events.extend(
            self.events
                .iter()
                .filter(|e| {
                    e["ph"] != "s"
                        || !e["id"]
                            .as_u64()
                            .is_some_and(|id| self.unfinished.contains(&id))
                })
                .cloned(),
        );
        json!({
            "traceEvents": events,
            "displayTimeUnit": "ms",
            "otherData": { "deployment": self.name, "clock": "virtual microseconds" },
        })
    }

    /// A self-contained HTML page drawing the same timeline in SVG: a row per track, slices
    /// as bars, requests and replies as arrows, log lines as dots, the partitions' bytes in
    /// use as lines below. Every mark has a tooltip; a slider zooms in time.
    pub fn to_html(&self) -> String {
        const ROW: f64 = 28.0;
        const LABEL: f64 = 130.0;
        const CHART: f64 = 120.0;
        let end = self
            .events
            .iter()
            .filter_map(|e| Some(e["ts"].as_u64()? + e["dur"].as_u64().unwrap_or(0)))
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        // 1 px per 100 µs at zoom 1, at least 1200 px.
        let width = (end / 100.0).max(1200.0);
        let x = |ts: f64| LABEL + ts / end * width;
        let y = |tid: u64| (tid as f64 - 1.0) * ROW;
        let rows = self.tracks.len() as f64 * ROW;
        let height = rows + CHART + 40.0;
        let mut svg = String::new();
        let _ = write!(
            svg,
            r##"<svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{height}" viewBox="0 0 {w} {height}" preserveAspectRatio="none" font-family="sans-serif" font-size="12">"##,
            w = LABEL + width + 20.0,
        );
        for (i, track) in self.tracks.iter().enumerate() {
            let top = i as f64 * ROW;
            let fill = if i % 2 == 0 { "#f4f4f8" } else { "#ffffff" };
            let _ = write!(
                svg,
                r##"<rect x="0" y="{top}" width="{}" height="{ROW}" fill="{fill}"/><text x="6" y="{}">{}</text>"##,
                LABEL + width + 20.0,
                top + ROW * 0.65,
                escape(track)
            );
        }
        let mut starts: HashMap<u64, (f64, f64)> = HashMap::new();
        for e in &self.events {
            let ts = e["ts"].as_u64().unwrap_or(0) as f64;
            let tid = e["tid"].as_u64().unwrap_or(0);
            let title = escape(&format!(
                "{} @ {:.3} ms {}",
                e["name"].as_str().unwrap_or(""),
                ts / 1000.0,
                e.get("args").map(Value::to_string).unwrap_or_default()
            ));
            match e["ph"].as_str() {
                Some("X") => {
                    let dur = e["dur"].as_u64().unwrap_or(0) as f64;
                    let colour = match e["args"]["then"].as_str() {
                        Some(s) if s.starts_with("ready") => "#e8a33d",
                        Some(s) if s.starts_with("blocked") || s.starts_with("wait") => "#4a90d9",
                        Some(s) if s.starts_with("finished") => "#5cb85c",
                        Some(_) => "#9b59b6",
                        None => "#888888",
                    };
                    let _ = write!(
                        svg,
                        r##"<rect x="{:.2}" y="{:.1}" width="{:.2}" height="{:.1}" fill="{colour}"><title>{title}</title></rect>"##,
                        x(ts),
                        y(tid) + 4.0,
                        (dur / end * width).max(1.0),
                        ROW - 8.0
                    );
                }
                Some("i") => {
                    let _ = write!(
                        svg,
                        r##"<circle cx="{:.2}" cy="{:.1}" r="3.5" fill="#c0392b"><title>{title}</title></circle>"##,
                        x(ts),
                        y(tid) + ROW / 2.0
                    );
                }
                Some("s") => {
                    if let Some(id) = e["id"].as_u64()
                        && !self.unfinished.contains(&id)
                    {
                        starts.insert(id, (x(ts), y(tid) + ROW / 2.0));
                    }
                }
                Some("f") => {
                    if let Some(&(x1, y1)) = e["id"].as_u64().and_then(|id| starts.get(&id)) {
                        let colour = if e["cat"] == "reply" {
                            "#27ae60"
                        } else {
                            "#34495e"
                        };
                        let _ = write!(
                            svg,
                            r##"<line x1="{x1:.2}" y1="{y1:.1}" x2="{:.2}" y2="{:.1}" stroke="{colour}" stroke-width="1" marker-end="url(#arrow)"><title>{title}</title></line>"##,
                            x(ts),
                            y(tid) + ROW / 2.0
                        );
                    }
                }
                _ => {}
            }
        }
        // The partitions' counters, each scaled to its own peak.
        let counters: Vec<&Value> = self.events.iter().filter(|e| e["ph"] == "C").collect();
        let colours = [
            "#8e44ad", "#2980b9", "#16a085", "#d35400", "#c0392b", "#7f8c8d",
        ];
        let _ = write!(
            svg,
            r##"<text x="6" y="{}">partitions</text>"##,
            rows + 24.0
        );
        for (i, colour) in colours.iter().enumerate() {
            let key = format!("P{}", i + 1);
            let peak = counters
                .iter()
                .filter_map(|c| c["args"][&key].as_u64())
                .max()
                .unwrap_or(0);
            if peak == 0 {
                continue;
            }
            let points: Vec<String> = counters
                .iter()
                .filter_map(|c| {
                    let v = c["args"][&key].as_u64()? as f64;
                    let ts = c["ts"].as_u64()? as f64;
                    Some(format!(
                        "{:.2},{:.1}",
                        x(ts),
                        rows + 30.0 + CHART - v / peak as f64 * (CHART - 10.0)
                    ))
                })
                .collect();
            let _ = write!(
                svg,
                r##"<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{}"><title>{key}: peak {peak} B</title></polyline><text x="6" y="{}" fill="{colour}">{key} ≤ {peak} B</text>"##,
                points.join(" "),
                rows + 40.0 + 14.0 * i as f64
            );
        }
        svg.push_str(
            r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#34495e"/></marker></defs></svg>"##,
        );
        format!(
            r##"<!doctype html>
<html><head><meta charset="utf-8"><title>{name}: timeline</title>
<style>body{{font-family:sans-serif;margin:12px}} #scroll{{overflow-x:auto;border:1px solid #ccc}}
.key span{{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}}</style></head>
<body><h2>{name} — {tracks} tracks, {ms:.1} ms of virtual time</h2>
<div class="key">slice then:<span style="background:#e8a33d"></span>ready (fuel ran out)<span style="background:#4a90d9"></span>blocked / waiting<span style="background:#5cb85c"></span>finished<span style="background:#888"></span>native
&nbsp; <span style="background:#34495e;height:2px"></span>request <span style="background:#27ae60;height:2px"></span>reply <span style="background:#c0392b;border-radius:6px"></span>log line
&nbsp; zoom <input id="zoom" type="range" min="1" max="50" value="1"></div>
<div id="scroll">{svg}</div>
<script>
const svg = document.getElementById("timeline"), w = svg.width.baseVal.value;
document.getElementById("zoom").oninput = e => svg.setAttribute("width", w * e.target.value);
</script></body></html>
"##,
            name = escape(&self.name),
            tracks = self.tracks.len(),
            ms = end / 1000.0,
        )
    }
}

/// `{level: "info", text: "…"}` of a log notification's trace line.
fn log_body(line: &str) -> (String, String) {
    let field = |key: &str| {
        let start = line.find(&format!("{key}: \""))? + key.len() + 3;
        let rest = &line[start..];
        let mut text = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => text.extend(chars.next()),
                '"' => return Some(text),
                c => text.push(c),
            }
        }
        Some(text)
    };
    (
        field("level").unwrap_or_default(),
        field("text").unwrap_or_else(|| "log".to_string()),
    )
}

/// `text` safe inside SVG/HTML text and attributes.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A [`Sink`] that records the run into a [`Timeline`] and passes everything on to `inner`.
pub struct Recorder {
    /// Where output goes.
    pub inner: Rc<dyn Sink>,
    /// What is recorded.
    pub timeline: Rc<RefCell<Timeline>>,
}

impl Sink for Recorder {
    fn console(&self, label: &str) -> Box<dyn Console> {
        self.inner.console(label)
    }

    fn line(&self, text: &str) {
        self.inner.line(text);
    }

    fn trace(&self, lines: &str) {
        self.timeline.borrow_mut().lines.push_str(lines);
        self.inner.trace(lines);
    }

    fn status(&self, text: &str) {
        self.inner.status(text);
    }

    fn booted(&self, name: &str) {
        self.inner.booted(name);
    }

    fn memory(&self, text: &str) {
        self.inner.memory(text);
    }

    fn aside(&self, f: &mut dyn FnMut()) {
        self.inner.aside(f);
    }

    fn turned(&self, system: &System) {
        let partitions = system
            .heap()
            .map(|heap| PartitionId::ALL.map(|p| heap.stats(p).map_or(0, |s| s.allocated)));
        let activity = system.activity();
        self.timeline
            .borrow_mut()
            .turned(system.now(), &activity, partitions);
        self.inner.turned(system);
    }

    fn restarted(&self, system: &System, name: &str) {
        self.inner.restarted(system, name);
    }
}
