use std::time::Duration;

/// Name shown on the consent page for the single registered client.
pub(crate) const CLIENT_NAME: &str = "Kanka Link";

/// The sandbox user's Kanka id.
pub(crate) const USER_ID: u64 = 1234;

/// How the sandbox is set up at start. Values here are the start-up values:
/// later changes (e.g. [`crate::Sandbox::set_token_lifetime`]) live in the
/// server state and are not written back.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Port on 127.0.0.1; 0 picks any free port.
    pub port: u16,
    /// Kanka client ids are numeric.
    pub client_id: String,
    pub client_secret: String,
    /// Registered redirect URIs, matched exactly (port included).
    pub redirect_uris: Vec<String>,
    /// Access token lifetime (Passport default: one year).
    pub token_lifetime: Duration,
    /// Refresh token lifetime; `None` follows the current access token lifetime.
    pub refresh_token_lifetime: Option<Duration>,
    pub user_name: String,
    /// API requests allowed per minute for the account.
    pub rate_limit_per_minute: u32,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            port: 0,
            client_id: "7".into(),
            client_secret: "sandbox-secret-0123456789abcdef0123456789abcdef".into(),
            redirect_uris: vec!["kanka-link://oauth/callback".into()],
            token_lifetime: Duration::from_secs(365 * 24 * 60 * 60),
            refresh_token_lifetime: None,
            user_name: "Sandbox Sage".into(),
            rate_limit_per_minute: 30,
        }
    }
}
