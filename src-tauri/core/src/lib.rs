//! Kanka Link's engine: links a Kanka account with the OAuth 2 authorization-code flow and PKCE,
//! keeps the tokens in the OS keychain, refreshes them on a timer and reports one status. It has
//! no GUI dependency: the desktop app and the command line share it.

mod api;
mod authorize;
mod callback;
pub mod clock;
pub mod config;
mod connect;
mod error;
pub mod files;
mod http;
pub mod keychain;
mod linker;
mod lock;
mod loopback;
mod record;
mod refresh;
mod status;
mod timer;
mod token_endpoint;

pub use api::Account;
pub use authorize::{AUTHORIZATION_TIMEOUT, AuthorizationRequest};
pub use callback::MAX_CALLBACK_LEN;
pub use config::{Config, Redirect, SettingsFile};
pub use error::{Error, ErrorCode, ErrorInfo, Result};
pub use files::Paths;
pub use linker::{DisconnectNotice, Linker};
pub use status::{State, Status};
pub use timer::MAX_NAP;

/// The secret types: their `Debug` says `[redacted]`, and they have no `Display`.
pub use oauth2::{AccessToken, AuthorizationCode, ClientSecret, CsrfToken, PkceCodeVerifier, RefreshToken};
