//! A keychain of a test's own: a session bus and a gnome-keyring that the test starts, kills,
//! locks and unlocks, in a child process of the test binary so nothing else shares them. For the
//! faults that must not touch the private session every other test uses.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHILD: &str = "KANKA_LINK_KEYCHAIN_FAULTS_DIR";

/// Runs the calling test again in a child process whose session bus is `dir/bus`: nothing
/// listens there until the scenario starts its own dbus-daemon ([`Daemons`]). Returns the folder
/// in the child, `None` in the parent (which has checked that the child passed). Lines the child
/// prints that start with "keychain fault:" are printed again (the stress figures).
pub fn in_child(test: &str) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(CHILD) {
        return Some(PathBuf::from(dir));
    }
    let dir = crate::fresh_dir("keychain-faults");
    let bus = format!("unix:path={}", dir.join("bus").display());
    let dir = dir.display().to_string();
    let log = crate::rerun_in_child(
        test,
        &[(CHILD, dir.as_str()), ("DBUS_SESSION_BUS_ADDRESS", bus.as_str()), ("KANKA_LINK_PRIVATE_BUS", bus.as_str())],
    );
    // With --nocapture the line may follow the harness's "test name ... " on the same line.
    for line in log.lines().filter_map(|line| line.find("keychain fault:").map(|at| &line[at..])) {
        println!("{line}");
    }
    None
}

/// A session bus and a gnome-keyring of the scenario's own.
pub struct Daemons {
    dir: PathBuf,
    bus: Option<Child>,
    keyring: Option<Child>,
}

impl Daemons {
    pub fn new(dir: &Path) -> Daemons {
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

    pub fn start(&mut self) {
        let bus = Command::new("dbus-daemon")
            .args(["--nofork", "--nopidfile", &format!("--config-file={}", self.dir.join("bus.conf").display())])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.bus = Some(bus);
        wait_until("the bus", || self.dir.join("bus").exists());
        self.start_keyring();
    }

    pub fn start_keyring(&mut self) {
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

    pub fn stop_keyring(&mut self) {
        if let Some(mut keyring) = self.keyring.take() {
            keyring.kill().unwrap();
            keyring.wait().unwrap();
        }
    }

    pub fn stop(&mut self) {
        self.stop_keyring();
        if let Some(mut bus) = self.bus.take() {
            bus.kill().unwrap();
            bus.wait().unwrap();
        }
        let _ = std::fs::remove_file(self.dir.join("bus"));
    }

    pub fn lock(&self) {
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

pub fn wait_until(what: &str, ready: impl Fn() -> bool) {
    for _ in 0..200 {
        if ready() {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("{what} did not come up");
}
