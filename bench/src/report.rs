//! What a run produces: the table every benchmark contributes rows to, the latency curves and
//! timelines behind the pictures, and the errors of benchmarks that failed.

use serde_json::{json, Value};

/// Whether a figure meets its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Met,
    NotMet,
    /// Measured below the target's size: the figure is indicative only.
    Partial(bool),
    /// A figure with no target.
    Info,
}

impl From<bool> for Verdict {
    fn from(met: bool) -> Verdict {
        if met {
            Verdict::Met
        } else {
            Verdict::NotMet
        }
    }
}

impl Verdict {
    fn text(self, judge: bool) -> &'static str {
        match self {
            _ if !judge => "not judged (smoke)",
            Verdict::Met => "met",
            Verdict::NotMet => "NOT met",
            Verdict::Partial(true) => "met at this size",
            Verdict::Partial(false) => "not met at this size",
            Verdict::Info => "",
        }
    }
}

pub struct Row {
    pub name: String,
    pub measured: String,
    pub target: String,
    pub verdict: Verdict,
}

/// Everything one `imsdk-bench` command measured.
#[derive(Default)]
pub struct Results {
    pub rows: Vec<Row>,
    /// Latency against offered rate, one JSON object per curve (see `fanout::curve_json`).
    pub curves: Vec<Value>,
    /// Latency and deliveries over time, one JSON object per run (see `fanout::timeline_json`).
    pub timelines: Vec<Value>,
    pub errors: Vec<String>,
}

impl From<Vec<Row>> for Results {
    fn from(rows: Vec<Row>) -> Results {
        Results {
            rows,
            ..Results::default()
        }
    }
}

impl Results {
    /// Appends another benchmark's results.
    pub fn extend(&mut self, other: Results) {
        self.rows.extend(other.rows);
        self.curves.extend(other.curves);
        self.timelines.extend(other.timelines);
        self.errors.extend(other.errors);
    }

    /// Prints the rows as a Markdown table; with `judge` false (smoke runs) no verdicts.
    pub fn print(&self, judge: bool) {
        println!("| benchmark | measured | target | |");
        println!("|---|---|---|---|");
        for r in &self.rows {
            let verdict = r.verdict.text(judge);
            println!("| {} | {} | {} | {verdict} |", r.name, r.measured, r.target);
        }
    }

    /// The whole run as JSON: what `scripts/plot.py` reads.
    pub fn to_json(&self) -> String {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                json!({
                    "name": r.name, "measured": r.measured, "target": r.target,
                    "verdict": r.verdict.text(true),
                })
            })
            .collect();
        let all = json!({
            "version": env!("CARGO_PKG_VERSION"),
            "rows": rows,
            "curves": self.curves,
            "timelines": self.timelines,
            "errors": self.errors,
        });
        serde_json::to_string_pretty(&all).unwrap_or_default()
    }
}

/// One line on stderr while a long benchmark runs, so that its figures show as they come.
pub fn progress(what: &str, line: std::fmt::Arguments) {
    eprintln!("[{what}] {line}");
}
