//! Where Kanka Link connects to and as which client. Precedence: environment, then the config
//! file, then built-in defaults. The client secret never comes from a file: the environment, the
//! keychain or a default baked into the build.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use oauth2::{ClientId, ClientSecret};
use serde::{Deserialize, Serialize};
use url::{Host, Url};

use crate::error::{EMPTY_SETTING, Error, Result, Stored};
use crate::kanka_rules;

pub const DEFAULT_KANKA_URL: &str = "https://app.kanka.io";
pub const DEFAULT_API_URL: &str = "https://api.kanka.io/1.0";
pub const DEFAULT_REDIRECT_URI: &str = "kanka-link://oauth/callback";
pub use crate::kanka_rules::DEEP_LINK_CALLBACK;
pub use crate::origin::Origin;
const MAX_URL_LEN: usize = 2048;
const MAX_CLIENT_ID_LEN: usize = 255;

/// The non-secret settings, as the file stores them and the settings form shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsFile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
}

/// How Kanka's answer to the authorization request reaches the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redirect {
    /// `kanka-link://oauth/callback`, registered directly (self-hosted or test servers).
    DeepLink,
    /// An https page that forwards to the deep link (Kanka only registers http(s) URLs).
    Bridge,
    /// `http://localhost:PORT/PATH`: the engine listens on loopback while a sign-in is pending.
    Loopback { host: LoopbackHost, port: u16, path: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopbackHost {
    Localhost,
    Ipv4,
    Ipv6,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub kanka_url: Url,
    pub api_url: Url,
    pub client_id: ClientId,
    pub redirect_uri: Url,
    pub redirect: Redirect,
    /// From the environment or the build; otherwise the engine looks in the keychain.
    pub client_secret: Option<ClientSecret>,
    /// The most one request to Kanka may take, connecting included.
    pub request_timeout: Duration,
}

/// Reads a variable; tests pass a map instead of the process environment.
pub trait Environment {
    fn var(&self, name: &str) -> Option<String>;
}

pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl Environment for BTreeMap<&str, &str> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).map(|value| value.to_string())
    }
}

const ENV_URL: &str = "KANKA_LINK_URL";
const ENV_API_URL: &str = "KANKA_LINK_API_URL";
const ENV_CLIENT_ID: &str = "KANKA_LINK_CLIENT_ID";
const ENV_CLIENT_SECRET: &str = "KANKA_LINK_CLIENT_SECRET";
const ENV_REDIRECT_URI: &str = "KANKA_LINK_REDIRECT_URI";

/// Defaults a distributor may bake in at build time.
const BUILT_IN_CLIENT_ID: Option<&str> = option_env!("KANKA_LINK_BUILT_IN_CLIENT_ID");
const BUILT_IN_CLIENT_SECRET: Option<&str> = option_env!("KANKA_LINK_BUILT_IN_CLIENT_SECRET");

/// One setting as found, before it is checked, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub value: String,
    pub origin: Origin,
}

/// Every setting as found in the environment, the file and the defaults. The settings form
/// shows these even when they do not make a valid [`Config`].
#[derive(Debug, Clone)]
pub struct Sources {
    pub url: Setting,
    pub api_url: Setting,
    pub client_id: Setting,
    pub redirect_uri: Setting,
    pub client_secret: Option<(ClientSecret, Origin)>,
}

impl Sources {
    /// The sources of this process: its environment and the platform config file.
    pub fn load(config_file: &Path) -> Result<Sources> {
        Self::gather(&ProcessEnvironment, config_file)
    }

    pub fn gather(env: &dyn Environment, config_file: &Path) -> Result<Sources> {
        Ok(Self::derive(env, &SettingsFile::read(config_file)?, config_file))
    }

    /// The sources from the environment and `file`, the contents of `config_file` as read (or as
    /// about to be written: settings.rs checks the configuration a save leads to).
    pub fn derive(env: &dyn Environment, file: &SettingsFile, config_file: &Path) -> Sources {
        let pick = |var: &'static str, from_file: &Option<String>, default: Option<&str>| {
            pick(env, var, from_file.as_deref(), config_file, default)
        };
        let client_secret = match env.var(ENV_CLIENT_SECRET).filter(|s| !s.is_empty()) {
            Some(secret) => Some((ClientSecret::new(secret), Origin::Environment(ENV_CLIENT_SECRET))),
            None => BUILT_IN_CLIENT_SECRET.map(|s| (ClientSecret::new(s.to_owned()), Origin::Default)),
        };
        let url = pick(ENV_URL, &file.url, Some(DEFAULT_KANKA_URL));
        // Unset, the redirect is one the server takes: kanka.io refuses the deep link.
        let proposed = Url::parse(url.value.trim())
            .map(|url| kanka_rules::proposed_redirect(&url, None))
            .unwrap_or_else(|_| DEFAULT_REDIRECT_URI.to_owned());
        Sources {
            url,
            api_url: pick(ENV_API_URL, &file.api_url, Some(DEFAULT_API_URL)),
            client_id: pick(ENV_CLIENT_ID, &file.client_id, BUILT_IN_CLIENT_ID),
            redirect_uri: pick(ENV_REDIRECT_URI, &file.redirect_uri, Some(&proposed)),
            client_secret,
        }
    }
}

