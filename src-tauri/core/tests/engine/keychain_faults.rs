//! The keychain failing under a connection: missing at start-up and back later, locked, and
//! gone between a successful refresh and the keychain write. Each scenario runs in a child
//! process on a D-Bus of its own, whose gnome-keyring the scenario starts, kills and locks.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use kanka_link_core::{ErrorCode, State};
use kanka_sandbox::Fault;

use crate::common::*;

const CHILD: &str = "KANKA_LINK_KEYCHAIN_FAULTS_DIR";

/// Runs the calling test again in a child process whose session bus is `dir/bus`: nothing
/// listens there until the scenario starts its own dbus-daemon.
pub(crate) fn in_child(test: &str) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(CHILD) {
        return Some(PathBuf::from(dir));
    }
    let dir = fresh_dir("keychain-faults");
    let bus = format!("unix:path={}", dir.join("bus").display());
    let dir = dir.display().to_string();
    let log = rerun_in_child(
        test,
        &[(CHILD, dir.as_str()), ("DBUS_SESSION_BUS_ADDRESS", bus.as_str()), ("KANKA_LINK_PRIVATE_BUS", bus.as_str())],
    );
    for line in log.lines().filter(|line| line.starts_with("keychain fault:")) {
        println!("{line}");
    }
    None
}

/// A session bus and a gnome-keyring of the scenario's own.
pub(crate) struct Daemons {
    dir: PathBuf,
    bus: Option<Child>,
    keyring: Option<Child>,
}

impl Daemons {
    pub(crate) fn new(dir: &Path) -> Daemons {
        // No service directories: a keyring the test stopped must not be started again by D-Bus.
        std::fs::write(
            dir.join("bus.conf"),
            format!(
                "<busconfig><type>session</type><listen>unix:path={}</listen>\
                 <policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>\
                 <allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>",
                dir.join("bus").display()
            ),
        )
        .unwrap();
        Daemons { dir: dir.to_owned(), bus: None, keyring: None }
    }

    pub(crate) fn start(&mut self) {
        let bus = Command::new("dbus-daemon")
            .args(["--nofork", "--nopidfile", &format!("--config-file={}", self.dir.join("bus.conf").display())])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.bus = Some(bus);
        wait_until("the bus", || self.dir.join("bus").exists());
        self.start_keyring();
    }

