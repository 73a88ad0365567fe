//! The app's hold on the core: one `Linker` for the current settings, its background work, and
//! its status forwarded to the window as the `status` event. Saving settings opens a new one.

use std::sync::{Arc, Mutex};

use kanka_link_core::clock::SystemClock;
use kanka_link_core::{Background, Config, ErrorInfo, Linker, Paths, State, Status};
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
    /// The refresh timer: stopped at a safe point, never aborted (a refresh under way would
    /// lose the pair Kanka just issued).
    background: Option<Background>,
    /// The status forwarding, which may stop anywhere.
    forward: Option<JoinHandle<()>>,
}

impl Engine {
    pub fn new(paths: Paths) -> Engine {
        let waiting = ErrorInfo {
            code: kanka_link_core::ErrorCode::NotConnected,
            message: "Kanka Link is starting.".to_owned(),
            hint: None,
        };
        Engine { paths, current: Mutex::new(Current { linker: Err(waiting), background: None, forward: None }) }
    }

    /// Opens the engine for the current settings, starts its timer and publishes its status.
    /// Must run inside the async runtime: the core spawns its tasks there.
    pub fn start(&self, app: &AppHandle) {
        let linker = Config::load(&self.paths.config_file)
            .map(|config| Linker::open(config, &self.paths, Arc::new(SystemClock)))
            .map_err(|e| e.info());
        let (background, forward) = match &linker {
            Ok(linker) => (Some(linker.spawn_background()), Some(tokio::spawn(forward(app.clone(), linker.clone())))),
            Err(error) => {
                tracing::warn!("settings are not valid: {}", error.message);
                emit(app, &unconfigured(error.clone()));
                (None, None)
            }
        };
        let old = std::mem::replace(&mut *self.current.lock().unwrap(), Current { linker, background, forward });
        if let Some(forward) = old.forward {
            forward.abort();
        }
        if let Some(background) = old.background {
            tokio::spawn(background.stop());
        }
    }

    /// After the settings changed: a sign-in under the old ones is abandoned, and the old timer
    /// finishes what it is doing (a refresh and the keeping of its pair) before the new one starts.
    pub async fn restart(&self, app: &AppHandle) {
        if let Ok(old) = self.linker()
            && old.status().state == State::Connecting
        {
            let _ = old.cancel_connect().await;
        }
        let background = self.current.lock().unwrap().background.take();
        if let Some(background) = background {
            background.stop().await;
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
        notice: None,
    }
}
