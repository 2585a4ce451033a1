//! Items 1 and 2 and the library's RSS, through the C ABI: runs the library's own `bench` example
//! (`examples/bench.rs`: A and B are two processes with the library loaded, a real imsdk-server
//! on loopback) and turns its lines into rows.

use crate::report::{Row, Verdict};
use std::process::Command;

pub fn run(changes: usize) -> Result<Vec<Row>, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let bench = exe.with_file_name("examples").join("bench");
    if !bench.exists() {
        return Err(format!(
            "{} not found: cargo build --release -p imsdk --example bench",
            bench.display()
        ));
    }
    let out = Command::new(&bench)
        .arg(changes.to_string())
        .output()
        .map_err(|e| format!("run {}: {e}", bench.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "{} failed: {}{}",
            bench.display(),
            text,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut rows = Vec::new();
    for line in text.lines() {
        let (name, figures) = line.split_once(": ").unwrap_or((line, ""));
        let median = number_after(figures, "median ");
        let p99 = number_after(figures, "p99 ");
        let (target, verdict) = if name.starts_with("call return") {
            (
                "median ≤ 5 µs",
                median.map_or(Verdict::Info, |m| Verdict::from(m <= 5.0)),
            )
        } else if name.starts_with("A SetSelfStatus") {
            let met = median.zip(p99).map(|(m, p)| m <= 200.0 && p <= 1000.0);
            (
                "p50 ≤ 200 µs, p99 ≤ 1 ms",
                met.map_or(Verdict::Info, Verdict::from),
            )
        } else if name.starts_with("reference") {
            ("what a call pays when the worker is asleep", Verdict::Info)
        } else if name.starts_with("RSS added") {
            let kib = figures
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<f64>().ok());
            (
                "≤ 4 MiB",
                kib.map_or(Verdict::Info, |k| Verdict::from(k <= 4096.0)),
            )
        } else {
            continue;
        };
        rows.push(Row {
            name: format!("library: {name}"),
            measured: figures.to_owned(),
            target: target.to_owned(),
            verdict,
        });
    }
    Ok(rows)
}

/// The number following `key` ("median 1.25 µs" → 1.25).
fn number_after(text: &str, key: &str) -> Option<f64> {
    let rest = &text[text.find(key)? + key.len()..];
    rest.split_whitespace()
        .next()?
        .trim_end_matches(',')
        .parse()
        .ok()
}
