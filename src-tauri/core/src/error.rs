//! One error type for the whole engine. Every variant reads as a sentence a user understands, has
//! a stable code the UI can act on, and a hint that says what to do. No variant carries a secret:
//! server bodies are reduced to their `error_description` before they get here.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

pub use crate::error_code::{ErrorCode, ErrorInfo};
use crate::origin::Origin;
pub use crate::stored::Stored;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where Kanka lists the applications a user has authorised, and lets them revoke one.
pub const KANKA_APPS_SETTINGS_PATH: &str = "settings/api";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("The setting {setting} from {origin} is not valid: {reason}.")]
    InvalidSetting { setting: &'static str, origin: Origin, reason: String },
    #[error("No client secret is set for Kanka client {client_id}.")]
    MissingClientSecret { client_id: String },

    #[error("The system keychain is not available ({detail}).")]
    KeychainUnavailable { detail: String },
    #[error("The system keychain is locked ({detail}).")]
    KeychainLocked { detail: String },
    #[error("The system keychain refused the request: {detail}.")]
    Keychain { detail: String },
    #[error("Kanka Link could not use its {what}{}: {detail}.", spaced(path.as_deref()))]
    Storage { what: Stored, path: Option<PathBuf>, detail: String },
    #[error("Another Kanka Link process has been busy with the connection for too long.")]
    LockTimeout,
    #[error(
        "Kanka Link has new tokens, but the keychain did not take them ({detail}); it keeps them in memory and tries again."
    )]
    TokensNotSaved { detail: String },
    #[error(
        "Another Kanka Link process holds renewed tokens that the keychain has not taken yet, so the ones in the keychain no longer work."
    )]
    TokensHeldElsewhere,

    #[error("This is not a Kanka Link sign-in address: {reason}.")]
    MalformedCallback { reason: String },
    #[error("No connection to Kanka is in progress, so this sign-in answer was ignored.")]
    UnexpectedCallback,
    #[error("This sign-in answer was already used, so it was ignored.")]
    ReplayedCallback,
    #[error("You cancelled this sign-in in Kanka Link, so Kanka's answer was ignored.")]
    AbandonedCallback,
    #[error("This sign-in answer came after its sign-in had expired, so it was ignored.")]
    ExpiredCallback,
    #[error("This sign-in answer does not belong to the connection in progress, so it was ignored.")]
    StateMismatch,
    #[error("The connection attempt expired before Kanka answered.")]
    AuthorizationExpired,
    #[error("You cancelled the connection in Kanka.")]
    Cancelled,
    #[error("Kanka refused the connection: {description}")]
    AuthorizationRefused { code: String, description: String },
    #[error("Kanka Link could not listen for Kanka's answer on {address}: {detail}.")]
    LoopbackUnavailable { address: String, detail: String },

    #[error("Kanka did not accept the sign-in or refresh: {description}")]
    InvalidGrant { description: String },
    #[error("Kanka rejected the request: {description}")]
    InvalidRequest { description: String },
    #[error("Kanka refused the client id or secret.")]
    InvalidClient,
    #[error("Kanka is receiving too many requests from this account.")]
    RateLimited { retry_after: Option<Duration> },
    #[error("Kanka answered with a server error (HTTP {status}).")]
    ServerError { status: u16 },
    #[error("Kanka did not accept the access token.")]
    Unauthorized,
    #[error("Kanka sent an answer Kanka Link does not understand: {detail}.")]
    UnexpectedResponse { detail: String },
    #[error("Could not reach {host}: {detail}.")]
    Network { host: String, detail: String },
    #[error("{host} did not answer in time.")]
    Timeout { host: String },

    #[error("Kanka at {kanka_url} does not know the client id {client_id}.")]
    ClientUnknown { client_id: String, kanka_url: String },
    #[error("Kanka refused the client secret of client {client_id}.")]
    SecretRefused { client_id: String, kanka_url: String },
    #[error(
        "Kanka does not know the redirect URL {redirect_uri} for client {client_id}: copy it into the client's settings in Kanka."
    )]
    RedirectNotRegistered { client_id: String, redirect_uri: String, kanka_url: String },
    #[error("Kanka does not let client {client_id} sign people in with the authorization-code grant.")]
    ClientNotAllowed { client_id: String, kanka_url: String },
    #[error("{url} does not answer like Kanka's sign-in server: {detail}.")]
    NotKanka { url: String, detail: String },

    #[error("Kanka Link is not connected to Kanka.")]
    NotConnected,
    #[error("{} to sign in to Kanka again. {reason}", who_needs(account.as_deref()))]
    ReconnectNeeded { account: Option<String>, reason: String },

    #[error("No connection of Kanka Link is {wanted}.")]
    NoSuchConnection { wanted: String, known: String },
    #[error("More than one connection of Kanka Link is {wanted}.")]
    AmbiguousConnection { wanted: String, known: String },
    #[error(
        "{account} (account {id}) is already connected to Kanka Link on {server}: Kanka signed in that account \
         again, so this connection was not kept."
    )]
    AccountAlreadyConnected { account: String, id: u64, server: String },
    #[error("Another sign-in of Kanka Link ({other}) is waiting for Kanka's answer on {address}.")]
    SignInWaiting { address: String, other: String },
}