impl Config {
    /// The configuration of this process: its environment and the platform config file.
    pub fn load(config_file: &Path) -> Result<Config> {
        Self::check(Sources::load(config_file)?)
    }

    pub fn from_sources(env: &dyn Environment, config_file: &Path) -> Result<Config> {
        Self::check(Sources::gather(env, config_file)?)
    }

    /// Checks every setting; the first bad one is named with its origin.
    pub fn check(sources: Sources) -> Result<Config> {
        let Sources { url, api_url, client_id, redirect_uri, client_secret } = sources;
        let redirect_origin = redirect_uri.origin;
        let (redirect_uri, redirect) = parse_redirect_uri(&redirect_uri.value, &redirect_origin)?;
        let kanka_url = parse_server_url("url", &url.value, &url.origin)?;
        check_kanka_rules(&kanka_url, &redirect_uri, &redirect_origin)?;
        Ok(Config {
            kanka_url,
            api_url: parse_server_url("api_url", &api_url.value, &api_url.origin)?,
            client_id: parse_client_id(&client_id.value, &client_id.origin)?,
            redirect_uri,
            redirect,
            client_secret: client_secret.map(|(secret, _)| secret),
            request_timeout: crate::http::REQUEST_TIMEOUT,
        })
    }

    pub fn authorize_url(&self) -> Url {
        join(&self.kanka_url, "oauth/authorize")
    }

    pub fn token_url(&self) -> Url {
        join(&self.kanka_url, "oauth/token")
    }

    pub fn profile_url(&self) -> Url {
        join(&self.api_url, "profile")
    }

    /// Kanka's page for revoking an authorised application (there is no revocation API).
    pub fn apps_settings_url(&self) -> Url {
        join(&self.kanka_url, crate::error::KANKA_APPS_SETTINGS_PATH)
    }

    /// Names keychain entries and files, so that two servers or clients never share tokens.
    pub fn scope(&self) -> String {
        format!("{}@{}", self.client_id.as_str(), self.kanka_url.as_str().trim_end_matches('/'))
    }

    pub fn settings(&self) -> SettingsFile {
        SettingsFile {
            url: Some(self.kanka_url.as_str().trim_end_matches('/').to_owned()),
            api_url: Some(self.api_url.as_str().trim_end_matches('/').to_owned()),
            client_id: Some(self.client_id.to_string()),
            redirect_uri: Some(self.redirect_uri.to_string()),
        }
    }
}

impl SettingsFile {
    pub fn read(path: &Path) -> Result<SettingsFile> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(storage(path, e.to_string())),
        };
        // A secret in a plain file is refused outright rather than silently ignored.
        if let Ok(table) = text.parse::<toml::Table>()
            && table.contains_key("client_secret")
        {
            return Err(Error::InvalidSetting {
                setting: "client_secret",
                origin: Origin::File(path.to_owned()),
                reason: "a secret is never read from a plain file; remove it and enter it in \
                         Settings (kept in the keychain) or set KANKA_LINK_CLIENT_SECRET"
                    .to_owned(),
            });
        }
        toml::from_str(&text).map_err(|e| Error::InvalidSetting {
            setting: "config.toml",
            origin: Origin::File(path.to_owned()),
            reason: e.message().to_owned(),
        })
    }

    /// Checks every value as `Config` would, naming the form as the origin.
    pub fn validate(&self) -> Result<()> {
        self.validate_in(&ProcessEnvironment)
    }

    /// As [`SettingsFile::validate`], with the environment whose values win over the file's:
    /// kanka.io's rules for the redirect apply to the Kanka address in force, which the
    /// environment may set (a sandbox or a self-hosted Kanka takes the deep link).
    pub fn validate_in(&self, env: &dyn Environment) -> Result<()> {
        let input = Origin::Input;
        if let Some(url) = &self.url {
            parse_server_url("url", url, &input)?;
        }
        if let Some(url) = &self.api_url {
            parse_server_url("api_url", url, &input)?;
        }
        if let Some(id) = &self.client_id {
            parse_client_id(id, &input)?;
        }
        if let Some(uri) = &self.redirect_uri {
            let (redirect_uri, _) = parse_redirect_uri(uri, &input)?;
            let in_force = env.var(ENV_URL).filter(|v| !v.is_empty()).or_else(|| self.url.clone());
            let url = parse_server_url("url", in_force.as_deref().unwrap_or(DEFAULT_KANKA_URL), &input)?;
            check_kanka_rules(&url, &redirect_uri, &input)?;
        }
        Ok(())
    }

    /// Writes the file atomically, after validating it.
    pub fn write(&self, path: &Path) -> Result<()> {
        self.validate()?;
        self.store(path)
    }

    /// Writes the file atomically, already validated.
    pub(crate) fn store(&self, path: &Path) -> Result<()> {
        let text = toml::to_string(self).map_err(|e| storage(path, e.to_string()))?;
        crate::files::write_atomically(Stored::ConfigFile, path, text.as_bytes())
    }
}

