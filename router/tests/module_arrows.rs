//! The crate's modules import each other in one direction only, as `lib.rs` lists them
//! ("Module arrows"): this reads the sources, draws the graph from every `crate::module`
//! path outside comments, and checks that it has no cycle and is exactly the documented one.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

fn src() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))
}

/// The crate's own modules, from `lib.rs`'s `mod` items.
fn modules(lib: &str) -> BTreeSet<String> {
    lib.lines()
        .filter_map(|l| {
            let l = l.trim_start_matches("pub ").trim();
            l.strip_prefix("mod ")?.strip_suffix(';').map(str::to_owned)
        })
        .collect()
}

/// Every `crate::<module>` a module's files name, outside comments.
fn imports(module: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let mut text = String::new();
    let file = src().join(format!("{module}.rs"));
    text += &fs::read_to_string(&file).unwrap();
    if let Ok(dir) = fs::read_dir(src().join(module)) {
        for entry in dir {
            text += &fs::read_to_string(entry.unwrap().path()).unwrap();
        }
    }
    let mut found = BTreeSet::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
        for (at, _) in line.match_indices("crate::") {
            let rest = &line[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if known.contains(&name) && name != module {
                found.insert(name);
            }
        }
    }
    found
}

/// The "Module arrows" list of `lib.rs`: `- \`a\` → \`b\`, \`c\``, continued on indented
/// lines. `—` is no import; prose (`the crate's public items`) names none.
fn documented(lib: &str) -> Graph {
    let mut graph = Graph::new();
    let mut current: Option<String> = None;
    let mut inside = false;
    for line in lib.lines().filter_map(|l| l.strip_prefix("//!")) {
        if line.trim() == "# Module arrows" {
            inside = true;
            continue;
        }
        if !inside {
            continue;
        }
        if line.trim().starts_with('#') {
            break;
        }
        let ticked = |s: &str| -> Vec<String> {
            s.split('`').skip(1).step_by(2).map(str::to_owned).collect()
        };
        if let Some(item) = line.strip_prefix(" - ") {
            let (from, to) = item.split_once('→').expect("`a` → `b`");
            let from = ticked(from).pop().expect("a module name");
            graph.entry(from.clone()).or_default().extend(ticked(to));
            current = Some(from);
        } else if line.starts_with("   ") && current.is_some() {
            let from = current.clone().unwrap();
            graph.entry(from).or_default().extend(ticked(line));
        } else {
            current = None;
        }
    }
    graph
}

/// Kahn's algorithm: `Err` names the modules left in a cycle.
fn topological(graph: &Graph) -> Result<Vec<String>, BTreeSet<String>> {
    let mut left: Graph = graph.clone();
    let mut order = Vec::new();
    loop {
        let ready: Vec<String> = left
            .iter()
            .filter(|(_, to)| to.iter().all(|t| !left.contains_key(t)))
            .map(|(m, _)| m.clone())
            .collect();
        if ready.is_empty() {
            break;
        }
        for m in ready {
            left.remove(&m);
            order.push(m);
        }
    }
    if left.is_empty() {
        Ok(order)
    } else {
        Err(left.into_keys().collect())
    }
}

#[test]
fn modules_import_one_way_as_lib_rs_says() {
    let lib = fs::read_to_string(src().join("lib.rs")).unwrap();
    let known = modules(&lib);
    let actual: Graph = known
        .iter()
        .map(|m| (m.clone(), imports(m, &known)))
        .collect();
    let order = topological(&actual).unwrap_or_else(|cycle| panic!("a cycle among {cycle:?}"));
    assert!(order.len() == known.len(), "{order:?}");
    let documented = documented(&lib);
    assert_eq!(
        documented, actual,
        "lib.rs's module arrows (left) disagree with the sources (right)"
    );
}

#[test]
fn the_checker_sees_a_cycle() {
    let graph: Graph = [("a", "b"), ("b", "c"), ("c", "a")]
        .into_iter()
        .map(|(f, t)| (f.to_owned(), BTreeSet::from([t.to_owned()])))
        .collect();
    assert_eq!(
        topological(&graph),
        Err(BTreeSet::from(["a".into(), "b".into(), "c".into()]))
    );
}
