//! What crosses between the window and the Rust side, besides the core's `Status`. Nothing here
//! carries a token; the client secret only travels inward, from the settings form.

use chrono::{DateTime, Utc};
use kanka_link_core::connections::MAIN;
use kanka_link_core::{
    AuthorizationRequest, ClientSecret, Error, ErrorInfo, Linker, Origin, Setting, Sources, Status, kanka_rules,
};
use serde::{Deserialize, Serialize};
use url::Url;

/// Every command fails with the core's error as the UI sees it: code, message, hint.
pub type CommandResult<T> = Result<T, ErrorInfo>;

/// One connection as the window lists it: which one (the id its commands take), its Kanka server,
/// whether it is the default (what `kanka-link token` serves), and its status. No token.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ConnectionStatus {
    /// `main` for the settings' own connection, first in the list.
    pub id: String,
    /// The Kanka address it signs in at; "" while the settings are not valid.
    pub server: String,
    pub default: bool,
    pub status: Status,
}

impl ConnectionStatus {
    pub fn new(id: &str, linker: &Linker, default: bool) -> ConnectionStatus {
        let server = linker.config().kanka_url.as_str().trim_end_matches('/').to_owned();
        ConnectionStatus { id: id.to_owned(), server, default, status: linker.status() }
    }

    /// The settings' own connection while the settings are not valid: the status says why.
    pub fn unconfigured(status: Status) -> ConnectionStatus {
        ConnectionStatus { id: MAIN.to_owned(), server: String::new(), default: true, status }
    }
}

/// A connection added for another account, and its sign-in under way.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ConnectionAdded {
    pub id: String,
    pub sign_in: SignInPage,
}

/// A sign-in in progress, as the page sees it: until when it waits, and Kanka's consent page
/// only when no browser could be opened, for the user to copy. That address carries the
/// sign-in's `state`, so the page gets it only when it has to show it, and `Debug` never prints it.
#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "SignInStarted"))]
pub struct SignInPage {
    pub expires_at: DateTime<Utc>,
    pub url: Option<String>,
}

impl SignInPage {
    /// After the browser was asked to open the page: `browser_opened` says whether it could.
    pub fn new(request: AuthorizationRequest, browser_opened: bool) -> SignInPage {
        let url = (!browser_opened).then(|| request.url.to_string());
        SignInPage { expires_at: request.expires_at, url }
    }

    /// Without asking the browser: the countdown only ("Open again" asks the browser).
    pub fn waiting(request: &AuthorizationRequest) -> SignInPage {
        SignInPage { expires_at: request.expires_at, url: None }
    }
}

impl std::fmt::Debug for SignInPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = self.url.as_ref().map(|_| "[redacted: it carries the sign-in's state]");
        f.debug_struct("SignInPage").field("expires_at", &self.expires_at).field("url", &url).finish()
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SettingsView {
    pub values: SettingValues,
    pub origins: SettingOrigins,
    /// The environment variable that set each value, for the form to name (the page keeps no
    /// list of them); null unless the value came from the environment.
    pub variables: SettingVariables,
    pub client_secret_saved: bool,
    pub config_file: String,
    /// What saving meant for the connection, said plainly (another server or API needs its own
    /// sign-in); only in the answer to `save_settings`.
    pub notice: Option<String>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SettingValues {
    pub url: String,
    pub api_url: String,
    pub client_id: String,
    pub redirect_uri: String,
}

/// Where each value came from.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SettingOrigins {
    pub url: OriginKind,
    pub api_url: OriginKind,
    pub client_id: OriginKind,
    pub redirect_uri: OriginKind,
    pub client_secret: OriginKind,
}

/// Where one value came from, as the form says it ([`Origin::kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum OriginKind {
    /// Read-only in the form: saving leaves it alone.
    Environment,
    File,
    Default,
    Keychain,
    Input,
    /// Only the client secret: none is set anywhere.
    Missing,
}

impl From<&Origin> for OriginKind {
    fn from(origin: &Origin) -> OriginKind {
        match origin {
            Origin::Environment(_) => OriginKind::Environment,
            Origin::File(_) => OriginKind::File,
            Origin::Default => OriginKind::Default,
            Origin::Keychain => OriginKind::Keychain,
            Origin::Input | Origin::ServerForm => OriginKind::Input,
        }
    }
}

