//! Who a connection is: asking Kanka's `GET /profile` for the account a token belongs to, and
//! the access token such a request (and `kanka-link token`) uses. Split from the sign-in
//! (connect.rs) because the timer asks too, when a sign-in could not learn the account at once.
//! A sign-in that lands on an account another connection holds is not kept (peers.rs).

use oauth2::AccessToken;

use crate::api::{self, Account};
use crate::error::{Error, Result};
use crate::linker::Linker;
use crate::refresh::Reason;

impl Linker {
    /// Asks Kanka who the token belongs to and remembers it. A rejected token is refreshed once
    /// and tried again; rejected again, the connection needs the user. Anything else (a rate
    /// limit included) is returned at once: the timer tries again with its backoff, so nobody
    /// waits here.
    pub(crate) async fn fetch_account(&self, known: Option<AccessToken>) -> Result<Account> {
        let mut refreshed = false;
        let mut known = known;
        loop {
            let token = match known.take() {
                Some(token) => token,
                None => self.current_access_token().await?,
            };
            match api::fetch_profile(&self.inner.http, &self.inner.config, &token).await {
                Ok(account) => {
                    // Until the account is in the record: no other sign-in may find it free meanwhile.
                    let _claim = match self.inner.peers.get() {
                        Some(peers) => Some(peers.claim().await),
                        None => None,
                    };
                    if let Some(held) = self.held_by_another(&account) {
                        return Err(self.refuse_duplicate(held).await);
                    }
                    let known = account.clone();
                    self.inner
                        .store
                        .update(|r| {
                            if let Some(connection) = r.connection.as_mut() {
                                connection.account = Some(known);
                            }
                        })
                        .await?;
                    return Ok(account);
                }
                Err(Error::Unauthorized) if !refreshed => {
                    refreshed = true;
                    self.refresh(Reason::Now).await?;
                }
                Err(Error::Unauthorized) => return Err(self.inner.store.end_connection(&Error::Unauthorized).await),
                Err(e) => return Err(e),
            }
        }
    }

    /// The account a new grant signed in, when another connection on the same server holds it
    /// (peers.rs). Asked only while this grant's account is unknown: two connections that already
    /// hold one account (made before this check) are left alone.
    fn held_by_another(&self, account: &Account) -> Option<Account> {
        let fresh = self.record().connection.is_some_and(|c| c.account.is_none());
        let peers = self.inner.peers.get().filter(|_| fresh)?;
        peers.holding(&self.inner.scope, self.server(), account.id)
    }

    /// Drops the grant that duplicates another connection (its tokens from the keychain: Kanka
    /// has no revocation endpoint, and the account's own connection is untouched) and leaves the
    /// reason on show. Returns it, or what kept the tokens from going.
    async fn refuse_duplicate(&self, held: Account) -> Error {
        let refused =
            Error::AccountAlreadyConnected { account: held.name, id: held.id, server: self.server().to_owned() };
        tracing::warn!("signed in as account {}, which another connection holds; not kept", held.id);
        if let Err(e) = self.inner.store.forget().await {
            return e;
        }
        let info = refused.info();
        match self.inner.store.update(|r| r.last_error = Some(info)).await {
            Ok(_) => refused,
            Err(e) => e,
        }
    }

    /// The access token in use: one the keychain has not taken yet, else the keychain's. Only
    /// for the API it was issued for.
    pub(crate) async fn current_access_token(&self) -> Result<AccessToken> {
        if !self.inner.store.has_unsaved()
            && let Some(ended) = self.record().connection.and_then(|c| self.bound_elsewhere(&c))
        {
            return Err(ended);
        }
        match self.inner.store.access_token().await? {
            Some(token) => Ok(token),
            None => Err(self.inner.store.end_connection(&Error::NotConnected).await),
        }
    }
}
