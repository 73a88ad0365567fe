//! What the Rust test suites share: the guard that keeps them off a developer's keychain, the
//! scripted user on Kanka's consent page, libsecret's own view of the keychain, temp folders, and
//! a recording notification service.

use std::path::{Path, PathBuf};

mod keyring;
pub use keyring::{Daemons, in_child, wait_until};
#[cfg(target_os = "linux")]
mod notifications;
#[cfg(target_os = "linux")]
pub use notifications::{NotificationService, Shown};

use url::Url;

/// Keychain tests run only inside the private D-Bus session that `npm test` (tests/run.sh)
/// starts with its own gnome-keyring, never on a developer's own keychain.
pub fn require_private_keychain() {
    let private = std::env::var("KANKA_LINK_PRIVATE_BUS").ok();
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").ok();
    assert!(
        private.is_some() && private == bus,
        "keychain tests only run in the private session of `npm test` (tests/run.sh), \
         so they never touch your own keychain"
    );
}

/// Plays the user in the browser: opens Kanka's consent page and clicks Authorize or Cancel.
/// Returns where Kanka redirects the browser.
pub async fn consent(authorize_url: &Url, approve: bool) -> String {
    let browser = browser();
    let page = browser.get(authorize_url.clone()).send().await.expect("the consent page answers");
    if page.status() == 302 {
        // Kanka skips the consent screen when the user already authorised this client.
        return location(&page);
    }
    assert_eq!(page.status(), 200, "consent page");
    let html = page.text().await.unwrap();
    let token = html
        .split("name=\"auth_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the consent form has an auth_token")
        .to_owned();
    let mut form = vec![("auth_token", token)];
    if !approve {
        form.push(("_method", "DELETE".to_owned()));
    }
    let action = authorize_url.join("/oauth/authorize").unwrap();
    let answer = browser.post(action).form(&form).send().await.expect("the consent form posts");
    assert_eq!(answer.status(), 302, "consent answer");
    location(&answer)
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// An HTTP client that, like a test needs, does not follow redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The items of `scope` that `secret-tool search --all service kanka-link` (libsecret,
/// independent of our code) finds, by their `username` attribute. secret-tool prints the
/// attributes on stderr and the rest on stdout, so only the attribute lines are read.
pub fn secret_tool_search(scope: &str) -> Vec<String> {
    // secret-tool reads each item it found; when a test running in parallel deletes one of its
    // own items in between, the whole search fails ("No such secret item"). Try again then.
    let mut attempts = 0;
    let output = loop {
        let output = std::process::Command::new("secret-tool")
            .args(["search", "--all", "service", "kanka-link"])
            .output()
            .expect("secret-tool runs");
        attempts += 1;
        if output.status.success() || attempts == 10 {
            break output;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    // Other tests run in parallel in the same keychain: only this scope's items count.
    let mut users: Vec<String> = text
        .lines()
        .filter_map(|line| line.strip_prefix("attribute.username = "))
        .filter(|user| user.ends_with(&format!(":{scope}")))
        .map(str::to_owned)
        .collect();
    users.sort();
    users
}

/// The value libsecret's own tool finds for one of our items.
pub fn secret_tool_lookup(user: &str) -> Option<String> {
    let output = std::process::Command::new("secret-tool")
        .args(["lookup", "service", "kanka-link", "username", user])
        .output()
        .expect("secret-tool runs");
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim_end_matches('\n').to_owned())
}

/// Runs one test of the current test binary again, in a child process with `env` set, and
/// checks that it passed; returns what it printed. For what a test must not do in its own
/// process: talk to another session bus, lose its keychain.
pub fn rerun_in_child(test: &str, env: &[(&str, &str)]) -> String {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .envs(env.iter().copied())
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && log.contains("1 passed"), "the child did not pass: {log}");
    log
}

/// A fresh, empty folder for one test.
pub fn fresh_dir(name: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("kanka-link-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every file under `dir`, read as bytes.
pub fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                found.push((path, bytes));
            }
        }
    }
    found
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}
