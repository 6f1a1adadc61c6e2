//! The shape of src/: modules import in one direction only (no module reaches, through any
//! chain of `use crate::…` or `super::…`, back to itself), and no function is longer than a
//! screen. Read from the source text, outside `#[cfg(test)]` code, so it needs no build
//! information and fails with the cycle or the function it found.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The longest a function of src/ may be, in lines.
const MAX_FUNCTION_LINES: usize = 80;

/// Every module of src/ (`journal::rule`, `run`, …) with its source, test code cut off.
fn modules() -> BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect(&root, &mut files);
    files
        .into_iter()
        .filter_map(|path| {
            let rel = path.strip_prefix(&root).ok()?.with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            let name = parts.join("::");
            if matches!(name.as_str(), "lib" | "main") || parts.last().is_some_and(|p| p == "tests")
            {
                return None;
            }
            let text = std::fs::read_to_string(&path).ok()?;
            Some((name, without_tests(&text)))
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A module's text without its `#[cfg(test)]` items (tests may reach anywhere): the line
/// after the attribute, or the whole block it opens.
fn without_tests(text: &str) -> String {
    let mut kept = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if !line.trim_start().starts_with("#[cfg(test)]") {
            kept.push_str(line);
            kept.push('\n');
            continue;
        }
        // Attributes may follow; then the item, on one line or opening a block.
        let mut depth = 0i64;
        for item in lines.by_ref() {
            if item.trim_start().starts_with("#[") && depth == 0 {
                continue;
            }
            depth += braces(item);
            if depth <= 0 {
                break;
            }
        }
    }
    kept
}

/// Opening minus closing braces on a line, outside strings and comments (roughly: enough for
/// this code base, whose braces in strings are balanced).
fn braces(line: &str) -> i64 {
    let code = line.split("//").next().unwrap_or("");
    code.matches('{').count() as i64 - code.matches('}').count() as i64
}

/// The modules `text` (of module `name`) refers to.
fn imports(name: &str, text: &str, all: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let parent: Vec<&str> = name.split("::").collect();
    for (prefix, base) in [
        ("crate::", Vec::new()),
        ("super::", parent[..parent.len() - 1].to_vec()),
    ] {
        for (at, _) in text.match_indices(prefix) {
            let before = text[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            for path in paths(&text[at + prefix.len()..]) {
                // The longest module the path names.
                let mut target = None;
                for len in 1..=path.len() {
                    let mut candidate: Vec<&str> = base.clone();
                    candidate.extend(path[..len].iter().map(String::as_str));
                    let candidate = candidate.join("::");
                    if all.contains(&candidate) {
                        target = Some(candidate);
                    }
                }
                if let Some(target) =
                    target.filter(|t| t != name && !name.starts_with(&format!("{t}::")))
                {
                    found.insert(target);
                }
            }
        }
    }
    found
}

/// The paths a `crate::`/`super::` prefix is followed by: one (`journal::rule::decide`), or
/// each of a group's (`{journal::State, output}`: the group's items, to one level).
fn paths(rest: &str) -> Vec<Vec<String>> {
    let path = |text: &str| -> Vec<String> {
        text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .next()
            .unwrap_or("")
            .split("::")
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect()
    };
    let Some(group) = rest.strip_prefix('{') else {
        return vec![path(rest)];
    };
    let mut depth = 0;
    let end = group
        .char_indices()
        .find(|&(_, c)| {
            depth += match c {
                '{' => 1,
                '}' => -1,
                _ => 0,
            };
            depth < 0
        })
        .map_or(group.len(), |(i, _)| i);
    let mut items = Vec::new();
    let mut depth = 0;
    let mut from = 0;
    for (i, c) in group[..end].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    items.push(&group[from..end]);
    items.into_iter().map(|item| path(item.trim())).collect()
}

/// The graph with each module folded into its top-level one (`journal::rule` into `journal`),
/// a module's references to its own top left out.
fn top_level(graph: &BTreeMap<String, BTreeSet<String>>) -> BTreeMap<String, BTreeSet<String>> {
    let top = |name: &str| name.split("::").next().unwrap_or(name).to_string();
    let mut folded: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, targets) in graph {
        let entry = folded.entry(top(name)).or_default();
        entry.extend(targets.iter().map(|t| top(t)).filter(|t| *t != top(name)));
    }
    folded
}

fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let mut found = BTreeSet::new();
    for start in graph.keys() {
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((at, path)) = stack.pop() {
            for next in graph.get(&at).into_iter().flatten() {
                if next == start {
                    let mut cycle = path.clone();
                    // One spelling per cycle: starting at its least name.
                    let min = (0..cycle.len())
                        .min_by_key(|&i| cycle[i].clone())
                        .unwrap_or(0);
                    cycle.rotate_left(min);
                    found.insert(cycle);
                } else if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    found.into_iter().collect()
}

#[test]
fn no_module_imports_itself_back_through_others() {
    let modules = modules();
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    let graph: BTreeMap<String, BTreeSet<String>> = modules
        .iter()
        .map(|(name, text)| (name.clone(), imports(name, text, &names)))
        .collect();
    let found = cycles(&graph);
    let shown: Vec<String> = found
        .iter()
        .map(|c| format!("{} -> {}", c.join(" -> "), c[0]))
        .collect();
    assert!(
        shown.is_empty(),
        "import cycles in src/:\n{}",
        shown.join("\n")
    );
}

/// The layers README's Development section lists: the top-level modules import downwards
/// only, so each can be read (and replaced) knowing only those below it.
#[test]
fn the_top_level_modules_form_layers() {
    let modules = modules();
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    let graph: BTreeMap<String, BTreeSet<String>> = modules
        .iter()
        .map(|(name, text)| (name.clone(), imports(name, text, &names)))
        .collect();
    let shown: Vec<String> = cycles(&top_level(&graph))
        .iter()
        .map(|c| format!("{} -> {}", c.join(" -> "), c[0]))
        .collect();
    assert!(
        shown.is_empty(),
        "top-level modules of src/ that import each other:\n{}",
        shown.join("\n")
    );
}

#[test]
fn no_function_is_longer_than_a_screen() {
    let mut long = Vec::new();
    for (name, text) in modules() {
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i].trim_start();
            let is_fn = [
                "fn ",
                "pub fn ",
                "pub(crate) fn ",
                "pub(super) fn ",
                "async fn ",
                "pub async fn ",
                "pub(crate) async fn ",
                "pub(super) async fn ",
                "const fn ",
                "pub const fn ",
            ]
            .iter()
            .any(|p| line.starts_with(p));
            if !is_fn {
                i += 1;
                continue;
            }
            // From the signature to the brace that closes the body.
            let start = i;
            let mut depth = 0i64;
            let mut opened = false;
            while i < lines.len() {
                depth += braces(lines[i]);
                opened |= lines[i].contains('{');
                if lines[i].trim_end().ends_with(';') && !opened {
                    break;
                }
                if opened && depth <= 0 {
                    break;
                }
                i += 1;
            }
            let length = i - start + 1;
            if length > MAX_FUNCTION_LINES {
                long.push(format!("{name}:{}: {length} lines: {}", start + 1, line));
            }
            i = start + 1;
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines:\n{}",
        long.join("\n")
    );
}
