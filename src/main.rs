//! The `llmos` binary: the command line of `llmos::cli`.
//!
//! On Linux with glibc the process entry point is ours (`no_main`). Rust's runtime start
//! reads the whole of `/proc/self/maps` to place the main thread's stack guard, which
//! costs about 0.1 ms per process here, a tenth of a Follower run. `start` does the rest
//! of what the runtime start does that llmos relies on (a test build keeps the usual `main`): standard streams that are open,
//! SIGPIPE ignored (a write to a closed pipe is an error, not death), a panic turned
//! into exit code 101, stdout flushed at the end. (glibc hands the arguments to std by
//! itself.) Without the runtime's guard, a stack overflow is a plain SIGSEGV; llmos
//! bounds its recursion (nesting depth 64) instead. Elsewhere `main` is the usual one.
#![cfg_attr(all(target_os = "linux", target_env = "gnu", not(test)), no_main)]
// The only unsafe code of llmos: the exported entry point and two libc calls in it.
#![allow(unsafe_code)]

/// See `mimalloc` in Cargo.toml for why.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(all(target_os = "linux", target_env = "gnu", not(test)))]
#[unsafe(no_mangle)]
extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    start();
    let code = std::panic::catch_unwind(llmos::cli::run).unwrap_or(101);
    let _ = std::io::Write::flush(&mut std::io::stdout());
    libc::c_int::from(code)
}

/// What Rust's runtime start would have done before `main`.
#[cfg(all(target_os = "linux", target_env = "gnu", not(test)))]
fn start() {
    for fd in 0..3 {
        // SAFETY: F_GETFD reads a descriptor's flags and touches no memory. A closed
        // standard stream is reopened on /dev/null, so no file opened later takes its
        // number and receives what is printed.
        unsafe {
            if libc::fcntl(fd, libc::F_GETFD) == -1
                && std::io::Error::last_os_error().raw_os_error() == Some(libc::EBADF)
                && libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) == -1
            {
                std::process::abort();
            }
        }
    }
    // SAFETY: setting a signal's disposition to SIG_IGN installs no handler code.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu", not(test))))]
fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(llmos::cli::run())
}
