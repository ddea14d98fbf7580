//! The workspace, its state folder and `config.toml`.

use std::fs;
use std::path::Path;
use std::time::Duration;

use llmos::economy::prices::Price;
use llmos::types::Effect;
use llmos::workspace::{Config, Workspace, WorkspaceError};

fn no_env(_: &str) -> Option<String> {
    None
}

/// Parses `text` as a config file; the error's (line, column, message).
fn config_error(text: &str) -> (Option<usize>, Option<usize>, String) {
    match Config::parse(text, Path::new("/ws/.llmos/config.toml")) {
        Err(WorkspaceError::Config {
            path,
            line,
            column,
            message,
        }) => {
            assert_eq!(path, Path::new("/ws/.llmos/config.toml"));
            (line, column, message)
        }
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn state_dir_defaults_to_dot_llmos_in_the_canonical_root() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("sub")).unwrap();
    let ws = Workspace::open(Some(&dir.path().join("sub/../sub")), no_env).unwrap();
    let canonical = fs::canonicalize(dir.path().join("sub")).unwrap();
    assert_eq!(ws.root, canonical);
    assert_eq!(ws.state_dir, canonical.join(".llmos"));
    assert!(!ws.state_dir.exists(), "nothing is created by open");

    ws.ensure_state_dir().unwrap();
    for sub in ["objects", "runs", "recordings"] {
        assert!(ws.state_dir.join(sub).is_dir(), "{sub}");
    }
    ws.ensure_state_dir().unwrap();
    assert_eq!(ws.config_path(), ws.state_dir.join("config.toml"));
    assert_eq!(ws.db_path(), ws.state_dir.join("llmos.db"));
    let id = ws.object_store().unwrap().put(b"x").unwrap();
    assert!(ws.objects_dir().join(&id.to_string()[..2]).is_dir());
}

#[test]
fn llmos_home_is_respected() {
    let root = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let home_text = home.path().join("state").to_string_lossy().into_owned();
    let env = |k: &str| (k == "LLMOS_HOME").then(|| home_text.clone());
    let ws = Workspace::open(Some(root.path()), env).unwrap();
    assert_eq!(ws.state_dir, home.path().join("state"));
    ws.ensure_state_dir().unwrap();
    assert!(home.path().join("state/objects").is_dir());
    assert!(!ws.root.join(".llmos").exists());

    // An empty LLMOS_HOME counts as unset.
    let ws = Workspace::open(Some(root.path()), |_: &str| Some(String::new())).unwrap();
    assert_eq!(ws.state_dir, ws.root.join(".llmos"));
}

#[test]
fn bad_roots_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let err = Workspace::open(Some(&missing), no_env).unwrap_err();
    assert!(matches!(err, WorkspaceError::Root { .. }));
    assert!(err.to_string().contains("nope"), "{err}");
    let file = dir.path().join("file");
    fs::write(&file, "x").unwrap();
    let err = Workspace::open(Some(&file), no_env).unwrap_err();
    assert!(
        matches!(err, WorkspaceError::NotADirectory { .. }),
        "{err:?}"
    );
}

#[test]
fn missing_config_is_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(Some(dir.path()), no_env).unwrap();
    assert_eq!(ws.config().unwrap(), Config::default());
    assert!(ws.config().unwrap().allowed().is_empty());
}

#[test]
fn good_config_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(Some(dir.path()), no_env).unwrap();
    ws.ensure_state_dir().unwrap();
    fs::write(
        ws.config_path(),
        r#"
model = "anthropic:claude-sonnet-4-5"
allow = ["net", "exec"]

[llm]
max_tokens = 4096
request_timeout = "1m 30s"
max_turns = 40

[dispatch]
near_threshold = 0.8

[prices."openai:gpt-4o-mini"]
input_per_mtok = 0.15
output_per_mtok = 0.6
"#,
    )
    .unwrap();
    let c = ws.config().unwrap();
    assert_eq!(c.model.as_deref(), Some("anthropic:claude-sonnet-4-5"));
    assert_eq!(c.allow, ["net", "exec"]);
    let allowed = c.allowed();
    assert!(allowed.contains(Effect::Net) && allowed.contains(Effect::Exec));
    assert!(!allowed.contains(Effect::Clock));
    assert_eq!(c.llm.max_tokens, Some(4096));
    assert_eq!(c.llm.max_turns, Some(40));
    assert_eq!(c.request_timeout(), Some(Duration::from_secs(90)));
    assert_eq!(c.dispatch.near_threshold, Some(0.8));
    assert_eq!(
        c.prices.get("openai:gpt-4o-mini"),
        Some(&Price {
            input_per_mtok: 0.15,
            output_per_mtok: 0.6
        })
    );
    assert_eq!(c.prices.len(), 1);
}

