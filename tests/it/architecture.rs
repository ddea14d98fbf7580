//! The architecture invariants of `ARCHITECTURE.md` ("X knows nothing about Y"), kept
//! true: every `crate::` path in the code of `src/` (comments aside) is read, and a path
//! from one module into a module it must know nothing about fails the test, naming the
//! file and line. An allowed exception is listed with its reason in `ALLOWED`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The modules of the crate: a top-level file or folder of `src/`.
const CORE: &[&str] = &["syntax", "check", "ir", "bytecode"];

/// What each module must know nothing about, and why.
const RULES: &[(&str, &[&str], &str)] = &[
    (
        "syntax check ir bytecode",
        &[
            "vm",
            "kernel",
            "learn",
            "db",
            "llm",
            "economy",
            "dispatch",
            "host",
            "cli",
            "mcp",
            "remote",
            "workspace",
            "http",
        ],
        "the language core is pure: source in, checked program and bytes out; no IO, no \
         runs, no LLM, no environment",
    ),
    (
        "vm",
        &[
            "learn",
            "kernel",
            "db",
            "cli",
            "llm",
            "economy",
            "dispatch",
            "host",
            "mcp",
            "remote",
            "workspace",
            "http",
        ],
        "the VM sees tools, slots and events only through traits; whoever hosts a run \
         (the kernel) wires the rest",
    ),
    (
        "dispatch",
        &[
            "db",
            "kernel",
            "vm",
            "learn",
            "llm",
            "economy",
            "host",
            "cli",
            "store",
            "tools",
            "mcp",
            "remote",
            "workspace",
        ],
        "goal matching is pure: the library comes in as data, the mode goes out",
    ),
    (
        "tools",
        &[
            "vm", "learn", "kernel", "db", "llm", "economy", "dispatch", "host", "cli", "remote",
        ],
        "a tool does its work in the sandbox; it does not know who runs it",
    ),
    (
        "llm",
        &[
            "learn", "kernel", "vm", "db", "economy", "dispatch", "host", "cli", "mcp", "remote",
        ],
        "providers speak HTTP to a model; the meter and the agent loop are above them",
    ),
    (
        "store",
        &[
            "syntax", "check", "ir", "bytecode", "vm", "learn", "kernel", "db", "llm", "economy",
            "dispatch", "host", "cli", "mcp", "remote", "tools",
        ],
        "the store keeps bytes under their hash; it knows nothing of what they mean",
    ),
    (
        "db",
        &[
            "kernel", "learn", "vm", "llm", "economy", "host", "cli", "mcp", "remote",
        ],
        "the database keeps the library, ledger and slot cache as data",
    ),
    (
        "economy",
        &["kernel", "vm", "cli", "host", "mcp", "remote", "dispatch"],
        "the meter prices and charges calls; it does not choose or run programs",
    ),
    (
        "diag types value limits ui stdlib http usage",
        &[
            "vm", "kernel", "learn", "db", "llm", "economy", "dispatch", "cli", "remote",
        ],
        "the bottom layer: plain data and helpers every stage may use",
    ),
    (
        "syntax check ir bytecode vm dispatch tools llm store db economy learn kernel mcp \
         remote workspace host diag types value limits ui stdlib http usage",
        &["cli"],
        "the CLI is the edge: it calls into the library, never the other way",
    ),
];

/// Paths that break a rule on purpose, with the reason (`file`, `module named`, why).
const ALLOWED: &[(&str, &str, &str)] = &[(
    "src/ui.rs",
    "host",
    "`ui::set` reads `NO_COLOR`/`TERM` from the host's one snapshot of the environment \
     (`host::Env`), so that no module below the CLI reads the environment itself",
)];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`src/vm/sched.rs` is `vm`).
fn module_of(rel: &Path) -> String {
    let first = rel.components().next().unwrap().as_os_str();
    first.to_string_lossy().trim_end_matches(".rs").to_owned()
}

/// The code of a line: without a `//` comment (one not inside a string literal, roughly:
/// a `//` after an odd number of quotes is in a string).
fn code_of(line: &str) -> &str {
    let mut quotes = 0;
    let bytes = line.as_bytes();
    for i in 0..bytes.len() {
        match bytes[i] {
            b'"' if i == 0 || bytes[i - 1] != b'\\' => quotes += 1,
            b'/' if quotes % 2 == 0 && bytes.get(i + 1) == Some(&b'/') => return &line[..i],
            _ => {}
        }
    }
    line
}

/// Every module named by a `crate::NAME` path in `code`.
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.push(name);
        }
    }
    out
}

