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

/// RLIMIT_CORE 0, soft and hard, so the process cannot raise it again either. Programs it
/// starts (the WebKit processes, a browser) inherit the limit.
#[cfg(unix)]
fn no_core_file() {
    let none = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // Lowering a limit is always allowed; should it fail, there is nothing better to do than go on.
    // SAFETY: `none` is a valid rlimit that lives for the call.
    unsafe {
        libc::setrlimit(libc::RLIMIT_CORE, &none);
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
