//! The authorization request: a fresh `state` and PKCE pair, and the URL that opens Kanka's
//! consent page. The pending request is kept in the keychain (the verifier is a secret) for ten
//! minutes, so an answer that arrives after a restart still completes.

use std::time::Duration;

use chrono::{DateTime, Utc};
use oauth2::{CsrfToken, PkceCodeChallenge, PkceCodeVerifier};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

use crate::config::Config;
use crate::error::{Error, Result, json_problem};

/// How long Kanka's answer is awaited (Kanka's authorization codes live ten minutes too).
pub const AUTHORIZATION_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// 256 random bits of state, above the 128 that RFC 6749 asks for.
const STATE_BYTES: u32 = 32;
/// 48 random bytes make a 64-character verifier (RFC 7636 allows 43 to 128).
const VERIFIER_BYTES: u32 = 48;

/// The page to open, and until when we wait. The URL carries the sign-in's `state`: it goes to
/// the browser, and to the window only when no browser could be opened (the app's `SignInPage`).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct AuthorizationRequest {
    pub url: Url,
    pub expires_at: DateTime<Utc>,
}

/// Shows where the page is, never its query: the `state` is in it.
impl std::fmt::Debug for AuthorizationRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut page = self.url.clone();
        page.set_query(None);
        page.set_fragment(None);
        f.debug_struct("AuthorizationRequest")
            .field("url", &format_args!("{page}?[redacted]"))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// `Debug` shows no secret: the state and verifier types redact themselves.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct PendingAuthorization {
    pub state: CsrfToken,
    pub verifier: PkceCodeVerifier,
    pub expires_at: DateTime<Utc>,
}

impl PendingAuthorization {
    pub fn new(now: DateTime<Utc>) -> PendingAuthorization {
        // The oauth2 crate makes verifiers only together with their challenge.
        let (_, verifier) = PkceCodeChallenge::new_random_sha256_len(VERIFIER_BYTES);
        let state = CsrfToken::new_random_len(STATE_BYTES);
        PendingAuthorization { state, verifier, expires_at: now + AUTHORIZATION_TIMEOUT }
    }

    /// The consent page's address, made from the stored state and verifier.
    pub fn request(&self, config: &Config) -> AuthorizationRequest {
        let (url, _) = crate::token_endpoint::client(config, None)
            .authorize_url(|| self.state.clone())
            .set_pkce_challenge(PkceCodeChallenge::from_code_verifier_sha256(&self.verifier))
            .url();
        AuthorizationRequest { url, expires_at: self.expires_at }
    }

    /// The keychain stores text; this is the only place the pending request is encoded.
    pub fn to_keychain(&self) -> String {
        serde_json::to_string(self).expect("a pending authorization serialises")
    }

    pub fn from_keychain(text: &str) -> Result<PendingAuthorization> {
        serde_json::from_str(text).map_err(|e| Error::Keychain {
            detail: format!("the stored sign-in in progress is unreadable ({})", json_problem(&e)),
        })
    }
}

/// A one-way digest of a spent `state`, kept to tell a replayed answer from a stray one.
pub(crate) fn state_digest(state: &str) -> String {
    let digest = Sha256::digest(state.as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashMap};

    fn config() -> Config {
        let env: BTreeMap<&str, &str> = [("KANKA_LINK_CLIENT_ID", "7")].into();
        Config::from_sources(&env, std::path::Path::new("/nonexistent/config.toml")).unwrap()
    }

    #[test]
    fn the_url_carries_exactly_what_kanka_expects() {
        let pending = PendingAuthorization::new(Utc::now());
        let url = &pending.request(&config()).url;
        assert_eq!(url.as_str().split('?').next().unwrap(), "https://app.kanka.io/oauth/authorize");
        let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
        let mut keys: Vec<&str> = query.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            ["client_id", "code_challenge", "code_challenge_method", "redirect_uri", "response_type", "state"]
        );
        assert_eq!(query["client_id"], "7");
        assert_eq!(query["response_type"], "code");
        assert_eq!(query["code_challenge_method"], "S256");
        // kanka.io takes no deep link: the default redirect is the fixed localhost one.
        assert_eq!(query["redirect_uri"], "http://localhost:47813/kanka-link/callback");
        assert_eq!(query["state"], *pending.state.secret());
        assert_eq!(query["code_challenge"], *PkceCodeChallenge::from_code_verifier_sha256(&pending.verifier).as_str());
    }

    #[test]
    fn state_and_verifier_are_long_and_fresh() {
        let a = PendingAuthorization::new(Utc::now());
        let b = PendingAuthorization::new(Utc::now());
        // 32 bytes in unpadded base64url: 43 characters, 256 bits.
        assert_eq!(a.state.secret().len(), 43);
        assert_ne!(a.state.secret(), b.state.secret());
        let verifier = a.verifier.secret();
        assert!((43..=128).contains(&verifier.len()), "{}", verifier.len());
        assert!(verifier.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)));
        assert_ne!(verifier, b.verifier.secret());
    }

    #[test]
    fn the_pending_request_survives_the_keychain_round_trip() {
        let pending = PendingAuthorization::new(Utc::now());
        let back = PendingAuthorization::from_keychain(&pending.to_keychain()).unwrap();
        assert_eq!(back.state.secret(), pending.state.secret());
        assert_eq!(back.verifier.secret(), pending.verifier.secret());
        assert_eq!(back.expires_at, pending.expires_at);
        let err = PendingAuthorization::from_keychain("{\"state\":").unwrap_err();
        assert!(!err.to_string().contains("state"), "{err}");
    }
}
