//! Params by evidence: a value of the goal becomes a param when a configuration argument
//! of the recording holds it (whole, or inside on word boundaries, or in a form a tool
//! can make from it: regex-escaped, upper or lower case). Text the LLM only passed on
//! (a file's content handed to the next tool) is no evidence; text the LLM wrote into a
//! data argument is.
//!
//! Specific candidates (paths, URLs, numbers, quoted phrases, extensions) are tried
//! first, then runs of plain words, longest first, so that `hello world` inside a
//! `text.replace` becomes one phrase param. Each chosen value is masked out of the
//! evidence, so a word inside a path that is already a param is not a second param.

use std::borrow::Cow;

use super::flow::{Flow, Results, bounded};
use super::forms;
use super::names::{Found, Namer, param_name};
use super::params::{Candidate, Kind, Param, candidates};
use super::roles::{Role, role};
use crate::learn::recording::{RecStep, as_step_ref};
use crate::tools::ToolTable;
use crate::value::{Value, number_text};

/// A text in which a goal value counts as evidence (borrowed from the recording until a
/// chosen value is masked out of it).
struct Zone<'a> {
    text: Cow<'a, str>,
    tool: &'a str,
    arg: &'a str,
    /// The text is a whole argument (or a whole element of one).
    whole: bool,
}

/// Where the evidence is: texts and numbers of configuration arguments, and the text the
/// LLM wrote into data arguments.
pub struct Evidence<'a> {
    zones: Vec<Zone<'a>>,
    /// Numbers of configuration arguments: (value, tool, argument).
    numbers: Vec<(f64, &'a str, &'a str)>,
}

/// Collects the evidence of the kept steps (`results`: their results with their forms).
pub fn collect<'a>(
    goal: &str,
    kept: &[(usize, &'a RecStep)],
    tools: &'a ToolTable,
    results: &Results<'_>,
) -> Evidence<'a> {
    let mut ev = Evidence {
        zones: Vec::new(),
        numbers: Vec::new(),
    };
    let mut flow = Flow::new(goal);
    flow.reserve(kept.len());
    for (k, &(_, step)) in kept.iter().enumerate() {
        let Some(decl) = tools.get(&step.tool) else {
            continue;
        };
        for p in &decl.params {
            let Some(v) = step.args.get(&p.name) else {
                continue;
            };
            if as_step_ref(v).is_some() {
                continue;
            }
            let zone = |text: Cow<'a, str>, whole: bool| Zone {
                text,
                tool: &step.tool,
                arg: &p.name,
                whole,
            };
            match role(&step.tool, &p.name) {
                Role::Config => {
                    let mut leaves = Vec::new();
                    scalar_leaves(v, &mut leaves);
                    for leaf in leaves.into_iter().filter(|l| !flow.is_passed_on(l)) {
                        match leaf {
                            Value::String(s) => ev.zones.push(zone(Cow::Borrowed(s), true)),
                            Value::Number(n) => {
                                if let Some(f) = n.as_f64() {
                                    ev.numbers.push((f, &step.tool, &p.name));
                                }
                            }
                            _ => {}
                        }
                    }
                }
                Role::Data | Role::Prose => {
                    let src = flow.derive(v);
                    let mut texts = Vec::new();
                    src.literal_texts(&mut texts);
                    ev.zones.extend(
                        texts
                            .into_iter()
                            .map(|t| zone(Cow::Owned(t.to_owned()), false)),
                    );
                }
            }
        }
        if let Some((r, forms)) = results.get(k) {
            flow.add_result(k, r, forms);
        }
    }
    ev
}

fn scalar_leaves<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Array(items) => items.iter().for_each(|x| scalar_leaves(x, out)),
        Value::Object(map) => map.values().for_each(|x| scalar_leaves(x, out)),
        other => out.push(other),
    }
}

