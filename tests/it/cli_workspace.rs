//! The workspace is the nearest folder at or above the current one holding a `.llmos/`
//! (as git finds `.git`); `llmos init` makes one with a commented `config.toml`; a
//! subfolder never silently starts an empty library; `llmos config` says what is in
//! effect and where it comes from.

use std::path::Path;

use serde_json::Value;

fn llmos(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = crate::support::llmos_command(dir);
    cmd.args(args);
    cmd.envs(env.iter().copied());
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A workspace made by `llmos init`, with the word-count trace and a text file.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = llmos(dir.path(), &["init"], &[]);
    assert_eq!(code, 0, "{stderr}");
    let trace = Path::new(env!("CARGO_MANIFEST_DIR")).join("traces/word_count.llt");
    let (code, _, stderr) = llmos(
        dir.path(),
        &["traces", "import", trace.to_str().unwrap()],
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(dir.path().join("notes.txt"), "one two three").unwrap();
    std::fs::create_dir_all(dir.path().join("src/deep")).unwrap();
    dir
}

fn settings(dir: &Path, env: &[(&str, &str)]) -> Vec<(String, String, String)> {
    let (code, stdout, stderr) = llmos(dir, &["config", "--json"], env);
    assert_eq!(code, 0, "{stderr}");
    let rows: Value = serde_json::from_str(&stdout).unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap().to_owned();
            (s("key"), s("value"), s("source"))
        })
        .collect()
}

fn setting(rows: &[(String, String, String)], key: &str) -> (String, String) {
    let (_, v, s) = rows.iter().find(|(k, _, _)| k == key).unwrap();
    (v.clone(), s.clone())
}

#[test]
fn a_subfolder_uses_the_workspace_above_it() {
    let ws = project();
    let deep = ws.path().join("src/deep");
    let (code, stdout, stderr) = llmos(&deep, &["traces", "ls", "--json"], &[]);
    assert_eq!(code, 0, "{stderr}");
    let traces: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        traces.as_array().unwrap().len(),
        1,
        "the library above, not an empty one"
    );
    // Goals and tools work from the workspace root.
    let (code, stdout, stderr) = llmos(&deep, &["run", "count the words in notes.txt"], &[]);
    assert_eq!((code, stdout.as_str()), (0, "3\n"), "{stderr}");
    assert!(!deep.join(".llmos").exists() && !ws.path().join("src/.llmos").exists());
    let root = std::fs::canonicalize(ws.path()).unwrap();
    let rows = settings(&deep, &[]);
    assert_eq!(
        setting(&rows, "root"),
        (
            root.display().to_string(),
            "the nearest folder above the current one with a .llmos/".to_owned()
        )
    );
    let (_, source) = setting(&settings(ws.path(), &[]), "root");
    assert_eq!(source, "its .llmos/ is in the current folder");
    // --root wins; LLMOS_HOME means no search.
    let other = tempfile::tempdir().unwrap();
    let flag = ["config", "--json", "--root", other.path().to_str().unwrap()];
    let (_, stdout, _) = llmos(&deep, &flag, &[]);
    assert!(stdout.contains("\"--root\""), "{stdout}");
    let home = other.path().join("state");
    let rows = settings(&deep, &[("LLMOS_HOME", home.to_str().unwrap())]);
    let deep = std::fs::canonicalize(&deep).unwrap();
    assert_eq!(setting(&rows, "root").0, deep.display().to_string());
    assert_eq!(setting(&rows, "state").1, "LLMOS_HOME");
}

#[test]
fn a_new_workspace_is_never_silent() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = llmos(dir.path(), &["budget"], &[]);
    assert_eq!(code, 0, "{stderr}");
    let state = std::fs::canonicalize(dir.path()).unwrap().join(".llmos");
    assert_eq!(
        stderr,
        format!(
            "note: new workspace: {} (no .llmos/ in this folder or above it; `llmos init` makes one on purpose)\n",
            state.display()
        )
    );
    assert!(state.is_dir());
    let (_, _, stderr) = llmos(dir.path(), &["budget"], &[]);
    assert_eq!(stderr, "", "said once");
}

