//! Saving the settings form: which values the file takes, what a save leads to, and the order of
//! the steps. The window's `save_settings` command is a thin call to [`save`], so the policy is
//! tested here, without Tauri.
//!
//! The order: everything is checked first (the form, then the configuration it leads to), so a
//! refused save changes nothing. Then the client secret goes to the keychain, under the server
//! and client the new settings name (keychain entries are per scope, `Config::scope`), before
//! anything else: a keychain that refuses it leaves the file and the engine as they were, and
//! the engine the caller restarts afterwards finds the secret already there. Then the file. If
//! the file cannot be written after the secret was saved, the secret stays in the keychain for
//! the settings the user asked for; the engine keeps running on the old settings. The caller
//! restarts the engine only after [`Plan::apply`] succeeded.

use std::path::{Path, PathBuf};

use oauth2::ClientSecret;

use crate::config::{Config, Environment, ProcessEnvironment, Setting, SettingsFile, Sources};
use crate::error::Result;
use crate::keychain::{Item, Keychain};
use crate::linker::Linker;
use crate::origin::Origin;

/// The settings form as the user filled it in.
#[derive(Debug, Clone)]
pub struct SettingsInput {
    pub url: String,
    pub api_url: String,
    pub client_id: String,
    pub redirect_uri: String,
    /// Blank or absent: the saved one (keychain) is kept.
    pub client_secret: Option<ClientSecret>,
}

/// What is configured now, read once: the file as it is, and the settings it makes with the
/// environment.
#[derive(Debug, Clone)]
pub struct Configured {
    pub file: SettingsFile,
    pub sources: Sources,
}

impl Configured {
    /// A file that cannot be read or parsed counts as empty: saving the form replaces it, which
    /// is how the user repairs it. The environment's values are known either way.
    pub fn read(env: &dyn Environment, path: &Path) -> Configured {
        let file = SettingsFile::read(path).unwrap_or_default();
        let sources = Sources::derive(env, &file, path);
        Configured { file, sources }
    }
}

/// The file a save writes: each value of the form, trimmed, except where the environment sets
/// the value (it wins over the file anyway, and the form shows it read-only): there the file
/// keeps what it had.
pub fn file_to_write(now: &Configured, form: &SettingsInput) -> SettingsFile {
    let value = |setting: &Setting, on_file: &Option<String>, entered: &str| match setting.origin {
        Origin::Environment(_) => on_file.clone(),
        _ => Some(entered.trim().to_owned()),
    };
    let (sources, file) = (&now.sources, &now.file);
    SettingsFile {
        url: value(&sources.url, &file.url, &form.url),
        api_url: value(&sources.api_url, &file.api_url, &form.api_url),
        client_id: value(&sources.client_id, &file.client_id, &form.client_id),
        redirect_uri: value(&sources.redirect_uri, &file.redirect_uri, &form.redirect_uri),
    }
}

/// A checked save, not applied yet.
#[derive(Debug)]
pub struct Plan {
    path: PathBuf,
    pub file: SettingsFile,
    /// The configuration the engine runs on after the save; an error when a value the
    /// environment sets is not valid (the engine then shows it, as at start).
    pub config: Result<Config>,
    /// To save in the keychain; `None` when the form left it blank.
    pub secret: Option<ClientSecret>,
}

/// Checks a save of `form` into the config file at `path`: the form's values (an error names
/// the form as their origin), then the configuration they make with the environment's.
pub fn plan(env: &dyn Environment, path: &Path, form: SettingsInput) -> Result<Plan> {
    let now = Configured::read(env, path);
    let file = file_to_write(&now, &form);
    file.validate_in(env)?;
    let config = Config::check(Sources::derive(env, &file, path));
    let secret = form.client_secret.filter(|s| !s.secret().trim().is_empty());
    Ok(Plan { path: path.to_owned(), file, config, secret })
}

/// What a save has to tell the user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Saved {
    /// The connection does not come along to the new server, client or API (`Linker::moving_to`).
    pub notice: Option<String>,
}

impl Plan {
    /// Saves the secret, then the file (the order is the module's comment). `current` is the
    /// engine running now, if the old settings made one: it says what the change means for its
    /// connection.
    pub async fn apply(self, current: Option<&Linker>) -> Result<Saved> {
        let Plan { path, file, config, secret } = self;
        match (&config, secret) {
            (Ok(config), Some(secret)) => {
                Keychain::new(&config.scope()).write(Item::ClientSecret, secret.into_secret()).await?;
            }
            // A secret needs a scope to be saved under: with settings that make no valid
            // configuration nothing is saved, and the error says which value is wrong.
            (Err(_), Some(_)) => return config.map(|_| Saved::default()),
            (_, None) => {}
        }
        // Checked in `plan`, with the environment the configuration was made with.
        file.store(&path)?;
        let notice = match (current, &config) {
            (Some(current), Ok(next)) => current.moving_to(next),
            _ => None,
        };
        Ok(Saved { notice })
    }
}

/// Checks and applies a save with this process's environment: what the settings form does.
pub async fn save(path: &Path, current: Option<&Linker>, form: SettingsInput) -> Result<Saved> {
    let plan = plan(&ProcessEnvironment, path, form)?;
    plan.apply(current).await
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
