//! The app's hold on the core: one `Linker` for the current settings, its background work, and
//! its status pushed to the window through the channel the page handed to `watch_status`.
//! Saving settings opens a new one.
//!
//! A channel and not an event: Tauri 2's `plugin:event|listen` takes no scope (tauri 2.12,
//! src/event/plugin.rs, `listen` reads no `CommandScope`), so a page allowed to listen to `status`
//! may listen to any event, `deep-link://new-url` included, which tauri-plugin-deep-link emits to
//! every listener with Kanka's code and `state` in it. The window's capability grants no event
//! command at all; a channel reaches only the page that made it (SECURITY.md, "What the page
//! receives").

use std::sync::{Arc, Mutex};

use kanka_link_core::clock::SystemClock;
use kanka_link_core::{Background, Config, ErrorInfo, Linker, Paths, State, Status};
use tauri::ipc::Channel;
use tokio::task::JoinHandle;

/// The window's label in tauri.conf.json.
pub const MAIN_WINDOW: &str = "main";

pub struct Engine {
    pub paths: Paths,
    current: Mutex<Current>,
    page: Arc<Mutex<Page>>,
}

/// Where statuses go. Every send happens under this lock and reads the newest status inside it,
/// so the page receives them in the order they happened.
#[derive(Default)]
struct Page {
    /// The page's channel; a reloaded page hands a new one, which replaces it.
    channel: Option<Channel<Status>>,
    /// Which `Linker`'s forwarding may still send: one aborted by a restart may be mid-send.
    generation: u64,
}

impl Page {
    fn send(&self, status: &Status) {
        let Some(channel) = &self.channel else { return };
        if let Err(e) = channel.send(status.clone()) {
            tracing::warn!("could not send the status to the window: {e}");
        }
    }
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
            setting: None,
            setting_empty: false,
        };
        Engine {
            paths,
            current: Mutex::new(Current { linker: Err(waiting), background: None, forward: None }),
            page: Arc::default(),
        }
    }

    /// Opens the engine for the current settings, starts its timer and publishes its status.
    /// Must run inside the async runtime: the core spawns its tasks there.
    pub fn start(&self) {
        let linker = Config::load(&self.paths.config_file)
            .map(|config| Linker::open(config, &self.paths, Arc::new(SystemClock)))
            .map_err(|e| e.info());
        // From here on the old linker's forwarding sends nothing.
        let generation = {
            let mut page = self.page.lock().unwrap();
            page.generation += 1;
            page.generation
        };
        let (background, forward) = match &linker {
            Ok(linker) => (
                Some(linker.spawn_background()),
                Some(tokio::spawn(forward(self.page.clone(), generation, linker.clone()))),
            ),
            Err(error) => {
                tracing::warn!("settings are not valid: {}", error.message);
                (None, None)
            }
        };
        let unusable = linker.as_ref().err().cloned();
        let old = std::mem::replace(&mut *self.current.lock().unwrap(), Current { linker, background, forward });
        if let Some(forward) = old.forward {
            forward.abort();
        }
        if let Some(background) = old.background {
            tokio::spawn(background.stop());
        }
        if let Some(error) = unusable {
            self.page.lock().unwrap().send(&unconfigured(error));
        }
    }

    /// After the settings changed: a sign-in under the old ones is abandoned, and the old timer
    /// finishes what it is doing (a refresh and the keeping of its pair) before the new one starts.
    pub async fn restart(&self) {
        if let Ok(old) = self.linker()
            && old.status().state == State::Connecting
        {
            let _ = old.cancel_connect().await;
        }
        let background = self.current.lock().unwrap().background.take();
        if let Some(background) = background {
            background.stop().await;
        }
        self.start();
    }

    /// From now on every status goes to `channel`, the current one first.
    pub fn watch(&self, channel: Channel<Status>) {
        let mut page = self.page.lock().unwrap();
        page.channel = Some(channel);
        // Under the lock: a change that happens meanwhile is sent after this one.
        page.send(&self.status());
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
async fn forward(page: Arc<Mutex<Page>>, generation: u64, linker: Linker) {
    let mut updates = linker.subscribe();
    loop {
        {
            let page = page.lock().unwrap();
            if page.generation != generation {
                return;
            }
            let status = updates.borrow_and_update().clone();
            page.send(&status);
        }
        if updates.changed().await.is_err() {
            return;
        }
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
        retry_at: None,
        last_error: Some(error),
        notice: None,
    }
}
