//! What crosses between the window and the Rust side, besides the core's `Status`. Nothing here
//! carries a token; the client secret only travels inward, from the settings form.

use chrono::{DateTime, Utc};
use kanka_link_core::{AuthorizationRequest, ClientSecret, ErrorInfo, Sources};
use serde::{Deserialize, Serialize};

/// Every command fails with the core's error as the UI sees it: code, message, hint.
pub type CommandResult<T> = Result<T, ErrorInfo>;

/// A sign-in in progress: the page to open (and to copy, if no browser opened).
#[derive(Debug, Serialize)]
pub struct SignInPage {
    pub url: String,
    pub expires_at: DateTime<Utc>,
    pub browser_opened: bool,
}

impl SignInPage {
    pub fn new(request: AuthorizationRequest, browser_opened: bool) -> SignInPage {
        SignInPage { url: request.url.to_string(), expires_at: request.expires_at, browser_opened }
    }
}

#[derive(Debug, Serialize)]
pub struct SettingsView {
    pub values: SettingValues,
    pub origins: SettingOrigins,
    pub client_secret_saved: bool,
    pub config_file: String,
}

#[derive(Debug, Serialize)]
pub struct SettingValues {
    pub url: String,
    pub api_url: String,
    pub client_id: String,
    pub redirect_uri: String,
}

/// Where each value came from: `environment` (read-only in the form), `file`, `default`,
/// `keychain`; the client secret may also be `missing`.
#[derive(Debug, Serialize)]
pub struct SettingOrigins {
    pub url: &'static str,
    pub api_url: &'static str,
    pub client_id: &'static str,
    pub redirect_uri: &'static str,
    pub client_secret: &'static str,
}

impl SettingsView {
    pub fn new(sources: &Sources, client_secret_saved: bool, config_file: String) -> SettingsView {
        let client_secret = match &sources.client_secret {
            Some((_, origin)) => origin.kind(),
            None if client_secret_saved => "keychain",
            None => "missing",
        };
        SettingsView {
            values: SettingValues {
                url: sources.url.value.clone(),
                api_url: sources.api_url.value.clone(),
                client_id: sources.client_id.value.clone(),
                redirect_uri: sources.redirect_uri.value.clone(),
            },
            origins: SettingOrigins {
                url: sources.url.origin.kind(),
                api_url: sources.api_url.origin.kind(),
                client_id: sources.client_id.origin.kind(),
                redirect_uri: sources.redirect_uri.origin.kind(),
                client_secret,
            },
            client_secret_saved,
            config_file,
        }
    }
}

/// The settings form as submitted. An empty or absent secret keeps the saved one.
#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    pub url: String,
    pub api_url: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub client_secret: Option<ClientSecret>,
}
