//! The world a test runs in: a sandbox Kanka on loopback, a private keychain (the harness's),
//! a fresh data folder and a clock.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use chrono::Utc;
use kanka_link_core::clock::{Clock, ManualClock, SystemClock};
use kanka_link_core::{Config, Linker, Paths, State, Status};
use kanka_sandbox::{Sandbox, SandboxConfig};
pub use kanka_test_support::*;
use url::Url;

/// Token requests a Connect's setup check sends (the code exchange it makes with a code no server
/// issued; check.rs): counted by `Stats::token_requests`, spending nothing.
pub const CHECK_TOKEN_REQUESTS: u64 = 1;

/// The sandbox's client and the default (deep-link) redirect.
pub const DEEP_LINK: &str = "kanka-link://oauth/callback";

pub struct World {
    pub sandbox: Sandbox,
    pub dir: PathBuf,
    pub clock: Arc<dyn Clock>,
    /// The same clock, when the test moves it by hand.
    pub manual: Option<Arc<ManualClock>>,
    pub linker: Linker,
    pub config: Config,
}

pub struct Setup {
    pub sandbox: SandboxConfig,
    pub redirect_uri: String,
    pub manual_clock: Option<Arc<ManualClock>>,
    pub secret: Option<String>,
    pub request_timeout: Option<Duration>,
}

/// A client id of this world's own: the keychain is shared by every test of the run, and a
/// scope (`client_id@http://127.0.0.1:port`) made of the sandbox's default client and a port the
/// system gave an earlier test again would find that test's items.
fn unique_client_id() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("{}{:04}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            sandbox: SandboxConfig { client_id: unique_client_id(), ..SandboxConfig::default() },
            redirect_uri: DEEP_LINK.to_owned(),
            manual_clock: None,
            secret: Some(SandboxConfig::default().client_secret),
            request_timeout: None,
        }
    }
}

impl Setup {
    pub fn token_lifetime(mut self, secs: u64) -> Setup {
        self.sandbox.token_lifetime = Duration::from_secs(secs);
        self
    }

    pub fn manual_clock(mut self) -> Setup {
        self.manual_clock = Some(Arc::new(ManualClock::new(Utc::now())));
        self
    }

    pub fn loopback(mut self, uri: &str) -> Setup {
        self.sandbox.redirect_uris.push(uri.to_owned());
        self.redirect_uri = uri.to_owned();
        self
    }

    pub async fn start(self) -> World {
        require_private_keychain();
        let sandbox = Sandbox::start(self.sandbox).await.expect("the sandbox starts");
        let dir = fresh_dir("engine");
        let secret = self.secret.unwrap_or_default();
        let base = sandbox.base_url();
        let api = sandbox.api_url();
        let client_id = sandbox.config().client_id.clone();
        let env: BTreeMap<&str, &str> = [
            ("KANKA_LINK_URL", base.as_str()),
            ("KANKA_LINK_API_URL", api.as_str()),
            ("KANKA_LINK_CLIENT_ID", client_id.as_str()),
            ("KANKA_LINK_CLIENT_SECRET", secret.as_str()),
            ("KANKA_LINK_REDIRECT_URI", self.redirect_uri.as_str()),
        ]
        .into();
        let paths = Paths::under(&dir);
        let mut config = Config::from_sources(&env, &paths.config_file).expect("a valid test config");
        if let Some(timeout) = self.request_timeout {
            config.request_timeout = timeout;
        }
        let clock: Arc<dyn Clock> = match &self.manual_clock {
            Some(manual) => manual.clone(),
            None => Arc::new(SystemClock),
        };
        let linker = Linker::open(config.clone(), &paths, clock.clone());
        World { sandbox, dir, clock, manual: self.manual_clock, linker, config }
    }
}

impl World {
    pub async fn start() -> World {
        Setup::default().start().await
    }

    pub fn paths(&self) -> Paths {
        Paths::under(&self.dir)
    }

    /// Another process on the same machine: same keychain, same files, its own engine.
    pub fn open_another(&self) -> Linker {
        Linker::open(self.config.clone(), &self.paths(), self.clock.clone())
    }

    /// Plays the user in the browser: opens the consent page and clicks Authorize or Cancel.
    /// Returns where Kanka redirects the browser.
    pub async fn consent(&self, authorize_url: &Url, approve: bool) -> String {
        consent(authorize_url, approve).await
    }

    /// The whole sign-in, as a user does it.
    pub async fn connect(&self) -> Status {
        let request = self.linker.begin_connect().await.expect("the sign-in starts");
        let callback = self.consent(&request.url, true).await;
        let status = self.linker.handle_callback(&callback).await.expect("the sign-in completes");
        assert_eq!(status.state, State::Connected, "{status:?}");
        status
    }

    pub async fn access_token(&self) -> String {
        self.linker.access_token().await.expect("an access token").secret().clone()
    }

    pub fn scope(&self) -> String {
        self.config.scope()
    }

    /// Moves the manual clock once the code under test is asleep on it, so each step is seen.
    pub async fn advance(&self, by: Duration) {
        let clock = self.manual.as_ref().expect("a manual clock");
        clock.wait_for_sleepers(1).await;
        clock.advance(by);
    }
}

/// Waits (in real time, bounded) until the status satisfies `done`.
pub async fn wait_for_status(linker: &Linker, what: &str, done: impl Fn(&Status) -> bool) -> Status {
    let mut updates = linker.subscribe();
    let waited = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let status = updates.borrow_and_update().clone();
            if done(&status) {
                return status;
            }
            updates.changed().await.expect("the linker lives");
        }
    })
    .await;
    waited.unwrap_or_else(|_| panic!("timed out waiting for {what}; status: {:?}", linker.status()))
}

/// Waits (in real time, bounded) until the sandbox's counters satisfy `done`.
pub async fn wait_for_sandbox(sandbox: &Sandbox, what: &str, done: impl Fn(&kanka_sandbox::Stats) -> bool) {
    for _ in 0..400 {
        if done(&sandbox.stats()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}; sandbox: {:?}", sandbox.stats());
}
