//! Declaration files: `tool` items become [`ToolDecl`]s.

use std::collections::BTreeMap;

use super::literal::{const_type, const_value};
use crate::diag::Diagnostic;
use crate::stdlib::{ParamDecl, ToolDecl};
use crate::syntax::ast::{File, ItemKind};
use crate::types::{Effect, EffectSet};

/// Reads every `tool` item of a declaration file; reports problems in `diags`.
pub fn declarations(file: &File, diags: &mut Vec<Diagnostic>) -> Vec<ToolDecl> {
    let mut out: Vec<ToolDecl> = Vec::new();
    let mut seen: BTreeMap<String, crate::diag::Span> = BTreeMap::new();
    for item in &file.items {
        let ItemKind::Tool(tool) = &item.kind else {
            diags.push(
                Diagnostic::error(
                    "item-order",
                    item.span,
                    "a declaration file holds only `tool` items",
                )
                .label("not a tool declaration")
                .help("move steps into a trace file; keep `tool` items in their own file"),
            );
            continue;
        };
        if let Some(first) = seen.get(&tool.name.name) {
            diags.push(
                Diagnostic::error(
                    "duplicate-name",
                    tool.name.span,
                    format!("tool `{}` is declared twice", tool.name.name),
                )
                .label("declared again here")
                .secondary(*first, "first declared here"),
            );
            continue;
        }
        seen.insert(tool.name.name.clone(), tool.name.span);

        let mut params: Vec<ParamDecl> = Vec::new();
        let mut ok = true;
        for p in &tool.params {
            if params.iter().any(|q| q.name == p.name.name) {
                diags.push(
                    Diagnostic::error(
                        "duplicate-name",
                        p.name.span,
                        format!("parameter `{}` is declared twice", p.name.name),
                    )
                    .label("declared again here"),
                );
                ok = false;
                continue;
            }
            let Some(ty) = p.ty.ty.clone() else {
                ok = false;
                continue;
            };
            let default = match &p.default {
                None => None,
                Some(e) => match const_value(e) {
                    Some(v) if crate::value::conforms(&v, &ty) => Some(v),
                    Some(v) => {
                        diags.push(
                            Diagnostic::error(
                                "bad-default",
                                e.span,
                                format!(
                                    "default of `{}` has the wrong type: expected `{ty}`, found `{}`",
                                    p.name.name,
                                    const_type(&v)
                                ),
                            )
                            .label(format!("expected `{ty}`")),
                        );
                        ok = false;
                        None
                    }
                    None => {
                        diags.push(
                            Diagnostic::error(
                                "bad-default",
                                e.span,
                                "a default must be a literal value",
                            )
                            .label("not a literal"),
                        );
                        ok = false;
                        None
                    }
                },
            };
            params.push(ParamDecl {
                name: p.name.name.clone(),
                ty,
                default,
            });
        }
        let mut effects = EffectSet::EMPTY;
        for e in &tool.effects {
            match Effect::parse(&e.name) {
                Some(eff) => effects.insert(eff),
                None => {
                    diags.push(
                        Diagnostic::error(
                            "unknown-effect",
                            e.span,
                            format!("unknown effect `{}`", e.name),
                        )
                        .label("not an effect")
                        .help("effects are pure, read, write, net, exec, llm, clock"),
                    );
                    ok = false;
                }
            }
        }
        let Some(ret) = tool.ret.ty.clone() else {
            continue;
        };
        if ok {
            out.push(ToolDecl {
                name: tool.name.name.clone(),
                params,
                ret,
                effects,
                doc: item.doc.clone().unwrap_or_default(),
            });
        }
    }
    out
}