#[test]
fn init_writes_a_commented_config_and_keeps_an_existing_one() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = llmos(dir.path(), &["init", "proj"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.starts_with("created workspace "), "{stderr}");
    let config = dir.path().join("proj/.llmos/config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    for dir_name in ["objects", "runs", "recordings"] {
        assert!(dir.path().join("proj/.llmos").join(dir_name).is_dir());
    }
    // Every setting is commented out: the defaults are in effect.
    let rows = settings(&dir.path().join("proj"), &[]);
    assert_eq!(
        setting(&rows, "llm.max_turns"),
        ("20".into(), "default".into())
    );
    assert_eq!(
        setting(&rows, "limits.run_values"),
        ("256 MiB".into(), "default".into())
    );
    // Uncommented, the template is a valid config whose keys all come from the file.
    let uncommented: String = text
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest) if rest.contains(" = ") || rest.starts_with("[prices") => rest,
            _ => l,
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&config, &uncommented).unwrap();
    let rows = settings(&dir.path().join("proj"), &[]);
    for key in [
        "model",
        "allow",
        "llm.max_tokens",
        "llm.request_timeout",
        "llm.max_turns",
        "llm.call_timeout",
        "llm.connect_timeout",
        "llm.first_byte_timeout",
        "llm.retry_after_cap",
        "llm.max_attempts",
        "llm.max_reply_size",
        "dispatch.near_threshold",
        "remote.url",
        "remote.trusted_keys",
        "remote.max_object_bytes",
        "limits.value",
        "limits.run_values",
        "limits.http_body",
        "shell.env",
        "prices.\"openai:gpt-4o-mini\"",
    ] {
        assert_eq!(setting(&rows, key).1, "config.toml", "{key}");
    }
    assert_eq!(setting(&rows, "allow").0, "net");
    // init again keeps the file.
    let (code, _, stderr) = llmos(dir.path(), &["init", "proj"], &[]);
    assert_eq!(code, 0);
    assert!(
        stderr.contains("is already a workspace; its config.toml is kept"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), uncommented);
}

#[test]
fn config_says_where_each_setting_comes_from_and_hides_keys() {
    let ws = project();
    std::fs::write(
        ws.path().join(".llmos/config.toml"),
        "model = \"openai:gpt-4o-mini\"\n[llm]\nmax_tokens = 512\n",
    )
    .unwrap();
    let rows = settings(ws.path(), &[]);
    assert_eq!(
        setting(&rows, "model"),
        ("openai:gpt-4o-mini".into(), "config.toml".into())
    );
    assert_eq!(
        setting(&rows, "llm.max_tokens"),
        ("512".into(), "config.toml".into())
    );
    assert_eq!(
        setting(&rows, "llm.max_turns"),
        ("20".into(), "default".into())
    );
    assert_eq!(
        setting(&rows, "ANTHROPIC_API_KEY"),
        ("unset".into(), "environment".into())
    );
    let env = [
        ("LLMOS_MODEL", "anthropic:claude-haiku-4-5"),
        ("ANTHROPIC_API_KEY", "sk-ant-very-secret"),
    ];
    let (code, stdout, _) = llmos(ws.path(), &["config"], &env);
    assert_eq!(code, 0);
    assert!(!stdout.contains("very-secret"), "{stdout}");
    let rows = settings(ws.path(), &env);
    assert_eq!(
        setting(&rows, "model"),
        ("anthropic:claude-haiku-4-5".into(), "LLMOS_MODEL".into())
    );
    assert_eq!(setting(&rows, "ANTHROPIC_API_KEY").0, "set (not shown)");
    // A bad config is an error naming the file and line.
    std::fs::write(
        ws.path().join(".llmos/config.toml"),
        "[llm]\nmax_turns = 0\n",
    )
    .unwrap();
    let (code, _, stderr) = llmos(ws.path(), &["config"], &[]);
    assert_eq!(code, 1);
    assert!(stderr.contains("config.toml:2:"), "{stderr}");
}
