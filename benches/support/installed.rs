//! The llmos binary as a user runs it, for benches that time whole processes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The release binary, copied once into a temp folder as `cargo install` copies it. The
/// file the linker just wrote in `target/` starts about 0.3 ms slower per process on
/// this kernel (how its pages sit in the page cache); a copy, like an installed binary,
/// does not.
pub fn installed_binary() -> &'static Path {
    static BIN: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &BIN.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("llmos");
        std::fs::copy(env!("CARGO_BIN_EXE_llmos"), &path).expect("copy the binary");
        (dir, path)
    })
    .1
}

/// A command running `program` in the environment of an installed llmos: `cargo bench`
/// points the dynamic loader at `target/` and the toolchain first (a dozen failed opens
/// before libc is found, 0.3 ms a process that no installed llmos pays), and no
/// `LLMOS_HOME`.
pub fn clean_command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = Command::new(program);
    c.env_remove("LD_LIBRARY_PATH").env_remove("LLMOS_HOME");
    c
}
