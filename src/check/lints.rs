//! Checks of the goal template and the unused-name lints.

use super::hir::ParamDef;
use super::trace::{Checker, Def};
use crate::diag::{Diagnostic, Span};
use crate::syntax::ast::{StrLit, StrPart};

/// Checks that every goal placeholder is a param; returns the template text with
/// literal braces doubled (`{{`), as the dispatcher reads it.
pub(super) fn goal(c: &mut Checker<'_>, goal: &StrLit, _span: Span, params: &[ParamDef]) -> String {
    let mut text = String::new();
    for part in &goal.parts {
        match part {
            StrPart::Text(t) => text.push_str(&t.replace('{', "{{").replace('}', "}}")),
            StrPart::Interp(i) => {
                let name = &i.root.name;
                if !params.iter().any(|p| p.name == *name) {
                    let mut d = Diagnostic::error(
                        "goal-placeholder",
                        i.span,
                        format!("goal placeholder `{{{name}}}` is not a param"),
                    )
                    .label("not a param");
                    d = match super::suggest::closest(name, params.iter().map(|p| p.name.as_str()))
                    {
                        Some(s) => d.help(format!("did you mean `{{{s}}}`?")),
                        None => d.help(format!("declare it: `param {name}: str`")),
                    };
                    c.diags.push(d);
                } else if !i.path.is_empty() {
                    c.diags.push(
                        Diagnostic::error(
                            "goal-placeholder",
                            i.span,
                            "a goal placeholder is a bare param name, like `{input}`",
                        )
                        .label("has a field or index"),
                    );
                }
                text.push('{');
                text.push_str(name);
                text.push('}');
            }
        }
    }
    text
}

/// Warns about params and `let`s that nothing uses (in name order).
pub(super) fn unused(c: &mut Checker<'_>) {
    let mut warnings: Vec<(&String, Diagnostic)> = c
        .scope
        .iter()
        .filter_map(|(name, (def, span))| Some((name, unused_warning(c, name, *def, *span)?)))
        .collect();
    warnings.sort_by(|a, b| a.0.cmp(b.0));
    let warnings: Vec<Diagnostic> = warnings.into_iter().map(|(_, d)| d).collect();
    c.diags.extend(warnings);
}

/// Warns about those of `names` (defined and visible) that nothing uses.
pub(super) fn unused_names(c: &mut Checker<'_>, names: &[String]) {
    let warnings: Vec<Diagnostic> = names
        .iter()
        .filter_map(|name| {
            let (def, span) = c.scope.get(name)?;
            unused_warning(c, name, *def, *span)
        })
        .collect();
    c.diags.extend(warnings);
}

/// The warning for `name`, defined as `def` at `span`, when nothing uses it.
fn unused_warning(c: &Checker<'_>, name: &str, def: Def, span: Span) -> Option<Diagnostic> {
    if c.uses.get(&def).copied().unwrap_or(0) > 0 {
        return None;
    }
    Some(match def {
        Def::Param(_) => Diagnostic::warning(
            "unused-param",
            span,
            format!("param `{name}` is never used"),
        )
        .label("never used")
        .help("remove it, or use it in a step"),
        Def::Step(_) | Def::Local(_) => {
            Diagnostic::warning("unused-let", span, format!("`{name}` is never used"))
                .label("never used")
                .help("drop the `let` to keep the step for its effect, or remove the step")
        }
    })
}

/// Warns about params that the goal does not mention (goal matching cannot bind them).
pub(super) fn params_not_in_goal(c: &mut Checker<'_>, goal: Option<&StrLit>, params: &[ParamDef]) {
    let Some(goal) = goal else { return };
    for p in params {
        let mentioned = goal
            .parts
            .iter()
            .any(|part| matches!(part, StrPart::Interp(i) if i.root.name == p.name));
        if !mentioned {
            let help = if p.default.is_some() {
                "goal matching cannot set it; it keeps its default unless `--set` gives it"
                    .to_owned()
            } else {
                format!(
                    "mention it in the goal as `{{{}}}`, or give it a default",
                    p.name
                )
            };
            c.diags.push(
                Diagnostic::warning(
                    "param-not-in-goal",
                    p.span,
                    format!("param `{}` is not in the goal", p.name),
                )
                .label("not in the goal")
                .help(help),
            );
        }
    }
}
