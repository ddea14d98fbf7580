//! Static types and effects: the vocabulary shared by the checker, the IR, the bytecode,
//! the tools and the providers.

use std::fmt;

/// A static type of the trace language (`llt.md`, "Types").
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    Str,
    Int,
    Float,
    Bool,
    Path,
    /// Any JSON value. Flowing a `json` value into a more precise slot is checked at run time.
    Json,
    List(Box<Type>),
}

impl Type {
    /// Whether a value of type `found` is accepted where `self` is expected, with the
    /// coercions of `llt.md`: `str` <-> `path`, `int` -> `float`, anything -> `json`.
    /// `json` flowing into a precise type is accepted here and checked at run time.
    pub fn accepts(&self, found: &Type) -> bool {
        match (self, found) {
            (a, b) if a == b => true,
            (Type::Json, _) | (_, Type::Json) => true,
            (Type::Str, Type::Path) | (Type::Path, Type::Str) => true,
            (Type::Float, Type::Int) => true,
            (Type::List(a), Type::List(b)) => a.accepts(b),
            _ => false,
        }
    }

    /// The least type that holds values of both types (for list literals).
    pub fn join(&self, other: &Type) -> Type {
        match (self, other) {
            (a, b) if a == b => a.clone(),
            (Type::Str, Type::Path) | (Type::Path, Type::Str) => Type::Str,
            (Type::Int, Type::Float) | (Type::Float, Type::Int) => Type::Float,
            (Type::List(a), Type::List(b)) => Type::List(Box::new(a.join(b))),
            _ => Type::Json,
        }
    }
}

impl Type {
    /// Parses the text `Display` gives (`str`, `list<path>`, ...).
    pub fn parse(text: &str) -> Option<Type> {
        let t = text.trim();
        if let Some(inner) = t.strip_prefix("list<").and_then(|r| r.strip_suffix('>')) {
            return Type::parse(inner).map(|e| Type::List(Box::new(e)));
        }
        Some(match t {
            "str" => Type::Str,
            "int" => Type::Int,
            "float" => Type::Float,
            "bool" => Type::Bool,
            "path" => Type::Path,
            "json" => Type::Json,
            _ => return None,
        })
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Str => f.write_str("str"),
            Type::Int => f.write_str("int"),
            Type::Float => f.write_str("float"),
            Type::Bool => f.write_str("bool"),
            Type::Path => f.write_str("path"),
            Type::Json => f.write_str("json"),
            Type::List(t) => write!(f, "list<{t}>"),
        }
    }
}

/// A comparison operator: `== != < <= > >=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub const ALL: [CmpOp; 6] = [
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Gt,
        CmpOp::Ge,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    pub fn parse(s: &str) -> Option<CmpOp> {
        CmpOp::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// `==` and `!=` work on any two comparable values; the others need an order.
    pub fn is_equality(self) -> bool {
        matches!(self, CmpOp::Eq | CmpOp::Ne)
    }

    /// Whether the operator holds for two values whose order is `ord`.
    pub fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CmpOp::Eq => ord == Equal,
            CmpOp::Ne => ord != Equal,
            CmpOp::Lt => ord == Less,
            CmpOp::Le => ord != Greater,
            CmpOp::Gt => ord == Greater,
            CmpOp::Ge => ord != Less,
        }
    }
}

/// `and` or `or`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogicOp {
    And,
    Or,
}

impl LogicOp {
    pub fn as_str(self) -> &'static str {
        match self {
            LogicOp::And => "and",
            LogicOp::Or => "or",
        }
    }
}

impl Type {
    /// Whether values of these types may be compared with `op`: numbers with numbers,
    /// text (`str`, `path`) with text, `bool` and lists only for (in)equality, `json`
    /// with anything (checked at run time).
    pub fn comparable(&self, other: &Type, op: CmpOp) -> bool {
        match (self, other) {
            (Type::Json, _) | (_, Type::Json) => true,
            (Type::Int | Type::Float, Type::Int | Type::Float) => true,
            (Type::Str | Type::Path, Type::Str | Type::Path) => true,
            (Type::Bool, Type::Bool) => op.is_equality(),
            (Type::List(a), Type::List(b)) => {
                op.is_equality() && (a.comparable(b, CmpOp::Eq) || a.accepts(b) || b.accepts(a))
            }
            _ => false,
        }
    }

