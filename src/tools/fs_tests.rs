//! Tests of `fs.*` through the registry, including sandbox escapes.

use serde_json::json;

use crate::tools::ToolErrorKind;
use crate::tools::testutil::{call, workspace};

fn strs(v: &[&str]) -> serde_json::Value {
    json!(v)
}

#[test]
fn write_read_append_round_trip() {
    let (dir, ctx) = workspace();
    let got = call(
        &ctx,
        "fs.write",
        &[json!("./reports//sales.md"), json!("# hi\n")],
    )
    .unwrap();
    assert_eq!(got, json!("reports/sales.md"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("reports/sales.md")).unwrap(),
        "# hi\n"
    );
    assert_eq!(
        call(&ctx, "fs.read", &[json!("reports/sales.md")]).unwrap(),
        json!("# hi\n")
    );

    let got = call(&ctx, "fs.append", &[json!("logs/a.log"), json!("one\n")]).unwrap();
    assert_eq!(got, json!("logs/a.log"));
    call(&ctx, "fs.append", &[json!("logs/a.log"), json!("two\n")]).unwrap();
    assert_eq!(
        call(&ctx, "fs.read", &[json!("logs/a.log")]).unwrap(),
        json!("one\ntwo\n")
    );

    // write replaces
    call(&ctx, "fs.write", &[json!("logs/a.log"), json!("new")]).unwrap();
    assert_eq!(
        call(&ctx, "fs.read", &[json!("logs/a.log")]).unwrap(),
        json!("new")
    );
}

#[test]
fn read_errors_name_the_file() {
    let (dir, ctx) = workspace();
    let e = call(&ctx, "fs.read", &[json!("data/sales.cvs")]).unwrap_err();
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ToolErrorKind::Failed, "no such file: data/sales.cvs")
    );

    std::fs::create_dir(dir.path().join("d")).unwrap();
    let e = call(&ctx, "fs.read", &[json!("d")]).unwrap_err();
    assert_eq!(e.message, "d is a folder, not a file");

    std::fs::write(dir.path().join("bin.dat"), [b'o', b'k', 0xff, 0xfe]).unwrap();
    let e = call(&ctx, "fs.read", &[json!("bin.dat")]).unwrap_err();
    assert_eq!(
        e.message,
        "bin.dat is not UTF-8 text (invalid byte at offset 2)"
    );

    let e = call(&ctx, "fs.write", &[json!(""), json!("x")]).unwrap_err();
    assert_eq!(e.kind, ToolErrorKind::BadArgument);
    let e = call(&ctx, "fs.write", &[json!("d"), json!("x")]).unwrap_err();
    assert_eq!(e.message, "d is a folder, not a file");
    let e = call(&ctx, "fs.append", &[json!("d/"), json!("x")]).unwrap_err();
    assert_eq!(e.message, "d is a folder, not a file");
}

#[test]
fn read_limit() {
    let dir = tempfile::tempdir().unwrap();
    let limits = crate::tools::Limits {
        fs_read_max: 4,
        ..Default::default()
    };
    let ctx = std::sync::Arc::new(crate::tools::ToolCtx::with_limits(dir.path(), limits).unwrap());
    std::fs::write(dir.path().join("small"), "1234").unwrap();
    std::fs::write(dir.path().join("big"), "12345").unwrap();
    assert_eq!(
        call(&ctx, "fs.read", &[json!("small")]).unwrap(),
        json!("1234")
    );
    let e = call(&ctx, "fs.read", &[json!("big")]).unwrap_err();
    assert_eq!(
        (e.kind, e.message.as_str()),
        (
            ToolErrorKind::Limit,
            "big is 5 bytes, over the limit of 4 bytes for a file read (raise \
             `limits.file_read` in config.toml)"
        )
    );
}

#[test]
fn exists_and_list() {
    let (dir, ctx) = workspace();
    for f in [
        "b.txt",
        "a.txt",
        "sub/z.csv",
        "sub/y.csv",
        ".llmos/config.toml",
    ] {
        let p = dir.path().join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "x").unwrap();
    }
    assert_eq!(
        call(&ctx, "fs.exists", &[json!("a.txt")]).unwrap(),
        json!(true)
    );
    assert_eq!(
        call(&ctx, "fs.exists", &[json!("sub")]).unwrap(),
        json!(true)
    );
    assert_eq!(
        call(&ctx, "fs.exists", &[json!("nope/x")]).unwrap(),
        json!(false)
    );
    assert_eq!(
        call(&ctx, "fs.exists", &[json!("a.txt/x")]).unwrap(),
        json!(false)
    );

    assert_eq!(
        call(&ctx, "fs.list", &[json!(".")]).unwrap(),
        strs(&["a.txt", "b.txt", "sub"])
    );
    assert_eq!(
        call(&ctx, "fs.list", &[json!("")]).unwrap(),
        strs(&["a.txt", "b.txt", "sub"])
    );
    assert_eq!(
        call(&ctx, "fs.list", &[json!("sub/")]).unwrap(),
        strs(&["sub/y.csv", "sub/z.csv"])
    );
    let e = call(&ctx, "fs.list", &[json!("nope")]).unwrap_err();
    assert_eq!(e.message, "no such folder: nope");
    let e = call(&ctx, "fs.list", &[json!("a.txt")]).unwrap_err();
    assert_eq!(e.message, "a.txt is a file, not a folder");
}

