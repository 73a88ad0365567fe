//! What a storage error failed on: the status file, the config file, a folder... so that its
//! message names it and its hint says what to do about that one (error.rs, `Error::Storage`).

use std::path::Path;

/// What an [`Error::Storage`](crate::Error::Storage) failed on, so its message and hint name it
/// and say what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// The record of a connection (`connection-*.json`): its state and dates, never a token.
    StatusFile,
    /// `config.toml`, the settings.
    ConfigFile,
    /// `connections.json`: the connections added beside the settings' own, and the default.
    ConnectionsFile,
    /// The file whose lock the processes take in turn (`connection-*.lock`).
    LockFile,
    /// The platform's folders for this user; missing, there is no path to name.
    ConfigFolder,
    DataFolder,
    LogFolder,
    /// The login check's entry in the desktop's autostart folder.
    AutostartEntry,
    /// The program the autostart entry runs: this install's `kanka-link`.
    Program,
}

impl std::fmt::Display for Stored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::StatusFile => "status file",
            Self::ConfigFile => "config file",
            Self::ConnectionsFile => "list of connections",
            Self::LockFile => "lock file",
            Self::ConfigFolder => "config folder",
            Self::DataFolder => "data folder",
            Self::LogFolder => "log folder",
            Self::AutostartEntry => "autostart entry",
            Self::Program => "own program",
        })
    }
}

impl Stored {
    /// What to do about it; `path` is the file's, if there is one.
    pub(crate) fn hint(self, path: Option<&Path>) -> String {
        let folder = path.and_then(Path::parent).map(|p| format!(" ({})", p.display())).unwrap_or_default();
        let writable = format!("Check that its folder{folder} is yours and writable and that the disk has space");
        match self {
            Self::StatusFile => format!(
                "{writable}, then try again. If the file is damaged, Disconnect and connect again: that replaces it."
            ),
            Self::ConfigFile => format!("{writable}, then save the settings again."),
            Self::ConnectionsFile => format!(
                "{writable}, then try again. If the file is damaged, remove it: the connection of the settings \
                 stays, the others need a new sign-in."
            ),
            Self::LockFile => format!("{writable}, then try again; if it keeps happening, restart Kanka Link."),
            Self::ConfigFolder | Self::DataFolder | Self::LogFolder => {
                "Kanka Link keeps its files in your home folder: set HOME (or the XDG base folders) for \
                 this user, then start Kanka Link again."
                    .to_owned()
            }
            Self::AutostartEntry if path.is_none() => {
                "Keep Kanka Link open instead: it renews the connection while it runs.".to_owned()
            }
            Self::AutostartEntry => format!("{writable}, then switch \"Keep linked\" on again."),
            Self::Program => "Start the Kanka Link that is installed (from the menu, not a copy in another \
                 folder), then switch \"Keep linked\" on again."
                .to_owned(),
        }
    }
}
