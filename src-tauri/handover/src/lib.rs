//! A second launch's arguments, handed to the Kanka Link that is already running, before any
//! window machinery starts. The single-instance plugin makes the same D-Bus call, but only once
//! GTK and WebKit are loaded: linking them alone costs a process about 100 ms on start-up
//! (BENCHMARKS.md, deep link), all of it between Kanka's redirect and the connection.
//!
//! Its callers: `kanka-link` (src-tauri/src/launch.rs), the command line that the desktop runs
//! for the menu entry and for `kanka-link:` URLs, which links none of GTK and starts the
//! window's program only when none is running; and `kanka-link-window`, which asks
//! `is_for_the_window` what arguments it takes.

use std::ffi::OsString;

/// `identifier` in tauri.conf.json: the single-instance plugin names its D-Bus service after it.
#[cfg(target_os = "linux")]
const IDENTIFIER: &str = "app.kankalink.desktop";

/// Gives `argv` (as the running window's single-instance plugin expects it: the program, then its
/// arguments; as text, which is what D-Bus carries) and this process's working folder to the
/// running instance. False when there is none, no session bus, or it did not answer: the caller
/// then becomes (or starts) the window.
#[cfg(target_os = "linux")]
pub fn to_running_instance(argv: impl IntoIterator<Item = OsString>) -> bool {
    use std::time::Duration;

    let argv: Vec<String> = argv.into_iter().map(|arg| arg.to_string_lossy().into_owned()).collect();
    let name = format!("{IDENTIFIER}.SingleInstance");
    let path = format!("/{}", name.replace('.', "/").replace('-', "_"));
    let Ok(connection) = dbus::blocking::Connection::new_session() else {
        return false;
    };
    let cwd = std::env::current_dir().unwrap_or_default().to_string_lossy().into_owned();
    // Long enough for a window that is busy starting; a missing one answers at once.
    let instance = connection.with_proxy(name, path, Duration::from_secs(10));
    let answer: Result<(), dbus::Error> =
        instance.method_call("org.SingleInstance.DBus", "ExecuteCallback", (argv, cwd));
    answer.is_ok()
}

/// Elsewhere the single-instance plugin hands over as the app starts.
#[cfg(not(target_os = "linux"))]
pub fn to_running_instance(_argv: impl IntoIterator<Item = OsString>) -> bool {
    false
}

/// What a desktop entry may hand over: nothing (show the window) or one `kanka-link:` URL.
/// Anything else is a command line for the window's binary to answer itself.
pub fn is_for_the_window(args: &[OsString]) -> bool {
    match args {
        [] => true,
        [url] => url.to_str().is_some_and(|url| url.starts_with("kanka-link:")),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn the_identifier_is_the_apps() {
        let config: serde_json::Value =
            serde_json::from_str(include_str!("../../tauri.conf.json")).expect("tauri.conf.json is JSON");
        assert_eq!(config["identifier"], IDENTIFIER);
    }

    #[test]
    fn only_a_url_or_nothing_is_handed_over() {
        let args = |list: &[&str]| list.iter().map(OsString::from).collect::<Vec<_>>();
        assert!(is_for_the_window(&args(&[])));
        assert!(is_for_the_window(&args(&["kanka-link://oauth/callback?code=a&state=b"])));
        assert!(!is_for_the_window(&args(&["status"])));
        assert!(!is_for_the_window(&args(&["https://example.com/"])));
        assert!(!is_for_the_window(&args(&["kanka-link://oauth/callback", "extra"])));
    }
}
