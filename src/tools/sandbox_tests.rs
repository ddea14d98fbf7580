//! Tests of the sandbox on its own; `fs_tests.rs` tests it through the tools. Each
//! resolution test runs twice: with the `openat2` fast path and with the walk alone.

use std::os::unix::fs::symlink;
use std::path::PathBuf;

use super::*;
use crate::tools::ToolErrorKind;

fn root() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    (dir, root)
}

/// The sandbox of `root` both ways: fast path first, then the walk alone.
fn both(root: &Path, state: Option<&Path>) -> [Sandbox; 2] {
    [
        Sandbox::open(root, state).unwrap(),
        Sandbox::open(root, state).unwrap().walking(),
    ]
}

fn refused<T: std::fmt::Debug>(r: Result<T, ToolError>, needle: &str) {
    let e = r.unwrap_err();
    assert_eq!(e.kind, ToolErrorKind::Sandbox, "{e}");
    assert!(
        e.message.contains(needle),
        "`{e}` should contain `{needle}`"
    );
}

/// What `path` opens to: `Some(is a folder)`, or `None` when missing.
fn opened(s: &Sandbox, path: &str) -> Option<bool> {
    match s.open_read(path).unwrap().1 {
        Found::Open(_, st) => Some(FileType::from_raw_mode(st.st_mode) == FileType::Directory),
        Found::Missing => None,
    }
}

#[test]
fn normalizes_lexically() {
    assert_eq!(normalize("a/./b//c/../d").unwrap(), vec!["a", "b", "d"]);
    assert_eq!(normalize("").unwrap(), Vec::<&str>::new());
    assert_eq!(normalize("a/..").unwrap(), Vec::<&str>::new());
    assert!(normalize("a/../../b").is_err());
    assert!(normalize("/etc/passwd").is_err());
    assert!(normalize(".llmos/config.toml").is_err());
    assert!(normalize("x/../.llmos").is_err());
    // only the state folder at the root is special by name
    assert_eq!(normalize("x/.llmos").unwrap(), vec!["x", ".llmos"]);
}

#[test]
fn opens_files_folders_and_parents() {
    let (_d, root) = root();
    std::fs::create_dir(root.join("data")).unwrap();
    std::fs::write(root.join("data/x.csv"), "a").unwrap();
    for s in both(&root, None) {
        assert_eq!(opened(&s, "./data/x.csv"), Some(false));
        assert_eq!(opened(&s, "data"), Some(true));
        assert_eq!(opened(&s, "."), Some(true));
        assert_eq!(opened(&s, "data/nope"), None);
        assert_eq!(opened(&s, "data/x.csv/below"), None);
        assert!(s.parent("data/none/deep.txt", false).unwrap().is_none());
        assert!(!root.join("data/none").exists());
        let (dir, name) = s.parent("data/new/deep.txt", true).unwrap().unwrap();
        assert_eq!((dir.rel.as_str(), name.as_str()), ("data/new", "deep.txt"));
        assert!(root.join("data/new").is_dir());
        let e = s.parent("data/x.csv/deep.txt", true).unwrap_err();
        assert!(e.message.contains("a part of the path is a file"), "{e}");
    }
}

#[test]
fn refuses_escapes_by_name() {
    let (_d, root) = root();
    for s in both(&root, None) {
        refused(s.open_read("../x"), "leads outside");
        refused(s.parent("a/../../x", true), "leads outside");
        refused(s.parent("/tmp/x", true), "absolute");
        refused(s.open_read(".llmos"), ".llmos");
        refused(s.parent(".llmos/store/x", true), ".llmos");
    }
    assert!(!root.join("a").exists());
}

#[test]
fn refuses_links_that_leave_the_root() {
    let (_d, root) = root();
    let (_o, outside_dir) = self::root();
    std::fs::write(outside_dir.join("secret"), "s").unwrap();
    symlink(outside_dir.join("secret"), root.join("file_link")).unwrap();
    symlink(&outside_dir, root.join("dir_link")).unwrap();
    symlink("../../../../../../../../../..", root.join("up_link")).unwrap();
    symlink(outside_dir.join("nothing"), root.join("dangling_out")).unwrap();
    std::fs::create_dir(root.join(".llmos")).unwrap();
    symlink(root.join(".llmos"), root.join("state_link")).unwrap();
    symlink(".llmos", root.join("state_rel_link")).unwrap();
    let state = root.join(".llmos");
    for s in both(&root, Some(&state)) {
        refused(s.open_read("file_link"), "leads outside");
        refused(s.open_read("dir_link/secret"), "leads outside");
        refused(s.open_read("up_link/etc"), "leads outside");
        refused(s.parent("dir_link/new/file", true), "leads outside");
        refused(s.open_read("dangling_out"), "leads outside");
        refused(s.parent("dangling_out/x", true), "leads outside");
        refused(s.parent("state_link/x", true), ".llmos");
        refused(s.open_read("state_rel_link/config.toml"), ".llmos");
        refused(s.open_read("state_rel_link"), ".llmos");
    }
    assert!(!outside_dir.join("new").exists());
    assert!(!outside_dir.join("nothing").exists());
}

#[test]
fn follows_links_that_stay_inside() {
    let (_d, root) = root();
    std::fs::create_dir_all(root.join("real/sub")).unwrap();
    std::fs::write(root.join("real/sub/f.txt"), "f").unwrap();
    symlink(root.join("real"), root.join("abs_alias")).unwrap();
    symlink("real/sub", root.join("rel_alias")).unwrap();
    symlink("../real/sub/f.txt", root.join("real/up_file")).unwrap();
    for s in both(&root, None) {
        assert_eq!(opened(&s, "abs_alias/sub/f.txt"), Some(false));
        assert_eq!(opened(&s, "rel_alias/f.txt"), Some(false));
        assert_eq!(opened(&s, "real/up_file"), Some(false));
        assert_eq!(opened(&s, "rel_alias"), Some(true));
        let (dir, name) = s.parent("abs_alias/new.txt", true).unwrap().unwrap();
        assert_eq!((dir.rel.as_str(), name.as_str()), ("abs_alias", "new.txt"));
    }
}

#[test]
fn a_link_loop_is_an_error_not_a_hang() {
    let (_d, root) = root();
    symlink("b", root.join("a")).unwrap();
    symlink("a", root.join("b")).unwrap();
    for s in both(&root, None) {
        let e = s.open_read("a/x").unwrap_err();
        assert!(e.message.contains("symbolic links"), "{e}");
    }
}

#[test]
fn the_state_folder_is_refused_wherever_it_is_under_the_root() {
    let (_d, root) = root();
    // $LLMOS_HOME inside the root, under another name
    std::fs::create_dir_all(root.join("work/state")).unwrap();
    std::fs::write(root.join("work/state/config.toml"), "").unwrap();
    symlink("work/state", root.join("door")).unwrap();
    symlink("work", root.join("w")).unwrap();
    let state = root.join("work/state");
    for s in both(&root, Some(&state)) {
        refused(s.open_read("work/state/config.toml"), ".llmos");
        refused(s.parent("work/state/config.toml", true), ".llmos");
        refused(s.open_read("door/config.toml"), ".llmos");
        refused(s.parent("w/state/config.toml", true), ".llmos");
        refused(s.open_read("work/state"), ".llmos");
        // its neighbours are fine
        assert_eq!(opened(&s, "work"), Some(true));
    }
}
