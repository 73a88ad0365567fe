//! What the desktop runs for a `kanka-link:` URL and for the menu entry: it hands the URL to the
//! running Kanka Link, or starts the window with it when none runs. It links no GTK or WebKit,
//! so Kanka's redirect reaches the window in milliseconds instead of after the ~100 ms that
//! merely loading those libraries takes (BENCHMARKS.md, deep link).

use std::process::{Command, ExitCode};

// The window's own hardening: this process holds Kanka's code and `state` on their way.
#[path = "../hardening.rs"]
mod hardening;

fn main() -> ExitCode {
    hardening::harden();
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let window = match std::env::current_exe() {
        Ok(exe) => exe.with_file_name(format!("kanka-link{}", std::env::consts::EXE_SUFFIX)),
        Err(e) => {
            eprintln!("Kanka Link could not find its own folder: {e}");
            return ExitCode::FAILURE;
        }
    };
    if kanka_link_handover::is_for_the_window(&args) {
        let argv = std::iter::once(window.clone().into_os_string()).chain(args.iter().cloned());
        if kanka_link_handover::to_running_instance(argv) {
            return ExitCode::SUCCESS;
        }
    }
    start(Command::new(&window).args(&args), &window)
}

/// The window's binary in this process's place, so that the desktop sees one program start.
#[cfg(unix)]
fn start(command: &mut Command, window: &std::path::Path) -> ExitCode {
    use std::os::unix::process::CommandExt;
    let error = command.exec();
    eprintln!("Kanka Link could not start {}: {error}", window.display());
    ExitCode::FAILURE
}

#[cfg(not(unix))]
fn start(command: &mut Command, window: &std::path::Path) -> ExitCode {
    match command.status() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("Kanka Link could not start {}: {e}", window.display());
            ExitCode::FAILURE
        }
    }
}
