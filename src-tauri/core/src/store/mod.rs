//! One connection's storage: its keychain items, its status record (the file and this process's
//! copy), the lock that serialises changes across processes, and a pair the keychain has not
//! taken yet (keep.rs). The flows (sign-in, refresh, the timer) work through the operations here
//! and never touch a file or a keychain item themselves; this module knows nothing of them.
//!
//! Every change of the record reaches the status through one hook the engine sets
//! ([`Store::on_change`]), so no flow can change the record and forget to show it.

mod keep;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use oauth2::{AccessToken, ClientSecret, RefreshToken};
use sha2::{Digest, Sha256};
use url::Url;

use crate::clock::Clock;
use crate::error::{Error, ErrorInfo, Result};
use crate::keychain::{Item, Keychain};
use crate::lock::{ConnectionLock, LockGuard};
use crate::record::{Connection, Record, RecordFile};

pub(crate) use keep::Saved;
use keep::{HeldMark, Unsaved};

/// The storage of one connection: a Kanka server and client (`client_id@kanka_url`), and for a
/// connection added beside the settings' own a slot of its own (`client_id@kanka_url#2`).
pub(crate) struct Store {
    /// The tokens and the sign-in in progress, under the connection's scope.
    keychain: Keychain,
    /// The client secret, under the server and client's scope: every connection through one
    /// client shares it. The same keychain as `keychain` for the settings' connection.
    client_keychain: Keychain,
    record_file: RecordFile,
    lock: ConnectionLock,
    /// The record as last read or written by this process.
    record: Mutex<Record>,
    /// A pair the server issued that the keychain did not take yet (keep.rs). Used, and saved
    /// again, until the keychain accepts it, because the server has already revoked the pair
    /// before it.
    unsaved: Mutex<Option<Unsaved>>,
    /// Locked while this process holds an unsaved pair, so other processes know (keep.rs).
    held_mark: PathBuf,
    clock: Arc<dyn Clock>,
    /// The API new tokens are bound to (the record says so with each pair).
    api_url: Url,
    on_change: OnceLock<Box<dyn Fn() + Send + Sync>>,
}

impl Store {
    /// Reads only the record file: opening touches neither keychain nor network. A damaged file
    /// shows as the record's error, and the first write replaces it.
    pub fn open(data_dir: &Path, scope: &str, client_scope: &str, api_url: Url, clock: Arc<dyn Clock>) -> Store {
        let id: String = Sha256::digest(scope.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect();
        let record_file = RecordFile::new(data_dir.join(format!("connection-{id}.json")));
        let record = record_file.load().unwrap_or_else(|e| Record { last_error: Some(e.info()), ..Record::default() });
        let keychain = Keychain::new(scope);
        let client_keychain = if client_scope == scope { keychain.clone() } else { Keychain::new(client_scope) };
        Store {
            keychain,
            client_keychain,
            lock: ConnectionLock::new(data_dir.join(format!("connection-{id}.lock"))),
            record_file,
            record: Mutex::new(record),
            unsaved: Mutex::default(),
            held_mark: HeldMark::path(data_dir, &id),
            clock,
            api_url,
            on_change: OnceLock::new(),
        }
    }

    /// What runs after each change of the record or of the unsaved pair (the engine publishes
    /// its status). Set once.
    pub fn on_change(&self, hook: Box<dyn Fn() + Send + Sync>) {
        let _ = self.on_change.set(hook);
    }

    fn changed(&self) {
        if let Some(hook) = self.on_change.get() {
            hook();
        }
    }

    /// One change at a time, across tasks and processes.
    pub async fn lock(&self) -> Result<LockGuard<'_>> {
        self.lock.acquire().await
    }

    pub fn record(&self) -> Record {
        self.record.lock().unwrap().clone()
    }

    /// The file as another process may have left it; this process's copy when it cannot be read.
    pub fn latest(&self) -> Record {
        self.record_file.load().unwrap_or_else(|_| self.record())
    }

    /// Reads the file again, for a process that wants what another one wrote. A damaged file
    /// shows as the record's error.
    pub fn reload(&self) {
        match self.record_file.load() {
            Ok(record) => *self.record.lock().unwrap() = record,
            Err(e) => self.record.lock().unwrap().last_error = Some(e.info()),
        }
        self.changed();
    }

    /// Reads the file again under the lock; a damaged file is the error.
    pub fn reload_locked(&self, _guard: &LockGuard<'_>) -> Result<Record> {
        let record = self.record_file.load()?;
        *self.record.lock().unwrap() = record.clone();
        self.changed();
        Ok(record)
    }

