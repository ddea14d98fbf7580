//! How a goal's value does not fit its param: not of the shape the program learned
//! ([`ShapeMismatch`], from [`super::Shape::check`]) or not of its declared type
//! ([`TypeMismatch`]). `run --explain` shows them per value; a binding refused names one.

/// How a value does not have the shape of the value the program learned from.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShapeMismatch {
    #[error("`{0}` is not one quoted value")]
    NotOneQuoted(String),
    #[error("`{0}` is not in quotes, as the value learned was")]
    NotQuoted(String),
    #[error("`{0}` is not an integer")]
    NotInt(String),
    #[error("`{0}` is not a number")]
    NotNumber(String),
    #[error(
        "`{0}` is negative, and the value learned was not (`-3` lines means another thing than 3)"
    )]
    Negative(String),
    #[error("`{0}` is not a URL")]
    NotUrl(String),
    #[error("`{0}` is a URL, not a path")]
    UrlNotPath(String),
    #[error("`{text}` has {words} words; the value learned had {learned}")]
    TooManyWords {
        text: String,
        words: usize,
        learned: u32,
    },
    #[error("`{0}` is several words, and the value learned was one")]
    SeveralWords(String),
    #[error("`{0}` holds quotes, and the value learned did not")]
    HoldsQuotes(String),
    #[error("`{0}` ends with punctuation, which is never part of a value")]
    EndsASentence(String),
    #[error("`{text}` holds `{odd}`, which the value learned did not: it may join several values")]
    OddPunctuation { text: String, odd: char },
}

/// How a value does not convert to its param's declared type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TypeMismatch {
    #[error("the param has no declared type")]
    Undeclared,
    /// What the value parser said (`expected an int, found `ten``).
    #[error("{0}")]
    Parse(String),
}
