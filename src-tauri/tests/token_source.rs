//! Kanka Link as the token source of other programs, through the real `kanka-link` binary: the
//! sandbox Kanka on loopback, the private session's keychain. `exec` hands the token over in the
//! environment and gets out of the way; `token --json` gives it with its expiry; `refresh
//! --if-due`, the login check, refreshes a due token without a display, once. No test prints a
//! token: they compare tokens in the child or in this process and say only whether they match.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use kanka_link_core::State;
use kanka_sandbox::Fault;
use kanka_test_support::{contains, files_under, wait_until};

const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);
/// Ten seconds is the shortest lifetime the engine takes from a server: due at 7.5 s.
const SHORT: Duration = Duration::from_secs(10);

mod machine;

use machine::Machine;

impl Machine {
    /// `kanka-link exec -- sh -c SCRIPT`, with `extra` in its environment.
    fn exec_sh(&self, script: &str, extra: &[(&str, &str)]) -> Output {
        self.command(&["exec", "--", "sh", "-c", script]).envs(extra.iter().copied()).output().unwrap()
    }

    /// The token `kanka-link token` prints, checked with the sandbox (never shown).
    fn token(&self) -> String {
        let output = self.run(&["token"]);
        assert!(output.status.success(), "kanka-link token: {}", String::from_utf8_lossy(&output.stderr));
        let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
        assert!(self.sandbox.access_token_is_valid(&token), "`kanka-link token` printed a token Kanka refuses");
        token
    }

    /// Until the pair is due by the engine's rule (three quarters into its life).
    async fn wait_until_due(&self) {
        let due = self.linker.reload().next_refresh_at.expect("a refresh is planned");
        tokio::time::sleep((due - chrono::Utc::now()).to_std().unwrap_or_default()).await;
    }

