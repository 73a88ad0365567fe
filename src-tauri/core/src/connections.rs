//! Several Kanka connections, in the model of `gh auth`: the settings' own connection (`main`: the
//! settings' server and client, with its keychain items and record where Kanka Link 0.1.0 kept
//! them, so an upgrade keeps it without a new sign-in), and connections added beside it ("Connect
//! another account": a player account beside a game master's, a test server beside kanka.io),
//! each a Kanka server, its API and a client, in a slot of its own. The added ones and which
//! connection is the default (what `kanka-link token` serves unless told otherwise) are kept in
//! `connections.json` in the data folder; no secret is in it.
//!
//! Each connection is an engine of its own (`Linker`): its own store, lock and timer, so a
//! refused refresh of one never touches another. Kanka's answer to a sign-in goes to the one
//! connection whose sign-in waits for its `state`, and its code only ever to that connection's
//! token endpoint (RFC 9700 §4.4, mix-up: Kanka sends no `iss` to tell servers apart).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::config::{Config, Origin, Setting, Sources};
use crate::error::{Error, Result, Stored, json_problem};
use crate::files::{self, Paths};
use crate::keychain::{Item, Keychain};
use crate::linker::Linker;
use crate::lock;
use crate::peers::Peers;
use crate::settings::SettingsInput;
use crate::status::Status;

/// How long a change to the list waits for another process's (each takes a few milliseconds).
const LIST_LOCK_WAIT: Duration = Duration::from_secs(10);
const LIST_LOCK_POLL: Duration = Duration::from_millis(5);

/// The settings' own connection.
pub const MAIN: &str = "main";
const FORMAT_VERSION: u32 = 1;

/// A connection added beside the settings' own: where it signs in, and as which client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Added {
    /// Its slot: `client_id@kanka_url#slot` names its keychain items and record.
    pub slot: String,
    pub kanka_url: String,
    pub api_url: String,
    pub client_id: String,
    pub redirect_uri: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListFile {
    version: u32,
    /// `main` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default: Option<String>,
    #[serde(default)]
    added: Vec<Added>,
}

/// Every connection, each with its engine. A clone shares the engines; the app answers a deep link
/// with one without holding its lock, and adds and removes connections only on the one it keeps.
#[derive(Clone)]
pub struct Connections {
    path: PathBuf,
    paths: Paths,
    clock: Arc<dyn Clock>,
    main: Config,
    /// `main` first, then the added ones in the order they were added.
    linkers: Vec<(String, Linker)>,
    added: Vec<Added>,
    default: String,
    /// Which account each connection holds, for a sign-in to tell one another holds (peers.rs).
    peers: Arc<Peers>,
}

impl Connections {
    /// Opens the settings' connection (`main`) and those added beside it. A damaged list is an
    /// error that names it; the settings' connection does not depend on it.
    pub fn open(main: Config, paths: &Paths, clock: Arc<dyn Clock>) -> Result<Connections> {
        let path = paths.data_dir.join("connections.json");
        let list = read_list(&path)?;
        let mut linkers = vec![(MAIN.to_owned(), Linker::open(main.clone(), paths, clock.clone()))];
        for added in &list.added {
            let config = added_config(added, &main, &path)?;
            linkers.push((added.slot.clone(), Linker::open_slot(config, paths, clock.clone(), Some(&added.slot))));
        }
        let default = list.default.filter(|id| linkers.iter().any(|(slot, _)| slot == id)).unwrap_or(MAIN.to_owned());
        let peers = Arc::new(Peers::default());
        linkers.iter().for_each(|(_, linker)| linker.join(&peers));
        Ok(Connections { path, paths: paths.clone(), clock, main, linkers, added: list.added, default, peers })
    }

    /// Every connection, `main` first.
    pub fn all(&self) -> impl Iterator<Item = (&str, &Linker)> {
        self.linkers.iter().map(|(id, linker)| (id.as_str(), linker))
    }

    pub fn get(&self, id: &str) -> Option<&Linker> {
        self.linkers.iter().find(|(slot, _)| slot == id).map(|(_, linker)| linker)
    }

    pub fn default_id(&self) -> &str {
        &self.default
    }

    pub fn default_linker(&self) -> &Linker {
        self.get(&self.default).unwrap_or(&self.linkers[0].1)
    }