/// How an [`Error::InvalidSetting`]'s reason starts when the setting has no value (config.rs's
/// `parse_url`, `parse_client_id`); the app's contract test pins it (src-tauri/src/contract.rs).
pub(crate) const EMPTY_SETTING: &str = "it is empty";

/// Where Kanka makes a new OAuth client.
pub const KANKA_NEW_CLIENT_PATH: &str = "settings/client/create";

/// A page of Kanka's settings, for a hint.
fn kanka_page(kanka_url: &str, path: &str) -> String {
    format!("{}/{path}", kanka_url.trim_end_matches('/'))
}

/// A path after a space, or nothing.
fn spaced(path: Option<&std::path::Path>) -> String {
    path.map(|path| format!(" {}", path.display())).unwrap_or_default()
}

fn who_needs(account: Option<&str>) -> String {
    match account {
        Some(name) => format!("{name} needs"),
        None => "You need".to_owned(),
    }
}

impl Error {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidSetting { .. } => ErrorCode::InvalidSetting,
            Self::MissingClientSecret { .. } => ErrorCode::MissingClientSecret,
            Self::KeychainUnavailable { .. } => ErrorCode::KeychainUnavailable,
            Self::KeychainLocked { .. } => ErrorCode::KeychainLocked,
            Self::Keychain { .. } => ErrorCode::Keychain,
            Self::Storage { .. } => ErrorCode::Storage,
            Self::LockTimeout => ErrorCode::LockTimeout,
            Self::TokensNotSaved { .. } => ErrorCode::TokensNotSaved,
            Self::TokensHeldElsewhere => ErrorCode::TokensHeldElsewhere,
            Self::MalformedCallback { .. } => ErrorCode::MalformedCallback,
            Self::UnexpectedCallback => ErrorCode::UnexpectedCallback,
            Self::ReplayedCallback => ErrorCode::ReplayedCallback,
            Self::AbandonedCallback => ErrorCode::AbandonedCallback,
            Self::ExpiredCallback => ErrorCode::ExpiredCallback,
            Self::StateMismatch => ErrorCode::StateMismatch,
            Self::AuthorizationExpired => ErrorCode::AuthorizationExpired,
            Self::Cancelled => ErrorCode::Cancelled,
            Self::AuthorizationRefused { .. } => ErrorCode::AuthorizationRefused,
            Self::LoopbackUnavailable { .. } => ErrorCode::LoopbackUnavailable,
            Self::InvalidGrant { .. } => ErrorCode::InvalidGrant,
            Self::InvalidRequest { .. } => ErrorCode::InvalidRequest,
            Self::InvalidClient => ErrorCode::InvalidClient,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::ServerError { .. } => ErrorCode::ServerError,
            Self::Unauthorized => ErrorCode::Unauthorized,
            Self::UnexpectedResponse { .. } => ErrorCode::UnexpectedResponse,
            Self::Network { .. } => ErrorCode::Network,
            Self::Timeout { .. } => ErrorCode::Timeout,
            Self::ClientUnknown { .. } => ErrorCode::ClientUnknown,
            Self::SecretRefused { .. } => ErrorCode::SecretRefused,
            Self::RedirectNotRegistered { .. } => ErrorCode::RedirectNotRegistered,
            Self::ClientNotAllowed { .. } => ErrorCode::ClientNotAllowed,
            Self::NotKanka { .. } => ErrorCode::NotKanka,
            Self::NotConnected => ErrorCode::NotConnected,
            Self::ReconnectNeeded { .. } => ErrorCode::ReconnectNeeded,
            Self::NoSuchConnection { .. } => ErrorCode::NoSuchConnection,
            Self::AmbiguousConnection { .. } => ErrorCode::AmbiguousConnection,
            Self::AccountAlreadyConnected { .. } => ErrorCode::AccountAlreadyConnected,
            Self::SignInWaiting { .. } => ErrorCode::SignInWaiting,
        }
    }

    /// Worth trying again later without the user doing anything.
    pub fn is_transient(&self) -> bool {
        self.code().is_transient()
    }

    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        let hint = match self {
            Self::InvalidSetting { setting, origin, .. } => {
                format!("Correct {setting} in {origin}, then try again.")
            }
            Self::MissingClientSecret { .. } => "Enter the client secret that Kanka showed when you created the \
                 application (Settings → API), or set KANKA_LINK_CLIENT_SECRET."
                .to_owned(),
            Self::KeychainUnavailable { .. } => {
                "Kanka Link keeps tokens only in the system keychain. On Linux, start a \
                 Secret Service provider such as GNOME Keyring or KeePassXC, then try again."
                    .to_owned()
            }
            Self::KeychainLocked { .. } => "Unlock your keychain (your login keyring), then try again.".to_owned(),
            Self::TokensNotSaved { .. } => "Unlock or start your keychain. Until it takes the tokens, quitting \
                 Kanka Link ends the connection."
                .to_owned(),
            Self::TokensHeldElsewhere => "Unlock your keychain: the Kanka Link window saves the renewed tokens \
                 as soon as the keychain takes them. Then try again."
                .to_owned(),
            Self::Storage { what, path, .. } => what.hint(path.as_deref()),
            Self::Keychain { .. } | Self::LockTimeout => {
                "Try again; if it keeps happening, restart Kanka Link.".to_owned()
            }
            Self::MalformedCallback { .. }
            | Self::UnexpectedCallback
            | Self::ReplayedCallback
            | Self::AbandonedCallback
            | Self::ExpiredCallback
            | Self::StateMismatch => "If you did not just sign in to Kanka, you can ignore this. \
                 Otherwise click Connect to Kanka to start again."
                .to_owned(),
            Self::AuthorizationExpired | Self::Cancelled | Self::AuthorizationRefused { .. } => {
                "Click Connect to Kanka to try again.".to_owned()
            }
            Self::LoopbackUnavailable { .. } => "Close the program using that port, or register another \
                 localhost port in Kanka and in the redirect URI setting."
                .to_owned(),
            Self::NoSuchConnection { known, .. } => {
                format!("Name one of them with --account (a name or an id) or --server (a Kanka address): {known}.")
            }
            Self::AmbiguousConnection { known, .. } => {
                format!("Name it with both --account and --server: {known}.")
            }
            Self::SignInWaiting { .. } => {
                "Finish that sign-in in the browser, or cancel it, then connect this one.".to_owned()
            }
            Self::AccountAlreadyConnected { server, .. } => format!(
                "Kanka signs in whoever is signed in to {server} in your browser. Log out of Kanka there \
                 (or log in as the other account), then connect again: Kanka asks that account's consent."
            ),
            Self::InvalidGrant { .. } | Self::ReconnectNeeded { .. } | Self::Unauthorized => {
                "Click Connect to Kanka to sign in again.".to_owned()
            }
            Self::InvalidRequest { .. } => "Check the redirect URI: it must be exactly the one registered for \
                 this client in Kanka (Settings → API)."
                .to_owned(),
            Self::InvalidClient => "Check the client id and secret in Settings: they must be those of your \
                 application in Kanka (Settings → API). The connection is kept; it works again once they are right."
                .to_owned(),
            Self::RateLimited { .. } => {
                "Kanka allows 30 requests a minute; Kanka Link will try again shortly.".to_owned()
            }
            Self::ServerError { .. } | Self::UnexpectedResponse { .. } => {
                "Kanka may be busy or under maintenance; Kanka Link will try again.".to_owned()
            }
            Self::Network { .. } | Self::Timeout { .. } => {
                "Check your internet connection; Kanka Link will try again.".to_owned()
            }
            Self::ClientUnknown { kanka_url, .. } => format!(
                "Copy the client id of your application in Kanka ({}) into Settings, or create \
                 one at {}.",
                kanka_page(kanka_url, KANKA_APPS_SETTINGS_PATH),
                kanka_page(kanka_url, KANKA_NEW_CLIENT_PATH)
            ),
            Self::SecretRefused { client_id, kanka_url } => format!(
                "Enter in Settings the secret Kanka showed when you created client {client_id}. \
                 Kanka shows it only once: without it, create a new client at {}.",
                kanka_page(kanka_url, KANKA_NEW_CLIENT_PATH)
            ),
            Self::RedirectNotRegistered { client_id, redirect_uri, kanka_url } => format!(
                "In Kanka ({}), edit client {client_id} and set its redirect URL to exactly \
                 {redirect_uri}; or enter in Settings the redirect URL registered there.",
                kanka_page(kanka_url, KANKA_APPS_SETTINGS_PATH)
            ),
            Self::ClientNotAllowed { kanka_url, .. } => format!(
                "Create a new client in Kanka at {} and enter its id and secret in Settings.",
                kanka_page(kanka_url, KANKA_NEW_CLIENT_PATH)
            ),
            Self::NotKanka { .. } => "Check the Kanka URL in Settings: for kanka.io it is \
                 https://app.kanka.io."
                .to_owned(),
            Self::NotConnected => "Click Connect to Kanka to link your account.".to_owned(),
        };
        Some(hint)
    }

    /// The setting the error is about, for the settings form to mark (no need to read the message).
    pub fn setting(&self) -> Option<&'static str> {
        match self {
            Self::InvalidSetting { setting, .. } => Some(setting),
            Self::MissingClientSecret { .. } => Some("client_secret"),
            Self::InvalidClient => Some("client_id"),
            Self::InvalidRequest { .. } => Some("redirect_uri"),
            _ => None,
        }
    }

    pub fn info(&self) -> ErrorInfo {
        let setting_empty = matches!(self, Self::InvalidSetting { reason, .. } if reason.starts_with(EMPTY_SETTING));
        ErrorInfo {
            code: self.code(),
            // Trimmed: a reconnect without a reason ends with its first sentence.
            message: self.to_string().trim_end().to_owned(),
            hint: self.hint(),
            setting: self.setting().map(str::to_owned),
            setting_empty,
        }
    }
}

impl From<&Error> for ErrorInfo {
    fn from(error: &Error) -> Self {
        error.info()
    }
}

impl Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.info().serialize(serializer)
    }
}

/// Says what is wrong with a JSON text without quoting any of it (it may hold a token).
pub(crate) fn json_problem(error: &serde_json::Error) -> &'static str {
    match error.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "not JSON",
        serde_json::error::Category::Data => "fields missing or of the wrong type",
        serde_json::error::Category::Eof => "cut off",
    }
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