#[test]
fn glob_matches_files_sorted() {
    let (dir, ctx) = workspace();
    for f in [
        "top.csv",
        "data/b.csv",
        "data/a.csv",
        "data/deep/c.csv",
        "data/n.txt",
        "a-b.csv",
        ".llmos/x.csv",
    ] {
        let p = dir.path().join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "x").unwrap();
    }
    let all = call(&ctx, "fs.glob", &[json!("**/*.csv")]).unwrap();
    assert_eq!(
        all,
        strs(&[
            "a-b.csv",
            "data/a.csv",
            "data/b.csv",
            "data/deep/c.csv",
            "top.csv"
        ])
    );
    assert_eq!(
        call(&ctx, "fs.glob", &[json!("*.csv")]).unwrap(),
        strs(&["a-b.csv", "top.csv"])
    );
    assert_eq!(
        call(&ctx, "fs.glob", &[json!("data/*")]).unwrap(),
        strs(&["data/a.csv", "data/b.csv", "data/n.txt"])
    );
    assert_eq!(
        call(&ctx, "fs.glob", &[json!("./data/**/c.csv")]).unwrap(),
        strs(&["data/deep/c.csv"])
    );
    assert_eq!(
        call(&ctx, "fs.glob", &[json!("missing/*.csv")]).unwrap(),
        strs(&[])
    );
    assert_eq!(
        call(&ctx, "fs.glob", &[json!(".llmos/*")]).unwrap(),
        strs(&[])
    );
    assert_eq!(
        call(&ctx, "fs.glob", &[json!("**")])
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        6
    );

    let e = call(&ctx, "fs.glob", &[json!("data/[")]).unwrap_err();
    assert_eq!(e.kind, ToolErrorKind::BadArgument);
    assert!(e.message.contains("data/["), "{e}");
    let e = call(&ctx, "fs.glob", &[json!("../*")]).unwrap_err();
    assert_eq!(e.kind, ToolErrorKind::Sandbox);
    let e = call(&ctx, "fs.glob", &[json!("/etc/*")]).unwrap_err();
    assert_eq!(e.kind, ToolErrorKind::Sandbox);
}

/// Every file under `dir`, for "nothing was written outside" checks.
fn tree(dir: &std::path::Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| {
            e.unwrap()
                .path()
                .strip_prefix(dir)
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    out.sort();
    out
}

#[test]
fn escapes_are_refused_and_nothing_is_written_outside() {
    let parent = tempfile::tempdir().unwrap();
    let root = parent.path().join("ws");
    std::fs::create_dir(&root).unwrap();
    let ctx = std::sync::Arc::new(crate::tools::ToolCtx::new(&root).unwrap());
    let before = tree(parent.path());
    let escapes = [
        "../x.txt",
        "a/../../x.txt",
        "../ws2/x.txt",
        &parent.path().join("abs.txt").display().to_string(),
        ".llmos/config.toml",
        "./.llmos/x",
    ];
    for p in escapes {
        for tool in ["fs.write", "fs.append"] {
            let e = call(&ctx, tool, &[json!(p), json!("pwned")]).unwrap_err();
            assert_eq!(e.kind, ToolErrorKind::Sandbox, "{tool} {p}: {e}");
            assert!(e.message.contains(p), "{e}");
        }
        for tool in ["fs.read", "fs.exists", "fs.list"] {
            let e = call(&ctx, tool, &[json!(p)]).unwrap_err();
            assert_eq!(e.kind, ToolErrorKind::Sandbox, "{tool} {p}: {e}");
        }
    }
    assert_eq!(tree(parent.path()), before);
    assert!(!root.join(".llmos").exists());
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_root_are_refused() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "secret").unwrap();
    let (dir, ctx) = workspace();
    symlink(
        outside.path().join("secret.txt"),
        dir.path().join("file_link"),
    )
    .unwrap();
    symlink(outside.path(), dir.path().join("dir_link")).unwrap();
    symlink(
        outside.path().join("nothing.txt"),
        dir.path().join("dangling"),
    )
    .unwrap();
    std::fs::write(dir.path().join("inside.txt"), "in").unwrap();
    symlink(dir.path().join("inside.txt"), dir.path().join("good_link")).unwrap();
    let before = tree(outside.path());

    for (tool, args) in [
        ("fs.read", vec![json!("file_link")]),
        ("fs.read", vec![json!("dir_link/secret.txt")]),
        ("fs.list", vec![json!("dir_link")]),
        ("fs.write", vec![json!("file_link"), json!("pwned")]),
        (
            "fs.write",
            vec![json!("dir_link/new/x.txt"), json!("pwned")],
        ),
        (
            "fs.append",
            vec![json!("dir_link/secret.txt"), json!("pwned")],
        ),
        ("fs.write", vec![json!("dangling"), json!("pwned")]),
        ("fs.glob", vec![json!("dir_link/*")]),
    ] {
        let e = call(&ctx, tool, &args).unwrap_err();
        assert_eq!(e.kind, ToolErrorKind::Sandbox, "{tool} {args:?}: {e}");
    }
    assert_eq!(tree(outside.path()), before);
    assert_eq!(
        std::fs::read_to_string(outside.path().join("secret.txt")).unwrap(),
        "secret"
    );

    // glob neither lists links out nor walks into linked folders; links inside are fine
    assert_eq!(
        call(&ctx, "fs.glob", &[json!("**/*")]).unwrap(),
        strs(&["good_link", "inside.txt"])
    );
    assert_eq!(
        call(&ctx, "fs.read", &[json!("good_link")]).unwrap(),
        json!("in")
    );
    // whether something exists outside is not told either
    let e = call(&ctx, "fs.exists", &[json!("dangling")]).unwrap_err();
    assert_eq!(e.kind, ToolErrorKind::Sandbox);
}

