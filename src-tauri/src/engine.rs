//! The app's hold on the core: one `Linker` for the current settings, its background work, and
//! its status forwarded to the window as the `status` event. Saving settings opens a new one.

use std::sync::{Arc, Mutex};

use kanka_link_core::clock::SystemClock;
use kanka_link_core::{Config, ErrorInfo, Linker, Paths, State, Status};
use tauri::{AppHandle, Emitter};
use tokio::task::JoinHandle;

/// The one event the window listens to; its payload is the core's `Status`.
pub const STATUS_EVENT: &str = "status";
/// The window's label in tauri.conf.json.
pub const MAIN_WINDOW: &str = "main";

pub struct Engine {
    pub paths: Paths,
    current: Mutex<Current>,
}

struct Current {
    /// `Err` while the settings do not make a valid configuration.
    linker: Result<Linker, ErrorInfo>,
    tasks: Vec<JoinHandle<()>>,
}

impl Engine {
    pub fn new(paths: Paths) -> Engine {
        let waiting = ErrorInfo {
            code: kanka_link_core::ErrorCode::NotConnected,
            message: "Kanka Link is starting.".to_owned(),
            hint: None,
        };
        Engine { paths, current: Mutex::new(Current { linker: Err(waiting), tasks: Vec::new() }) }
    }

    /// Opens the engine for the current settings, starts its timer and publishes its status.
    /// Must run inside the async runtime: the core spawns its tasks there.
    pub fn start(&self, app: &AppHandle) {
        let linker = Config::load(&self.paths.config_file)
            .map(|config| Linker::open(config, &self.paths, Arc::new(SystemClock)))
            .map_err(|e| e.info());
        let tasks = match &linker {
            Ok(linker) => vec![linker.spawn_background(), tokio::spawn(forward(app.clone(), linker.clone()))],
            Err(error) => {
                tracing::warn!("settings are not valid: {}", error.message);
                emit(app, &unconfigured(error.clone()));
                Vec::new()
            }
        };
        let old = std::mem::replace(&mut *self.current.lock().unwrap(), Current { linker, tasks });
        old.tasks.iter().for_each(JoinHandle::abort);
    }

    /// After the settings changed: a sign-in under the old ones is abandoned.
    pub async fn restart(&self, app: &AppHandle) {
        if let Ok(old) = self.linker()
            && old.status().state == State::Connecting
        {
            let _ = old.cancel_connect().await;
        }
        self.start(app);
    }

    pub fn linker(&self) -> Result<Linker, ErrorInfo> {
        self.current.lock().unwrap().linker.clone()
    }

    pub fn status(&self) -> Status {
        match self.linker() {
            Ok(linker) => linker.status(),
            Err(error) => unconfigured(error),
        }
    }
}

/// Sends every status change to the window, the current one first.
async fn forward(app: AppHandle, linker: Linker) {
    let mut updates = linker.subscribe();
    loop {
        let status = updates.borrow_and_update().clone();
        emit(&app, &status);
        if updates.changed().await.is_err() {
            return;
        }
    }
}

fn emit(app: &AppHandle, status: &Status) {
    if let Err(e) = app.emit_to(MAIN_WINDOW, STATUS_EVENT, status) {
        tracing::warn!("could not send the status to the window: {e}");
    }
}

/// The status while the settings are not valid: the error says which one and where.
fn unconfigured(error: ErrorInfo) -> Status {
    Status {
        state: State::Error,
        account: None,
        expires_at: None,
        refreshed_at: None,
        next_refresh_at: None,
        last_error: Some(error),
    }
}