fn pick(
    env: &dyn Environment,
    var: &'static str,
    from_file: Option<&str>,
    file: &Path,
    default: Option<&str>,
) -> Setting {
    if let Some(value) = env.var(var).filter(|v| !v.is_empty()) {
        return Setting { value, origin: Origin::Environment(var) };
    }
    if let Some(value) = from_file {
        return Setting { value: value.to_owned(), origin: Origin::File(file.to_owned()) };
    }
    Setting { value: default.unwrap_or_default().to_owned(), origin: Origin::Default }
}

fn storage(path: &Path, detail: String) -> Error {
    Error::Storage { what: Stored::ConfigFile, path: Some(path.to_owned()), detail }
}

fn invalid(setting: &'static str, origin: &Origin, reason: impl Into<String>) -> Error {
    Error::InvalidSetting { setting, origin: origin.clone(), reason: reason.into() }
}

fn parse_url(setting: &'static str, value: &str, origin: &Origin) -> Result<Url> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid(setting, origin, EMPTY_SETTING));
    }
    if value.len() > MAX_URL_LEN {
        return Err(invalid(setting, origin, format!("it is longer than {MAX_URL_LEN} characters")));
    }
    let url = Url::parse(value).map_err(|e| invalid(setting, origin, format!("\"{value}\" is not a URL ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(setting, origin, "it must not contain a user name or password"));
    }
    if url.fragment().is_some() {
        return Err(invalid(setting, origin, "it must not contain a #fragment"));
    }
    Ok(url)
}

/// Kanka's own address or its API: https, or http on this machine only (the sandbox).
fn parse_server_url(setting: &'static str, value: &str, origin: &Origin) -> Result<Url> {
    let url = parse_url(setting, value, origin)?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => return Err(invalid(setting, origin, "plain http is only allowed for localhost; use https")),
        other => return Err(invalid(setting, origin, format!("it must be an https URL, not {other}:"))),
    }
    if url.host().is_none() {
        return Err(invalid(setting, origin, "it has no host"));
    }
    if url.query().is_some() {
        return Err(invalid(setting, origin, "it must not contain a ?query"));
    }
    Ok(url)
}

fn parse_client_id(value: &str, origin: &Origin) -> Result<ClientId> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid(
            "client_id",
            origin,
            format!("{EMPTY_SETTING}; create an application in Kanka (Settings → API) and use its client id"),
        ));
    }
    if value.len() > MAX_CLIENT_ID_LEN {
        return Err(invalid("client_id", origin, format!("it is longer than {MAX_CLIENT_ID_LEN} characters")));
    }
    if !value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(invalid("client_id", origin, "it may only contain letters, digits, '-', '_' and '.'"));
    }
    Ok(ClientId::new(value.to_owned()))
}

fn parse_redirect_uri(value: &str, origin: &Origin) -> Result<(Url, Redirect)> {
    const SETTING: &str = "redirect_uri";
    let url = parse_url(SETTING, value, origin)?;
    let redirect = match url.scheme() {
        "kanka-link" if url.as_str() == DEEP_LINK_CALLBACK => Redirect::DeepLink,
        "kanka-link" => {
            return Err(invalid(SETTING, origin, format!("the app's own address is exactly {DEEP_LINK_CALLBACK}")));
        }
        "http" => {
            let host = match url.host() {
                Some(Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => LoopbackHost::Localhost,
                Some(Host::Ipv4(ip)) if ip.is_loopback() => LoopbackHost::Ipv4,
                Some(Host::Ipv6(ip)) if ip.is_loopback() => LoopbackHost::Ipv6,
                _ => {
                    return Err(invalid(
                        SETTING,
                        origin,
                        "an http redirect must point at this machine (http://localhost:PORT/...); \
                         use https for a bridge page",
                    ));
                }
            };
            let Some(port) = url.port() else {
                return Err(invalid(
                    SETTING,
                    origin,
                    "a localhost redirect needs an explicit port, as registered in Kanka",
                ));
            };
            Redirect::Loopback { host, port, path: url.path().to_owned() }
        }
        "https" if url.host().is_some() => Redirect::Bridge,
        other => {
            return Err(invalid(
                SETTING,
                origin,
                format!(
                    "it must be {DEEP_LINK_CALLBACK}, an https bridge page or http://localhost:PORT/..., not {other}:"
                ),
            ));
        }
    };
    Ok((url, redirect))
}

/// kanka.io's client form refuses some redirects this app could use (`kanka_rules`): with
/// kanka.io they are flagged here, before they are saved or used.
fn check_kanka_rules(kanka_url: &Url, redirect_uri: &Url, origin: &Origin) -> Result<()> {
    if !kanka_rules::is_kanka(kanka_url) {
        return Ok(());
    }
    match kanka_rules::redirect_refusal(redirect_uri.as_str()) {
        Some(reason) => Err(invalid("redirect_uri", origin, reason)),
        None => Ok(()),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Appends a path to a base URL whether or not the base ends in a slash.
fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}/{path}", base.path().trim_end_matches('/'));
    url.set_path(&joined);
    url
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
