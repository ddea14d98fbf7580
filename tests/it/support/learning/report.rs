//! The corpus figures: per family, the new bindings served right (hits), missed, served
//! with LLM calls they should not need, and false replays; negative goals refused. Printed
//! as a Markdown table (the README's).

use std::fmt::Write as _;

use super::runner::{FamilyResult, Verdict};

/// Totals over a set of families.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Positive goals (new bindings).
    pub positive: usize,
    pub hits: usize,
    pub misses: usize,
    pub costly: usize,
    /// Negative goals, and how many of them failed or missed as they must.
    pub negative: usize,
    pub refused: usize,
    pub false_replays: usize,
}

impl Totals {
    pub fn of(results: &[FamilyResult]) -> Totals {
        let mut t = Totals::default();
        for r in results {
            t.add(&Totals::family(r));
        }
        t
    }

    pub fn family(r: &FamilyResult) -> Totals {
        let mut t = Totals::default();
        for g in &r.goals {
            if g.negative {
                t.negative += 1;
            } else {
                t.positive += 1;
            }
            match g.verdict {
                Verdict::Hit => t.hits += 1,
                Verdict::Miss(_) => t.misses += 1,
                Verdict::Costly(_) => t.costly += 1,
                Verdict::Refused => t.refused += 1,
                Verdict::FalseReplay(_) => t.false_replays += 1,
            }
        }
        t
    }

    fn add(&mut self, o: &Totals) {
        self.positive += o.positive;
        self.hits += o.hits;
        self.misses += o.misses;
        self.costly += o.costly;
        self.negative += o.negative;
        self.refused += o.refused;
        self.false_replays += o.false_replays;
    }

    /// Hits over positive goals.
    pub fn hit_rate(&self) -> f64 {
        if self.positive == 0 {
            return 1.0;
        }
        self.hits as f64 / self.positive as f64
    }
}

/// The table, a line per family, then the totals.
pub fn table(results: &[FamilyResult]) -> String {
    let mut out = String::from(
        "| family | new goals | hits | misses | LLM calls not needed | negatives refused | false replays |\n\
         | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for r in results {
        let t = Totals::family(r);
        let name = match &r.import_error {
            Some(_) => format!("{} (not learned)", r.name),
            None => r.name.clone(),
        };
        let _ = writeln!(out, "{}", row(&name, &t));
    }
    let t = Totals::of(results);
    let _ = writeln!(out, "{}", row("**all**", &t));
    let _ = writeln!(
        out,
        "\n{} of {} new bindings served right ({:.1}%), {} false replays.",
        t.hits,
        t.positive,
        100.0 * t.hit_rate(),
        t.false_replays
    );
    out
}

fn row(name: &str, t: &Totals) -> String {
    let neg = match t.negative {
        0 => "".to_owned(),
        n => format!("{}/{n}", t.refused),
    };
    format!(
        "| {name} | {} | {} | {} | {} | {neg} | {} |",
        t.positive, t.hits, t.misses, t.costly, t.false_replays
    )
}

/// Every goal that was not a hit or a right refusal, with why: for whoever tunes the
/// rules.
pub fn details(results: &[FamilyResult]) -> String {
    let mut out = String::new();
    for r in results {
        if let Some(e) = &r.import_error {
            let _ = writeln!(out, "{}: not learned: {e}", r.name);
        }
        for g in &r.goals {
            let what = match &g.verdict {
                Verdict::Hit | Verdict::Refused => continue,
                Verdict::Miss(why) => format!("miss: {why}"),
                Verdict::Costly(why) => format!("costly: {why}"),
                Verdict::FalseReplay(why) => format!("FALSE REPLAY: {why}"),
            };
            let line = what.lines().next().unwrap_or_default().to_owned();
            let _ = writeln!(out, "{}: {:?}: {line}", r.name, g.goal);
        }
    }
    out
}
