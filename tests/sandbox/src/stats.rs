use serde::{Deserialize, Serialize};

/// Counters a test can read to check what a client did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub authorize_requests: u64,
    pub consents_shown: u64,
    pub consents_approved: u64,
    pub consents_denied: u64,
    pub consents_skipped: u64,
    /// Every request that reached the token endpoint.
    pub token_requests: u64,
    /// Successful authorization-code exchanges.
    pub code_exchanges: u64,
    /// Successful refreshes.
    pub refreshes: u64,
    /// OAuth error answers by type, from both /oauth/authorize and /oauth/token.
    pub invalid_grant: u64,
    pub invalid_request: u64,
    pub invalid_client: u64,
    /// Refresh attempts with a refresh token already rotated away (not one
    /// revoked by `Store::revoke`): a well-behaved client never does this.
    pub refresh_token_reuse: u64,
    pub api_requests: u64,
    pub api_unauthorized: u64,
    pub rate_limited: u64,
    /// Requests answered or delayed by an injected fault.
    pub faults_served: u64,
    /// Names (never values) of the form fields of the last token request, sorted.
    pub last_token_request_fields: Vec<String>,
    pub last_token_request_accept: Option<String>,
}

/// Every secret that passed through the sandbox, so a test can look for them where a client
/// must never put them (its files, its logs, its window).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secrets {
    pub client_secret: String,
    pub codes: Vec<String>,
    pub code_verifiers: Vec<String>,
    pub access_tokens: Vec<String>,
    pub refresh_tokens: Vec<String>,
}

impl Secrets {
    pub fn all(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.client_secret.as_str())
            .chain(self.codes.iter().map(String::as_str))
            .chain(self.code_verifiers.iter().map(String::as_str))
            .chain(self.access_tokens.iter().map(String::as_str))
            .chain(self.refresh_tokens.iter().map(String::as_str))
    }
}

impl Stats {
    pub(crate) fn count_oauth_error(&mut self, error: &str) {
        match error {
            "invalid_grant" => self.invalid_grant += 1,
            "invalid_request" => self.invalid_request += 1,
            "invalid_client" => self.invalid_client += 1,
            _ => {}
        }
    }
}