#[cfg(unix)]
#[test]
fn files_with_other_names_are_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "secret").unwrap();
    let (dir, ctx) = workspace();
    let linked = dir.path().join("linked.txt");
    if std::fs::hard_link(outside.path().join("secret.txt"), &linked).is_err() {
        // another file system: make both names inside instead
        std::fs::write(dir.path().join("a.txt"), "secret").unwrap();
        std::fs::hard_link(dir.path().join("a.txt"), &linked).unwrap();
    }
    for (tool, args) in [
        ("fs.read", vec![json!("linked.txt")]),
        ("fs.write", vec![json!("linked.txt"), json!("pwned")]),
        ("fs.append", vec![json!("linked.txt"), json!("pwned")]),
    ] {
        let e = call(&ctx, tool, &args).unwrap_err();
        assert_eq!(e.kind, ToolErrorKind::Sandbox, "{tool}: {e}");
        assert!(e.message.contains("2 hard links"), "{e}");
    }
    assert_eq!(std::fs::read_to_string(&linked).unwrap(), "secret");
}

#[cfg(unix)]
#[test]
fn writes_replace_the_file_whole_and_keep_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, ctx) = workspace();
    let p = dir.path().join("run.sh");
    std::fs::write(&p, "old").unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o750)).unwrap();
    call(&ctx, "fs.write", &[json!("run.sh"), json!("new")]).unwrap();
    call(&ctx, "fs.append", &[json!("run.sh"), json!("+")]).unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "new+");
    let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o750);
    // nothing left beside it, and a big write goes through a worker just the same
    let big = "x".repeat(3 << 20);
    call(&ctx, "fs.write", &[json!("big.txt"), json!(big)]).unwrap();
    assert_eq!(
        std::fs::metadata(dir.path().join("big.txt")).unwrap().len(),
        3 << 20
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".llmos-tmp")),
        "{names:?}"
    );
}

#[test]
fn file_and_run_write_limits() {
    let dir = tempfile::tempdir().unwrap();
    let limits = crate::tools::Limits {
        file_write_max: 10,
        run_writes_max: 25,
        ..Default::default()
    };
    let ctx = std::sync::Arc::new(crate::tools::ToolCtx::with_limits(dir.path(), limits).unwrap());
    let e = call(&ctx, "fs.write", &[json!("a.txt"), json!("x".repeat(11))]).unwrap_err();
    assert_eq!(e.kind, ToolErrorKind::Limit);
    assert!(e.message.contains("`limits.file_write`"), "{e}");
    call(&ctx, "fs.append", &[json!("a.txt"), json!("123456")]).unwrap();
    // the file would grow past its limit
    let e = call(&ctx, "fs.append", &[json!("a.txt"), json!("123456")]).unwrap_err();
    assert!(e.message.contains("a.txt would be 12 bytes"), "{e}");
    call(&ctx, "fs.write", &[json!("b.txt"), json!("1234567890")]).unwrap();
    // 6 + 10 written; 10 more would pass 25
    let e = call(&ctx, "fs.write", &[json!("c.txt"), json!("1234567890")]).unwrap_err();
    assert_eq!(e.kind, ToolErrorKind::Limit);
    assert!(e.message.contains("`limits.run_writes`"), "{e}");
    assert!(!dir.path().join("c.txt").exists());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
        "123456"
    );
}

#[cfg(unix)]
#[test]
fn special_files_are_refused_without_blocking() {
    let (dir, ctx) = workspace();
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo failed");
    let e = call(&ctx, "fs.read", &[json!("pipe")]).unwrap_err();
    assert_eq!(e.message, "pipe is not a regular file");
    let e = call(&ctx, "fs.append", &[json!("pipe"), json!("x")]).unwrap_err();
    assert_eq!(e.message, "pipe is not a regular file");
}
