//! Whether a text the LLM wrote is explained by data flow plus short glue: its values
//! come from params and earlier results (`"lines: {a}\nwords: {b}\n"`), and what is left
//! is a few words that cannot carry a result (no number, no counted word). Such text is
//! an interpolation. Anything else that may depend on the input was worked out by the
//! LLM: prose becomes an `ask` slot, a final answer is not repeated.

use super::flow::{Access, Piece, Src};

/// Most words of literal text on a line with an interpolated value (`lines: {n}`).
const MAX_LINE_WORDS: usize = 8;
/// Most words on a line without one (a heading).
const MAX_BARE_LINE_WORDS: usize = 4;
/// Most words of literal text in all, beside this many per interpolated value.
const MAX_WORDS: usize = 4;
const WORDS_PER_VALUE: usize = 6;

/// The lines of a text: the words of literal text on each, and whether it interpolates
/// a value.
fn lines(src: &Src) -> Vec<(usize, bool)> {
    let mut out = vec![(0, false)];
    let text = |t: &str, out: &mut Vec<(usize, bool)>| {
        for (i, line) in t.split('\n').enumerate() {
            if i > 0 {
                out.push((0, false));
            }
            if let Some(last) = out.last_mut() {
                last.0 += super::flow::words(line).count();
            }
        }
    };
    match src {
        Src::Template(parts) => {
            for p in parts {
                match p {
                    Piece::Text(t) => text(t, &mut out),
                    Piece::Value(_) => {
                        if let Some(last) = out.last_mut() {
                            last.1 = true;
                        }
                    }
                }
            }
        }
        other => {
            let mut texts = Vec::new();
            other.literal_texts(&mut texts);
            for t in texts {
                out.push((0, false));
                text(t, &mut out);
            }
        }
    }
    out
}

/// Why a text is not explained.
#[derive(Clone, Debug, PartialEq)]
pub enum Unexplained {
    /// Too much literal text to be glue: prose.
    Prose,
    /// It holds something no step computes (a number, a counted word, a picked element):
    /// the LLM worked it out.
    Content(String),
}

impl std::fmt::Display for Unexplained {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unexplained::Prose => f.write_str("is prose, not values joined by short glue"),
            Unexplained::Content(why) => f.write_str(why),
        }
    }
}

/// What the glue may use freely: the goal's own words and numbers.
pub struct Glue<'a> {
    /// The goal, lower case.
    pub goal: &'a str,
    /// Per kept step: whether its result depends on a param.
    pub dependent: &'a [bool],
    /// Per kept step: its number in the recording (from 1), for messages.
    pub numbers: &'a [usize],
}

const NUMBER_WORDS: &[&str] = &[
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "twenty", "hundred", "thousand", "million", "first", "second", "third",
    "fourth", "fifth", "last", "once", "twice", "half", "none", "single", "both", "several",
    "empty", "most", "least", "largest", "smallest", "biggest", "highest", "lowest",
];

impl Glue<'_> {
    /// Ok when `src` is explained by data flow plus short glue.
    pub fn check(&self, src: &Src) -> Result<(), Unexplained> {
        if let Some((step, index)) = self.positional(src) {
            return Err(Unexplained::Content(format!(
                "uses element {index} of the result of step {}, a list whose length \
                 depends on the input",
                self.numbers.get(step).copied().unwrap_or(step + 1)
            )));
        }
        let mut texts = Vec::new();
        src.literal_texts(&mut texts);
        let goal_words: Vec<&str> = super::flow::words(self.goal).collect();
        for t in &texts {
            for w in super::flow::words(t) {
                let lower = w.to_lowercase();
                if goal_words.contains(&lower.as_str()) {
                    continue;
                }
                if w.chars().any(|c| c.is_ascii_digit()) {
                    return Err(Unexplained::Content(format!(
                        "holds the number `{w}`, which no step computes"
                    )));
                }
                if NUMBER_WORDS.contains(&lower.as_str()) {
                    return Err(Unexplained::Content(format!(
                        "says `{w}`, which no step computes"
                    )));
                }
            }
        }
        let mut values = 0;
        src.refs(&mut |_| values += 1);
        let mut total = 0;
        for (words, with_value) in lines(src) {
            let max = if with_value {
                MAX_LINE_WORDS
            } else {
                MAX_BARE_LINE_WORDS
            };
            if words > max {
                return Err(Unexplained::Prose);
            }
            total += words;
        }
        if total > MAX_WORDS + WORDS_PER_VALUE * values {
            return Err(Unexplained::Prose);
        }
        Ok(())
    }

    /// The first element picked by position from a list that depends on the input:
    /// (step, index).
    pub fn positional(&self, src: &Src) -> Option<(usize, usize)> {
        match src {
            Src::Access(base, path) => {
                if let Src::Step(j) = **base
                    && self.dependent.get(j).copied().unwrap_or(false)
                    && let Some(i) = path.iter().find_map(|a| match a {
                        Access::Index(i) if !super::guards::stated_position(self.goal, *i) => {
                            Some(*i)
                        }
                        _ => None,
                    })
                {
                    return Some((j, i));
                }
                self.positional(base)
            }
            Src::Template(parts) => parts.iter().find_map(|p| match p {
                Piece::Value(s) => self.positional(s),
                Piece::Text(_) => None,
            }),
            Src::List(items) => items.iter().find_map(|s| self.positional(s)),
            Src::Object(entries) => entries.iter().find_map(|(_, s)| self.positional(s)),
            Src::Apply(a) => self.positional(&a.base),
            Src::Const(_)
            | Src::Param(_)
            | Src::Step(_)
            | Src::Slot(_)
            | Src::Elem(_)
            | Src::Loop(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::learn::compile::flow::template as t;

    #[test]
    fn values_joined_by_short_glue_are_explained() {
        let g = Glue {
            goal: "report lines and words of notes/a.txt",
            dependent: &[true, true, true],
            numbers: &[1, 2, 3],
        };
        let report = t(&[
            Ok("lines: "),
            Err(Src::Step(1)),
            Ok("\nwords: "),
            Err(Src::Step(2)),
            Ok("\n"),
        ]);
        assert_eq!(g.check(&report), Ok(()));
        let prose = Src::Const(json!(
            "# Summary\n\nFive rows over three regions and two quarters; amounts run high.\n"
        ));
        assert!(g.check(&prose).is_err());
        let counted = t(&[Ok("There are three words in "), Err(Src::Param(0))]);
        assert_eq!(
            g.check(&counted),
            Err(Unexplained::Content(
                "says `three`, which no step computes".into()
            ))
        );
        let number = t(&[Ok("total 12 of "), Err(Src::Step(2))]);
        assert!(matches!(g.check(&number), Err(Unexplained::Content(_))));
        let long = Src::Const(json!(
            "I read the file carefully and then split it on white space to count every token"
        ));
        assert_eq!(g.check(&long), Err(Unexplained::Prose));
    }

    #[test]
    fn picking_an_element_of_a_data_sized_list_is_not_explained() {
        let g = Glue {
            goal: "find emails in a.txt",
            dependent: &[true, true],
            numbers: &[1, 2],
        };
        let third = Src::Access(Box::new(Src::Step(1)), vec![Access::Index(2)]);
        assert_eq!(
            g.positional(&t(&[Ok("The third is "), Err(third.clone())])),
            Some((1, 2))
        );
        let field = Src::Access(Box::new(Src::Step(1)), vec![Access::Key("sum".into())]);
        assert_eq!(g.check(&t(&[Ok("sum: "), Err(field)])), Ok(()));
        assert!(g.check(&t(&[Ok("it is "), Err(third)])).is_err());
    }
}
