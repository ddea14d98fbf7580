//! Walks over a trace's syntax tree for merging: the names a trace defines, renaming
//! them, and the tools its statements call.

use std::collections::{BTreeMap, BTreeSet};

use crate::syntax::ast::{Block, Expr, ExprKind, Item, ItemKind, LetValue, StrLit, StrPart};

/// Every name `items` define: params, `let`s and `for` variables at any depth.
pub fn defined(items: &[Item]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for item in items {
        match &item.kind {
            ItemKind::Param(p) => {
                out.insert(p.name.name.clone());
            }
            ItemKind::Let(l) => {
                out.insert(l.name.name.clone());
                if let LetValue::Expr(e) = &l.value {
                    defined_in_expr(e, &mut out);
                }
            }
            ItemKind::Expr(e) | ItemKind::Return(e) => defined_in_expr(e, &mut out),
            ItemKind::Expect(x) => defined_in_expr(&x.cond, &mut out),
            _ => {}
        }
    }
    out
}

fn defined_in_expr(e: &Expr, out: &mut BTreeSet<String>) {
    walk_expr(e, &mut |e| match &e.kind {
        ExprKind::For(f) => {
            out.insert(f.var.name.clone());
            out.extend(defined(&f.body.items));
        }
        ExprKind::If(i) => {
            for (_, b) in &i.arms {
                out.extend(defined(&b.items));
            }
            if let Some(b) = &i.otherwise {
                out.extend(defined(&b.items));
            }
        }
        _ => {}
    });
}

/// Calls `f` on `e` and every expression inside it, blocks' statements included.
pub fn walk_expr(e: &Expr, f: &mut impl FnMut(&Expr)) {
    f(e);
    match &e.kind {
        ExprKind::List(items) | ExprKind::Logic(_, items) => {
            items.iter().for_each(|x| walk_expr(x, f))
        }
        ExprKind::Object(entries) => entries.iter().for_each(|(_, x)| walk_expr(x, f)),
        ExprKind::Field(x, _) | ExprKind::Paren(x) | ExprKind::Not(x) => walk_expr(x, f),
        ExprKind::Index(a, b) | ExprKind::Compare(a, _, b) => {
            walk_expr(a, f);
            walk_expr(b, f);
        }
        ExprKind::Call(c) => c.args.iter().for_each(|a| walk_expr(&a.value, f)),
        ExprKind::For(fr) => {
            walk_expr(&fr.list, f);
            walk_block(&fr.body, f);
        }
        ExprKind::If(i) => {
            for (c, b) in &i.arms {
                walk_expr(c, f);
                walk_block(b, f);
            }
            if let Some(b) = &i.otherwise {
                walk_block(b, f);
            }
        }
        _ => {}
    }
}

fn walk_block(b: &Block, f: &mut impl FnMut(&Expr)) {
    b.items.iter().for_each(|i| walk_item(i, f));
}

/// Calls `f` on every expression of a statement.
pub fn walk_item(item: &Item, f: &mut impl FnMut(&Expr)) {
    match &item.kind {
        ItemKind::Let(l) => {
            if let LetValue::Expr(e) = &l.value {
                walk_expr(e, f);
            }
        }
        ItemKind::Expr(e) | ItemKind::Return(e) => walk_expr(e, f),
        ItemKind::Expect(x) => walk_expr(&x.cond, f),
        _ => {}
    }
}

/// The tools a statement calls, at any depth.
pub fn tools_called(item: &Item) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    walk_item(item, &mut |e| {
        if let ExprKind::Call(c) = &e.kind {
            out.insert(c.tool.name.clone());
        }
    });
    out
}

/// Renames, in a statement, every definition and use of a name in `map` (a `let`, a
/// `for` variable, a param's uses, a reference, an interpolation's root). Argument
/// names, fields and object keys are not names.
pub fn rename_item(item: &mut Item, map: &BTreeMap<String, String>) {
    match &mut item.kind {
        ItemKind::Param(p) => rename_ident(&mut p.name.name, map),
        ItemKind::Let(l) => {
            rename_ident(&mut l.name.name, map);
            match &mut l.value {
                LetValue::Expr(e) => rename_expr(e, map),
                LetValue::Ask(s) => rename_str(s, map),
            }
        }
        ItemKind::Expr(e) | ItemKind::Return(e) => rename_expr(e, map),
        ItemKind::Expect(x) => {
            rename_expr(&mut x.cond, map);
            if let Some(m) = &mut x.message {
                rename_str(m, map);
            }
        }
        ItemKind::Goal(s) => rename_str(s, map),
        _ => {}
    }
}