/// The environment variable behind each value, when the environment set it.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SettingVariables {
    pub url: Option<&'static str>,
    pub api_url: Option<&'static str>,
    pub client_id: Option<&'static str>,
    pub redirect_uri: Option<&'static str>,
    pub client_secret: Option<&'static str>,
}

/// The variable that set a value, if the environment did.
fn variable(origin: &Origin) -> Option<&'static str> {
    match origin {
        Origin::Environment(name) => Some(name),
        _ => None,
    }
}

impl SettingsView {
    pub fn new(sources: &Sources, client_secret_saved: bool, config_file: String) -> SettingsView {
        let client_secret = match &sources.client_secret {
            Some((_, origin)) => origin.into(),
            None if client_secret_saved => OriginKind::Keychain,
            None => OriginKind::Missing,
        };
        SettingsView {
            values: SettingValues {
                url: sources.url.value.clone(),
                api_url: sources.api_url.value.clone(),
                client_id: sources.client_id.value.clone(),
                redirect_uri: sources.redirect_uri.value.clone(),
            },
            origins: SettingOrigins {
                url: (&sources.url.origin).into(),
                api_url: (&sources.api_url.origin).into(),
                client_id: (&sources.client_id.origin).into(),
                redirect_uri: (&sources.redirect_uri.origin).into(),
                client_secret,
            },
            variables: SettingVariables {
                url: variable(&sources.url.origin),
                api_url: variable(&sources.api_url.origin),
                client_id: variable(&sources.client_id.origin),
                redirect_uri: variable(&sources.redirect_uri.origin),
                client_secret: sources.client_secret.as_ref().and_then(|(_, origin)| variable(origin)),
            },
            client_secret_saved,
            config_file,
            notice: None,
        }
    }
}

/// What the setup view shows: where to make a client in Kanka, its name, and the exact redirect
/// to register. Addresses and the client id only: no secret, not even whether one is saved.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SetupInfo {
    pub kanka_url: String,
    /// Kanka's "new client" page (`kanka_rules::new_client_page`).
    pub new_client_page: String,
    /// The name to give the client in Kanka.
    pub client_name: &'static str,
    /// The redirect to register: the environment's when it sets one, else `proposed_redirect`.
    pub redirect_uri: String,
    /// Set by KANKA_LINK_REDIRECT_URI: saving leaves it alone.
    pub redirect_uri_fixed: bool,
    /// The client id as configured ("" when none), to start the field with.
    pub client_id: String,
    pub client_id_fixed: bool,
    pub client_secret_fixed: bool,
}

/// The name the setup view asks the user to give the client in Kanka.
pub const CLIENT_NAME: &str = "Kanka Link";

impl SetupInfo {
    pub fn new(sources: &Sources) -> Result<SetupInfo, ErrorInfo> {
        let url = Url::parse(sources.url.value.trim()).map_err(|e| {
            Error::InvalidSetting { setting: "url", origin: sources.url.origin.clone(), reason: e.to_string() }.info()
        })?;
        let from_env = |setting: &Setting| setting.origin.kind() == "environment";
        let redirect_uri_fixed = from_env(&sources.redirect_uri);
        let redirect_uri = if redirect_uri_fixed {
            sources.redirect_uri.value.trim().to_owned()
        } else {
            // A bridge page saved in the file is kept when Kanka would take it.
            let saved = (sources.redirect_uri.origin.kind() == "file").then_some(sources.redirect_uri.value.as_str());
            kanka_rules::proposed_redirect(&url, saved)
        };
        Ok(SetupInfo {
            new_client_page: kanka_rules::new_client_page(&url).to_string(),
            kanka_url: url.to_string(),
            client_name: CLIENT_NAME,
            redirect_uri,
            redirect_uri_fixed,
            client_id: sources.client_id.value.trim().to_owned(),
            client_id_fixed: from_env(&sources.client_id),
            client_secret_fixed: sources.client_secret.as_ref().is_some_and(|(_, o)| o.kind() == "environment"),
        })
    }
}

