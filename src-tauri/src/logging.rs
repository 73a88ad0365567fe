//! Logs: a file in the platform's log folder, rotated daily with a week kept, and stderr. Lines
//! name events, never values: no token, secret, code or `state` is ever logged, and the secret
//! types print `[redacted]` should one ever reach a `Debug`.

use std::io::{IsTerminal, Write};
use std::path::Path;

use tracing::level_filters::LevelFilter;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::prelude::*;

const KEEP_DAYS: usize = 7;

/// The log file's writer guard while the process may still replace itself (`exec`), which
/// would drop no guard: `flush` takes it and writes out what is buffered.
static PENDING: std::sync::Mutex<Option<WorkerGuard>> = std::sync::Mutex::new(None);

/// Writes out the log lines still buffered for the file; later lines go to stderr only. For a
/// process about to become another program (exec.rs), whose `main` never returns to drop the
/// guard. The window does not replace itself.
#[allow(dead_code)] // used by the command line only, not by the window
pub fn flush() {
    let guard = PENDING.lock().map(|mut held| held.take()).unwrap_or_default();
    drop(guard);
}

/// Ends logging to the file when dropped (at the end of `main`), after writing out its lines.
pub struct Logging;

impl Drop for Logging {
    fn drop(&mut self) {
        flush();
    }
}

/// Starts logging; the returned value flushes the file when dropped, so it lives as long as
/// `main`.
pub fn init(log_dir: Option<&Path>, stderr_level: LevelFilter) -> Logging {
    let appender = log_dir.and_then(|dir| {
        // The appender prunes old files before it creates the folder, and complains on stderr
        // when the folder is not there yet (the first start).
        std::fs::create_dir_all(dir)
            .map_err(|e| e.to_string())
            .and_then(|()| {
                RollingFileAppender::builder()
                    .rotation(Rotation::DAILY)
                    .filename_prefix("kanka-link")
                    .filename_suffix("log")
                    .max_log_files(KEEP_DAYS)
                    .build(dir)
                    .map_err(|e| e.to_string())
            })
            // Not `eprintln!`, which panics when stderr is a closed pipe.
            .map_err(|e| {
                let _ = writeln!(std::io::stderr(), "Kanka Link cannot write its log in {}: {e}", dir.display());
            })
            .ok()
    });
    let (file, guard) = match appender {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            (Some(writer), Some(guard))
        }
        None => (None, None),
    };
    let file_layer = file.map(|writer| {
        tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_ansi(false)
            .with_target(false)
            .with_filter(LevelFilter::INFO)
    });
    let stderr_layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .with_filter(stderr_level);
    tracing_subscriber::registry().with(file_layer).with(stderr_layer).init();
    if let Ok(mut held) = PENDING.lock() {
        *held = guard;
    }
    Logging
}