fn rename_ident(name: &mut String, map: &BTreeMap<String, String>) {
    if let Some(new) = map.get(name.as_str()) {
        *name = new.clone();
    }
}

pub fn rename_str(s: &mut StrLit, map: &BTreeMap<String, String>) {
    for p in &mut s.parts {
        if let StrPart::Interp(i) = p {
            rename_ident(&mut i.root.name, map);
        }
    }
}

pub fn rename_expr(e: &mut Expr, map: &BTreeMap<String, String>) {
    match &mut e.kind {
        ExprKind::Str(s) => rename_str(s, map),
        ExprKind::Ref(id) => rename_ident(&mut id.name, map),
        ExprKind::List(items) | ExprKind::Logic(_, items) => {
            items.iter_mut().for_each(|x| rename_expr(x, map))
        }
        ExprKind::Object(entries) => entries.iter_mut().for_each(|(_, x)| rename_expr(x, map)),
        ExprKind::Field(x, _) | ExprKind::Paren(x) | ExprKind::Not(x) => rename_expr(x, map),
        ExprKind::Index(a, b) | ExprKind::Compare(a, _, b) => {
            rename_expr(a, map);
            rename_expr(b, map);
        }
        ExprKind::Call(c) => c
            .args
            .iter_mut()
            .for_each(|a| rename_expr(&mut a.value, map)),
        ExprKind::For(fr) => {
            rename_ident(&mut fr.var.name, map);
            rename_expr(&mut fr.list, map);
            fr.body.items.iter_mut().for_each(|i| rename_item(i, map));
        }
        ExprKind::If(i) => {
            for (c, b) in &mut i.arms {
                rename_expr(c, map);
                b.items.iter_mut().for_each(|i| rename_item(i, map));
            }
            if let Some(b) = &mut i.otherwise {
                b.items.iter_mut().for_each(|i| rename_item(i, map));
            }
        }
        ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) | ExprKind::Null => {}
    }
}

/// A name like `base` that is not in `taken` (`base_2`, `base_3`, ...).
pub fn fresh(base: &str, taken: &BTreeSet<String>) -> String {
    if !taken.contains(base) {
        return base.to_owned();
    }
    (2..)
        .map(|n| format!("{base}_{n}"))
        .find(|n| !taken.contains(n))
        .unwrap_or_else(|| base.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Vec<Item> {
        let (file, diags) = crate::syntax::parse(src);
        assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
        file.items
    }

    #[test]
    fn defined_names_include_blocks_and_loop_variables() {
        let items = parse(
            "trace t\nparam dir: path\nlet files = fs.glob(pattern: \"{dir}/*\")\n\
             let parts = for f in files {\n    let text = fs.read(path: f)\n    text\n}\n\
             return parts\n",
        );
        let names: Vec<String> = defined(&items).into_iter().collect();
        assert_eq!(names, ["dir", "f", "files", "parts", "text"]);
    }

    #[test]
    fn renaming_touches_names_not_argument_names_fields_or_keys() {
        let mut items = parse(
            "trace t\nparam path: path\nlet text = fs.read(path: path)\n\
             let n = { \"text\": text.len(text: text) }\nreturn \"{text} {n.text}\"\n",
        );
        let map: BTreeMap<String, String> = [("path", "file"), ("text", "body")]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect();
        items.iter_mut().for_each(|i| rename_item(i, &map));
        let file = crate::syntax::ast::File {
            items,
            ..Default::default()
        };
        let out = crate::syntax::printer::format("", &file);
        assert!(out.contains("param file: path"), "{out}");
        assert!(out.contains("let body = fs.read(path: file)"), "{out}");
        assert!(
            out.contains("let n = { \"text\": text.len(text: body) }"),
            "{out}"
        );
        assert!(out.contains("return \"{body} {n.text}\""), "{out}");
    }

    #[test]
    fn fresh_names_skip_taken_ones() {
        let taken: BTreeSet<String> = ["a", "a_2"].iter().map(|s| s.to_string()).collect();
        assert_eq!(fresh("a", &taken), "a_3");
        assert_eq!(fresh("b", &taken), "b");
    }
}
