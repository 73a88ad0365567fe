//! The app's hold on the core: every connection for the current settings (`Connections`: the
//! settings' own and those added beside it), a refresh timer for each, and their statuses pushed
//! to the window as one list through the channel the page handed to `watch_status`. Saving
//! settings opens them again (the settings define the settings' own connection; the added ones
//! are read back from their list).
//!
//! A channel and not an event: Tauri 2's `plugin:event|listen` takes no scope (tauri 2.12,
//! src/event/plugin.rs, `listen` reads no `CommandScope`), so a page allowed to listen to `status`
//! may listen to any event, `deep-link://new-url` included, which tauri-plugin-deep-link emits to
//! every listener with Kanka's code and `state` in it. The window's capability grants no event
//! command at all; a channel reaches only the page that made it (SECURITY.md, "What the page
//! receives").

use std::sync::{Arc, Mutex};

use kanka_link_core::clock::SystemClock;
use kanka_link_core::connections::MAIN;
use kanka_link_core::settings::SettingsInput;
use kanka_link_core::{Background, Config, Connections, Error, ErrorInfo, Linker, Paths, State, Status};
use tauri::ipc::Channel;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::models::ConnectionStatus;
use crate::window_up::WindowUp;

/// The window's label in tauri.conf.json.
pub const MAIN_WINDOW: &str = "main";

pub struct Engine {
    pub paths: Paths,
    shared: Arc<Shared>,
    /// What the timers' start-up work waits for (window_up.rs).
    up: WindowUp,
}

/// Lock order: `page`, then `current`; never the other way round.
struct Shared {
    page: Mutex<Page>,
    current: Mutex<Current>,
}

/// Where statuses go. Every send happens under this lock and reads the newest statuses inside
/// it, so the page receives them in the order they happened.
#[derive(Default)]
struct Page {
    /// The page's channel; a reloaded page hands a new one, which replaces it.
    channel: Option<Channel<Vec<ConnectionStatus>>>,
    /// Which opening's forwarding may still send: one aborted by a restart may be mid-send.
    generation: u64,
}

impl Page {
    fn send(&self, list: Vec<ConnectionStatus>) {
        let Some(channel) = &self.channel else { return };
        if let Err(e) = channel.send(list) {
            tracing::warn!("could not send the statuses to the window: {e}");
        }
    }
}

struct Current {
    /// `Err` while the settings do not make a valid configuration (or the list of connections
    /// cannot be read: the error names it).
    connections: Result<Connections, ErrorInfo>,
    /// What runs for each connection, by its id.
    running: Vec<(String, Running)>,
}

struct Running {
    /// The refresh timer: stopped at a safe point, never aborted (a refresh under way would
    /// lose the pair Kanka just issued).
    background: Background,
    /// The status forwarding, which may stop anywhere.
    forward: JoinHandle<()>,
}

impl Shared {
    /// Every connection's status, the settings' own first.
    fn list(&self) -> Vec<ConnectionStatus> {
        match &self.current.lock().unwrap().connections {
            Ok(connections) => connections
                .all()
                .map(|(id, linker)| ConnectionStatus::new(id, linker, id == connections.default_id()))
                .collect(),
            Err(error) => vec![ConnectionStatus::unconfigured(unconfigured(error.clone()))],
        }
    }

