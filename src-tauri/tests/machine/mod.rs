//! A machine with Kanka Link set up, for the tests that run the real `kanka-link` binary
//! (processes.rs, token_source.rs, connections.rs): its folders, its settings in the environment
//! the binary reads, the sandbox Kanka on loopback, and this test's own engine on the same files;
//! and, for several connections, a second sandbox Kanka added beside the settings' own, or a
//! second account of the settings' own. Each test
//! file adds what only it needs in an `impl Machine` of its own.

// Each test binary uses a part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use kanka_link_core::clock::SystemClock;
use kanka_link_core::{ClientSecret, Config, Connections, Linker, Paths, State, Status};
use kanka_sandbox::{Sandbox, SandboxConfig};
use kanka_test_support::{consent, fresh_dir, require_private_keychain};

pub const APP: &str = env!("CARGO_BIN_EXE_kanka-link");

pub struct Machine {
    pub sandbox: Sandbox,
    pub env: Vec<(&'static str, String)>,
    pub linker: Linker,
    /// Everything the machine's Kanka Link writes is below it.
    pub dir: PathBuf,
    pub paths: Paths,
}

/// A second Kanka, added as a connection beside the settings' own and signed in to.
pub struct Other {
    pub sandbox: Sandbox,
    /// The connection's id (`switch` takes it).
    pub id: String,
    pub config: Config,
}

impl Other {
    /// Its keychain items are named by it (`access-token:SCOPE`).
    pub fn scope(&self) -> String {
        format!("{}#{}", self.config.scope(), self.id)
    }

    /// Its address, as `--server` takes it.
    pub fn server(&self) -> String {
        self.sandbox.base_url().trim_end_matches('/').to_owned()
    }
}

/// A sandbox Kanka whose tokens live `token_lifetime`, its user named `user_name`.
async fn sandbox(token_lifetime: Duration, user_name: &str) -> Sandbox {
    // Kanka's refresh token lives as long as its access token, a year, and the pair is renewed
    // at nine months: three months to spare. A 10 s sandbox pair would leave 2.5 s, which a
    // loaded machine overran ("Token has expired", reconnect needed): the refresh tokens
    // here live at least an hour, so that the margin is Kanka's kind, not the machine's speed.
    let refresh_token_lifetime = Some(token_lifetime.max(Duration::from_secs(3600)));
    let user_name = user_name.to_owned();
    let config = SandboxConfig { token_lifetime, refresh_token_lifetime, user_name, ..SandboxConfig::default() };
    Sandbox::start(config).await.unwrap()
}

impl Machine {
    /// `name` names the machine's folder (fresh_dir).
    pub async fn start(name: &str, token_lifetime: Duration) -> Machine {
        require_private_keychain();
        let sandbox = sandbox(token_lifetime, &SandboxConfig::default().user_name).await;
        let dir = fresh_dir(name);
        let config = sandbox.config().clone();
        let env = vec![
            ("XDG_CONFIG_HOME", dir.join("config").display().to_string()),
            ("XDG_DATA_HOME", dir.join("data").display().to_string()),
            ("XDG_STATE_HOME", dir.join("state").display().to_string()),
            ("KANKA_LINK_URL", sandbox.base_url()),
            ("KANKA_LINK_API_URL", sandbox.api_url()),
            ("KANKA_LINK_CLIENT_ID", config.client_id.clone()),
            ("KANKA_LINK_CLIENT_SECRET", config.client_secret.clone()),
        ];
        // The folders the binary derives from the XDG variables above.
        let paths = Paths {
            config_file: dir.join("config/kanka-link/config.toml"),
            data_dir: dir.join("data/kanka-link"),
            log_dir: dir.join("state/kanka-link/logs"),
        };
        let vars: std::collections::BTreeMap<&str, &str> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let config = Config::from_sources(&vars, &paths.config_file).unwrap();
        let linker = Linker::open(config, &paths, Arc::new(SystemClock));
        Machine { sandbox, env, linker, dir, paths }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(APP);
        command.args(args).envs(self.env.iter().map(|(k, v)| (*k, v))).stdin(Stdio::null());
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("kanka-link runs")
    }

    pub fn status(&self) -> Status {
        let output = self.run(&["status", "--json"]);
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!("`status --json` is not a status ({e}): {}", String::from_utf8_lossy(&output.stdout))
        })
    }

    /// Signs in as a user does, through this test's engine.
    pub async fn connect(&self) {
        let request = self.linker.begin_connect().await.unwrap();
        let callback = consent(&request.url, true).await;
        self.linker.handle_callback(&callback).await.unwrap();
    }

    /// The machine's connections, as a process that starts now finds them.
    pub fn connections(&self) -> Connections {
        Connections::open(self.linker.config().clone(), &self.paths, Arc::new(SystemClock)).unwrap()
    }

    /// A second Kanka (its user named `user_name`), added beside the settings' own as the window
    /// adds one (core's `Connections::add`, its client secret in the keychain), and signed in to
    /// as a user does, Kanka's answer handed to whichever connection waits for it. The command
    /// line has no sign-in of its own.
    pub async fn add_server(&self, user_name: &str, token_lifetime: Duration) -> Other {
        let sandbox = sandbox(token_lifetime, user_name).await;
        let secret = sandbox.config().client_secret.clone();
        let vars = std::collections::BTreeMap::from([
            ("KANKA_LINK_URL", sandbox.base_url()),
            ("KANKA_LINK_API_URL", sandbox.api_url()),
            ("KANKA_LINK_CLIENT_ID", sandbox.config().client_id.clone()),
        ]);
        let vars: std::collections::BTreeMap<&str, &str> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        // No config file: only the variables above count.
        let config = Config::from_sources(&vars, &self.dir.join("no-such-config.toml")).unwrap();
        let mut connections = self.connections();
        let id = connections.add(&config).unwrap();
        let linker = connections.get(&id).unwrap();
        linker.save_client_secret(ClientSecret::new(secret)).await.unwrap();
        let request = linker.begin_connect().await.unwrap();
        let answer = consent(&request.url, true).await;
        let (answered, status) = connections.handle_callback(&answer).await.unwrap();
        assert_eq!((answered.as_str(), status.state), (id.as_str(), State::Connected));
        Other { sandbox, id, config }
    }

    /// A second account of the settings' own Kanka: the browser signs in to Kanka as it, and
    /// "Connect another account" signs it in (core's `Connections::add` with the settings'
    /// server and client). Returns the connection's id.
    pub async fn add_account(&self, user_id: u64, name: &str) -> String {
        self.sandbox.sign_in_as(user_id, name);
        let mut connections = self.connections();
        let id = connections.add(self.linker.config()).unwrap();
        let request = connections.get(&id).unwrap().begin_connect().await.unwrap();
        let answer = consent(&request.url, true).await;
        let (answered, status) = connections.handle_callback(&answer).await.unwrap();
        assert_eq!((answered.as_str(), status.state), (id.as_str(), State::Connected));
        id
    }
}
