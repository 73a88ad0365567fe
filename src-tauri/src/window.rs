//! `kanka-link-window`: Kanka Link's window, the Tauri app. `kanka-link` (main.rs) starts it
//! when no window is running and answers the command line itself, without loading GTK and
//! WebKit; so this program takes no arguments but one `kanka-link:` URL, which the deep-link
//! plugin reads at a cold start.

// No console window behind the app on Windows.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
#[cfg(test)]
mod contract;
mod desktop;
mod engine;
mod hardening;
mod logging;
mod models;
#[cfg(target_os = "linux")]
mod scheme;
mod window_up;

use std::io::Write;
use std::process::ExitCode;

use tracing::level_filters::LevelFilter;

fn main() -> ExitCode {
    // Before any secret is read.
    hardening::harden();
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if !kanka_link_handover::is_for_the_window(&args) {
        // Never handed to a running window as a second launch: its answer would go nowhere.
        let _ = writeln!(
            std::io::stderr(),
            "kanka-link-window is Kanka Link's window and takes no arguments but a kanka-link: URL; \
             the command line is kanka-link (kanka-link --help)."
        );
        return ExitCode::from(2);
    }
    let log_dir = kanka_link_core::Paths::platform().ok().map(|paths| paths.log_dir);
    let _log = logging::init(log_dir.as_deref(), LevelFilter::INFO);
    desktop::run();
    ExitCode::SUCCESS
}
