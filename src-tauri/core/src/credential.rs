//! A token for another program, with what it needs to use it and to keep it until it expires:
//! what `kanka-link token --json` prints and `kanka-link exec` hands to the command it runs. The
//! shape follows kubectl's ExecCredential status (a token and its expiry), so a tool can cache the
//! token instead of asking for it on every call.

use chrono::{DateTime, Utc};
use oauth2::AccessToken;
use serde::{Serialize, Serializer};

use crate::api::Account;
use crate::error::{Error, Result};
use crate::linker::Linker;

/// A valid access token and what goes with it. Serialised (`kanka-link token --json`) as
/// `{"token": "…", "expires_at": "2027-11-28T12:00:00Z", "account": {"id": 1, "name": "…"},
/// "api_url": "https://api.kanka.io/1.0"}`. The token stays an [`AccessToken`] until it is
/// serialised, so `Debug` (and any log line made from it) says `[redacted]`.
#[derive(Debug, Clone, Serialize)]
pub struct Credential {
    #[serde(serialize_with = "reveal")]
    pub token: AccessToken,
    /// When the token stops working, RFC 3339 in UTC. Never later than the truth: a cache that
    /// keeps the token until then never holds an expired one (it may be revoked sooner by a
    /// refresh, see [`Linker::credential`]).
    pub expires_at: DateTime<Utc>,
    /// Whom the token belongs to; `null` while Kanka Link does not know the profile yet (its
    /// request after the sign-in failed and has not been repeated by the window yet).
    pub account: Option<Account>,
    /// The API the token was issued for, the only place it may be sent, without a trailing
    /// slash: `{api_url}/profile` is the profile.
    pub api_url: String,
}

fn reveal<S: Serializer>(token: &AccessToken, serializer: S) -> std::result::Result<S::Ok, S::Error> {
    serializer.serialize_str(token.secret())
}

impl Linker {
    /// [`Linker::access_token`] (refreshed first if due, the same lock) with its expiry, account
    /// and API. The expiry comes from the record as it was before the token was read: should
    /// another process refresh in between, the token is the newer one and the expiry the older
    /// pair's, which is earlier. A refresh elsewhere revokes the access token it replaces
    /// (league/oauth2-server 9, `RefreshTokenGrant::respondToAccessTokenRequest` calls
    /// `revokeAccessToken` for the old one), so a cached token can stop working before
    /// `expires_at`: a tool that gets a 401 asks again.
    pub async fn credential(&self) -> Result<Credential> {
        let token = self.access_token().await?;
        let api_url = |bound: Option<&url::Url>| {
            bound.unwrap_or(&self.inner.config.api_url).as_str().trim_end_matches('/').to_owned()
        };
        // A renewed pair the keychain has not taken yet: its own expiry (the record still
        // describes the pair it replaces).
        if let Some(unsaved) = self.inner.store.unsaved_view()
            && unsaved.access_token.secret() == token.secret()
        {
            return Ok(Credential {
                expires_at: unsaved.expires_at,
                account: unsaved.account,
                api_url: api_url(None),
                token,
            });
        }
        let connection = self.record().connection.ok_or(Error::NotConnected)?;
        Ok(Credential {
            expires_at: connection.expires_at,
            account: connection.account,
            api_url: api_url(connection.api_url.as_ref()),
            token,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_credential_serialises_as_documented() {
        let expires_at = DateTime::parse_from_rfc3339("2027-11-28T12:00:00Z").unwrap().with_timezone(&Utc);
        let credential = Credential {
            token: AccessToken::new("the-token".to_owned()),
            expires_at,
            account: Some(Account { id: 1, name: "Ada".to_owned() }),
            api_url: "https://api.kanka.io/1.0".to_owned(),
        };
        let json = serde_json::to_value(&credential).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "token": "the-token",
                "expires_at": "2027-11-28T12:00:00Z",
                "account": {"id": 1, "name": "Ada"},
                "api_url": "https://api.kanka.io/1.0",
            })
        );
        let unknown = Credential { account: None, ..credential };
        assert_eq!(serde_json::to_value(&unknown).unwrap()["account"], serde_json::Value::Null);
    }
}
