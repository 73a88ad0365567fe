//! `kanka-link`: the command line, and what the desktop runs for the menu entry and for
//! `kanka-link:` URLs. Nothing here names Tauri, so this program links no GTK or WebKit
//! (tests/binaries.rs reads its ELF NEEDED entries): merely loading them cost every
//! `kanka-link status` or `token` about 100 ms (BENCHMARKS.md). The window is the other program,
//! `kanka-link-window` (window.rs), which `launch` hands the URL to or starts.

// No console window behind the program on Windows; the command line attaches to its parent's.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod args;
mod cli;
mod exec;
mod hardening;
mod launch;
mod logging;
mod manual;
mod output;

use std::process::ExitCode;

use tracing::level_filters::LevelFilter;

fn main() -> ExitCode {
    // Before any secret is read: this process holds tokens, or Kanka's code on its way.
    hardening::harden();
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    match cli::parse(args.iter().cloned()) {
        // No arguments, or one `kanka-link:` URL.
        cli::Invocation::Window | cli::Invocation::DeepLink => launch::window(&args),
        cli::Invocation::Command(command) => {
            let log_dir = kanka_link_core::Paths::platform().ok().map(|paths| paths.log_dir);
            let _log = logging::init(log_dir.as_deref(), LevelFilter::WARN);
            cli::run(command)
        }
        cli::Invocation::Usage { to_stderr } => cli::usage(to_stderr),
        cli::Invocation::Print(text) => cli::print(&text),
    }
}
