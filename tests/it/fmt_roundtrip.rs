//! `llmos fmt`: printing generated programs and parsing them back gives the same tree;
//! formatting is idempotent and keeps every comment.

use llmos::syntax::ast::*;
use llmos::syntax::{parse, printer::format};
use llmos::types::Type;
use proptest::prelude::*;

// ---- span-free comparison ------------------------------------------------------------

fn zero_id(i: &mut Ident) {
    i.span = Default::default();
}

fn zero_str(s: &mut StrLit) {
    s.span = Default::default();
    for p in &mut s.parts {
        if let StrPart::Interp(i) = p {
            i.span = Default::default();
            zero_id(&mut i.root);
            for a in &mut i.path {
                match a {
                    Access::Field(f) => zero_id(f),
                    Access::Index(_, s) => *s = Default::default(),
                }
            }
        }
    }
}

fn zero_expr(e: &mut Expr) {
    e.span = Default::default();
    match &mut e.kind {
        ExprKind::Str(s) => zero_str(s),
        ExprKind::List(items) => items.iter_mut().for_each(zero_expr),
        ExprKind::Object(entries) => entries.iter_mut().for_each(|(k, v)| {
            k.span = Default::default();
            zero_expr(v)
        }),
        ExprKind::Ref(i) => zero_id(i),
        ExprKind::Field(b, f) => {
            zero_expr(b);
            zero_id(f)
        }
        ExprKind::Index(b, i) => {
            zero_expr(b);
            zero_expr(i)
        }
        ExprKind::Call(c) => {
            zero_id(&mut c.tool);
            for a in &mut c.args {
                zero_id(&mut a.name);
                zero_expr(&mut a.value);
            }
        }
        ExprKind::Paren(inner) | ExprKind::Not(inner) => zero_expr(inner),
        ExprKind::Compare(a, _, b) => {
            zero_expr(a);
            zero_expr(b)
        }
        ExprKind::Logic(_, items) => items.iter_mut().for_each(zero_expr),
        ExprKind::For(f) => {
            zero_id(&mut f.var);
            zero_expr(&mut f.list);
            zero_block(&mut f.body);
        }
        ExprKind::If(i) => {
            for (c, b) in &mut i.arms {
                zero_expr(c);
                zero_block(b);
            }
            i.otherwise.iter_mut().for_each(zero_block);
        }
        _ => {}
    }
}

fn zero_block(b: &mut Block) {
    b.span = Default::default();
    b.items.iter_mut().for_each(zero_item);
}

fn zero_ty(t: &mut TypeExpr) {
    t.span = Default::default();
}

fn strip(mut f: File) -> Vec<Item> {
    f.items.iter_mut().for_each(zero_item);
    f.items
}

fn zero_item(item: &mut Item) {
    {
        item.span = Default::default();
        match &mut item.kind {
            ItemKind::Trace(i) => zero_id(i),
            ItemKind::Goal(s) => zero_str(s),
            ItemKind::Param(p) => {
                zero_id(&mut p.name);
                zero_ty(&mut p.ty);
                p.default.iter_mut().for_each(zero_expr);
            }
            ItemKind::Tool(t) => {
                zero_id(&mut t.name);
                zero_ty(&mut t.ret);
                t.effects.iter_mut().for_each(zero_id);
                for p in &mut t.params {
                    zero_id(&mut p.name);
                    zero_ty(&mut p.ty);
                    p.default.iter_mut().for_each(zero_expr);
                }
            }
            ItemKind::Let(l) => {
                zero_id(&mut l.name);
                l.ty.iter_mut().for_each(zero_ty);
                match &mut l.value {
                    LetValue::Expr(e) => zero_expr(e),
                    LetValue::Ask(s) => zero_str(s),
                }
            }
            ItemKind::Expr(e) | ItemKind::Return(e) => zero_expr(e),
            ItemKind::Expect(x) => {
                zero_expr(&mut x.cond);
                x.message.iter_mut().for_each(zero_str);
            }
        }
    }
}

// ---- generators ----------------------------------------------------------------------

