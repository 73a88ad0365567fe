//! Where the command line's words go: stdout and stderr through `write()`, so that a reader that
//! went away ends the command quietly and nothing can panic on output (cli.rs uses it).

use std::process::ExitCode;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Out,
    Err,
}

/// The output could not be written; the command ends with status 1.
pub struct WriteFailed;

/// Every word the command line prints goes through here. A reader that went away
/// (`kanka-link token | head -c0`: EPIPE, as Rust ignores SIGPIPE) ends the command quietly;
/// any other failure (`> /dev/full`) is said on stderr. Never a panic, as `print!` would.
pub fn write(to: Stream, text: &str) -> Result<(), WriteFailed> {
    use std::io::Write;
    let written = match to {
        Stream::Out => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes()).and_then(|()| out.flush())
        }
        Stream::Err => {
            let mut err = std::io::stderr().lock();
            err.write_all(text.as_bytes()).and_then(|()| err.flush())
        }
    };
    written.map_err(|e| {
        if to == Stream::Out && e.kind() != std::io::ErrorKind::BrokenPipe {
            let _ = writeln!(std::io::stderr(), "Kanka Link could not write its output: {e}.");
        }
        WriteFailed
    })
}

/// The command's exit status, or 1 when its output did not get out.
pub fn finish(written: Result<(), WriteFailed>, code: ExitCode) -> ExitCode {
    match written {
        Ok(()) => code,
        Err(WriteFailed) => ExitCode::FAILURE,
    }
}

/// A GUI-subsystem program on Windows has no console: write to the terminal that started us.
#[cfg(windows)]
pub fn attach_console() {
    use windows_sys::Win32::System::Console::{ATTACH_PARENT_PROCESS, AttachConsole};
    // Fails harmlessly when there is no parent console (started from Explorer).
    unsafe {
        AttachConsole(ATTACH_PARENT_PROCESS);
    }
}

#[cfg(not(windows))]
pub fn attach_console() {}
