//! Kanka Link: the window, and the command line in the same binary. Subcommands are handled
//! before Tauri starts: its single-instance plugin would otherwise forward `kanka-link status`
//! to the running window and the terminal would get nothing.

// No console window behind the app on Windows; the command line attaches to its parent's.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod cli;
mod commands;
mod desktop;
mod engine;
mod exec;
mod hardening;
mod logging;
mod models;
#[cfg(target_os = "linux")]
mod scheme;

use std::process::ExitCode;

use tracing::level_filters::LevelFilter;

fn main() -> ExitCode {
    // Before any secret is read, in the window and in the command line alike.
    hardening::harden();
    let log_dir = kanka_link_core::Paths::platform().ok().map(|paths| paths.log_dir);
    match cli::parse(std::env::args_os().skip(1)) {
        cli::Invocation::DeepLink if kanka_link_handover::to_running_instance(std::env::args_os()) => ExitCode::SUCCESS,
        cli::Invocation::Window | cli::Invocation::DeepLink => {
            let _log = logging::init(log_dir.as_deref(), LevelFilter::INFO);
            desktop::run();
            ExitCode::SUCCESS
        }
        cli::Invocation::Command(command) => {
            let _log = logging::init(log_dir.as_deref(), LevelFilter::WARN);
            cli::run(command)
        }
        cli::Invocation::Usage { to_stderr } => cli::usage(to_stderr),
    }
}
