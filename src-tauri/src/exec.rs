//! `kanka-link exec -- COMMAND [ARGS…]`: runs a program with a valid access token in its
//! environment (`KANKA_TOKEN`, and `KANKA_API_URL` for where to send it), the way `op run` and
//! kubectl's exec credentials hand theirs over. The token travels only in the environment: never
//! on a command line (which every user of the machine can read in /proc), in a log, or in
//! Kanka Link's own output. On Unix the process becomes the program (`execve`), so stdin,
//! stdout, stderr, the terminal, signals and the exit status are the program's own by
//! construction, and nothing of Kanka Link stays behind waiting for it.

use std::ffi::OsString;
use std::process::ExitCode;

use kanka_link_core::Credential;

/// The program to run and its arguments, exactly as given (not necessarily UTF-8).
pub struct Program {
    program: OsString,
    args: Vec<OsString>,
    /// The descriptors this process was started with, which the program gets too.
    #[cfg(unix)]
    inherited: Vec<i32>,
}

/// The words after `exec`: `-- COMMAND [ARGS…]`, or `COMMAND [ARGS…]` when COMMAND does not
/// start with `-` (options of `exec` itself would). `None` is bad usage.
pub fn parse(words: &[OsString]) -> Option<Program> {
    let rest = match words.first()?.to_str() {
        Some("--") => &words[1..],
        Some(word) if word.starts_with('-') => return None,
        _ => words,
    };
    let (program, args) = rest.split_first()?;
    Some(Program {
        program: program.clone(),
        args: args.to_vec(),
        #[cfg(unix)]
        inherited: descriptors::inherited(),
    })
}

#[cfg(test)]
impl Program {
    /// The program and its arguments, as text, for the parser's tests.
    pub fn describe(&self) -> Vec<String> {
        std::iter::once(&self.program).chain(&self.args).map(|w| w.to_string_lossy().into_owned()).collect()
    }
}

/// Why the program did not run, said on stderr, and the status a shell would give.
pub struct NotRun {
    pub message: String,
    pub code: ExitCode,
}

/// Runs the program in place of this process with the token in its environment. Call it only
/// once nothing is left to do: no renewed pair held in memory only (`Linker::settle`), no lock.
/// Returns only when the program could not be started.
#[cfg(unix)]
pub fn run(program: Program, credential: &Credential) -> NotRun {
    use std::os::unix::process::CommandExt;
    let mut command = command(&program, credential);
    // The program is the user's, not Kanka Link's: it gets the core file size limit the user
    // gave Kanka Link (hardening.rs lowered it for this process), and `execve` makes it
    // dumpable again. Rust's `exec` also gives it the default SIGPIPE (Rust ignores it) and an
    // empty signal mask, as `spawn` would.
    crate::hardening::restore_user_core_limit();
    // The process will not come back to `main` to write out its log (a refresh just done).
    crate::logging::flush();
    descriptors::close_own_on_exec(&program.inherited);
    let error = command.exec();
    // Still Kanka Link, still holding the token.
    crate::hardening::harden();
    not_run(&program, &error)
}

/// Without `execve` (Windows): the program runs as a child with this console and these standard
/// streams, and this process ends with its exit status.
#[cfg(not(unix))]
pub fn run(program: Program, credential: &Credential) -> NotRun {
    match command(&program, credential).status() {
        Ok(status) => std::process::exit(status.code().unwrap_or(1)),
        Err(error) => not_run(&program, &error),
    }
}

/// What the program inherits: the descriptors its caller gave Kanka Link (`3<file` in a shell),
/// and none that Kanka Link opened. Rust opens its own with close-on-exec, but not every library
/// does: OpenSSL `fopen`s the CA bundle without it, on the thread that prepares the HTTP client
/// (core http.rs) and may still be reading it when this process becomes the program.
#[cfg(unix)]
mod descriptors {
    /// Where the open descriptors are listed.
    const LISTED_IN: &str = if cfg!(target_os = "linux") { "/proc/self/fd" } else { "/dev/fd" };

    fn open() -> Vec<i32> {
        let Ok(entries) = std::fs::read_dir(LISTED_IN) else { return Vec::new() };
        entries.flatten().filter_map(|entry| entry.file_name().to_str()?.parse().ok()).filter(|fd| *fd > 2).collect()
    }

