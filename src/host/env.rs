//! A snapshot of the process environment, taken once by the CLI: the one place llmos
//! reads environment variables is `cli::run`, which hands this to everything below it.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};

/// The environment variables of the process, as they were when the CLI started.
#[derive(Clone, Debug, Default)]
pub struct Env {
    vars: BTreeMap<OsString, OsString>,
}

impl Env {
    /// The snapshot of `vars` (the CLI passes `std::env::vars_os()`).
    pub fn new(vars: impl IntoIterator<Item = (OsString, OsString)>) -> Env {
        Env {
            vars: vars.into_iter().collect(),
        }
    }

    /// An environment of the given text pairs (tests, benches).
    pub fn of<K: AsRef<str>, V: AsRef<str>>(pairs: impl IntoIterator<Item = (K, V)>) -> Env {
        Env::new(
            pairs
                .into_iter()
                .map(|(k, v)| (k.as_ref().into(), v.as_ref().into())),
        )
    }

    /// The variable `name` as text; `None` when unset or not valid UTF-8.
    pub fn var(&self, name: &str) -> Option<String> {
        self.vars
            .get(OsStr::new(name))
            .and_then(|v| v.to_str())
            .map(str::to_owned)
    }

    /// The variable `name` as the operating system has it.
    pub fn var_os(&self, name: &str) -> Option<&OsStr> {
        self.vars.get(OsStr::new(name)).map(OsString::as_os_str)
    }

    /// Set to something other than empty or `0` (`NO_COLOR`, `CLICOLOR_FORCE`).
    pub fn flag(&self, name: &str) -> bool {
        self.var_os(name).is_some_and(|v| !v.is_empty() && v != "0")
    }

    /// [`Env::var`] as a closure, for the functions that take one.
    pub fn lookup(&self) -> impl Fn(&str) -> Option<String> + '_ {
        |name| self.var(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_was_given() {
        let env = Env::of([("A", "1"), ("NO_COLOR", ""), ("F", "0")]);
        assert_eq!(env.var("A").as_deref(), Some("1"));
        assert_eq!(env.var("B"), None);
        assert!(!env.flag("NO_COLOR"));
        assert!(!env.flag("F"));
        assert!(env.flag("A"));
        assert_eq!(env.lookup()("A").as_deref(), Some("1"));
    }
}
