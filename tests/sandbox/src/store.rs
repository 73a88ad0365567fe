//! What Passport keeps in its database: pending consents, codes and tokens.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::config::USER_ID;
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
}

#[derive(Debug)]
pub(crate) struct AuthCode {
    pub client_id: String,
    pub redirect_uri: Option<String>,
    pub challenge: Option<Challenge>,
    pub expires_at: Instant,
    /// Used, or revoked by `revoke_all`: league does not tell them apart.
    pub revoked: bool,
}

#[derive(Debug)]
struct AccessToken {
    client_id: String,
    expires_at: Instant,
    revoked: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Revocation {
    /// Replaced by a refresh: reusing it means the client lost track of its tokens.
    Rotated,
    /// Revoked by the user (`revoke_all`).
    Revoked,
}

#[derive(Debug)]
pub(crate) struct RefreshToken {
    pub client_id: String,
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
                redirect_uri: request.requested_redirect_uri.clone(),
                challenge: request.challenge.clone(),
                expires_at: Instant::now() + CODE_LIFETIME,
                revoked: false,
            },
        );
        code
    }

    pub(crate) fn issue_tokens(&mut self, client_id: &str, lifetime: Duration, refresh_lifetime: Duration) -> Issued {
        let now = Instant::now();
        let access_token = secrets::access_token(client_id, USER_ID, lifetime);
        let refresh_token = secrets::opaque();
        self.access.insert(
            access_token.clone(),
            AccessToken { client_id: client_id.into(), expires_at: now + lifetime, revoked: false },
        );
        self.refresh.insert(
            refresh_token.clone(),
            RefreshToken {
                client_id: client_id.into(),
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

    /// Passport skips the consent screen when the user already holds a live token for the client.
    pub(crate) fn has_valid_token(&self, client_id: &str) -> bool {
        let now = Instant::now();
        self.access.values().any(|t| t.client_id == client_id && !t.revoked && now < t.expires_at)
    }

    pub(crate) fn access_token_is_valid(&self, token: &str) -> bool {
        self.access.get(token).is_some_and(|t| !t.revoked && Instant::now() < t.expires_at)
    }

    pub(crate) fn revoke_all(&mut self) {
        self.codes.values_mut().for_each(|c| c.revoked = true);
        self.access.values_mut().for_each(|t| t.revoked = true);
        for token in self.refresh.values_mut() {
            // A token rotated earlier stays "rotated", so reuse is still told apart.
            token.revoked.get_or_insert(Revocation::Revoked);
        }
    }
}