#[test]
fn malformed_toml_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    fs::write(&path, "model = \"openai:gpt-4o\"\nallow = [\"net\"\n").unwrap();
    let err = Config::load(&path).unwrap_err();
    let WorkspaceError::Config { line, column, .. } = &err else {
        panic!("expected a config error, got {err:?}");
    };
    assert_eq!((*line, *column), (Some(2), Some(15)), "{err}");
    assert!(
        err.to_string()
            .starts_with(&format!("{}:2:15: ", path.display())),
        "{err}"
    );

    let (line, column, _) = config_error("model = \"a:b\"\n  oops\n");
    assert_eq!((line, column), (Some(2), Some(7)));
}

#[test]
fn unknown_keys_are_named() {
    let (line, column, message) = config_error("modle = \"anthropic:x\"\n");
    assert_eq!((line, column), (Some(1), Some(1)));
    assert!(message.contains("modle"), "{message}");

    let (line, _, message) = config_error("[llm]\nmax_tokens = 10\nmax_turn = 3\n");
    assert_eq!(line, Some(3));
    assert!(message.contains("max_turn"), "{message}");

    let (line, _, message) = config_error("[dispatcher]\nnear_threshold = 0.5\n");
    assert_eq!(line, Some(1));
    assert!(message.contains("dispatcher"), "{message}");

    let (line, _, message) = config_error(
        "[prices.\"a:b\"]\ninput_per_mtok = 1.0\noutput_per_mtok = 2.0\ncached = 0.1\n",
    );
    assert_eq!(line, Some(4));
    assert!(message.contains("cached"), "{message}");
}

#[test]
fn bad_price_is_named_where_it_is() {
    let (line, column, message) =
        config_error("[prices.\"a:b\"]\ninput_per_mtok = 1.0\noutput_per_mtok = -2.5\n");
    assert_eq!((line, column), (Some(3), Some(19)));
    assert!(message.contains("-2.5"), "{message}");
}

#[test]
fn bad_capability_is_named_where_it_is() {
    let (line, column, message) = config_error("allow = [\"net\", \"nett\"]\n");
    assert_eq!((line, column), (Some(1), Some(17)));
    assert!(message.contains("`nett`"), "{message}");
    assert!(message.contains("clock"), "lists the known ones: {message}");
}

#[test]
fn bad_values_are_refused() {
    for (text, needle) in [
        ("model = \"claude\"\n", "provider:model"),
        ("[llm]\nrequest_timeout = \"soon\"\n", "not a duration"),
        ("[llm]\nrequest_timeout = \"0s\"\n", "longer than 0"),
        ("[llm]\nmax_tokens = 0\n", "at least 1"),
        ("[llm]\nmax_turns = -1\n", ""),
        ("[dispatch]\nnear_threshold = 1.5\n", "between 0 and 1"),
        (
            "[prices.\"a:b\"]\ninput_per_mtok = -1.0\noutput_per_mtok = 1.0\n",
            ">= 0",
        ),
        (
            "[prices.\"a:b\"]\ninput_per_mtok = 1.0\noutput_per_mtok = nan\n",
            ">= 0",
        ),
        (
            "[prices.gpt]\ninput_per_mtok = 1.0\noutput_per_mtok = 1.0\n",
            "provider:model",
        ),
        (
            "[prices.\"a:b\"]\ninput_per_mtok = 1.0\n",
            "output_per_mtok",
        ),
        ("allow = \"net\"\n", ""),
    ] {
        let (line, _, message) = config_error(text);
        assert!(line.is_some(), "{text}: {message}");
        assert!(message.contains(needle), "{text}: {message}");
    }
}