fn ident() -> impl Strategy<Value = Ident> {
    prop_oneof![
        Just("a"),
        Just("text"),
        Just("rows"),
        Just("x_1"),
        Just("_tmp"),
        Just("list"),
        Just("trace2"),
        Just("goal_x")
    ]
    .prop_map(|n| Ident {
        name: n.to_owned(),
        span: Default::default(),
    })
}

fn text() -> impl Strategy<Value = String> {
    // Any characters, including quotes, braces, backslashes, line breaks and non-ASCII.
    proptest::collection::vec(
        prop_oneof![
            8 => proptest::char::range('a', 'z').prop_map(|c| c.to_string()),
            1 => Just("\"".to_owned()), 1 => Just("{".to_owned()), 1 => Just("}".to_owned()),
            1 => Just("\\".to_owned()), 1 => Just("\n".to_owned()), 1 => Just("\t".to_owned()),
            1 => Just("é😀".to_owned()), 1 => Just(" // not a comment".to_owned()), 1 => Just("\"\"\"".to_owned()),
        ],
        1..8,
    )
    .prop_map(|v| v.concat())
}

fn strlit() -> impl Strategy<Value = StrLit> {
    let part = prop_oneof![
        text().prop_map(StrPart::Text),
        (
            ident(),
            proptest::collection::vec(
                prop_oneof![
                    ident().prop_map(Access::Field),
                    (0i64..5).prop_map(|i| Access::Index(i, Default::default()))
                ],
                0..3
            )
        )
            .prop_map(|(root, path)| StrPart::Interp(Interp {
                root,
                path,
                span: Default::default()
            })),
    ];
    (proptest::collection::vec(part, 0..4), any::<bool>()).prop_map(|(parts, triple)| {
        // Adjacent text parts would parse back as one.
        let mut merged: Vec<StrPart> = Vec::new();
        for p in parts {
            if let (Some(StrPart::Text(prev)), StrPart::Text(t)) = (merged.last_mut(), &p) {
                prev.push_str(t);
            } else {
                merged.push(p);
            }
        }
        StrLit {
            parts: merged,
            triple,
            span: Default::default(),
        }
    })
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        strlit().prop_map(ExprKind::Str),
        any::<i64>().prop_map(ExprKind::Int),
        (-1e12f64..1e12).prop_map(ExprKind::Float),
        any::<bool>().prop_map(ExprKind::Bool),
        Just(ExprKind::Null),
        ident().prop_map(ExprKind::Ref),
    ]
    .prop_map(|kind| Expr {
        kind,
        span: Default::default(),
    });
    leaf.prop_recursive(4, 40, 6, |inner| {
        let e = |kind| Expr {
            kind,
            span: Default::default(),
        };
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(move |v| e(ExprKind::List(v))),
            proptest::collection::vec((text(), inner.clone()), 0..4).prop_map(move |v| {
                e(ExprKind::Object(
                    v.into_iter()
                        .map(|(k, x)| {
                            (
                                Key {
                                    name: k,
                                    span: Default::default(),
                                },
                                x,
                            )
                        })
                        .collect(),
                ))
            }),
            (
                ident(),
                ident(),
                proptest::collection::vec((ident(), inner.clone()), 0..4)
            )
                .prop_map(move |(ns, n, args)| {
                    e(ExprKind::Call(Call {
                        tool: Ident {
                            name: format!("{}.{}", ns.name, n.name),
                            span: Default::default(),
                        },
                        args: args
                            .into_iter()
                            .map(|(name, value)| Arg { name, value })
                            .collect(),
                    }))
                }),
            (inner.clone(), ident())
                .prop_map(move |(b, f)| e(ExprKind::Field(Box::new(at(b, POSTFIX)), f))),
            (inner.clone(), inner.clone())
                .prop_map(move |(b, i)| e(ExprKind::Index(Box::new(at(b, POSTFIX)), Box::new(i)))),
            inner
                .clone()
                .prop_map(move |x| e(ExprKind::Paren(Box::new(x)))),
            (inner.clone(), 0..6usize, inner.clone()).prop_map(move |(a, op, b)| e(
                ExprKind::Compare(
                    Box::new(at(a, POSTFIX)),
                    CmpOp::ALL[op],
                    Box::new(at(b, POSTFIX))
                )
            )),
            (
                any::<bool>(),
                proptest::collection::vec(inner.clone(), 2..4)
            )
                .prop_map(move |(and, items)| {
                    let (op, level) = if and {
                        (LogicOp::And, NOT)
                    } else {
                        (LogicOp::Or, AND)
                    };
                    e(ExprKind::Logic(
                        op,
                        items.into_iter().map(|x| at(x, level)).collect(),
                    ))
                }),
            inner
                .clone()
                .prop_map(move |x| e(ExprKind::Not(Box::new(at(x, NOT))))),
            (ident(), inner.clone(), block(inner.clone())).prop_map(move |(var, list, body)| e(
                ExprKind::For(Box::new(For { var, list, body }))
            )),
            (
                proptest::collection::vec((inner.clone(), block(inner.clone())), 1..3),
                proptest::option::of(block(inner))
            )
                .prop_map(move |(arms, otherwise)| e(ExprKind::If(Box::new(If {
                    arms,
                    otherwise
                })))),
        ]
    })
}

