//! Refreshing, and keeping a new pair. Kanka rotates refresh tokens: once it answers, the old
//! pair is revoked, so the new refresh token is written to the keychain first and nothing else
//! happens in between. One refresh at a time across processes: under the connection lock, after
//! reading the keychain again, because another process may have refreshed already.

use std::time::Instant;

use chrono::{DateTime, Utc};
use oauth2::{AccessToken, RefreshToken};

use crate::api::Account;
use crate::connect::millis;
use crate::error::{Error, Result};
use crate::keychain::Item;
use crate::linker::Linker;
use crate::lock::LockGuard;
use crate::record::{ClosedAttempt, Connection, fingerprint, lifetime_end};
use crate::status::{Activity, Status};
use crate::token_endpoint::{self, TokenGrant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// Only if the pair is due (or the record and keychain disagree after a crash).
    Due,
    /// Unless another process has refreshed since this one last looked.
    Now,
}

impl Linker {
    /// "Refresh now": a new pair at once.
    pub async fn refresh_now(&self) -> Result<Status> {
        let result = self.refresh(Reason::Now).await;
        if let Err(e) = &result {
            self.report(e).await;
        }
        self.inner.changed.notify_one();
        result.map(|()| self.status())
    }

    /// A valid access token for another program (`kanka-link token`), refreshed first when due.
    /// When a due refresh fails for a passing reason, the current token serves until it expires.
    pub async fn access_token(&self) -> Result<AccessToken> {
        if let Some(grant) = self.inner.unsaved.lock().unwrap().as_ref() {
            return Ok(grant.access_token.clone());
        }
        match self.refresh(Reason::Due).await {
            Ok(()) => {}
            Err(e) if e.is_transient() && self.still_valid() => {
                tracing::warn!("refresh failed, the current token is still valid: {e}");
                self.report(&e).await;
            }
            Err(e) => return Err(e),
        }
        self.current_access_token().await
    }

    fn still_valid(&self) -> bool {
        let now = self.inner.clock.now();
        self.record().connection.is_some_and(|c| !c.reconnect_needed && c.expires_at > now)
    }

