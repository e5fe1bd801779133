//! No module cycles in any crate (issue 15): within each crate's `src/`, the modules its
//! files name with `crate::…` (outside comments and test code) form no cycle, so a reader can
//! draw every crate's arrows pointing one way. `router/tests/module_arrows.rs` also holds the
//! router's list in its `lib.rs` to the code.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::Path,
};

use fireball_tests::repo_root;

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The top-level module a file of `src/` belongs to (`None`: the crate root or a binary).
fn top_module(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    match name {
        "lib" | "main" | "bin" => None,
        name => Some(name.to_string()),
    }
}

/// The code of `text` without comments and without its `#[cfg(test)]` module.
fn code(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            break;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        out.push_str(line.split(" //").next().unwrap_or(line));
        out.push('\n');
    }
    out
}

/// The top-level modules `code` names with `crate::…`, including those in
/// `use crate::{a::…, b, …}` lists.
fn named(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = code.as_bytes();
    let mut at = 0;
    while let Some(found) = code[at..].find("crate::") {
        let start = at + found + "crate::".len();
        at = start;
        // `$crate::` in macros names the crate from outside; skip it.
        if start >= 8 && bytes[start - 8] == b'$' {
            continue;
        }
        if code[start..].starts_with('{') {
            // A `use` list: the first segment of each top-level entry.
            let mut depth = 0;
            let mut entry = String::new();
            for c in code[start..].chars() {
                match c {
                    '{' => {
                        depth += 1;
                        if depth > 1 {
                            entry.push(c);
                        }
                    }
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            names.extend(first_segment(&entry));
                            break;
                        }
                        entry.push(c);
                    }
                    ',' if depth == 1 => {
                        names.extend(first_segment(&entry));
                        entry.clear();
                    }
                    c => entry.push(c),
                }
            }
        } else {
            names.extend(first_segment(&code[start..]));
        }
    }
    names
}

/// The first path segment of `path` if it is a module name (lower case; a type or a
/// function at the crate root is not a module).
fn first_segment(path: &str) -> Option<String> {
    let path = path.trim();
    let end = path
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(path.len());
    let name = &path[..end];
    let is_module = path[end..].trim_start().starts_with("::")
        && name.starts_with(|c: char| c.is_ascii_lowercase());
    is_module.then(|| name.to_string())
}

fn graph(src: &Path) -> Graph {
    let mut graph = Graph::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "tests") {
                    stack.push(path);
                }
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs")
                || path.file_name().is_some_and(|n| n == "tests.rs")
            {
                continue;
            }
            let Some(module) = top_module(path.strip_prefix(src).unwrap()) else {
                continue;
            };
            let text = fs::read_to_string(&path).unwrap();
            let edges = graph.entry(module.clone()).or_default();
            edges.extend(named(&code(&text)).into_iter().filter(|m| *m != module));
        }
    }
    graph
}

/// A cycle in `graph`, if there is one.
fn cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        graph: &Graph,
        node: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(graph, next, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(graph, node, &mut Vec::new(), &mut done))
}

#[test]
fn no_crate_has_a_module_cycle() {
    let root = repo_root();
    let manifest: toml_lite::Members = toml_lite::members(&root);
    let mut checked = 0;
    for member in manifest {
        let src = root.join(&member).join("src");
        if !src.is_dir() {
            continue;
        }
        let graph = graph(&src);
        if let Some(found) = cycle(&graph) {
            panic!("{member}: module cycle {}", found.join(" → "));
        }
        checked += 1;
    }
    assert!(checked > 15, "only {checked} crates found");
}

#[test]
fn the_scan_sees_a_cycle() {
    let mut graph = Graph::new();
    graph.entry("a".into()).or_default().insert("b".into());
    graph.entry("b".into()).or_default().insert("c".into());
    assert_eq!(cycle(&graph), None);
    graph.entry("c".into()).or_default().insert("a".into());
    assert_eq!(cycle(&graph).map(|c| c.len()), Some(4));
    assert_eq!(
        named(&code(
            "use crate::{monitor::{Monitor, RunState}, probes::Probes, X};\n// crate::stub::x\nlet y = crate::soc::Soc::new();\n$crate::log::x();"
        )),
        ["monitor", "probes", "soc"]
            .into_iter()
            .map(String::from)
            .collect()
    );
}

/// The workspace's members, read from the root `Cargo.toml`'s `members = [...]`.
mod toml_lite {
    use std::path::Path;

    pub type Members = Vec<String>;

    pub fn members(root: &Path) -> Members {
        let text = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        let start = text.find("members = [").expect("a members list") + "members = [".len();
        let end = start + text[start..].find(']').expect("the list ends");
        text[start..end]
            .split(',')
            .map(|m| m.trim().trim_matches('"').to_string())
            .filter(|m| !m.is_empty() && !m.starts_with('#'))
            .collect()
    }
}
