//! The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager) through the
//! keyring crates. Secrets live here and in memory only: when the keychain is missing or locked
//! we say so, and never fall back to a file or to memory alone.
//!
//! We link keyring-core and the platform stores directly, as keyring 4 advises for applications:
//! its all-in-one `Entry` creates the store once per process, so a keychain that comes up after
//! Kanka Link started would never be seen. Here a failed store is created again on the next call.
//! On Linux the store is our own (platform_impl/secret_service.rs, for the speed of its session).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use keyring_core::{CredentialStore, Entry};

use crate::error::{Error, Result};

/// The `service` attribute of every item (`secret-tool search --all service kanka-link`).
pub const SERVICE: &str = "kanka-link";

/// What we store, each in its own entry: Windows caps one secret at 2,560 bytes, and an access
/// and a refresh token together come close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    AccessToken,
    RefreshToken,
    PendingAuthorization,
    ClientSecret,
}

impl Item {
    fn name(self) -> &'static str {
        match self {
            Self::AccessToken => "access-token",
            Self::RefreshToken => "refresh-token",
            Self::PendingAuthorization => "pending-authorization",
            Self::ClientSecret => "client-secret",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::AccessToken => "Kanka Link access token",
            Self::RefreshToken => "Kanka Link refresh token",
            Self::PendingAuthorization => "Kanka Link sign-in in progress",
            Self::ClientSecret => "Kanka Link client secret",
        }
    }
}

/// The keychain entries of one Kanka server and client (`scope` = `client_id@kanka_url`).
#[derive(Clone)]
pub struct Keychain {
    scope: Arc<str>,
    store: Arc<Mutex<Option<Arc<CredentialStore>>>>,
}

impl Keychain {
    pub fn new(scope: &str) -> Keychain {
        Keychain { scope: scope.into(), store: Arc::default() }
    }

    /// The `username` attribute of an item, e.g. `refresh-token:7@https://app.kanka.io`.
    pub fn user(&self, item: Item) -> String {
        format!("{}:{}", item.name(), self.scope)
    }

    /// Blocking: the platform APIs are synchronous. Async callers use [`Keychain::read`].
    pub fn read_blocking(&self, item: Item) -> Result<Option<String>> {
        self.with_entry(item, |entry| match entry.get_password() {
            Ok(value) => Ok(Some(value)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(e),
        })
    }

    pub fn write_blocking(&self, item: Item, value: &str) -> Result<()> {
        self.with_entry(item, |entry| entry.set_password(value))
    }

    pub fn delete_blocking(&self, item: Item) -> Result<()> {
        self.with_entry(item, |entry| match entry.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(e),
        })
    }

    /// Runs `operation` on the item's entry. A connection that broke since it was made (the
    /// keyring daemon restarted) is made again and the operation tried once more.
    fn with_entry<T>(&self, item: Item, operation: impl Fn(&Entry) -> keyring_core::Result<T>) -> Result<T> {
        let reused = self.store.lock().expect("keychain store lock").is_some();
        match operation(&self.entry(item)?).map_err(|e| self.failed(e)) {
            Err(Error::KeychainUnavailable { .. }) if reused => {
                operation(&self.entry(item)?).map_err(|e| self.failed(e))
            }
            result => result,
        }
    }

    pub async fn read(&self, item: Item) -> Result<Option<String>> {
        let keychain = self.clone();
        blocking(move || keychain.read_blocking(item)).await
    }

    pub async fn write(&self, item: Item, value: String) -> Result<()> {
        let keychain = self.clone();
        blocking(move || keychain.write_blocking(item, &value)).await
    }

    pub async fn delete(&self, item: Item) -> Result<()> {
        let keychain = self.clone();
        blocking(move || keychain.delete_blocking(item)).await
    }

    fn entry(&self, item: Item) -> Result<Entry> {
        let store = self.store()?;
        let modifiers = HashMap::from([("label", item.label())]);
        store.build(SERVICE, &self.user(item), Some(&modifiers)).map_err(|e| self.failed(e))
    }

    fn store(&self) -> Result<Arc<CredentialStore>> {
        let mut slot = self.store.lock().expect("keychain store lock");
        if let Some(store) = slot.as_ref() {
            return Ok(store.clone());
        }
        let store = platform_store().map_err(|e| Error::KeychainUnavailable { detail: describe(&e) })?;
        *slot = Some(store.clone());
        Ok(store)
    }

    /// Maps a keyring error to ours; a broken connection is dropped so the next call reconnects.
    fn failed(&self, error: keyring_core::Error) -> Error {
        use keyring_core::Error as K;
        let detail = describe(&error);
        match error {
            K::NoStorageAccess(_) => Error::KeychainLocked { detail },
            K::PlatformFailure(_) | K::NoDefaultStore => {
                *self.store.lock().expect("keychain store lock") = None;
                Error::KeychainUnavailable { detail }
            }
            _ => Error::Keychain { detail },
        }
    }
}

async fn blocking<T: Send + 'static>(job: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(job)
        .await
        .unwrap_or_else(|e| Err(Error::Keychain { detail: format!("the keychain call stopped: {e}") }))
}

/// The innermost cause: the platform's own words ("prompt dismissed", "no such bus").
fn describe(error: &keyring_core::Error) -> String {
    let mut source: &dyn std::error::Error = error;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}

#[cfg(all(unix, not(any(target_os = "macos", target_os = "ios", target_os = "android"))))]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(crate::platform_impl::secret_service::Store::new()?)
}

#[cfg(target_os = "macos")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(target_os = "windows")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new()?)
}
