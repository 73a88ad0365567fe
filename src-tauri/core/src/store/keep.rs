//! Keeping a pair Kanka issued. Kanka rotates: the moment it answers a refresh (or a code
//! exchange replaces a connection) the pair before is revoked, so until the keychain has taken
//! the new pair this process holds the only copy. Three rules follow, all under the connection
//! lock:
//! - a pair the keychain refused is saved again before anything else, and the token it replaced
//!   is never sent again (refresh.rs asks here first);
//! - it is written only over the pair it replaced (compared by fingerprint), never over a newer
//!   pair another process stored, nor into a keychain a disconnect emptied;
//! - while a process holds such a pair, a file lock (`connection-….held`) tells other processes
//!   that the pair in the keychain is already revoked; the OS drops the lock if the process dies.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::Duration;

use oauth2::RefreshToken;

use chrono::{DateTime, Utc};
use oauth2::AccessToken;

use super::Store;
use crate::api::Account;
use crate::error::{Error, Result};
use crate::keychain::Item;
use crate::lock::LockGuard;
use crate::record::{ClosedAttempt, Connection, fingerprint, lifetime_end};
use crate::token_endpoint::TokenGrant;

/// A pair the keychain has not taken yet, and where it belongs.
pub(crate) struct Unsaved {
    pub grant: TokenGrant,
    /// The fingerprint of the refresh token in the keychain that this pair replaces; `None`
    /// when the keychain held none (a first sign-in).
    pub replaces: Option<String>,
    pub account: Option<Account>,
    pub sign_in: Option<ClosedAttempt>,
    /// Held for as long as this process holds the pair.
    mark: Option<HeldMark>,
}

/// What another program is told about an unsaved pair: its own expiry and account (the record
/// still describes the pair it replaces).
pub(crate) struct UnsavedView {
    pub access_token: AccessToken,
    pub expires_at: DateTime<Utc>,
    pub account: Option<Account>,
}

/// What became of an unsaved pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Saved {
    /// There was none.
    Nothing,
    /// The keychain took it.
    Kept,
    /// The keychain holds another pair by now (another process refreshed or signed in, or a
    /// disconnect emptied it): ours would undo that, so it was dropped.
    Superseded,
}

impl Store {
    /// Keeps a pair from the server: refresh token, then access token, then the record. When the
    /// keychain refuses, the pair stays in memory, marked as held, and `TokensNotSaved` says so.
    /// `replaces` is the fingerprint of the refresh token the keychain held before.
    pub(crate) async fn store_grant(
        &self,
        guard: &LockGuard<'_>,
        grant: TokenGrant,
        replaces: Option<String>,
        account: Option<Account>,
        sign_in: Option<ClosedAttempt>,
    ) -> Result<()> {
        self.keep(guard, Unsaved { grant, replaces, account, sign_in, mark: None }).await
    }

    async fn keep(&self, guard: &LockGuard<'_>, mut pair: Unsaved) -> Result<()> {
        if let Err(e) = self.write_pair(&pair.grant).await {
            let detail = e.to_string().trim_end_matches('.').to_owned();
            tracing::warn!("the keychain did not take the new pair; kept in memory: {detail}");
            if pair.mark.is_none() {
                pair.mark = HeldMark::take(&self.held_mark);
            }
            *self.unsaved.lock().unwrap() = Some(pair);
            return Err(Error::TokensNotSaved { detail });
        }
        *self.unsaved.lock().unwrap() = None;
        // The mark goes with `pair`, once the record describes the saved pair.
        self.record_pair(guard, &pair.grant, pair.account, pair.sign_in)
    }

    /// Tries again to keep the pair the keychain refused earlier, over the pair it replaced only.
    /// Called under the connection lock before anything else that uses the connection.
    pub(crate) async fn save_unsaved_locked(&self, guard: &LockGuard<'_>) -> Result<Saved> {
        let Some((own, replaces)) = self.unsaved_fingerprints() else {
            return Ok(Saved::Nothing);
        };
        let current = self.keychain.read(Item::RefreshToken).await.map_err(not_saved)?;
        let current = current.map(|token| fingerprint(&RefreshToken::new(token)));
        // Our own refresh token already there: a write that stopped halfway, to be finished.
        if current != replaces && current.as_ref() != Some(&own) {
            tracing::warn!("a pair the keychain refused earlier was dropped: the keychain holds another one by now");
            *self.unsaved.lock().unwrap() = None;
            return Ok(Saved::Superseded);
        }
        let Some(pair) = self.unsaved.lock().unwrap().take() else {
            return Ok(Saved::Nothing);
        };
        self.keep(guard, pair).await?;
        tracing::info!("a pair the keychain refused earlier is saved now");
        Ok(Saved::Kept)
    }

    /// Tries again to keep a refused pair, taking the connection lock.
    pub(crate) async fn save_unsaved(&self) -> Result<Saved> {
        if !self.has_unsaved() {
            return Ok(Saved::Nothing);
        }
        let guard = self.lock().await?;
        self.save_unsaved_locked(&guard).await
    }

    pub(crate) fn has_unsaved(&self) -> bool {
        self.unsaved.lock().unwrap().is_some()
    }

