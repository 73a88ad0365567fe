//! Kanka Link's engine: links a Kanka account with the OAuth 2 authorization-code flow and PKCE,
//! keeps the tokens in the OS keychain, refreshes them on a timer and reports one status. It has
//! no GUI dependency: the desktop app and the command line share it.

mod account;
mod api;
mod authorize;
pub mod autostart;
mod callback;
pub mod check;
pub mod clock;
pub mod config;
mod connect;
pub mod connections;
mod credential;
mod error;
mod error_code;
pub mod files;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod http;
pub mod kanka_rules;
pub mod keychain;
mod linker;
mod lock;
mod loopback;
mod notify;
mod origin;
mod peers;
mod platform_impl;
mod probe;
mod record;
mod refresh;
pub mod settings;
mod status;
mod store;
mod stored;
mod text;
mod timer;
mod token_endpoint;

pub use api::Account;
pub use authorize::{AUTHORIZATION_TIMEOUT, AuthorizationRequest};
pub use callback::MAX_CALLBACK_LEN;
pub use check::{AuthorizeProbe, ProbeOutcome, SetupReport, TokenProbe, Verdict};
pub use config::{Config, Origin, Redirect, Setting, SettingsFile, Sources};
pub use connections::Connections;
pub use credential::Credential;
pub use error::{Error, ErrorCode, ErrorInfo, Result, Stored};
pub use files::Paths;
pub use linker::{DisconnectNotice, Linker};
pub use notify::{Attention, EXPIRY_WARNING};
pub use status::{State, Status};
pub use timer::{Background, MAX_NAP};

/// The secret types: their `Debug` says `[redacted]`, and they have no `Display`.
pub use oauth2::{AccessToken, AuthorizationCode, ClientSecret, CsrfToken, PkceCodeVerifier, RefreshToken};

#[cfg(test)]
mod redaction_tests {
    //! Every type that carries a secret says nothing of it in `Debug`.
    use super::*;
    use std::time::Duration;

    const SECRET: &str = "TOP-SECRET-VALUE-4242";

    fn assert_redacted(what: &str, debug: String) {
        assert!(!debug.contains(SECRET), "{what} leaks its secret: {debug}");
    }

    #[test]
    fn secret_types_redact_themselves() {
        let s = || SECRET.to_owned();
        assert_redacted("AccessToken", format!("{:?}", AccessToken::new(s())));
        assert_redacted("RefreshToken", format!("{:?}", RefreshToken::new(s())));
        assert_redacted("ClientSecret", format!("{:?}", ClientSecret::new(s())));
        assert_redacted("PkceCodeVerifier", format!("{:?}", PkceCodeVerifier::new(s())));
        assert_redacted("CsrfToken", format!("{:?}", CsrfToken::new(s())));
        assert_redacted("AuthorizationCode", format!("{:?}", AuthorizationCode::new(s())));
    }

    #[test]
    fn structures_holding_secrets_redact_them() {
        let grant = token_endpoint::TokenGrant {
            access_token: AccessToken::new(SECRET.to_owned()),
            refresh_token: RefreshToken::new(SECRET.to_owned()),
            lifetime: Duration::from_secs(60),
            obtained_at: chrono::Utc::now(),
        };
        assert_redacted("TokenGrant", format!("{grant:?}"));

        let credential = Credential {
            token: AccessToken::new(SECRET.to_owned()),
            expires_at: chrono::Utc::now(),
            account: None,
            api_url: "https://api.kanka.io/1.0".to_owned(),
        };
        assert_redacted("Credential", format!("{credential:?}"));
        assert!(format!("{credential:#?}").contains("api_url"), "the rest of a Credential shows");

        let env: std::collections::BTreeMap<&str, &str> = [
            ("KANKA_LINK_URL", "https://kanka.example"),
            ("KANKA_LINK_CLIENT_ID", "7"),
            ("KANKA_LINK_CLIENT_SECRET", SECRET),
        ]
        .into();
        let config = Config::from_sources(&env, std::path::Path::new("/nonexistent/config.toml")).unwrap();
        assert_redacted("Config", format!("{config:?}"));

        let pending = authorize::PendingAuthorization::new(chrono::Utc::now());
        let debug = format!("{pending:?}");
        assert!(!debug.contains(pending.verifier.secret().as_str()), "PendingAuthorization leaks: {debug}");
        assert!(!debug.contains(pending.state.secret().as_str()), "PendingAuthorization leaks: {debug}");

        let request = pending.request(&config);
        let debug = format!("{request:?}");
        assert!(request.url.as_str().contains(pending.state.secret().as_str()), "the URL carries the state");
        assert!(!debug.contains(pending.state.secret().as_str()), "AuthorizationRequest leaks its state: {debug}");
        assert!(debug.contains("/oauth/authorize") && debug.contains("expires_at"), "{debug}");

        let url = format!("kanka-link://oauth/callback?code={SECRET}&state={SECRET}");
        let callback = callback::parse(&url, &config).unwrap();
        assert_redacted("Callback", format!("{callback:?}"));
    }
}