    /// The type of a value that is one of two branches' values, if they agree: the same
    /// type, `str`/`path` as `str`, `int`/`float` as `float`, anything with `json` as
    /// `json`.
    pub fn branch_join(&self, other: &Type) -> Option<Type> {
        match (self, other) {
            (a, b) if a == b => Some(a.clone()),
            (Type::Json, _) | (_, Type::Json) => Some(Type::Json),
            (Type::Str, Type::Path) | (Type::Path, Type::Str) => Some(Type::Str),
            (Type::Int, Type::Float) | (Type::Float, Type::Int) => Some(Type::Float),
            (Type::List(a), Type::List(b)) => a.branch_join(b).map(|t| Type::List(Box::new(t))),
            _ => None,
        }
    }
}

/// What a tool may do to the world (`llt.md`, "Tool declarations").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Effect {
    Pure = 0,
    Read = 1,
    Write = 2,
    Net = 3,
    Exec = 4,
    Llm = 5,
    Clock = 6,
}

impl Effect {
    pub const ALL: [Effect; 7] = [
        Effect::Pure,
        Effect::Read,
        Effect::Write,
        Effect::Net,
        Effect::Exec,
        Effect::Llm,
        Effect::Clock,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Pure => "pure",
            Effect::Read => "read",
            Effect::Write => "write",
            Effect::Net => "net",
            Effect::Exec => "exec",
            Effect::Llm => "llm",
            Effect::Clock => "clock",
        }
    }

    pub fn parse(s: &str) -> Option<Effect> {
        Effect::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of effects, as a bit set (bit `n` is `Effect as u8 == n`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EffectSet(pub u8);

impl EffectSet {
    pub const EMPTY: EffectSet = EffectSet(0);
    /// What every run is granted without `--allow`: pure, read, write, llm.
    pub const DEFAULT_GRANTED: EffectSet = EffectSet(
        1 << Effect::Pure as u8
            | 1 << Effect::Read as u8
            | 1 << Effect::Write as u8
            | 1 << Effect::Llm as u8,
    );

    pub fn single(e: Effect) -> EffectSet {
        EffectSet(1 << e as u8)
    }
    pub fn insert(&mut self, e: Effect) {
        self.0 |= 1 << e as u8;
    }
    pub fn contains(self, e: Effect) -> bool {
        self.0 & (1 << e as u8) != 0
    }
    pub fn union(self, other: EffectSet) -> EffectSet {
        EffectSet(self.0 | other.0)
    }
    /// Effects in `self` that `granted` lacks.
    pub fn missing_from(self, granted: EffectSet) -> EffectSet {
        EffectSet(self.0 & !granted.0)
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = Effect> {
        Effect::ALL.into_iter().filter(move |e| self.contains(*e))
    }
}

impl FromIterator<Effect> for EffectSet {
    fn from_iter<I: IntoIterator<Item = Effect>>(iter: I) -> Self {
        let mut s = EffectSet::EMPTY;
        for e in iter {
            s.insert(e);
        }
        s
    }
}

impl fmt::Display for EffectSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for e in self.iter() {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            f.write_str(e.as_str())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coercions() {
        assert!(Type::Path.accepts(&Type::Str));
        assert!(Type::Str.accepts(&Type::Path));
        assert!(Type::Float.accepts(&Type::Int));
        assert!(!Type::Int.accepts(&Type::Float));
        assert!(Type::Json.accepts(&Type::List(Box::new(Type::Int))));
        assert!(!Type::Str.accepts(&Type::List(Box::new(Type::Str))));
        assert_eq!(Type::List(Box::new(Type::Path)).to_string(), "list<path>");
        assert_eq!(
            Type::parse("list<list<int>>").unwrap().to_string(),
            "list<list<int>>"
        );
        assert_eq!(Type::parse("string"), None);
    }

    #[test]
    fn effect_sets() {
        let s: EffectSet = [Effect::Read, Effect::Net].into_iter().collect();
        assert_eq!(s.to_string(), "read, net");
        assert_eq!(
            s.missing_from(EffectSet::DEFAULT_GRANTED).to_string(),
            "net"
        );
    }
}