    fn publish(&self) {
        let page = self.page.lock().unwrap();
        page.send(self.list());
    }
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
        let current = Current { connections: Err(waiting), running: Vec::new() };
        let shared = Arc::new(Shared { page: Mutex::default(), current: Mutex::new(current) });
        Engine { paths, shared, up: WindowUp::new() }
    }

    /// The window is up, or will be taken as up: see window_up.rs.
    pub fn window_up(&self) -> &WindowUp {
        &self.up
    }

    /// Opens every connection for the current settings, starts their timers and publishes their
    /// statuses. Must run inside the async runtime: the core spawns its tasks there.
    pub fn start(&self) {
        let connections = Config::load(&self.paths.config_file)
            .and_then(|config| Connections::open(config, &self.paths, Arc::new(SystemClock)))
            .map_err(|e| e.info());
        // From here on the old connections' forwarding sends nothing.
        let generation = {
            let mut page = self.shared.page.lock().unwrap();
            page.generation += 1;
            page.generation
        };
        let running = match &connections {
            Ok(connections) => {
                connections.all().map(|(id, linker)| (id.to_owned(), self.run(generation, linker))).collect()
            }
            Err(error) => {
                tracing::warn!("settings are not valid: {}", error.message);
                Vec::new()
            }
        };
        let old = std::mem::replace(&mut *self.shared.current.lock().unwrap(), Current { connections, running });
        for (_, running) in old.running {
            running.forward.abort();
            tokio::spawn(running.background.stop());
        }
        // A forwarding that started before the swap may have sent the old list.
        self.shared.publish();
    }

    fn run(&self, generation: u64, linker: &Linker) -> Running {
        Running {
            background: linker.spawn_background_when(self.up.wait()),
            forward: tokio::spawn(forward(self.shared.clone(), generation, linker.subscribe())),
        }
    }

    /// After the settings changed: a sign-in of the settings' own connection under the old ones is
    /// abandoned, and the old timers finish what they are doing (a refresh and the keeping of its
    /// pair) before the new ones start.
    pub async fn restart(&self) {
        if let Ok(old) = self.linker(MAIN)
            && old.status().state == State::Connecting
        {
            let _ = old.cancel_connect().await;
        }
        let running = std::mem::take(&mut self.shared.current.lock().unwrap().running);
        for (_, running) in running {
            running.forward.abort();
            running.background.stop().await;
        }
        self.start();
    }

    /// From now on every list of statuses goes to `channel`, the current one first.
    pub fn watch(&self, channel: Channel<Vec<ConnectionStatus>>) {
        let mut page = self.shared.page.lock().unwrap();
        page.channel = Some(channel);
        // Under the lock: a change that happens meanwhile is sent after this one.
        page.send(self.shared.list());
    }

    /// Every connection, as the core holds them. A copy: it may add or remove nothing (only
    /// `add` and `remove` here do, under the lock), but it answers a deep link without holding it.
    pub fn connections(&self) -> Result<Connections, ErrorInfo> {
        self.shared.current.lock().unwrap().connections.clone()
    }

    /// The connection `id` names.
    pub fn linker(&self, id: &str) -> Result<Linker, ErrorInfo> {
        let current = self.shared.current.lock().unwrap();
        let connections = current.connections.as_ref().map_err(Clone::clone)?;
        connections.get(id).cloned().ok_or_else(|| Error::NotConnected.info())
    }

    pub fn statuses(&self) -> Vec<ConnectionStatus> {
        self.shared.list()
    }

    /// A new connection to the settings' server and client, for another account ("Connect
    /// another account"), with its timer and its status on the page; its id.
    pub fn add(&self) -> Result<(String, Linker), ErrorInfo> {
        let config = self.linker(MAIN)?.config().clone();
        self.add_config(&config)
    }

    /// A connection to the server and client of `config`, with its timer and its status on the
    /// page; its id.
    fn add_config(&self, config: &Config) -> Result<(String, Linker), ErrorInfo> {
        let generation = self.shared.page.lock().unwrap().generation;
        let mut current = self.shared.current.lock().unwrap();
        let connections = current.connections.as_mut().map_err(|e| e.clone())?;
        let id = connections.add(config).map_err(|e| e.info())?;
        let linker = connections.get(&id).cloned().ok_or_else(|| Error::NotConnected.info())?;
        let stopped = self.reconcile(&mut current, generation);
        drop(current);
        Self::stop(stopped);
        tracing::info!("connection {id} added");
        Ok((id, linker))
    }

    /// Forgets an added connection (its tokens are already gone): its timer stops, its card goes.
    /// The settings' own stays.
    pub async fn remove(&self, id: &str) -> Result<(), ErrorInfo> {
        if id == MAIN {
            return Ok(());
        }
        let generation = self.shared.page.lock().unwrap().generation;
        let stopped = {
            let mut current = self.shared.current.lock().unwrap();
            let connections = current.connections.as_mut().map_err(|e| e.clone())?;
            connections.remove(id).map_err(|e| e.info())?;
            self.reconcile(&mut current, generation)
        };
        for running in stopped {
            running.forward.abort();
            running.background.stop().await;
        }
        tracing::info!("connection {id} removed");
        self.shared.publish();
        Ok(())
    }

    /// Makes `id` the default connection (what `kanka-link token` serves unless told otherwise);
    /// every card hears of it in the next list, which marks the default.
    pub fn make_default(&self, id: &str) -> Result<(), ErrorInfo> {
        let generation = self.shared.page.lock().unwrap().generation;
        {
            let mut current = self.shared.current.lock().unwrap();
            let connections = current.connections.as_mut().map_err(|e| e.clone())?;
            connections.set_default(id).map_err(|e| e.info())?;
            let stopped = self.reconcile(&mut current, generation);
            Self::stop(stopped);
        }
        tracing::info!("connection {id} is the default");
        // After `current` is let go: the lock order is `page`, then `current`.
        self.shared.publish();
        Ok(())
    }

    /// After a change to the list, which takes in what another process did to it (core's
    /// `Connections::sync`): a timer and a forwarding for each connection listed, none for one
    /// that is gone. Returns those to stop, which the caller stops outside the lock.
    fn reconcile(&self, current: &mut Current, generation: u64) -> Vec<Running> {
        let Ok(connections) = &current.connections else { return Vec::new() };
        let listed: Vec<(String, Linker)> = connections.all().map(|(id, l)| (id.to_owned(), l.clone())).collect();
        let (kept, gone): (Vec<_>, Vec<_>) =
            std::mem::take(&mut current.running).into_iter().partition(|(id, _)| listed.iter().any(|(l, _)| l == id));
        current.running = kept;
        for (id, linker) in listed {
            if !current.running.iter().any(|(running, _)| *running == id) {
                current.running.push((id, self.run(generation, &linker)));
            }
        }
        gone.into_iter().map(|(_, running)| running).collect()
    }

    /// Stops timers in the background: a refresh under way finishes and keeps its pair first.
    fn stop(stopped: Vec<Running>) {
        for running in stopped {
            running.forward.abort();
            tokio::spawn(running.background.stop());
        }
    }

    /// Disconnects `id`; an added connection is then removed: it was only ever that account.
    pub async fn disconnect(&self, id: &str) -> Result<kanka_link_core::DisconnectNotice, ErrorInfo> {
        let notice = self.linker(id)?.disconnect().await.map_err(|e| e.info())?;
        self.remove(id).await?;
        Ok(notice)
    }

    /// Stops waiting for Kanka; an added connection that never signed in is then forgotten (its
    /// record) and removed: the user gave up adding it.
    pub async fn cancel_connect(&self, id: &str) -> Result<Status, ErrorInfo> {
        let status = self.linker(id)?.cancel_connect().await.map_err(|e| e.info())?;
        if id != MAIN && status.account.is_none() && status.expires_at.is_none() {
            self.disconnect(id).await?;
        }
        Ok(status)
    }

    /// A new connection to another Kanka, from what the user entered ("Add another Kanka server"):
    /// checked, and its client secret saved, while the list stays free (the keychain may take a
    /// while); then added as [`Engine::add`] adds one, to the list as it is by then.
    pub async fn add_server(&self, form: SettingsInput) -> Result<(String, Linker), ErrorInfo> {
        let main = self.linker(MAIN)?.config().clone();
        let config = kanka_link_core::connections::server_from(form, &main).await.map_err(|e| e.info())?;
        let (id, linker) = self.add_config(&config)?;
        tracing::info!("connection {id} added, to another Kanka");
        Ok((id, linker))
    }
}

/// Sends the list of statuses to the window at every change of one connection's status, the
/// current one first.
async fn forward(shared: Arc<Shared>, generation: u64, mut updates: watch::Receiver<Status>) {
    loop {
        {
            let page = shared.page.lock().unwrap();
            if page.generation != generation {
                return;
            }
            updates.borrow_and_update();
            page.send(shared.list());
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
