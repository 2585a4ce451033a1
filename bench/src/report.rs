//! The table every benchmark contributes rows to.

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

pub struct Row {
    pub name: String,
    pub measured: String,
    pub target: String,
    pub verdict: Verdict,
}

/// Prints the rows as a Markdown table; with `judge` false (smoke runs) no verdicts.
pub fn print(rows: &[Row], judge: bool) {
    println!("| benchmark | measured | target | |");
    println!("|---|---|---|---|");
    for r in rows {
        let verdict = match r.verdict {
            _ if !judge => "not judged (smoke)",
            Verdict::Met => "met",
            Verdict::NotMet => "NOT met",
            Verdict::Partial(true) => "met at this size",
            Verdict::Partial(false) => "not met at this size",
            Verdict::Info => "",
        };
        println!("| {} | {} | {} | {verdict} |", r.name, r.measured, r.target);
    }
}