#[test]
fn modules_know_nothing_of_what_they_must_not() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut modules = BTreeSet::new();
    let mut broken = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let module = module_of(rel);
        modules.insert(module.clone());
        let shown = format!("src/{}", rel.display());
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            for named in crate_paths(code_of(line)) {
                for (who, forbidden, why) in RULES {
                    let applies = who.split_whitespace().any(|w| w == module);
                    if !applies || !forbidden.contains(&named.as_str()) {
                        continue;
                    }
                    if ALLOWED.iter().any(|(f, m, _)| *f == shown && *m == named) {
                        continue;
                    }
                    broken.push(format!(
                        "{shown}:{}: `{module}` uses `crate::{named}`, but {module} must know \
                         nothing of {named} ({why})",
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
    // Every module named in the rules exists (a rename must update them).
    for (who, forbidden, _) in RULES {
        for m in who.split_whitespace().chain(forbidden.iter().copied()) {
            assert!(
                modules.contains(m),
                "the rules name `{m}`, not a module of src/"
            );
        }
    }
    assert!(CORE.iter().all(|m| RULES[0].0.contains(m)));
}

#[test]
fn the_reader_of_paths_finds_what_it_must() {
    assert_eq!(
        crate_paths("use crate::vm::{self, X}; crate::db::open(); my_crate::x"),
        ["vm", "db"]
    );
    assert_eq!(code_of("let a = 1; // crate::vm"), "let a = 1; ");
    assert_eq!(
        code_of("let s = \"//\"; crate::vm"),
        "let s = \"//\"; crate::vm"
    );
}

/// Where `pattern` occurs in the code (comments aside) of the files of `src/` that are
/// not in `except` (paths relative to `src/`; a folder ends with `/`), as `file:line`.
/// Code after a file's first `#[cfg(test)]` line (its test module) and the `*_tests.rs`
/// files are left out: tests may set up their own world.
fn occurrences(patterns: &[&str], except: &[&str]) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut found = Vec::new();
    for file in &files {
        let rel = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let excepted = except.iter().any(|e| match e.strip_suffix('/') {
            Some(dir) => rel.starts_with(&format!("{dir}/")),
            None => rel == *e,
        });
        if excepted || rel.ends_with("_tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim() == "#[cfg(test)]" {
                break;
            }
            let code = code_of(line);
            for p in patterns.iter().filter(|p| code.contains(**p)) {
                found.push(format!("src/{rel}:{}: `{p}`", n + 1));
            }
        }
    }
    found
}

/// Nothing below the CLI reads the process environment: the CLI takes one snapshot
/// (`host::Env`, in `src/host/env.rs`) and hands it down. `std::env::temp_dir`,
/// `current_dir` and `current_exe` are allowed: they name places, not settings.
#[test]
fn only_the_cli_reads_the_environment() {
    let found = occurrences(&["env::var"], &["cli/", "main.rs", "host/env.rs"]);
    assert!(
        found.is_empty(),
        "read the environment from the host's snapshot (`host::Env`), not the process:\n{}",
        found.join("\n")
    );
}

/// A process builds one async runtime: the host's (`Host::runtime`, in `src/host/`).
/// Everything else runs on it, or is handed it. Test modules are left out (see
/// [`occurrences`]). One exception, with its reason: `learn::compile::compile`, the
/// library's convenience for callers without a host (tests, benches, fuzz targets),
/// builds a small runtime for the compiler's replay; the kernel and the CLI call
/// `compile_with` with the host's runtime.
#[test]
fn only_the_host_builds_a_runtime() {
    let found = occurrences(
        &["runtime::Builder", "Runtime::new("],
        &["host/", "learn/compile/mod.rs"],
    );
    assert!(
        found.is_empty(),
        "use the host's runtime (`Host::runtime`) instead of building one:\n{}",
        found.join("\n")
    );
}

/// The command line's errors are typed (`CliError` and the errors it wraps), so every
/// failure keeps its kind and code up to the one place that shows it: no function of
/// `src/cli/` returns a `String` as its error.
#[test]
fn the_command_line_returns_no_string_errors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src/cli"), &mut files);
    files.sort();
    let mut found = Vec::new();
    for file in &files {
        let shown = format!(
            "src/{}",
            file.strip_prefix(root.join("src")).unwrap().display()
        );
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = code_of(line).trim_end().trim_end_matches('{').trim_end();
            if code.contains("Result<") && code.ends_with(", String>") {
                found.push(format!("{shown}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "String errors in src/cli (return a CliError, or a typed error it wraps):\n{}",
        found.join("\n")
    );
}