    /// No file Kanka Link wrote (its log, its status file) holds `token`.
    fn assert_no_file_holds(&self, token: &str) {
        for (path, bytes) in files_under(&self.dir) {
            assert!(!contains(&bytes, token), "{} holds the token", path.display());
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The token in KANKA_TOKEN (the child compares it with the one Kanka issued and says only
/// whether they match), the API in KANKA_API_URL, stdin to stdout, stderr, and the exit status.
/// Kanka Link itself prints nothing and writes the token nowhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_runs_the_command_with_the_token_and_passes_its_streams_and_status() {
    let machine = Machine::start("token-source", YEAR).await;
    machine.connect().await;
    let token = machine.token();

    let script = r#"
        if [ "$KANKA_TOKEN" = "$ISSUED" ]; then echo "token: the one Kanka issued"; else echo "token: another"; fi
        echo "api: $KANKA_API_URL"
        cat
        echo "on stderr" >&2
        exit 7"#;
    let mut child = machine
        .command(&["exec", "--", "sh", "-c", script])
        .env("ISSUED", &token)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"read from stdin\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        text(&output.stdout),
        format!("token: the one Kanka issued\napi: {}\nread from stdin\n", machine.sandbox.api_url())
    );
    assert_eq!(text(&output.stderr), "on stderr\n", "Kanka Link said something, or the command's stderr was lost");
    assert_eq!(output.status.code(), Some(7), "the command's exit status");

    assert_eq!(machine.exec_sh("exit 0", &[]).status.code(), Some(0));
    // No `--`: the command stands alone.
    let plain = machine.command(&["exec", "sh", "-c", "exit 3"]).output().unwrap();
    assert_eq!(plain.status.code(), Some(3));
    machine.assert_no_file_holds(&token);
    assert_eq!(machine.sandbox.stats().refreshes, 0, "a year-long token is not due");
}

/// The command starts as if the user had started it: the user's core file size limit (Kanka
/// Link lowers its own), SIGPIPE not ignored (Rust ignores it in its own programs), and no
/// descriptor of Kanka Link's (its keychain connection, its lock files) left open in it.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_starts_the_command_as_the_user_would() {
    let machine = Machine::start("token-source", YEAR).await;
    machine.connect().await;
    let hard = core_limit("/proc/self/limits").1;
    let soft = if hard == "unlimited" { 1 << 20 } else { hard.parse::<u64>().unwrap().min(1 << 20) };
    assert!(soft > 0, "this machine's hard core limit is 0: the test cannot tell a lowered limit from it");

    let mut command = machine.command(&["exec", "--", "sh", "-c", "cat /proc/self/limits /proc/self/status"]);
    // SAFETY: only setrlimit, which is async-signal-safe, runs between fork and exec.
    unsafe {
        use std::os::unix::process::CommandExt;
        command.pre_exec(move || {
            let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
            libc::getrlimit(libc::RLIMIT_CORE, &mut limit);
            limit.rlim_cur = soft;
            libc::setrlimit(libc::RLIMIT_CORE, &limit);
            Ok(())
        });
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let seen = text(&output.stdout);
    let limits = seen.lines().find(|l| l.starts_with("Max core file size")).unwrap();
    let parts: Vec<&str> = limits.split_whitespace().collect();
    assert_eq!(parts[4..6], [soft.to_string().as_str(), hard.as_str()], "the command's core limit (soft, hard)");
    let ignored = seen.lines().find_map(|l| l.strip_prefix("SigIgn:")).unwrap().trim();
    let ignored = u64::from_str_radix(ignored, 16).unwrap();
    assert_eq!(ignored & (1 << (libc::SIGPIPE - 1)), 0, "the command starts with SIGPIPE ignored");

    // `ls` lists its own descriptors: exactly those it has when this test starts it directly.
    let numbers = |output: Output| {
        assert!(output.status.success(), "{}", text(&output.stderr));
        let listing = text(&output.stdout);
        let fds: Vec<String> =
            listing.lines().filter_map(|l| l.split(" -> ").next()?.rsplit(' ').next()).map(str::to_owned).collect();
        (fds, listing)
    };
    // Both start with the standard streams alone: another test's thread may hold a descriptor
    // without close-on-exec for an instant (a library's pipe), which a child forked then would
    // inherit. Kanka Link hands on what it inherits, by design; what it opened, it must not.
    let only_standard_streams = |command: &mut Command| {
        // SAFETY: only close, which is async-signal-safe, runs between fork and exec.
        unsafe {
            use std::os::unix::process::CommandExt;
            command.pre_exec(|| {
                for fd in 3..4096 {
                    libc::close(fd);
                }
                Ok(())
            });
        }
    };
    let list = ["ls", "-l", "/proc/self/fd"];
    let mut direct = Command::new(list[0]);
    direct.args(&list[1..]).stdin(Stdio::null());
    only_standard_streams(&mut direct);
    let (direct, _) = numbers(direct.output().unwrap());
    let mut exec = machine.command(&[&["exec", "--"][..], &list].concat());
    only_standard_streams(&mut exec);
    let (exec, listing) = numbers(exec.output().unwrap());
    assert_eq!(exec, direct, "descriptors of Kanka Link's left open in the command: {listing}");
}

/// The process `kanka-link exec` started is the command itself: a signal sent to it (as a
/// terminal's Ctrl-C or a service manager's stop would) reaches the command, and the command's
/// death by that signal is what the caller sees.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_becomes_the_command_so_signals_reach_it() {
    use std::os::unix::process::ExitStatusExt;
    let machine = Machine::start("token-source", YEAR).await;
    machine.connect().await;
    let mut child = machine.command(&["exec", "--", "sleep", "30"]).spawn().unwrap();
    let comm = format!("/proc/{}/comm", child.id());
    wait_until("kanka-link to become sleep", || std::fs::read_to_string(&comm).is_ok_and(|c| c == "sleep\n"));
    // SAFETY: kill with a process id this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
}

#[cfg(target_os = "linux")]
fn core_limit(file: &str) -> (String, String) {
    let limits = std::fs::read_to_string(file).unwrap();
    let line = limits.lines().find(|l| l.starts_with("Max core file size")).unwrap();
    let parts: Vec<&str> = line.split_whitespace().collect();
    (parts[4].to_owned(), parts[5].to_owned())
}

/// Without a connection (never connected, disconnected, or one Kanka no longer accepts) the
/// command is not run (it would create a file), and `exec` says why and exits 1. A command that
/// cannot be started is named, with the status a shell gives; no command at all is bad usage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_runs_nothing_without_a_connection_and_names_a_command_it_cannot_start() {
    let machine = Machine::start("token-source", YEAR).await;
    let witness = machine.dir.join("the command ran");
    let touch = format!("touch '{}'", witness.display());
    let refused = |when: &str| {
        let output = machine.exec_sh(&touch, &[]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{when}: {stderr}");
        assert!(!witness.exists(), "{when}: the command ran");
        assert!(output.stdout.is_empty(), "{when}");
        stderr
    };
    let never = refused("never connected");
    assert!(never.contains("Not connected") || never.contains("not connected"), "{never}");

    machine.connect().await;
    assert_eq!(machine.exec_sh(&touch, &[]).status.code(), Some(0));
    assert!(witness.exists(), "connected, the command runs");
    std::fs::remove_file(&witness).unwrap();

    // Kanka forgets the app (the user revoked it): the next refresh is refused for good.
    machine.sandbox.revoke_all();
    assert_eq!(machine.run(&["refresh"]).status.code(), Some(1));
    assert_eq!(machine.status().state, State::ReconnectNeeded);
    let reconnect = refused("reconnect needed");
    assert!(reconnect.contains("sign in to Kanka again"), "{reconnect}");

    assert!(machine.run(&["disconnect"]).status.success());
    refused("disconnected");

    machine.connect().await;
    let missing = machine.command(&["exec", "--", "no-such-program-kl", "arg"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(127), "{}", text(&missing.stderr));
    assert!(text(&missing.stderr).contains("no-such-program-kl"), "{}", text(&missing.stderr));
    let data = machine.dir.join("not-a-program");
    std::fs::write(&data, "data").unwrap();
    let denied = machine.command(&["exec", "--", data.to_str().unwrap()]).output().unwrap();
    assert_eq!(denied.status.code(), Some(126), "{}", text(&denied.stderr));
    assert!(text(&denied.stderr).contains("not-a-program"), "{}", text(&denied.stderr));

    for usage in [&["exec"][..], &["exec", "--"]] {
        let output = machine.run(usage);
        assert_eq!(output.status.code(), Some(2), "kanka-link {usage:?}");
        assert!(
            text(&output.stderr).contains("kanka-link exec [--account NAME|ID] [--server URL] [--] COMMAND"),
            "{usage:?}: {}",
            text(&output.stderr)
        );
    }
}

/// `token --json`: the token `token` prints, its expiry (RFC 3339, as `status` has it), the
/// account and the API, and nothing else; the account is null while the profile is unknown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_json_has_the_token_its_expiry_the_account_and_the_api() {
    let machine = Machine::start("token-source", YEAR).await;
    let not_connected = machine.run(&["token", "--json"]);
    assert_eq!(not_connected.status.code(), Some(1));
    assert!(not_connected.stdout.is_empty());

    // The profile request after the sign-in fails: the account is not known yet.
    machine.sandbox.inject(Fault::status("/api/1.0/profile", 503, 1));
    machine.connect().await;
    let output = machine.run(&["token", "--json"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("token --json is JSON");
    assert_eq!(json["account"], serde_json::Value::Null, "the profile is not known yet");

    // Known once asked again, as the window's timer and the login check do (no refresh).
    assert!(machine.run(&["refresh", "--if-due"]).status.success());
    assert_eq!(machine.sandbox.stats().refreshes, 0);
    let output = machine.run(&["token", "--json"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(output.stderr.is_empty(), "{}", text(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("token --json is JSON");
    let object = json.as_object().expect("an object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["account", "api_url", "expires_at", "token"]);

    let token = machine.token();
    assert!(json["token"].as_str() == Some(token.as_str()), "token --json's token is not the one `token` prints");
    let status = machine.status();
    let expires_at = chrono::DateTime::parse_from_rfc3339(json["expires_at"].as_str().expect("a string"))
        .expect("expires_at is RFC 3339");
    assert_eq!(Some(expires_at.to_utc()), status.expires_at);
    let account = status.account.expect("the account is known by now");
    assert!(json["account"]["id"].is_u64(), "{}", json["account"]);
    assert_eq!(json["account"], serde_json::json!({"id": account.id, "name": account.name}));
    assert_eq!(json["api_url"], machine.sandbox.api_url().as_str());
    assert!(!text(&output.stdout).contains(&machine.sandbox.config().client_secret));
}

/// The login check: `refresh --if-due` with no DISPLAY or WAYLAND_DISPLAY. Not due, it sends
/// nothing to the token endpoint; due, it refreshes once; either way it prints nothing and
/// exits 0. Without a connection it says so on stderr and exits 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_if_due_refreshes_a_due_token_once_without_a_display() {
    let machine = Machine::start("token-source", SHORT).await;
    let check = || {
        let output =
            machine.command(&["refresh", "--if-due"]).env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY").output();
        output.unwrap()
    };
    let quiet = |output: &Output, when: &str| {
        assert_eq!(output.status.code(), Some(0), "{when}: {}", text(&output.stderr));
        assert!(output.stdout.is_empty() && output.stderr.is_empty(), "{when}: it said {}", text(&output.stderr));
    };

    let never = check();
    assert_eq!(never.status.code(), Some(1));
    assert!(!never.stderr.is_empty() && never.stdout.is_empty());

    machine.connect().await;
    let signed_in = machine.sandbox.stats().token_requests;
    quiet(&check(), "not due");
    assert_eq!(machine.sandbox.stats().token_requests, signed_in, "not due, yet the token endpoint was asked");
    let before = machine.status();

    machine.wait_until_due().await;
    quiet(&check(), "due");
    let stats = machine.sandbox.stats();
    assert_eq!((stats.token_requests, stats.refreshes), (signed_in + 1, 1), "one refresh of a due pair");
    let after = machine.status();
    assert_eq!(after.state, State::Connected);
    assert!(after.expires_at > before.expires_at, "{before:?} -> {after:?}");
    machine.token();

    quiet(&check(), "just refreshed");
    assert_eq!(machine.sandbox.stats().token_requests, signed_in + 1, "refreshed again though not due");

    machine.sandbox.revoke_all();
    machine.wait_until_due().await;
    let refused = check();
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("sign in to Kanka again"), "{}", text(&refused.stderr));
    assert_eq!(machine.status().state, State::ReconnectNeeded);
}

/// The window's timer refreshing a due pair (slowly: Kanka takes 600 ms to answer) while three
/// login checks start: the connection lock makes them wait, they find the pair renewed, and
/// Kanka sees one refresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_if_due_leaves_a_refresh_in_progress_elsewhere_alone() {
    let machine = Machine::start("token-source", SHORT).await;
    machine.connect().await;
    let signed_in = machine.sandbox.stats().token_requests;
    machine.sandbox.inject(Fault::delay("/oauth/token", 600, 1));
    let window = machine.linker.spawn_background();
    machine.wait_until_due().await;
    wait_until("the window's refresh request", || machine.sandbox.stats().faults_served == 1);

    let checks: Vec<_> = (0..3)
        .map(|_| {
            machine.command(&["refresh", "--if-due"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
        })
        .collect();
    for check in checks {
        let output = check.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        assert!(output.stderr.is_empty(), "{}", text(&output.stderr));
    }
    window.stop().await;
    let stats = machine.sandbox.stats();
    assert_eq!((stats.token_requests, stats.refreshes), (signed_in + 1, 1), "{stats:?}");
    assert_eq!((stats.invalid_grant, stats.refresh_token_reuse), (0, 0), "{stats:?}");
    machine.token();
}