impl Evidence<'_> {
    /// The first use of `value` (or a form of it), masking every occurrence found.
    fn take(&mut self, value: &Value) -> Option<Found> {
        if let Value::Number(n) = value {
            let x = n.as_f64()?;
            let by_value = self
                .numbers
                .iter()
                .find(|(y, _, _)| *y == x)
                .map(|(_, t, a)| Found {
                    tool: (*t).to_owned(),
                    arg: (*a).to_owned(),
                    whole: true,
                    folder: false,
                });
            let text = Value::String(number_text(n));
            return by_value.or_else(|| self.take(&text));
        }
        let Value::String(s) = value else {
            return None;
        };
        let mut texts = vec![s.clone()];
        for f in forms::param_forms(value) {
            if let Value::String(t) = f.value {
                texts.push(t);
            }
        }
        let mut found: Option<Found> = None;
        for needle in texts.iter().filter(|t| !t.is_empty()) {
            for z in &mut self.zones {
                let hits: Vec<usize> = z
                    .text
                    .match_indices(needle.as_str())
                    .map(|(i, _)| i)
                    .filter(|&i| bounded(&z.text, i, i + needle.len()))
                    .collect();
                if hits.is_empty() {
                    continue;
                }
                found.get_or_insert_with(|| Found {
                    tool: z.tool.to_owned(),
                    arg: z.arg.to_owned(),
                    whole: z.whole && z.text == *needle,
                    folder: z.text[hits[0] + needle.len()..].starts_with('/'),
                });
                for i in hits.into_iter().rev() {
                    z.text.to_mut().replace_range(i..i + needle.len(), "\u{0}");
                }
            }
        }
        found
    }
}

/// The params of a goal, chosen by evidence and named (in goal order).
pub fn choose(goal: &str, mut ev: Evidence<'_>, namer: &mut Namer) -> Vec<Param> {
    let all = candidates(goal);
    let mut chosen: Vec<(Candidate, Found)> = Vec::new();
    let taken =
        |chosen: &[(Candidate, Found)], v: &Value| chosen.iter().any(|(c, _)| c.value == *v);
    // Longest first: `backup/report.md` is found before `report.md` masks part of it.
    let mut specific: Vec<&Candidate> = all.iter().filter(|c| c.kind != Kind::Word).collect();
    specific.sort_by_key(|c| std::cmp::Reverse(c.text.len()));
    for c in specific {
        if !taken(&chosen, &c.value)
            && let Some(u) = ev.take(&c.value)
        {
            chosen.push((c.clone(), u));
        }
    }
    let words: Vec<&Candidate> = all.iter().filter(|c| c.kind == Kind::Word).collect();
    let mut i = 0;
    while i < words.len() {
        let mut run = 1;
        while i + run < words.len()
            && run < MAX_PHRASE_WORDS
            && goal[words[i + run - 1].range.end..words[i + run].range.start] == *" "
        {
            run += 1;
        }
        let mut used = 1;
        for len in (1..=run).rev() {
            let phrase = phrase(goal, &words[i..i + len]);
            if !taken(&chosen, &phrase.value)
                && let Some(u) = ev.take(&phrase.value)
            {
                chosen.push((phrase, u));
                used = len;
                break;
            }
        }
        i += used;
    }
    chosen.sort_by_key(|(c, _)| c.range.start);
    chosen
        .into_iter()
        .map(|(c, found)| {
            let (before, after) = neighbours(goal, &c.range);
            let name = namer.take(&param_name(&found, &c, before, after));
            Param::new(name, c)
        })
        .collect()
}

/// Longest run of goal words tried as one phrase.
const MAX_PHRASE_WORDS: usize = 5;

fn phrase(goal: &str, words: &[&Candidate]) -> Candidate {
    let range = words[0].range.start..words[words.len() - 1].range.end;
    let text = goal[range.clone()].to_owned();
    Candidate {
        value: Value::String(text.clone()),
        shape: crate::dispatch::Shape::from_recorded(&text, false),
        text,
        range,
        ty: crate::types::Type::Str,
        kind: Kind::Word,
    }
}

/// The words right before and after a range of the goal, skipping function words.
fn neighbours<'g>(
    goal: &'g str,
    range: &std::ops::Range<usize>,
) -> (Option<&'g str>, Option<&'g str>) {
    let content = |w: &&str| !super::params::is_stop_word(&w.to_lowercase());
    let before = super::flow::words(&goal[..range.start]).rev().find(content);
    let after = super::flow::words(&goal[range.end..]).find(content);
    (before, after)
}

#[cfg(test)]
mod tests;