    pub(crate) fn start_keyring(&mut self) {
        let home = self.dir.join("home");
        std::fs::create_dir_all(home.join("run")).unwrap();
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--replace", "--unlock", "--components=secrets"])
            .env("HOME", &home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_RUNTIME_DIR", home.join("run"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        keyring.stdin.take().unwrap().write_all(b"keychain-faults").unwrap();
        self.keyring = Some(keyring);
        wait_until("the Secret Service", || {
            let owner =
                gdbus("org.freedesktop.DBus", "/org/freedesktop/DBus", "DBus.NameHasOwner", "org.freedesktop.secrets");
            String::from_utf8_lossy(&owner.stdout).contains("true")
        });
    }

    pub(crate) fn stop_keyring(&mut self) {
        if let Some(mut keyring) = self.keyring.take() {
            keyring.kill().unwrap();
            keyring.wait().unwrap();
        }
    }

    fn stop(&mut self) {
        self.stop_keyring();
        if let Some(mut bus) = self.bus.take() {
            bus.kill().unwrap();
            bus.wait().unwrap();
        }
        let _ = std::fs::remove_file(self.dir.join("bus"));
    }

    pub(crate) fn lock(&self) {
        let login = "['/org/freedesktop/secrets/collection/login']";
        let locked = gdbus("org.freedesktop.secrets", "/org/freedesktop/secrets", "Secret.Service.Lock", login);
        assert!(locked.status.success(), "{}", String::from_utf8_lossy(&locked.stderr));
    }
}

impl Drop for Daemons {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A method call on the session bus; `method` is relative to `org.freedesktop.`.
fn gdbus(destination: &str, object: &str, method: &str, argument: &str) -> std::process::Output {
    Command::new("gdbus")
        .args(["call", "--session", "--dest", destination, "--object-path", object])
        .args(["--method", &format!("org.freedesktop.{method}"), argument])
        .output()
        .unwrap()
}

pub(crate) fn wait_until(what: &str, ready: impl Fn() -> bool) {
    for _ in 0..200 {
        if ready() {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("{what} did not come up");
}

#[tokio::test]
async fn a_keychain_missing_at_start_up_is_reported_and_used_once_it_comes() {
    let Some(dir) = in_child("keychain_faults::a_keychain_missing_at_start_up_is_reported_and_used_once_it_comes")
    else {
        return;
    };
    let mut daemons = Daemons::new(&dir);
    daemons.start();
    let world = World::start().await;
    world.connect().await;
    let token = world.access_token().await;
    daemons.stop();

    // The app starts with no Secret Service on the bus, nor a bus.
    let app = world.open_another();
    let _timer = app.spawn_background();
    let status = wait_for_status(&app, "the keychain error", |s| s.state == State::Error).await;
    let error = status.last_error.unwrap();
    assert_eq!(error.code, ErrorCode::KeychainUnavailable);
    assert!(error.hint.unwrap().contains("Secret Service"));

    // The keychain comes up (the same login keyring): the timer's next try finds the tokens.
    daemons.start();
    let status =
        wait_for_status(&app, "the connection back", |s| s.state == State::Connected && s.last_error.is_none()).await;
    assert_eq!(status.account.unwrap().name, "Sandbox Sage");
    assert_eq!(app.access_token().await.unwrap().secret(), &token);
    assert!(world.sandbox.access_token_is_valid(&token));
    println!("keychain fault: missing at start-up → reported ({}), used once it came up, token intact", error.message);
}

#[tokio::test]
async fn a_locked_keychain_is_reported_and_nothing_is_lost() {
    let Some(dir) = in_child("keychain_faults::a_locked_keychain_is_reported_and_nothing_is_lost") else {
        return;
    };
    let mut daemons = Daemons::new(&dir);
    daemons.start();
    let world = World::start().await;
    world.connect().await;
    let token = world.access_token().await;

    daemons.lock();
    let err = world.linker.refresh_now().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeychainLocked, "{err:?}");
    assert!(err.hint().unwrap().starts_with("Unlock your keychain"));
    assert_eq!(world.linker.status().state, State::Error);
    let sign_in = CHECK_TOKEN_REQUESTS + 1;
    assert_eq!(world.sandbox.stats().token_requests, sign_in, "no refresh was sent with the keychain locked");

    // Unlocked again: the same tokens are there and the refresh goes through.
    daemons.start_keyring();
    wait_until("the unlocked keychain", || secret_tool_lookup(&format!("access-token:{}", world.scope())).is_some());
    assert_eq!(world.access_token().await, token);
    world.linker.refresh_now().await.unwrap();
    assert_eq!(world.linker.status().state, State::Connected);
    println!("keychain fault: locked → reported ({err}), no request sent, tokens intact after unlocking");
}

#[tokio::test]
async fn new_tokens_the_keychain_refused_are_kept_and_saved_later() {
    let Some(dir) = in_child("keychain_faults::new_tokens_the_keychain_refused_are_kept_and_saved_later") else {
        return;
    };
    let mut daemons = Daemons::new(&dir);
    daemons.start();
    let world = World::start().await;
    world.connect().await;
    let _timer = world.linker.spawn_background();
    let old = world.access_token().await;

    // The keychain goes away while Kanka is answering the refresh (Kanka rotates on its side).
    world.sandbox.inject(Fault::delay("/oauth/token", 1000, 1));
    let requests = world.sandbox.stats().faults_served;
    let refresh = tokio::spawn({
        let linker = world.linker.clone();
        async move { linker.refresh_now().await }
    });
    wait_for_sandbox(&world.sandbox, "the refresh request", |s| s.faults_served > requests).await;
    daemons.stop_keyring();
    let err = refresh.await.unwrap().unwrap_err();
    assert_eq!(err.code(), ErrorCode::TokensNotSaved, "{err:?}");
    assert_eq!(world.sandbox.stats().refreshes, 1, "Kanka rotated the pair");

    // The new pair lives on in memory: it is what other programs get, and Kanka accepts it.
    let status = world.linker.status();
    assert_eq!(status.state, State::Connected, "{status:?}");
    assert_eq!(status.last_error.unwrap().code, ErrorCode::TokensNotSaved);
    let new = world.linker.access_token().await.unwrap().secret().clone();
    assert_ne!(new, old);
    assert!(world.sandbox.access_token_is_valid(&new));

    // The keychain comes back: the timer saves the pair and the warning goes.
    daemons.start_keyring();
    wait_for_status(&world.linker, "the pair saved", |s| s.last_error.is_none()).await;
    let stored = secret_tool_lookup(&format!("access-token:{}", world.scope()));
    assert_eq!(stored.as_deref(), Some(new.as_str()), "the keychain holds the new pair");
    assert_eq!(world.open_another().access_token().await.unwrap().secret(), &new);
    assert_eq!(world.sandbox.stats().refresh_token_reuse, 0);
    println!("keychain fault: gone after a refresh → new pair kept in memory ({err}), saved when it came back");
}
