//! The contract of an error with the page, the command line and the status file: the stable code
//! they branch on, and the error as they see it (message, hint, the setting it is about). A leaf:
//! error.rs makes these from its errors; nothing here knows an error's words.

use serde::{Deserialize, Serialize};

/// What the UI and the command line branch on; stable across releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidSetting,
    MissingClientSecret,
    KeychainUnavailable,
    KeychainLocked,
    Keychain,
    Storage,
    LockTimeout,
    TokensNotSaved,
    TokensHeldElsewhere,
    MalformedCallback,
    UnexpectedCallback,
    ReplayedCallback,
    AbandonedCallback,
    ExpiredCallback,
    StateMismatch,
    AuthorizationExpired,
    Cancelled,
    AuthorizationRefused,
    LoopbackUnavailable,
    InvalidGrant,
    InvalidRequest,
    InvalidClient,
    RateLimited,
    ServerError,
    Unauthorized,
    UnexpectedResponse,
    Network,
    Timeout,
    ClientUnknown,
    SecretRefused,
    RedirectNotRegistered,
    ClientNotAllowed,
    NotKanka,
    NotConnected,
    ReconnectNeeded,
    /// `--account` or `--server` names no connection, or more than one.
    NoSuchConnection,
    AmbiguousConnection,
    /// A sign-in landed on an account another connection holds (peers.rs); not kept.
    AccountAlreadyConnected,
    /// Another connection's sign-in listens on the same `localhost` redirect (peers.rs).
    SignInWaiting,
}

impl ErrorCode {
    /// Errors that stop Kanka Link from working until the user acts, as opposed to a
    /// message about one attempt.
    pub fn blocks_operation(self) -> bool {
        matches!(
            self,
            Self::InvalidSetting
                | Self::MissingClientSecret
                | Self::KeychainUnavailable
                | Self::KeychainLocked
                | Self::Keychain
                | Self::Storage
                | Self::InvalidClient
                | Self::ClientUnknown
                | Self::SecretRefused
                | Self::RedirectNotRegistered
                | Self::ClientNotAllowed
                | Self::NotKanka
        )
    }

    /// What the setup check finds wrong with a setting (`Linker::check_setup`); a passed check
    /// clears them.
    pub fn is_setup_problem(self) -> bool {
        matches!(
            self,
            Self::InvalidClient
                | Self::MissingClientSecret
                | Self::ClientUnknown
                | Self::SecretRefused
                | Self::RedirectNotRegistered
                | Self::ClientNotAllowed
                | Self::NotKanka
        )
    }

    /// The setup check could not ask, or could not understand the answer: the network, the
    /// server's load. Not a wrong setting.
    pub fn is_unanswered_check(self) -> bool {
        matches!(self, Self::Network | Self::Timeout | Self::ServerError | Self::RateLimited | Self::UnexpectedResponse)
    }

    /// Passing trouble: the network, the server's load, a keychain that is locked or not up yet.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            Self::RateLimited
                | Self::ServerError
                | Self::Network
                | Self::Timeout
                | Self::UnexpectedResponse
                | Self::LockTimeout
                | Self::TokensNotSaved
                | Self::TokensHeldElsewhere
                | Self::KeychainLocked
                | Self::KeychainUnavailable
                | Self::Keychain
        )
    }

    /// A refused or cancelled callback leaves the connection as it was: it is news, not a failure.
    /// So does a sign-in that landed on an account another connection holds (not kept).
    pub fn is_refused_callback(self) -> bool {
        self.is_stray_callback()
            || matches!(self, Self::Cancelled | Self::AuthorizationExpired | Self::AccountAlreadyConnected)
    }

    /// An answer that belongs to no sign-in in progress: it changes nothing, reads no secret and
    /// is shown only as a passing notice (anyone can open a `kanka-link:` link).
    pub fn is_stray_callback(self) -> bool {
        matches!(
            self,
            Self::MalformedCallback
                | Self::UnexpectedCallback
                | Self::ReplayedCallback
                | Self::AbandonedCallback
                | Self::ExpiredCallback
                | Self::StateMismatch
        )
    }
}

/// An error as the UI, the command line and the status file see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErrorInfo {
    pub code: ErrorCode,
    pub message: String,
    pub hint: Option<String>,
    /// The setting the error is about (`url`, `api_url`, `client_id`, `redirect_uri`,
    /// `client_secret`, or `config.toml` for the file as a whole), so the settings form marks its
    /// input without reading the message; null when it is about none.
    #[serde(default)]
    pub setting: Option<String>,
    /// That setting has no value at all (a fresh install has no client id), as opposed to a
    /// wrong one.
    #[serde(default)]
    pub setting_empty: bool,
}
