//! Keeps the tokens a Kanka Link process holds in memory out of core dumps and away from other
//! programs of the same user that would read its memory, as ssh-agent does for its keys. The
//! release build aborts on a panic, and an abort writes a core file where the system allows it:
//! that file would hold the access and refresh tokens, the client secret and a pending PKCE
//! verifier. Called first thing in `main`, before any secret is read, by every process.

/// No core file, and (on Linux) no memory access for debuggers without privileges.
pub fn harden() {
    #[cfg(unix)]
    no_core_file();
    #[cfg(target_os = "linux")]
    not_dumpable();
}

/// The core file size limit the user started Kanka Link with, for the program `kanka-link exec`
/// runs in its place.
#[cfg(unix)]
static USER_CORE_LIMIT: std::sync::OnceLock<libc::rlimit> = std::sync::OnceLock::new();

/// RLIMIT_CORE 0 (the soft limit, the one the kernel applies). Programs it starts (the WebKit
/// processes, a browser) inherit it. The hard limit stays the user's: lowered, it could never be
/// raised again, and the program `kanka-link exec` runs in this process's place gets the user's
/// own limit back (`restore_user_core_limit`), as if the user had started it. Raising the soft
/// limit again takes code running in this process, which could read the tokens anyway; on Linux
/// PR_SET_DUMPABLE 0 below forbids any core dump regardless of the limit.
#[cfg(unix)]
fn no_core_file() {
    let mut user = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `user` is a valid rlimit that lives for the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut user) } == 0 {
        let _ = USER_CORE_LIMIT.set(user);
    }
    let none = libc::rlimit { rlim_cur: 0, rlim_max: user.rlim_max };
    // Lowering a limit is always allowed; should it fail, there is nothing better to do than go on.
    // SAFETY: `none` is a valid rlimit that lives for the call.
    unsafe {
        libc::setrlimit(libc::RLIMIT_CORE, &none);
    }
}

/// The user's core file size limit again, just before this process becomes another program
/// (`execve`), which then starts dumpable as it would have without Kanka Link. Until the
/// `execve`, PR_SET_DUMPABLE 0 still keeps any core dump of this process from being written.
#[cfg(unix)]
// The window (kanka-link-window) includes this file too, and never runs another program in its place.
#[allow(dead_code)]
pub fn restore_user_core_limit() {
    if let Some(user) = USER_CORE_LIMIT.get() {
        // SAFETY: `user` is a valid rlimit that lives for the call.
        unsafe {
            libc::setrlimit(libc::RLIMIT_CORE, user);
        }
    }
}

/// PR_SET_DUMPABLE 0: the kernel writes no core dump at all (not even through a `|` core
/// pattern such as systemd-coredump), and a process of the same user may neither ptrace this
/// one nor open its /proc/PID/mem or environ, unless it holds CAP_SYS_PTRACE. It lasts until
/// the process execs another program: the WebKit processes start dumpable, and hold no token.
#[cfg(target_os = "linux")]
fn not_dumpable() {
    // SAFETY: PR_SET_DUMPABLE takes one integer argument and touches no memory of ours.
    unsafe {
        libc::prctl(
            libc::PR_SET_DUMPABLE,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        );
    }
}