    /// The connection a command names: by its account (name or id) and its Kanka server, either
    /// or both; the default one when neither is given. Several matches are an error that says so.
    pub fn select(&self, account: Option<&str>, server: Option<&str>) -> Result<(&str, &Linker)> {
        if account.is_none() && server.is_none() {
            return Ok((self.default.as_str(), self.default_linker()));
        }
        let same_server = |linker: &Linker| {
            server.is_none_or(|wanted| {
                linker.config().kanka_url.as_str().trim_end_matches('/') == wanted.trim().trim_end_matches('/')
            })
        };
        let same_account = |linker: &Linker| {
            account.is_none_or(|wanted| {
                linker.status().account.is_some_and(|a| a.name == wanted || a.id.to_string() == wanted)
            })
        };
        let found: Vec<_> = self.all().filter(|(_, linker)| same_server(linker) && same_account(linker)).collect();
        let wanted = [account.map(|a| format!("account {a}")), server.map(|s| format!("server {s}"))]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" on ");
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(Error::NoSuchConnection { wanted, known: self.describe() }),
            _ => Err(Error::AmbiguousConnection { wanted, known: self.describe() }),
        }
    }

    /// What `--account` and `--server` can name, for an error message.
    fn describe(&self) -> String {
        let names: Vec<String> = self
            .all()
            .map(|(id, linker)| {
                let server = linker.config().kanka_url.as_str().trim_end_matches('/').to_owned();
                match linker.status().account {
                    Some(account) => format!("{} (id {}) on {server}", account.name, account.id),
                    None => format!("{id} (not signed in) on {server}"),
                }
            })
            .collect();
        names.join("; ")
    }

    /// A new connection beside the others ("Connect another account"), to the server and client
    /// of `config` (the settings' own when the user adds a second account to the same Kanka). It
    /// has no tokens until it signs in.
    pub fn add(&mut self, config: &Config) -> Result<String> {
        // Never an id this process knew, even one another process removed meanwhile: the
        // window's timer and card of that one may still be going.
        let known: Vec<String> = self.linkers.iter().map(|(id, _)| id.clone()).collect();
        let _list = self.lock_list()?;
        self.sync()?;
        let free = |n: &String| self.get(n).is_none() && !known.contains(n);
        let slot = (2..).map(|n| n.to_string()).find(free).unwrap_or_default();
        let added = Added {
            slot: slot.clone(),
            kanka_url: config.kanka_url.as_str().trim_end_matches('/').to_owned(),
            api_url: config.api_url.as_str().trim_end_matches('/').to_owned(),
            client_id: config.client_id.as_str().to_owned(),
            redirect_uri: config.redirect_uri.to_string(),
        };
        let opened = added_config(&added, &self.main, &self.path)?;
        let mut list = self.added.clone();
        list.push(added);
        self.write(&list, &self.default)?;
        self.added = list;
        let linker = Linker::open_slot(opened, &self.paths, self.clock.clone(), Some(&slot));
        linker.join(&self.peers);
        self.linkers.push((slot.clone(), linker));
        Ok(slot)
    }

    /// "Connect another account" on another Kanka: [`server_from`], then [`Connections::add`].
    pub async fn add_server(&mut self, form: SettingsInput) -> Result<String> {
        let config = server_from(form, &self.main).await?;
        self.add(&config)
    }

    /// Forgets an added connection's place in the list (after it was disconnected: its keychain
    /// items and record are gone). The settings' own stays: it is the settings.
    pub fn remove(&mut self, id: &str) -> Result<()> {
        if id == MAIN {
            return Ok(());
        }
        let _list = self.lock_list()?;
        self.sync()?;
        let list: Vec<Added> = self.added.iter().filter(|a| a.slot != id).cloned().collect();
        let default = if self.default == id { MAIN.to_owned() } else { self.default.clone() };
        self.write(&list, &default)?;
        self.added = list;
        self.default = default;
        self.linkers.iter().filter(|(slot, _)| slot == id).for_each(|(_, linker)| linker.leave());
        self.linkers.retain(|(slot, _)| slot != id);
        Ok(())
    }

    /// Makes `id` the connection commands use unless told otherwise (`kanka-link switch`).
    pub fn set_default(&mut self, id: &str) -> Result<()> {
        let _list = self.lock_list()?;
        self.sync()?;
        if self.get(id).is_none() {
            return Err(Error::NoSuchConnection { wanted: id.to_owned(), known: self.describe() });
        }
        self.write(&self.added, id)?;
        self.default = id.to_owned();
        Ok(())
    }

    /// Hands Kanka's answer to the one connection whose sign-in waits for it; an answer none
    /// waits for goes to the default connection, which refuses it as stray (a passing notice).
    /// The code of an answer is thus only ever sent to the token endpoint of the server whose
    /// sign-in issued its `state`.
    pub async fn handle_callback(&self, url: &str) -> Result<(String, Status)> {
        for (id, linker) in self.all() {
            if linker.waits_for(url).await {
                return linker.handle_callback(url).await.map(|status| (id.to_owned(), status));
            }
        }
        let linker = self.default_linker();
        linker.handle_callback(url).await.map(|status| (self.default.clone(), status))
    }

    /// Takes in what another process (`kanka-link switch` or `disconnect` while the window is
    /// open) did to the list, so a change made here is made to the list as it is now and never
    /// writes an older one back: connections it removed go (their engines leave), ones it added
    /// come, its default holds.
    pub fn sync(&mut self) -> Result<()> {
        let list = read_list(&self.path)?;
        for gone in self.added.iter().filter(|a| !list.added.contains(a)) {
            if let Some((_, linker)) = self.linkers.iter().find(|(slot, _)| *slot == gone.slot) {
                linker.leave();
            }
            self.linkers.retain(|(slot, _)| *slot != gone.slot);
        }
        for new in list.added.iter().filter(|a| !self.added.contains(a)) {
            let config = added_config(new, &self.main, &self.path)?;
            let linker = Linker::open_slot(config, &self.paths, self.clock.clone(), Some(&new.slot));
            linker.join(&self.peers);
            self.linkers.push((new.slot.clone(), linker));
        }
        let default = list.default.filter(|id| self.get(id).is_some());
        self.default = default.unwrap_or(MAIN.to_owned());
        self.added = list.added;
        Ok(())
    }

    /// The list's lock across processes (`connections.lock`), held from reading the list to
    /// writing it back: two processes changing it at once (the window adding an account while
    /// `kanka-link disconnect` removes another) each change the list the other left, never an
    /// older copy.
    fn lock_list(&self) -> Result<File> {
        lock::hold_file_lock(&self.path.with_extension("lock"), LIST_LOCK_WAIT, LIST_LOCK_POLL)
    }

    fn write(&self, added: &[Added], default: &str) -> Result<()> {
        let list = ListFile {
            version: FORMAT_VERSION,
            default: (default != MAIN).then(|| default.to_owned()),
            added: added.to_vec(),
        };
        let json = serde_json::to_vec_pretty(&list).map_err(|e| storage(&self.path, e.to_string()))?;
        files::write_atomically(Stored::ConnectionsFile, &self.path, &json)
    }
}