/// The settings form as submitted. An empty or absent secret keeps the saved one.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SettingsForm {
    pub url: String,
    pub api_url: String,
    pub client_id: String,
    pub redirect_uri: String,
    #[cfg_attr(test, ts(type = "string | null"))]
    pub client_secret: Option<ClientSecret>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: &str = "TOP-SECRET-STATE-4242";

    fn request() -> AuthorizationRequest {
        let url = format!("https://app.kanka.io/oauth/authorize?client_id=7&state={STATE}&code_challenge=x");
        AuthorizationRequest { url: url.parse().unwrap(), expires_at: Utc::now() }
    }

    fn sources(url: &str, redirect: Setting, secret: Option<&str>) -> Sources {
        let default = |value: &str| Setting { value: value.to_owned(), origin: kanka_link_core::Origin::Default };
        Sources {
            url: default(url),
            api_url: default("https://api.kanka.io/1.0"),
            client_id: default(""),
            redirect_uri: redirect,
            client_secret: secret.map(|s| {
                (ClientSecret::new(s.to_owned()), kanka_link_core::Origin::Environment("KANKA_LINK_CLIENT_SECRET"))
            }),
        }
    }

    #[test]
    fn setup_info_proposes_what_the_server_takes_and_carries_no_secret() {
        use kanka_link_core::Origin;
        let unset = Setting { value: "kanka-link://oauth/callback".to_owned(), origin: Origin::Default };
        let info = SetupInfo::new(&sources("https://app.kanka.io", unset.clone(), Some(STATE))).unwrap();
        assert_eq!(info.new_client_page, "https://app.kanka.io/settings/client/create");
        assert_eq!(info.redirect_uri, "http://localhost:47813/kanka-link/callback");
        assert_eq!(info.client_name, "Kanka Link");
        assert!(!info.redirect_uri_fixed && !info.client_id_fixed && info.client_secret_fixed);
        let sent = serde_json::to_string(&info).unwrap();
        assert!(!sent.contains(STATE), "the secret crossed to the page: {sent}");

        // A server that takes the deep link (self-hosted, the sandbox) gets it.
        let sandbox = SetupInfo::new(&sources("http://127.0.0.1:8080", unset, None)).unwrap();
        assert_eq!(sandbox.redirect_uri, "kanka-link://oauth/callback");
        assert_eq!(sandbox.new_client_page, "http://127.0.0.1:8080/settings/client/create");

        // The environment's redirect is the one to register, even one Kanka refuses (the status says why).
        let env = Setting {
            value: "kanka-link://oauth/callback".to_owned(),
            origin: Origin::Environment("KANKA_LINK_REDIRECT_URI"),
        };
        let fixed = SetupInfo::new(&sources("https://app.kanka.io", env, None)).unwrap();
        assert!(fixed.redirect_uri_fixed);
        assert_eq!(fixed.redirect_uri, "kanka-link://oauth/callback");

        let bad =
            SetupInfo::new(&sources("not a url", Setting { value: String::new(), origin: Origin::Default }, None));
        assert_eq!(bad.unwrap_err().code, kanka_link_core::ErrorCode::InvalidSetting);
    }

    #[test]
    fn debug_never_prints_the_state() {
        for page in
            [SignInPage::new(request(), false), SignInPage::new(request(), true), SignInPage::waiting(&request())]
        {
            let debug = format!("{page:?}");
            assert!(!debug.contains(STATE), "SignInPage leaks the state: {debug}");
            assert!(debug.contains("expires_at"), "{debug}");
        }
    }

    #[test]
    fn the_address_goes_to_the_page_only_when_no_browser_opened() {
        let json = |page: &SignInPage| serde_json::to_value(page).unwrap();
        let copy = json(&SignInPage::new(request(), false));
        assert!(copy["url"].as_str().is_some_and(|url| url.contains(STATE)), "the page shows it to copy: {copy}");
        for page in [SignInPage::new(request(), true), SignInPage::waiting(&request())] {
            let sent = json(&page);
            assert_eq!(sent["url"], serde_json::Value::Null);
            assert!(!sent.to_string().contains(STATE), "{sent}");
            let fields: Vec<&String> = sent.as_object().unwrap().keys().collect();
            assert_eq!(fields, ["expires_at", "url"]);
        }
    }
}
