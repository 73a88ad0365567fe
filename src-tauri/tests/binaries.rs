//! The two programs as they are built: `kanka-link`, the command line, loads no GTK or WebKit
//! (the libraries the dynamic loader resolves for it, as `ldd` lists them); without a display it
//! says so in one line and exits 2 instead of aborting in GTK; and on an install that was never
//! set up, `kanka-link status` says so and how to set it up.

use std::process::{Command, Output};

use kanka_test_support::fresh_dir;

const CLI: &str = env!("CARGO_BIN_EXE_kanka-link");
#[cfg(target_os = "linux")]
const WINDOW: &str = env!("CARGO_BIN_EXE_kanka-link-window");
/// GTK, WebKit and what only they bring: what made every `kanka-link status` pay ~100 ms.
#[cfg(target_os = "linux")]
const WINDOW_LIBRARIES: [&str; 4] = ["libgtk", "libwebkit", "libjavascriptcore", "libsoup"];
const COMMANDS: [&str; 5] = ["status", "token", "refresh", "disconnect", "check"];

/// Every library the loader maps for `program`, its dependencies' dependencies included.
#[cfg(target_os = "linux")]
fn libraries(program: &str) -> Vec<String> {
    let out = Command::new("ldd").arg(program).output().expect("ldd runs");
    assert!(out.status.success(), "ldd {program}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[cfg(target_os = "linux")]
#[test]
fn the_command_line_loads_no_gtk_or_webkit() {
    let of_the_window = libraries(WINDOW);
    for library in WINDOW_LIBRARIES {
        assert!(of_the_window.iter().any(|l| l.starts_with(library)), "the window needs {library}: {of_the_window:?}");
    }
    let of_the_command_line = libraries(CLI);
    let window_only: Vec<&String> =
        of_the_command_line.iter().filter(|l| WINDOW_LIBRARIES.iter().any(|w| l.starts_with(w))).collect();
    assert!(window_only.is_empty(), "kanka-link loads {window_only:?}");
}

/// `kanka-link ARGS` as over ssh: no display, a HOME of its own with nothing set up, no
/// KANKA_LINK_* variables, and a session bus that nobody serves (so no running window, the
/// developer's least of all, is handed anything).
fn headless(args: &[&str]) -> Output {
    let home = fresh_dir("binaries-home");
    Command::new(CLI)
        .args(args)
        .env_clear()
        .env("HOME", &home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}", home.join("no-bus").display()))
        .output()
        .expect("kanka-link runs")
}

#[test]
fn without_a_display_the_window_is_refused_in_one_line() {
    for args in [&[][..], &["kanka-link://oauth/callback?code=c0de&state=5tate"]] {
        let output = headless(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "kanka-link {args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "kanka-link {args:?}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains("no display") && stderr.contains("DISPLAY"), "{stderr}");
        for command in COMMANDS {
            assert!(stderr.contains(command), "the line names `{command}`: {stderr}");
        }
    }
}

#[test]
fn an_install_never_set_up_says_so_and_how() {
    for args in [&["status"][..], &["status", "--json"], &["token"]] {
        let output = headless(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "kanka-link {args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "kanka-link {args:?}");
        assert!(stderr.starts_with("Kanka Link is not set up"), "{stderr}");
        assert!(stderr.contains("window") && stderr.contains("KANKA_LINK_CLIENT_ID"), "how to set it up: {stderr}");
        assert!(!stderr.contains("built-in defaults"), "{stderr}");
    }
}
