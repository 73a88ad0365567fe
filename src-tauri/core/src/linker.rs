//! The engine: one `Linker` per Kanka server and client. It owns the connection's store (store/:
//! keychain items, record, lock, an unsaved pair) and the status channel; the sign-in, refresh
//! and timer modules add its behaviour as flows over the store.

use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use oauth2::ClientSecret;
use serde::Serialize;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use url::Url;

use crate::authorize::PendingAuthorization;
use crate::clock::Clock;
use crate::config::Config;
use crate::error::{Error, ErrorInfo, Result};
use crate::files::Paths;
use crate::http::Http;
use crate::peers::Peers;
use crate::record::{Connection, Record};
use crate::status::{Activity, State, Status};
use crate::store::Store;

/// How long a notice stays in the status.
const NOTICE_TIME: Duration = Duration::from_secs(20);

/// A cheap handle; clones share one engine.
#[derive(Clone)]
pub struct Linker {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub config: Config,
    /// Its keychain scope (`client_id@kanka_url`, `#slot` for an added connection): unique.
    pub scope: String,
    /// The other connections of its `Connections`, once it joined them (peers.rs).
    pub peers: OnceLock<Arc<Peers>>,
    pub http: Http,
    pub clock: Arc<dyn Clock>,
    pub store: Store,
    pub activity: Mutex<Activity>,
    pub status: watch::Sender<Status>,
    /// Tells the refresh timer that the connection changed under it.
    pub changed: Notify,
    /// Counts sign-in attempts; the loopback listener and the expiry watch of an older attempt
    /// stop when it moves on.
    pub attempt: watch::Sender<u64>,
    /// Sign-in answers are handled one at a time.
    pub callback_gate: tokio::sync::Mutex<()>,
    /// The sign-in in progress as this process started it (the keychain holds it too): Kanka's
    /// answer is checked without a keychain read.
    pub pending: Mutex<Option<PendingAuthorization>>,
    /// Passing failures in a row, of the timer and of "Refresh now" alike: the backoff's count.
    pub failures: AtomicU32,
    /// A passing notice, and how many were shown (so an old one's timer clears only its own).
    pub notice: Mutex<(Option<ErrorInfo>, u64)>,
    /// The loopback listener of the sign-in in progress, if the redirect is a localhost one.
    pub loopback: Mutex<Option<JoinHandle<()>>>,
}

/// What disconnecting did, and what it cannot do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DisconnectNotice {
    pub message: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub settings_url: Url,
}

impl Linker {
    /// Reads only the record file: opening is cheap and touches neither keychain nor network.
    pub fn open(config: Config, paths: &Paths, clock: Arc<dyn Clock>) -> Linker {
        Self::open_slot(config, paths, clock, None)
    }

    /// A connection beside the settings' own (connections.rs): the same server and client may
    /// hold several accounts, each in a slot of its own (`client_id@kanka_url#slot`) with its own
    /// keychain items, record and lock. The client secret is the server and client's, shared.
    pub fn open_slot(config: Config, paths: &Paths, clock: Arc<dyn Clock>, slot: Option<&str>) -> Linker {
        let client_scope = config.scope();
        let scope = match slot {
            Some(slot) => format!("{client_scope}#{slot}"),
            None => client_scope.clone(),
        };
        let store = Store::open(&paths.data_dir, &scope, &client_scope, config.api_url.clone(), clock.clone());
        let peers = OnceLock::new();
        let status = Status::derive(&store.record(), Activity::Idle, clock.now());
        let linker = Linker {
            inner: Arc::new(Inner {
                http: Http::new(config.request_timeout),
                clock,
                store,
                activity: Mutex::default(),
                status: watch::channel(status).0,
                changed: Notify::new(),
                attempt: watch::channel(0).0,
                callback_gate: tokio::sync::Mutex::new(()),
                pending: Mutex::default(),
                failures: AtomicU32::new(0),
                notice: Mutex::default(),
                loopback: Mutex::default(),
                config,
                scope,
                peers,
            }),
        };
        // Every change of the record shows in the status. Weak: the store is part of the engine.
        let engine = Arc::downgrade(&linker.inner);
        linker.inner.store.on_change(Box::new(move || {
            if let Some(inner) = engine.upgrade() {
                Linker { inner }.publish();
            }
        }));
        // The status as `publish` derives it, tokens bound to another API included.
        linker.publish();
        linker
    }

