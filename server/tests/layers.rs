//! The server's layers point only down (docs/ARCHITECTURE.md): reads every `server/src/**/*.rs`,
//! maps each file to its top-level module and that module to its layer, and fails on a
//! `crate::<module>` reference to a higher layer, on a cycle between top-level modules, and on a
//! module that belongs to no layer. `lib.rs` and `main.rs` wire everything together: not checked.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top to bottom. A module may use its own layer (without cycles) and the ones below it.
const LAYERS: &[(&str, &[&str])] = &[
    ("transport", &["accept", "transport", "listener"]),
    (
        "handlers",
        &[
            "session", "rest", "console", "ops", "conn", "guard", "state",
        ],
    ),
    ("store", &["store", "cluster"]),
    (
        "config",
        &["config", "config_env", "config_report", "build_info"],
    ),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read server/src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its comments (strings kept, so `"//"` inside one is not a comment).
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_string = false;
        let mut escaped = false;
        let mut prev = '\0';
        for c in line.chars() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_string = false;
                }
            } else if c == '"' {
                in_string = true;
            } else if c == '/' && prev == '/' {
                out.pop();
                break;
            }
            out.push(c);
            prev = c;
        }
        out.push('\n');
    }
    out
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top-level modules a piece of code names through `crate::` (`use crate::{a, b::c}` too).
fn crate_refs(code: &str) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        if at > 0 {
            let before = code[..at].chars().next_back().unwrap_or(' ');
            if before.is_ascii_alphanumeric() || before == '_' {
                continue; // e.g. `my_crate::`
            }
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group: after `{` or `,` at depth 0.
            let mut depth = 0;
            let mut start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if c.is_whitespace() => {}
                    _ if start && depth == 0 => {
                        refs.insert(ident_at(&group[i..]).to_owned());
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            refs.insert(ident_at(rest).to_owned());
        }
    }
    refs
}

#[test]
fn server_layers_point_only_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    // Which top-level module uses which (outside itself), and where.
    let mut uses: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under src");
        let first = rel.components().next().expect("a component");
        let first = first.as_os_str().to_str().expect("utf-8 path");
        let module = first.strip_suffix(".rs").unwrap_or(first);
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(layer) = layer_of(module) else {
            problems.push(format!(
                "{}: module `{module}` is in no layer (add it to LAYERS in server/tests/layers.rs \
                 and to docs/ARCHITECTURE.md)",
                rel.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).expect("read a source file");
        for used in crate_refs(&code_only(&text)) {
            if used == module {
                continue;
            }
            let Some(used_layer) = layer_of(&used) else {
                problems.push(format!(
                    "{}: uses `crate::{used}`, a module in no layer",
                    rel.display()
                ));
                continue;
            };
            if used_layer < layer {
                problems.push(format!(
                    "{}: `{module}` ({} layer) uses `crate::{used}` ({} layer, above it)",
                    rel.display(),
                    LAYERS[layer].0,
                    LAYERS[used_layer].0
                ));
            }
            uses.entry(module.to_owned())
                .or_default()
                .entry(used)
                .or_insert_with(|| rel.display().to_string());
        }
    }
    // Cycles between top-level modules (within a layer: the layer rule already catches the rest).
    let mut done = BTreeSet::new();
    for start in uses.keys() {
        let mut path = vec![start.clone()];
        find_cycle(&uses, &mut path, &mut done, &mut problems);
    }
    assert!(
        problems.is_empty(),
        "server/src imports point up or go round:\n  {}",
        problems.join("\n  ")
    );
}

/// Depth-first search from the last module of `path`; records each cycle found once.
fn find_cycle(
    uses: &BTreeMap<String, BTreeMap<String, String>>,
    path: &mut Vec<String>,
    done: &mut BTreeSet<String>,
    problems: &mut Vec<String>,
) {
    let here = path.last().expect("non-empty").clone();
    if done.contains(&here) {
        return;
    }
    for (next, file) in uses.get(&here).into_iter().flatten() {
        if let Some(at) = path.iter().position(|m| m == next) {
            let mut cycle = path[at..].to_vec();
            cycle.push(next.clone());
            problems.push(format!(
                "cycle: {} (last step in {file})",
                cycle.join(" -> ")
            ));
            continue;
        }
        path.push(next.clone());
        find_cycle(uses, path, done, problems);
        path.pop();
    }
    done.insert(here);
}

#[test]
fn finds_references_in_groups_and_paths_but_not_comments() {
    let code = code_only(
        "use crate::{store::App, config::{A, B}};\n\
         let x = crate::ops::f(); // crate::transport::g()\n\
         let s = \"// not a comment\"; crate::guard::within;\n",
    );
    let refs: Vec<String> = crate_refs(&code).into_iter().collect();
    assert_eq!(refs, ["config", "guard", "ops", "store"]);
}
