//! Refreshing. Kanka rotates refresh tokens: once it answers, the old pair is revoked, so the new
//! pair goes to the keychain first and nothing else happens in between (store/keep.rs). One refresh at
//! a time across processes: under the connection lock, after reading the keychain again, because
//! another process may have refreshed already.

use std::time::Instant;

use chrono::{DateTime, Utc};
use oauth2::AccessToken;

use crate::clock::millis;
use crate::error::{Error, Result};
use crate::linker::Linker;
use crate::record::fingerprint;
use crate::status::{Activity, Status};
use crate::store::{Saved, reconnect_error};
use crate::token_endpoint;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// Only if the pair is due (or the record and keychain disagree after a crash).
    Due,
    /// Unless another process has refreshed since this one last looked.
    Now,
}

impl Linker {
    /// "Refresh now": a new pair at once. Passing trouble is tried again with the timer's
    /// backoff, and the status says when.
    pub async fn refresh_now(&self) -> Result<Status> {
        // Tokens bound to another API are left alone, and so is the record they share.
        if let Some(ended) = self.record().connection.and_then(|c| self.bound_elsewhere(&c)) {
            return Err(ended);
        }
        let result = self.refresh(Reason::Now).await;
        match &result {
            Ok(()) => self.recovered().await,
            Err(e) if e.is_transient() => self.schedule_retry(e).await,
            Err(e) => self.report(e).await,
        }
        self.inner.changed.notify_one();
        result.map(|()| self.status())
    }

    /// A valid access token for another program (`kanka-link token`), refreshed first when due.
    /// When a due refresh fails for a passing reason, the current token serves until it expires.
    pub async fn access_token(&self) -> Result<AccessToken> {
        match self.refresh(Reason::Due).await {
            Ok(()) => {}
            // Not when another process holds the renewed pair: the keychain's is revoked then.
            Err(e) if e.is_transient() && !matches!(e, Error::TokensHeldElsewhere) && self.still_valid() => {
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
        let guard = self.inner.store.lock().await?;
        // A pair the keychain refused earlier comes first: the token it replaced is revoked, so
        // it is never sent again. Just saved, the pair is as fresh as a refresh would make it.
        match self.inner.store.save_unsaved_locked(&guard).await? {
            Saved::Kept => return Ok(()),
            Saved::Nothing | Saved::Superseded => {}
        }
        let record = self.inner.store.reload_locked(&guard)?;
        let Some(connection) = record.connection else {
            return Err(Error::NotConnected);
        };
        if connection.reconnect_needed {
            return Err(reconnect_error(&connection, "Kanka Link stopped refreshing after Kanka refused it."));
        }
        if let Some(ended) = self.bound_elsewhere(&connection) {
            return Err(ended);
        }
        if self.inner.store.held_elsewhere() {
            return Err(Error::TokensHeldElsewhere);
        }
        let Some(stored) = self.inner.store.refresh_token().await? else {
            let cause = "The tokens are no longer in the keychain.";
            return Err(self.inner.store.end_connection_locked(&guard, cause));
        };
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
        let sent = fingerprint(&stored);
        self.inner.store.update_locked(&guard, |r| r.refresh_sent = Some(sent.clone()))?;
        self.set_activity(Activity::Refreshing);
        let now = self.inner.clock.now();
        let requested = Instant::now();
        let result = token_endpoint::refresh(&self.inner.http, &self.inner.config, &secret, &stored, now).await;
        let answered = Instant::now();
        self.set_activity(Activity::Idle);
        match result {
            Ok(grant) => {
                self.inner.store.store_grant(&guard, grant, Some(sent), connection.account, None).await?;
                tracing::info!(
                    "refreshed (token request {}, keychain and status file {}); next refresh at {}",
                    millis(answered - requested),
                    millis(answered.elapsed()),
                    self.status().next_refresh_at.map(|t| t.to_rfc3339()).unwrap_or_default()
                );
                Ok(())
            }
            Err(Error::InvalidGrant { .. }) if interrupted => Err(self.inner.store.end_connection_locked(
                &guard,
                "An earlier refresh was cut off after Kanka had already renewed the tokens, so the renewed \
                 tokens never reached the keychain.",
            )),
            Err(e @ Error::InvalidGrant { .. }) => Err(self.inner.store.end_connection_locked(&guard, &e.to_string())),
            // Refused before it was processed: nothing was rotated. league/oauth2-server 9
            // (`RefreshTokenGrant::respondToAccessTokenRequest`) authenticates the client
            // (`validateClient`) before it reads the refresh token, so `invalid_client` means the
            // token was not even looked at: the connection stays, the settings need fixing.
            Err(e @ (Error::InvalidClient | Error::InvalidRequest { .. } | Error::RateLimited { .. })) => {
                self.inner.store.update_locked(&guard, |r| r.refresh_sent = None)?;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    pub(crate) fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.record().connection.map(|c| c.expires_at)
    }
}