    /// Reads, changes and writes the record under the connection lock.
    pub async fn update(&self, change: impl FnOnce(&mut Record)) -> Result<Record> {
        let guard = self.lock().await?;
        self.update_locked(&guard, change)
    }

    pub fn update_locked(&self, guard: &LockGuard<'_>, change: impl FnOnce(&mut Record)) -> Result<Record> {
        // Another process may have written since; a damaged file yields to what we know.
        let mut record = self.latest();
        change(&mut record);
        // The persisted status changes here, in whichever process: a state that needs the user
        // is announced, and remembered in the same write.
        crate::notify::follow(&mut record, self.clock.now());
        self.record_file.save(guard, &record)?;
        *self.record.lock().unwrap() = record.clone();
        self.changed();
        Ok(record)
    }

    /// An error that could not be written to the record still shows, in this process.
    pub fn show_error(&self, info: ErrorInfo) {
        self.record.lock().unwrap().last_error = Some(info);
        self.changed();
    }

    /// The refresh token in the keychain.
    pub async fn refresh_token(&self) -> Result<Option<RefreshToken>> {
        Ok(self.keychain.read(Item::RefreshToken).await?.map(RefreshToken::new))
    }

    /// The access token in use: one the keychain has not taken yet, else the keychain's.
    pub async fn access_token(&self) -> Result<Option<AccessToken>> {
        if let Some(unsaved) = self.unsaved.lock().unwrap().as_ref() {
            return Ok(Some(unsaved.grant.access_token.clone()));
        }
        Ok(self.keychain.read(Item::AccessToken).await?.map(AccessToken::new))
    }

    /// The sign-in in progress as the keychain keeps it (`PendingAuthorization::to_keychain`).
    pub async fn pending_sign_in(&self) -> Result<Option<String>> {
        self.keychain.read(Item::PendingAuthorization).await
    }

    pub async fn save_pending_sign_in(&self, text: String) -> Result<()> {
        self.keychain.write(Item::PendingAuthorization, text).await
    }

    pub async fn forget_pending_sign_in(&self) -> Result<()> {
        self.keychain.delete(Item::PendingAuthorization).await
    }

    pub async fn client_secret(&self) -> Result<Option<ClientSecret>> {
        Ok(self.client_keychain.read(Item::ClientSecret).await?.map(ClientSecret::new))
    }

    pub async fn save_client_secret(&self, secret: ClientSecret) -> Result<()> {
        self.client_keychain.write(Item::ClientSecret, secret.into_secret()).await
    }

    /// The connection cannot work without the user any more: the record says so, and who it was
    /// stays on show. Returns the error that says why (or the one that kept the record from
    /// saying it).
    pub fn end_connection_locked(&self, guard: &LockGuard<'_>, cause: &str) -> Error {
        let Some(connection) = self.record().connection else {
            return Error::NotConnected;
        };
        let ended = reconnect_error(&connection, cause);
        tracing::warn!("connection ended: {cause}");
        let info = ended.info();
        let saved = self.update_locked(guard, |r| {
            if let Some(connection) = r.connection.as_mut() {
                connection.reconnect_needed = true;
            }
            r.refresh_sent = None;
            r.last_error = Some(info);
        });
        match saved {
            Ok(_) => ended,
            Err(e) => e,
        }
    }

    pub async fn end_connection(&self, cause: &Error) -> Error {
        match self.lock().await {
            Ok(guard) => self.end_connection_locked(&guard, &cause.to_string()),
            Err(e) => e,
        }
    }

    /// Forgets the connection: the tokens, a sign-in in progress, an unsaved pair and the record.
    /// The client secret stays, for the next sign-in.
    pub async fn forget(&self) -> Result<()> {
        let guard = self.lock().await?;
        for item in [Item::PendingAuthorization, Item::AccessToken, Item::RefreshToken] {
            self.keychain.delete(item).await?;
        }
        *self.unsaved.lock().unwrap() = None;
        self.record_file.remove(&guard)?;
        *self.record.lock().unwrap() = Record::default();
        self.changed();
        Ok(())
    }
}

/// The error of a connection that needs a new sign-in, naming whose it was.
pub(crate) fn reconnect_error(connection: &Connection, reason: &str) -> Error {
    Error::ReconnectNeeded { account: connection.account.as_ref().map(|a| a.name.clone()), reason: reason.to_owned() }
}