// Precedence levels, loosest first: what an operand position needs.
const AND: u8 = 2;
const NOT: u8 = 3;
const POSTFIX: u8 = 5;

fn level(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Logic(LogicOp::Or, _) => 1,
        ExprKind::Logic(LogicOp::And, _) => AND,
        ExprKind::Not(_) => NOT,
        ExprKind::Compare(..) => 4,
        _ => POSTFIX,
    }
}

/// `e` in parentheses when it binds looser than `min` (as a parser would read it back).
fn at(e: Expr, min: u8) -> Expr {
    // `and` inside `and` (and `or` in `or`) would read back as one chain.
    let same_chain = min == NOT && level(&e) == AND;
    if level(&e) < min || same_chain {
        Expr {
            kind: ExprKind::Paren(Box::new(e)),
            span: Default::default(),
        }
    } else {
        e
    }
}

/// A block: `let`, `expect` and bare steps, then its value.
fn block(inner: impl Strategy<Value = Expr> + Clone) -> impl Strategy<Value = Block> {
    let step = prop_oneof![
        (ident(), proptest::option::of(ty()), inner.clone()).prop_map(|(name, ty, e)| {
            ItemKind::Let(Let {
                name,
                ty,
                value: LetValue::Expr(e),
            })
        }),
        (ident(), strlit()).prop_map(|(name, s)| ItemKind::Let(Let {
            name,
            ty: None,
            value: LetValue::Ask(s)
        })),
        (inner.clone(), proptest::option::of(strlit()))
            .prop_map(|(cond, message)| ItemKind::Expect(Expect { cond, message })),
        inner.clone().prop_map(ItemKind::Expr),
    ];
    (proptest::collection::vec(step, 0..3), inner).prop_map(|(steps, value)| Block {
        items: steps
            .into_iter()
            .chain([ItemKind::Expr(value)])
            .map(|kind| Item {
                kind,
                span: Default::default(),
                doc: None,
            })
            .collect(),
        span: Default::default(),
        broken: false,
    })
}

fn ty() -> impl Strategy<Value = TypeExpr> {
    let base = prop_oneof![
        Just(Type::Str),
        Just(Type::Int),
        Just(Type::Float),
        Just(Type::Bool),
        Just(Type::Path),
        Just(Type::Json)
    ];
    (base, 0..3usize).prop_map(|(t, depth)| {
        let mut t = t;
        for _ in 0..depth {
            t = Type::List(Box::new(t));
        }
        TypeExpr {
            ty: Some(t),
            span: Default::default(),
        }
    })
}

