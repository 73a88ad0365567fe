//! What `kanka-link` does with no subcommand or with a `kanka-link:` URL: it hands the URL (or
//! just "show yourself") to the running window over D-Bus, which takes milliseconds here where
//! no GTK is loaded (BENCHMARKS.md, deep link), or starts the window's program,
//! `kanka-link-window` in the same folder, in this process's place. Without a display it says
//! so in one line and exits 2, where GTK's initialisation would abort the window.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::process::{Command, ExitCode};

use crate::cli;

/// The window's program, beside this one (in the `.deb` and in `target/<profile>` alike).
pub const WINDOW: &str = "kanka-link-window";

/// Bad usage, as for an unknown subcommand: there is nothing this invocation can do here.
const NO_DISPLAY_STATUS: u8 = 2;

/// `args` is empty (the window) or one `kanka-link:` URL (a deep link).
pub fn window(args: &[OsString]) -> ExitCode {
    let window = match std::env::current_exe() {
        Ok(exe) => exe.with_file_name(format!("{WINDOW}{}", std::env::consts::EXE_SUFFIX)),
        Err(e) => return fail(&format!("Kanka Link could not find its own folder: {e}")),
    };
    // The single-instance plugin's argv: the window's program, then the URL.
    let hand_over = || {
        let argv = std::iter::once(window.clone().into_os_string()).chain(args.iter().cloned());
        kanka_link_handover::to_running_instance(argv)
    };
    // A running window takes Kanka's answer whether or not this process has a display.
    let deep_link = !args.is_empty();
    if deep_link && hand_over() {
        return ExitCode::SUCCESS;
    }
    if !has_display() {
        // One line, for a terminal over ssh; the help says the rest.
        let _ = writeln!(std::io::stderr(), "{}", no_display());
        return ExitCode::from(NO_DISPLAY_STATUS);
    }
    if !deep_link && hand_over() {
        return ExitCode::SUCCESS;
    }
    start(Command::new(&window).args(args), &window)
}

fn no_display() -> String {
    format!(
        "Kanka Link has no display to open its window on (neither DISPLAY nor WAYLAND_DISPLAY is set); \
         its command line works without one: kanka-link {} (kanka-link --help says more).",
        cli::COMMANDS.join("|")
    )
}

/// X11 or Wayland, as GTK looks for them; other platforms always have their desktop.
#[cfg(all(unix, not(target_os = "macos")))]
fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn has_display() -> bool {
    true
}

/// The window's program in this process's place, so the desktop sees one program start. It
/// keeps this program's name as its argv[0]: GTK names the window's class after it, which the
/// desktop entry's StartupWMClass (`kanka-link`) matches.
#[cfg(unix)]
fn start(command: &mut Command, window: &Path) -> ExitCode {
    use std::os::unix::process::CommandExt;
    if let Some(name) = std::env::args_os().next() {
        command.arg0(name);
    }
    let error = command.exec();
    fail(&format!("Kanka Link could not start {}: {error}", window.display()))
}

#[cfg(not(unix))]
fn start(command: &mut Command, window: &Path) -> ExitCode {
    match command.status() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => fail(&format!("Kanka Link could not start {}: {e}", window.display())),
    }
}

/// Not `eprintln!`, which panics when stderr is a closed pipe.
fn fail(message: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "{message}");
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_no_display_line_names_every_command() {
        let line = no_display();
        assert!(!line.contains('\n'), "{line}");
        for command in cli::COMMANDS {
            assert!(line.contains(command), "{command} in {line}");
        }
    }

    #[test]
    fn the_window_is_named_beside_this_program() {
        let exe: std::path::PathBuf = ["/opt", "kanka", "kanka-link"].iter().collect();
        assert_eq!(exe.with_file_name(WINDOW), Path::new("/opt/kanka/kanka-link-window"));
    }
}