    /// Joins the connections it is one of, so a sign-in can tell an account another holds.
    pub(crate) fn join(&self, peers: &Arc<Peers>) {
        let port = match self.inner.config.redirect {
            crate::config::Redirect::Loopback { port, .. } => Some(port),
            _ => None,
        };
        peers.join(&self.inner.scope, self.server(), port, self.subscribe());
        let _ = self.inner.peers.set(peers.clone());
    }

    pub(crate) fn leave(&self) {
        if let Some(peers) = self.inner.peers.get() {
            peers.leave(&self.inner.scope);
        }
    }

    /// Its Kanka address as connections are compared: without a trailing slash.
    pub(crate) fn server(&self) -> &str {
        self.inner.config.kanka_url.as_str().trim_end_matches('/')
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn status(&self) -> Status {
        self.inner.status.borrow().clone()
    }

    /// Every change of status, as it happens.
    pub fn subscribe(&self) -> watch::Receiver<Status> {
        self.inner.status.subscribe()
    }

    /// Reads the record again, for a process that wants what another one wrote.
    pub fn reload(&self) -> Status {
        self.inner.store.reload();
        self.status()
    }

    /// Keeps the client secret in the keychain, for when it is not in the environment.
    pub async fn save_client_secret(&self, secret: ClientSecret) -> Result<()> {
        self.inner.store.save_client_secret(secret).await
    }

    /// Whether the keychain holds a client secret for this server and client.
    pub async fn client_secret_saved(&self) -> Result<bool> {
        Ok(self.inner.store.client_secret().await?.is_some())
    }

    /// For a process about to exit (the command line): a pair only this process holds is saved,
    /// trying `attempts` times; if the keychain still refuses, the connection is marked lost with
    /// the reason, and that is the error (store/keep.rs).
    pub async fn settle(&self, attempts: u32, pause: Duration) -> Result<()> {
        self.inner.store.settle(attempts, pause).await
    }

    /// Forgets the connection: every keychain entry of the account and its record. Kanka has
    /// no revocation endpoint, so the notice says where the user can revoke the app.
    pub async fn disconnect(&self) -> Result<DisconnectNotice> {
        self.inner.store.forget().await?;
        *self.inner.pending.lock().unwrap() = None;
        *self.inner.activity.lock().unwrap() = Activity::Idle;
        self.inner.attempt.send_modify(|n| *n += 1);
        self.inner.changed.notify_one();
        self.publish();
        let settings_url = self.inner.config.apps_settings_url();
        Ok(DisconnectNotice {
            message: format!(
                "Disconnected: Kanka Link has forgotten its tokens. Kanka has no way for an app to revoke its own \
                 access; to revoke it, remove Kanka Link under authorised applications at {settings_url}"
            ),
            settings_url,
        })
    }

    pub(crate) fn record(&self) -> Record {
        self.inner.store.record()
    }

    /// Shows an error in the status and keeps it in the record; the connection itself is not
    /// touched. When even the record cannot be written, the error still reaches the status.
    pub(crate) async fn report(&self, error: &Error) {
        // Not a failure: the status already says so, and a record that said it would show an
        // error where there is only nothing to do.
        if matches!(error, Error::NotConnected) {
            return;
        }
        let info = error.info();
        if self.inner.store.update(|r| r.last_error = Some(info.clone())).await.is_err() {
            self.inner.store.show_error(info);
        }
    }

    pub(crate) fn set_activity(&self, activity: Activity) {
        *self.inner.activity.lock().unwrap() = activity;
        self.publish();
    }

    /// Shows news that changes nothing (a link that answered no sign-in) for a short while,
    /// without touching the record and the error it may show.
    pub(crate) fn note(&self, news: &Error) {
        let shown = {
            let mut notice = self.inner.notice.lock().unwrap();
            *notice = (Some(news.info()), notice.1 + 1);
            notice.1
        };
        self.publish();
        let linker = self.clone();
        tokio::spawn(async move {
            linker.inner.clock.sleep(NOTICE_TIME).await;
            let mut notice = linker.inner.notice.lock().unwrap();
            if notice.1 == shown {
                notice.0 = None;
                drop(notice);
                linker.publish();
            }
        });
    }

    /// Tokens are sent only to the API they were issued for: a changed API address needs a new
    /// sign-in. (A changed Kanka address is another connection altogether: `Config::scope`.)
    pub(crate) fn bound_elsewhere(&self, connection: &Connection) -> Option<Error> {
        let bound = connection.api_url.as_ref()?;
        let configured = &self.inner.config.api_url;
        let same = |url: &Url| url.as_str().trim_end_matches('/').to_owned();
        if same(bound) == same(configured) {
            return None;
        }
        let reason = format!(
            "These tokens were issued for the Kanka API at {}, and the API address is now {}; Kanka Link \
             sends a token only to the server it was issued for.",
            same(bound),
            same(configured)
        );
        Some(Error::ReconnectNeeded { account: connection.account.as_ref().map(|a| a.name.clone()), reason })
    }

    /// What a change of settings to `next` means for this connection, said plainly: tokens are
    /// used only with the server pair they were issued for, so another Kanka or API address (or
    /// another client) needs a sign-in of its own. `None` when nothing changes for it.
    pub fn moving_to(&self, next: &Config) -> Option<String> {
        let connection = self.record().connection?;
        let config = &self.inner.config;
        let address = |url: &Url| url.as_str().trim_end_matches('/').to_owned();
        if next.scope() != config.scope() {
            return Some(format!(
                "Kanka Link signs in to {} as client {} separately: its tokens are used only with the server \
                 and client they were issued for. The sign-in to {} (client {}) stays stored for when you switch \
                 back.",
                address(&next.kanka_url),
                next.client_id.as_str(),
                address(&config.kanka_url),
                config.client_id.as_str()
            ));
        }
        let bound = connection.api_url.unwrap_or_else(|| config.api_url.clone());
        (address(&bound) != address(&next.api_url)).then(|| {
            format!(
                "The tokens were issued for the Kanka API at {}, and Kanka Link sends them nowhere else: the API at \
                 {} needs a new sign-in (Connect to Kanka). Switching back to {} keeps the connection.",
                address(&bound),
                address(&next.api_url),
                address(&bound)
            )
        })
    }

    /// A connection from before tokens were bound to their API is bound to the one in use.
    pub(crate) async fn bind_to_api(&self) -> Result<()> {
        let api_url = self.inner.config.api_url.clone();
        self.inner
            .store
            .update(|r| {
                if let Some(connection) = r.connection.as_mut().filter(|c| c.api_url.is_none()) {
                    connection.api_url = Some(api_url);
                }
            })
            .await?;
        Ok(())
    }

    pub(crate) fn publish(&self) {
        let record = self.record();
        let activity = *self.inner.activity.lock().unwrap();
        let mut status = Status::derive(&record, activity, self.inner.clock.now());
        if let Some(ended) = record.connection.as_ref().and_then(|c| self.bound_elsewhere(c))
            && status.state != State::Connecting
        {
            status.state = State::ReconnectNeeded;
            status.next_refresh_at = None;
            status.last_error = Some(ended.info());
        }
        status.notice = self.inner.notice.lock().unwrap().0.clone();
        self.inner.status.send_if_modified(|current| {
            let changed = *current != status;
            *current = status;
            changed
        });
    }

    /// From the environment or the build, else from the keychain.
    pub(crate) async fn client_secret(&self) -> Result<ClientSecret> {
        if let Some(secret) = &self.inner.config.client_secret {
            return Ok(secret.clone());
        }
        match self.inner.store.client_secret().await? {
            Some(secret) => Ok(secret),
            None => Err(Error::MissingClientSecret { client_id: self.inner.config.client_id.to_string() }),
        }
    }
}