    fn flags(fd: i32) -> Option<i32> {
        // SAFETY: F_GETFD reads the flags of a descriptor number; a closed one is an error.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
        (flags >= 0).then_some(flags)
    }

    /// The descriptors open without close-on-exec: those that survived the `execve` that
    /// started this process. Taken while parsing the arguments, before Kanka Link opens
    /// anything (the listing's own descriptor is close-on-exec, so it is not among them).
    pub fn inherited() -> Vec<i32> {
        open().into_iter().filter(|fd| flags(*fd).is_some_and(|f| f & libc::FD_CLOEXEC == 0)).collect()
    }

    /// Every other descriptor is closed by the `execve`. One a library opens after this, in
    /// the microseconds before the `execve`, is not: a race this narrows and cannot close.
    pub fn close_own_on_exec(inherited: &[i32]) {
        for fd in open().into_iter().filter(|fd| !inherited.contains(fd)) {
            if let Some(flags) = flags(fd) {
                // SAFETY: F_SETFD sets the flags of a descriptor number and touches no memory.
                unsafe {
                    libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
                }
            }
        }
    }
}

fn command(program: &Program, credential: &Credential) -> std::process::Command {
    let mut command = std::process::Command::new(&program.program);
    command.args(&program.args).env("KANKA_TOKEN", credential.token.secret()).env("KANKA_API_URL", &credential.api_url);
    command
}

/// As a shell says it: 127 when there is no such program, 126 when it is there and cannot be
/// run (not executable, a folder, not a program).
fn not_run(program: &Program, error: &std::io::Error) -> NotRun {
    let name = program.program.to_string_lossy();
    let (code, why) = match error.kind() {
        std::io::ErrorKind::NotFound => (127, format!("there is no program {name}")),
        std::io::ErrorKind::PermissionDenied => (126, format!("{name} is not executable")),
        _ => (126, format!("{name} could not be started ({error})")),
    };
    NotRun { message: format!("Kanka Link could not run the command: {why}.\n"), code: ExitCode::from(code) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(words: &[&str]) -> Option<(String, Vec<String>)> {
        let words: Vec<OsString> = words.iter().map(OsString::from).collect();
        let lossy = |word: &OsString| word.to_string_lossy().into_owned();
        parse(&words).map(|p| (lossy(&p.program), p.args.iter().map(lossy).collect()))
    }

    #[test]
    fn the_command_follows_the_double_dash_or_stands_alone() {
        let sh = |args: &[&str]| Some(("sh".to_owned(), args.iter().map(|a| a.to_string()).collect::<Vec<_>>()));
        assert_eq!(parsed(&["--", "sh", "-c", "exit 7"]), sh(&["-c", "exit 7"]));
        assert_eq!(parsed(&["sh", "-c", "exit 7"]), sh(&["-c", "exit 7"]));
        // Everything after the command is its own, `--` included.
        assert_eq!(parsed(&["--", "sh", "--", "--json"]), sh(&["--", "--json"]));
        assert_eq!(parsed(&["--", "-weird-name"]), Some(("-weird-name".to_owned(), vec![])));
        for bad in [&[][..], &["--"], &["--json", "sh"], &["-h"]] {
            assert_eq!(parsed(bad), None, "{bad:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn arguments_that_are_not_text_stay_as_they_are() {
        use std::os::unix::ffi::OsStringExt;
        let raw = OsString::from_vec(vec![b'a', 0xff, b'b']);
        let program = parse(&[OsString::from("--"), OsString::from("printf"), raw.clone()]).unwrap();
        assert_eq!(program.args, vec![raw]);
    }

    #[test]
    fn a_program_that_cannot_start_exits_as_in_a_shell() {
        let program = parse(&[OsString::from("no-such-program")]).unwrap();
        let missing = not_run(&program, &std::io::Error::from(std::io::ErrorKind::NotFound));
        assert_eq!(missing.code, ExitCode::from(127));
        assert!(missing.message.contains("no-such-program"), "{}", missing.message);
        let denied = not_run(&program, &std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert_eq!(denied.code, ExitCode::from(126));
    }
}