fn item() -> impl Strategy<Value = ItemKind> {
    prop_oneof![
        ident().prop_map(ItemKind::Trace),
        strlit().prop_map(ItemKind::Goal),
        (ident(), ty(), proptest::option::of(expr()))
            .prop_map(|(name, ty, default)| ItemKind::Param(Param { name, ty, default })),
        (ident(), proptest::option::of(ty()), expr()).prop_map(|(name, ty, e)| ItemKind::Let(
            Let {
                name,
                ty,
                value: LetValue::Expr(e)
            }
        )),
        (ident(), proptest::option::of(ty()), strlit()).prop_map(|(name, ty, s)| ItemKind::Let(
            Let {
                name,
                ty,
                value: LetValue::Ask(s)
            }
        )),
        expr().prop_map(ItemKind::Expr),
        expr().prop_map(ItemKind::Return),
        (expr(), proptest::option::of(strlit()))
            .prop_map(|(cond, message)| ItemKind::Expect(Expect { cond, message })),
    ]
}

fn file() -> impl Strategy<Value = File> {
    proptest::collection::vec(item(), 1..8).prop_map(|kinds| File {
        items: kinds
            .into_iter()
            .map(|kind| Item {
                kind,
                span: Default::default(),
                doc: None,
            })
            .collect(),
        comments: Vec::new(),
        broken_names: Vec::new(),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn printed_programs_parse_back_to_the_same_tree(f in file()) {
        let printed = format("", &f);
        let (parsed, diags) = parse(&printed);
        prop_assert!(diags.is_empty(), "diagnostics {:?} for\n{}", diags, printed);
        let again = format(&printed, &parsed);
        prop_assert_eq!(&again, &printed, "not idempotent");
        prop_assert_eq!(strip(parsed), strip(f), "tree changed; printed:\n{}", printed);
    }
}

#[test]
fn every_comment_is_kept_and_formatting_is_idempotent() {
    let src = r#"// head comment

trace commented // after the name
goal "do {x}"   // goal comment

/// The input.
param x: str // trailing on param
// before a step
let parts = text.split(
    // inside the call, before an argument
    text: x, // after an argument
    sep: ",",
    // before the closing bracket
)
let obj = { "a": 1, // after a
  "b": [1, 2, // in a list
  3] }
return [parts, obj] // done
// tail comment
"#;
    let (f, diags) = parse(src);
    assert!(diags.is_empty(), "{diags:?}");
    let out = format(src, &f);
    for c in &f.comments {
        assert!(
            out.contains(c.text.trim()),
            "lost comment {:?} in\n{out}",
            c.text
        );
    }
    let (f2, d2) = parse(&out);
    assert!(d2.is_empty(), "{d2:?}\n{out}");
    assert_eq!(format(&out, &f2), out, "not idempotent");
    assert_eq!(strip(f2), strip(f));
    insta::assert_snapshot!(out);
}

#[test]
fn blocks_keep_their_comments_and_layout() {
    let src = r##"trace blocks
param dir: str
let files = fs.glob(pattern: "{dir}/*.md") // the inputs
let parts = for f in files { // each file
    // read it
    let text = fs.read(path: f)

    expect text != "", "{f} is empty" // a guard
    "# {f}\n\n{text}"
    // after the value
}
let short = if list.len(items: files) > 3 and not (dir == "x") { "many" } else if list.len(items: files) == 0 { "none" } else { "few" }
return [parts, short]
"##;
    let (f, diags) = parse(src);
    assert!(diags.is_empty(), "{diags:?}");
    let out = format(src, &f);
    for c in &f.comments {
        assert!(
            out.contains(c.text.trim()),
            "lost comment {:?} in\n{out}",
            c.text
        );
    }
    let (f2, d2) = parse(&out);
    assert!(d2.is_empty(), "{d2:?}\n{out}");
    assert_eq!(format(&out, &f2), out, "not idempotent");
    assert_eq!(strip(f2), strip(f));
    insta::assert_snapshot!(out);
}

#[test]
fn bundled_traces_and_declarations_are_in_canonical_layout() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["traces", "stdlib"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let src = std::fs::read_to_string(&path).unwrap();
            let (file, diags) = parse(&src);
            assert!(diags.is_empty(), "{}: {diags:?}", path.display());
            assert_eq!(
                format(&src, &file),
                src,
                "{} is not formatted: run `llmos fmt`",
                path.display()
            );
        }
    }
}
