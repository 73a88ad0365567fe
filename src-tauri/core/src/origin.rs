//! Where a setting's value came from: the environment, the config file, the defaults, the
//! keychain, the settings form or the form for another Kanka server. A leaf module: the settings
//! (config.rs) and the errors that name a bad setting (error.rs) both use it, and neither may
//! import the other back.

use std::fmt;
use std::path::PathBuf;

/// Where a setting's value came from, so an error can say where to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Environment(&'static str),
    File(PathBuf),
    Default,
    Keychain,
    Input,
    /// The window's form for a connection to another Kanka (connections.rs, `server_from`).
    ServerForm,
}

impl Origin {
    /// One word for the settings form: `environment`, `file`, `default`, `keychain` or `input`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Environment(_) => "environment",
            Self::File(_) => "file",
            Self::Default => "default",
            Self::Keychain => "keychain",
            Self::Input | Self::ServerForm => "input",
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Environment(name) => write!(f, "the environment variable {name}"),
            Self::File(path) => write!(f, "the config file {}", path.display()),
            Self::Default => f.write_str("the built-in defaults"),
            Self::Keychain => f.write_str("the keychain"),
            Self::Input => f.write_str("the settings form"),
            Self::ServerForm => f.write_str("the form for another Kanka server"),
        }
    }
}