    pub(crate) async fn refresh(&self, reason: Reason) -> Result<()> {
        let believed = self.record().connection.map(|c| c.fingerprint);
        let guard = self.inner.lock.acquire().await?;
        let record = self.inner.record_file.load()?;
        *self.inner.record.lock().unwrap() = record.clone();
        self.publish();
        let Some(connection) = record.connection else {
            return Err(Error::NotConnected);
        };
        if connection.reconnect_needed {
            return Err(reconnect_error(&connection, "Kanka Link stopped refreshing after Kanka refused it."));
        }
        let Some(stored) = self.inner.keychain.read(Item::RefreshToken).await? else {
            let cause = "The tokens are no longer in the keychain.";
            return Err(self.end_connection_locked(&guard, cause));
        };
        let stored = RefreshToken::new(stored);
        // Out of step after a crash between the keychain write and the record write.
        let in_step = connection.describes(&stored);
        // A refresh with this very token was sent and its answer never kept (a crash, a timeout):
        // Kanka may have rotated already, so only trying again tells.
        let interrupted = record.refresh_sent.as_ref() == Some(&fingerprint(&stored));
        let needed = match reason {
            Reason::Due => !in_step || interrupted || self.inner.clock.now() >= connection.refresh_at(),
            Reason::Now => !in_step || interrupted || believed.as_deref() == Some(connection.fingerprint.as_str()),
        };
        if !needed {
            return Ok(());
        }
        let secret = self.client_secret().await?;
        self.update_record_locked(&guard, |r| r.refresh_sent = Some(fingerprint(&stored)))?;
        self.set_activity(Activity::Refreshing);
        let now = self.inner.clock.now();
        let requested = Instant::now();
        let result = token_endpoint::refresh(&self.inner.http, &self.inner.config, &secret, &stored, now).await;
        let answered = Instant::now();
        self.set_activity(Activity::Idle);
        match result {
            Ok(grant) => {
                self.store_grant(&guard, &grant, connection.account, None).await?;
                tracing::info!(
                    "refreshed (token request {}, keychain and status file {}); next refresh at {}",
                    millis(answered - requested),
                    millis(answered.elapsed()),
                    self.status().next_refresh_at.map(|t| t.to_rfc3339()).unwrap_or_default()
                );
                Ok(())
            }
            Err(Error::InvalidGrant { .. }) if interrupted => Err(self.end_connection_locked(
                &guard,
                "An earlier refresh was cut off after Kanka had already renewed the tokens, so the renewed \
                 tokens never reached the keychain.",
            )),
            Err(e @ (Error::InvalidGrant { .. } | Error::InvalidClient)) => {
                Err(self.end_connection_locked(&guard, &e.to_string()))
            }
            // Refused before it was processed: nothing was rotated.
            Err(e @ (Error::InvalidRequest { .. } | Error::RateLimited { .. })) => {
                self.update_record_locked(&guard, |r| r.refresh_sent = None)?;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// Keeps a pair from the server: refresh token, then access token, then the record. Until the
    /// keychain has taken both, the pair stays in memory (the server already revoked the old one).
    pub(crate) async fn store_grant(
        &self,
        guard: &LockGuard<'_>,
        grant: &TokenGrant,
        account: Option<Account>,
        sign_in: Option<ClosedAttempt>,
    ) -> Result<()> {
        *self.inner.unsaved.lock().unwrap() = Some(grant.clone());
        let keychain = &self.inner.keychain;
        let written = async {
            keychain.write(Item::RefreshToken, grant.refresh_token.secret().clone()).await?;
            keychain.write(Item::AccessToken, grant.access_token.secret().clone()).await
        };
        written.await.map_err(|e| Error::TokensNotSaved { detail: e.to_string().trim_end_matches('.').to_owned() })?;
        *self.inner.unsaved.lock().unwrap() = None;
        let connection = Connection {
            account,
            refreshed_at: grant.obtained_at,
            expires_at: lifetime_end(grant.obtained_at, grant.lifetime),
            reconnect_needed: false,
            fingerprint: fingerprint(&grant.refresh_token),
        };
        self.update_record_locked(guard, |r| {
            r.connection = Some(connection);
            r.refresh_sent = None;
            r.last_error = None;
            if sign_in.is_some() {
                r.end_wait(sign_in);
            }
        })?;
        Ok(())
    }

    /// Tries again to keep a pair the keychain refused earlier.
    pub(crate) async fn save_unsaved(&self) -> Result<()> {
        let Some(grant) = self.inner.unsaved.lock().unwrap().clone() else {
            return Ok(());
        };
        let guard = self.inner.lock.acquire().await?;
        self.store_grant(&guard, &grant, self.account(), None).await
    }

    pub(crate) fn has_unsaved(&self) -> bool {
        self.inner.unsaved.lock().unwrap().is_some()
    }

    /// The connection cannot work without the user any more. Who it was stays on show.
    pub(crate) async fn end_connection(&self, cause: &Error) -> Error {
        match self.inner.lock.acquire().await {
            Ok(guard) => self.end_connection_locked(&guard, &cause.to_string()),
            Err(e) => e,
        }
    }

    fn end_connection_locked(&self, guard: &LockGuard<'_>, cause: &str) -> Error {
        let Some(connection) = self.record().connection else {
            return Error::NotConnected;
        };
        let ended = reconnect_error(&connection, cause);
        tracing::warn!("connection ended: {cause}");
        let info = ended.info();
        let saved = self.update_record_locked(guard, |r| {
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

    pub(crate) fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.record().connection.map(|c| c.expires_at)
    }
}

fn reconnect_error(connection: &Connection, reason: &str) -> Error {
    Error::ReconnectNeeded { account: connection.account.as_ref().map(|a| a.name.clone()), reason: reason.to_owned() }
}
