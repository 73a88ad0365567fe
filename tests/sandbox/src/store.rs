//! What Passport keeps in its database: pending consents, codes and tokens.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::pkce::Challenge;
use crate::secrets;

/// league's default authorization code lifetime.
const CODE_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// An authorization request waiting on the consent page.
#[derive(Debug)]
pub(crate) struct PendingAuth {
    pub client_id: String,
    /// Where the answer goes: the requested URI, or the single registered one.
    pub redirect_uri: String,
    /// The `redirect_uri` the request carried, which the code remembers: the
    /// token request must then repeat it.
    pub requested_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub challenge: Option<Challenge>,
    /// The account signed in when the consent was asked for.
    pub user_id: u64,
}

#[derive(Debug)]
pub(crate) struct AuthCode {
    pub client_id: String,
    pub user_id: u64,
    pub redirect_uri: Option<String>,
    pub challenge: Option<Challenge>,
    pub expires_at: Instant,
    /// Used, or revoked by `Store::revoke`: league does not tell them apart.
    pub revoked: bool,
}

#[derive(Debug)]
struct AccessToken {
    client_id: String,
    user_id: u64,
    expires_at: Instant,
    revoked: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Revocation {
    /// Replaced by a refresh: reusing it means the client lost track of its tokens.
    Rotated,
    /// Revoked by the user (`Store::revoke`).
    Revoked,
}

#[derive(Debug)]
pub(crate) struct RefreshToken {
    pub client_id: String,
    pub user_id: u64,
    access_token: String,
    pub expires_at: Instant,
    pub revoked: Option<Revocation>,
}

/// A freshly issued token pair.
pub(crate) struct Issued {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Store {
    pending: HashMap<String, PendingAuth>,
    pub codes: HashMap<String, AuthCode>,
    access: HashMap<String, AccessToken>,
    pub refresh: HashMap<String, RefreshToken>,
}

impl Store {
    /// Every code and token ever issued, for [`crate::Secrets`].
    pub(crate) fn issued(&self) -> (Vec<String>, Vec<String>, Vec<String>) {
        fn keys<V>(map: &HashMap<String, V>) -> Vec<String> {
            map.keys().cloned().collect()
        }
        (keys(&self.codes), keys(&self.access), keys(&self.refresh))
    }

    /// Parks a request behind the consent page; returns its `auth_token`.
    pub(crate) fn park(&mut self, request: PendingAuth) -> String {
        let auth_token = secrets::auth_token();
        self.pending.insert(auth_token.clone(), request);
        auth_token
    }

    /// One use: approving or denying consumes the handle.
    pub(crate) fn take_pending(&mut self, auth_token: &str) -> Option<PendingAuth> {
        self.pending.remove(auth_token)
    }

    pub(crate) fn issue_code(&mut self, request: &PendingAuth) -> String {
        let code = secrets::opaque();
        self.codes.insert(
            code.clone(),
            AuthCode {
                client_id: request.client_id.clone(),
                user_id: request.user_id,
                redirect_uri: request.requested_redirect_uri.clone(),
                challenge: request.challenge.clone(),
                expires_at: Instant::now() + CODE_LIFETIME,
                revoked: false,
            },
        );
        code
    }

    pub(crate) fn issue_tokens(
        &mut self,
        client_id: &str,
        user_id: u64,
        lifetime: Duration,
        refresh_lifetime: Duration,
    ) -> Issued {
        let now = Instant::now();
        let access_token = secrets::access_token(client_id, user_id, lifetime);
        let refresh_token = secrets::opaque();
        self.access.insert(
            access_token.clone(),
            AccessToken { client_id: client_id.into(), user_id, expires_at: now + lifetime, revoked: false },
        );
        self.refresh.insert(
            refresh_token.clone(),
            RefreshToken {
                client_id: client_id.into(),
                user_id,
                access_token: access_token.clone(),
                expires_at: now + refresh_lifetime,
                revoked: None,
            },
        );
        Issued { access_token, refresh_token, expires_in: lifetime.as_secs() }
    }

    /// Revokes a refresh token and its access token, as a successful refresh does.
    pub(crate) fn rotate(&mut self, refresh_token: &str) {
        if let Some(record) = self.refresh.get_mut(refresh_token) {
            record.revoked.get_or_insert(Revocation::Rotated);
            if let Some(access) = self.access.get_mut(&record.access_token) {
                access.revoked = true;
            }
        }
    }

    /// Passport skips the consent screen when the user already holds a live token for the client
    /// (`AuthorizationController::authorize`, `hasGrantedScopes($user, $client, ...)`): that
    /// user's tokens only, so another account signed in at the browser is asked again.
    pub(crate) fn has_valid_token(&self, client_id: &str, user_id: u64) -> bool {
        let now = Instant::now();
        self.access
            .values()
            .any(|t| t.client_id == client_id && t.user_id == user_id && !t.revoked && now < t.expires_at)
    }

    /// The account a live access token acts for; `None` for an unknown, revoked or expired one.
    pub(crate) fn access_token_user(&self, token: &str) -> Option<u64> {
        self.access.get(token).filter(|t| !t.revoked && Instant::now() < t.expires_at).map(|t| t.user_id)
    }

    /// Every code and token of every account (`None`), or of one account, as that user revoking
    /// the app in Kanka's settings would.
    pub(crate) fn revoke(&mut self, user_id: Option<u64>) {
        let ours = |id: u64| user_id.is_none_or(|u| u == id);
        self.codes.values_mut().filter(|c| ours(c.user_id)).for_each(|c| c.revoked = true);
        self.access.values_mut().filter(|t| ours(t.user_id)).for_each(|t| t.revoked = true);
        for token in self.refresh.values_mut().filter(|t| ours(t.user_id)) {
            // A token rotated earlier stays "rotated", so reuse is still told apart.
            token.revoked.get_or_insert(Revocation::Revoked);
        }
    }
}