/// Another Kanka (a test server beside kanka.io, a self-hosted one) as the user filled in its
/// server, API, client and redirect: checked as the settings are (an error names the field),
/// nothing saved before all of it passed. The client secret then goes to the keychain under that
/// server and client, before the caller adds the connection, so a keychain that refuses it adds
/// nothing; left blank, the one the keychain (or, for the settings' own server and client, the
/// settings, `main`) already has is used, and there must be one. The settings' own server and
/// client keep the settings' secret: a different one typed here is refused, never written over it
/// (the settings' connection would then refresh with a secret nobody checked). Apart from
/// [`Connections::add`] so that the window waits for the keychain without holding its list.
pub async fn server_from(form: SettingsInput, main: &Config) -> Result<Config> {
    let values = [&form.url, &form.api_url, &form.client_id, &form.redirect_uri].map(|v| v.trim());
    let config = checked(values, Origin::ServerForm)?;
    let keychain = Keychain::new(&config.scope());
    let typed = form.client_secret.filter(|s| !s.secret().trim().is_empty()).map(|s| s.secret().trim().to_owned());
    let settings_own = config.scope() == main.scope();
    let known = match &main.client_secret {
        Some(secret) if settings_own => Some(secret.secret().clone()),
        _ => keychain.read(Item::ClientSecret).await?,
    };
    match (typed, known) {
        (Some(typed), Some(known)) if settings_own && typed != known => {
            return Err(Error::InvalidSetting {
                setting: "client_secret",
                origin: Origin::ServerForm,
                reason: "it is not the secret your settings hold for this Kanka and client (change that one in \
                         Settings, or leave this one blank)"
                    .to_owned(),
            });
        }
        (Some(typed), known) if known.as_ref() != Some(&typed) => keychain.write(Item::ClientSecret, typed).await?,
        (None, None) => {
            return Err(Error::MissingClientSecret { client_id: config.client_id.as_str().to_owned() });
        }
        _ => {}
    }
    Ok(config)
}

fn read_list(path: &Path) -> Result<ListFile> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ListFile::default()),
        Err(e) => return Err(storage(path, e.to_string())),
    };
    let list: ListFile = serde_json::from_slice(&bytes).map_err(|e| storage(path, json_problem(&e).to_owned()))?;
    if list.version != FORMAT_VERSION {
        return Err(storage(path, format!("written by another version of Kanka Link (format {})", list.version)));
    }
    Ok(list)
}

/// An added connection's settings, checked as the settings are; the request timeout is the
/// settings'. The client secret is the server and client's own (the environment's for the
/// settings' client, else the keychain's).
fn added_config(added: &Added, main: &Config, path: &Path) -> Result<Config> {
    let values = [&added.kanka_url, &added.api_url, &added.client_id, &added.redirect_uri].map(String::as_str);
    let mut config = checked(values, Origin::File(path.to_owned()))?;
    config.request_timeout = main.request_timeout;
    if config.scope() == main.scope() {
        config.client_secret = main.client_secret.clone();
    }
    Ok(config)
}

/// A connection's server, API, client and redirect (in that order), all from `origin`, checked as
/// the settings are; its client secret is found later (the keychain's, or the settings').
fn checked([url, api_url, client_id, redirect_uri]: [&str; 4], origin: Origin) -> Result<Config> {
    let setting = |value: &str| Setting { value: value.to_owned(), origin: origin.clone() };
    Config::check(Sources {
        url: setting(url),
        api_url: setting(api_url),
        client_id: setting(client_id),
        redirect_uri: setting(redirect_uri),
        client_secret: None,
    })
}

fn storage(path: &Path, detail: String) -> Error {
    Error::Storage { what: Stored::ConnectionsFile, path: Some(path.to_owned()), detail }
}
