//! Kanka Link: the window, and the command line in the same binary. Subcommands are handled
//! before Tauri starts: its single-instance plugin would otherwise forward `kanka-link status`
//! to the running window and the terminal would get nothing.

// No console window behind the app on Windows; the command line attaches to its parent's.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod cli;
mod commands;
mod desktop;
mod engine;
mod models;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::parse(std::env::args_os().skip(1)) {
        cli::Invocation::Window => {
            log_to_stderr(tracing::Level::INFO);
            desktop::run();
            ExitCode::SUCCESS
        }
        cli::Invocation::Command(command) => {
            log_to_stderr(tracing::Level::WARN);
            cli::run(command)
        }
        cli::Invocation::Usage { to_stderr } => cli::usage(to_stderr),
    }
}

/// Log lines name events, never values: no token, secret, code or `state` is ever logged.
fn log_to_stderr(level: tracing::Level) {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_max_level(level)
        .with_target(false)
        .init();
}