    /// The unsaved pair, if any, as another program may use it.
    pub(crate) fn unsaved_view(&self) -> Option<UnsavedView> {
        self.unsaved.lock().unwrap().as_ref().map(|unsaved| UnsavedView {
            access_token: unsaved.grant.access_token.clone(),
            expires_at: lifetime_end(unsaved.grant.obtained_at, unsaved.grant.lifetime),
            account: unsaved.account.clone(),
        })
    }

    /// For a process about to exit (the command line): a pair only this process holds is saved,
    /// trying `attempts` times; if the keychain still refuses, the connection is marked lost with
    /// the reason, and that is the error. A process must never end quietly holding the only copy.
    pub async fn settle(&self, attempts: u32, pause: Duration) -> Result<()> {
        let mut last = None;
        for attempt in 0..attempts {
            // Saved (even if the record then failed: the keychain is right, and is read first).
            if !self.has_unsaved() {
                return Ok(());
            }
            if attempt > 0 {
                self.clock.sleep(pause).await;
            }
            if let Err(e) = self.save_unsaved().await {
                last = Some(e);
            }
        }
        let Some(error) = last.filter(|_| self.has_unsaved()) else { return Ok(()) };
        let guard = self.lock().await?;
        *self.unsaved.lock().unwrap() = None;
        let cause = format!(
            "Kanka renewed the tokens, but the keychain did not take them ({}), so the renewed tokens were \
             lost when this command ended and the ones before no longer work.",
            error.to_string().trim_end_matches('.')
        );
        Err(self.end_connection_locked(&guard, &cause))
    }

    /// Whether another process holds a pair it could not save: then the one in the keychain is
    /// already revoked at Kanka, and sending it would end the connection.
    pub(crate) fn held_elsewhere(&self) -> bool {
        !self.has_unsaved() && HeldMark::held(&self.held_mark)
    }

    fn unsaved_fingerprints(&self) -> Option<(String, Option<String>)> {
        let unsaved = self.unsaved.lock().unwrap();
        unsaved.as_ref().map(|u| (fingerprint(&u.grant.refresh_token), u.replaces.clone()))
    }

    async fn write_pair(&self, grant: &TokenGrant) -> Result<()> {
        let keychain = &self.keychain;
        keychain.write(Item::RefreshToken, grant.refresh_token.secret().clone()).await?;
        keychain.write(Item::AccessToken, grant.access_token.secret().clone()).await
    }

    /// The record follows the keychain: it describes the pair just saved.
    fn record_pair(
        &self,
        guard: &LockGuard<'_>,
        grant: &TokenGrant,
        account: Option<Account>,
        sign_in: Option<ClosedAttempt>,
    ) -> Result<()> {
        let connection = Connection {
            account,
            refreshed_at: grant.obtained_at,
            expires_at: lifetime_end(grant.obtained_at, grant.lifetime),
            reconnect_needed: false,
            fingerprint: fingerprint(&grant.refresh_token),
            api_url: Some(self.api_url.clone()),
        };
        self.update_locked(guard, |r| {
            r.connection = Some(connection);
            r.refresh_sent = None;
            r.last_error = None;
            if sign_in.is_some() {
                r.end_wait(sign_in);
            }
        })?;
        Ok(())
    }
}

fn not_saved(error: Error) -> Error {
    Error::TokensNotSaved { detail: error.to_string().trim_end_matches('.').to_owned() }
}

/// An exclusive lock on `connection-….held` while this process holds a pair it could not save.
pub(crate) struct HeldMark {
    _file: File,
}

impl HeldMark {
    pub fn path(data_dir: &Path, id: &str) -> PathBuf {
        data_dir.join(format!("connection-{id}.held"))
    }

    /// Best effort: without the mark other processes fall back on the `refresh_sent` mark.
    /// Taken and probed only under the connection lock, so it never waits.
    fn take(path: &Path) -> Option<HeldMark> {
        let taken = open(path).map_err(TryLockError::Error).and_then(|file| file.try_lock().map(|()| file));
        match taken {
            Ok(file) => Some(HeldMark { _file: file }),
            Err(e) => {
                tracing::warn!("could not mark the unsaved pair as held: {e}");
                None
            }
        }
    }

    /// Someone holds the mark. A shared probe, so two probes never see each other.
    fn held(path: &Path) -> bool {
        if !path.exists() {
            return false;
        }
        match open(path).map(|file| file.try_lock_shared()) {
            Ok(Err(TryLockError::WouldBlock)) => true,
            Ok(_) | Err(_) => false,
        }
    }
}

fn open(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).truncate(false).write(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mark_is_seen_by_another_open_file_and_goes_with_its_holder() {
        let dir = crate::files::tests::temp_dir("held");
        let path = HeldMark::path(&dir, "x");
        assert!(!HeldMark::held(&path), "no mark before anyone holds one");
        let mark = HeldMark::take(&path).expect("the mark is taken");
        // Another open file description behaves like another process.
        assert!(HeldMark::held(&path));
        drop(mark);
        assert!(!HeldMark::held(&path));
    }
}
