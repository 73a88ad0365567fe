//! The real `kanka-link` binary against SIGKILL, against itself, against a reader that goes
//! away, and against other programs that would read its memory: the sandbox Kanka on loopback,
//! the private session's keychain, and this test's own engine on the same files as the running
//! app. The stress tests print what they tried and what held. Round counts come from
//! KANKA_LINK_CRASH_ROUNDS and KANKA_LINK_RACE_ROUNDS (tests/stress.sh runs more).

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use kanka_link_core::{State, Status};
use kanka_sandbox::Fault;
use kanka_test_support::{Daemons, in_child, secret_tool_lookup, wait_until};

mod machine;

use machine::Machine;

impl Machine {
    fn token_is_accepted(&self, output: &Output) -> bool {
        let token = String::from_utf8_lossy(&output.stdout);
        output.status.success() && self.sandbox.access_token_is_valid(token.trim())
    }
}

fn rounds(variable: &str, default: u32) -> u32 {
    std::env::var(variable).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// SIGKILL at random points of a refresh, then a restart. Kanka rotates refresh tokens, so one
/// window cannot be closed by a client: Kanka has answered (and revoked the old pair) but the
/// new refresh token is not in the keychain yet. The engine writes the refresh token first,
/// with nothing in between, to keep that window as small as it can be; a kill inside it ends in
/// "reconnect needed", which the app explains. Anything else must come back connected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_during_a_refresh_the_app_comes_back_connected_or_says_why() {
    let rounds = rounds("KANKA_LINK_CRASH_ROUNDS", 100);
    let machine = Machine::start("processes", Duration::from_secs(365 * 24 * 3600)).await;
    machine.connect().await;

    // Where in a refresh's life the token request reaches Kanka, and when the process is done.
    let (mut reach, mut done) = (Vec::new(), Vec::new());
    for _ in 0..7 {
        let requests = machine.sandbox.stats().token_requests;
        let started = Instant::now();
        let mut child = machine.command(&["refresh"]).stdout(Stdio::null()).spawn().unwrap();
        while machine.sandbox.stats().token_requests == requests {
            std::thread::sleep(Duration::from_micros(200));
        }
        reach.push(started.elapsed());
        assert!(child.wait().unwrap().success(), "an undisturbed refresh succeeds");
        done.push(started.elapsed());
    }
    let (reach, done) = (median(reach), median(done));
    // Kill from a little before the request to a little after the process would have ended.
    let window = reach.saturating_sub(Duration::from_millis(3))..done + Duration::from_millis(3);

    let (mut connected, mut reconnect, mut finished_first) = (0, 0, 0);
    for round in 1..=rounds {
        let at = window.start + (window.end - window.start).mul_f64(rand::random::<f64>());
        let mut child = machine.command(&["refresh"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(at);
        if child.try_wait().unwrap().is_some() {
            finished_first += 1;
        }
        child.kill().unwrap();
        child.wait().unwrap();

        // The restart: a new process reads what the killed one left.
        let token = machine.run(&["token"]);
        let status = machine.status();
        match status.state {
            State::Connected => {
                assert!(machine.token_is_accepted(&token), "round {round}: connected, but the token is refused");
                connected += 1;
            }
            State::ReconnectNeeded => {
                assert!(!token.status.success(), "round {round}: reconnect needed, yet a token was printed");
                let message = status.last_error.as_ref().map(|e| e.message.as_str()).unwrap_or_default();
                assert!(message.contains("sign in to Kanka again"), "round {round}: unexplained: {status:?}");
                reconnect += 1;
                machine.connect().await;
            }
            other => panic!("round {round}: {other:?} after a SIGKILL at {at:?}: {status:?}"),
        }
    }
    println!(
        "crash during refresh: {rounds} SIGKILLs between {:.1} and {:.1} ms into `kanka-link refresh` \
         (the token request reaches Kanka at {:.1} ms, the process ends at {:.1} ms; {finished_first} had already \
         finished): {connected} came back connected with a token Kanka accepts, {reconnect} said \"reconnect \
         needed\" (Kanka had rotated, the new pair had not reached the keychain), 0 crashed or were unexplained",
        window.start.as_secs_f64() * 1e3,
        window.end.as_secs_f64() * 1e3,
        reach.as_secs_f64() * 1e3,
        done.as_secs_f64() * 1e3,
    );
    assert_eq!(connected + reconnect, rounds);
}

/// The running app's refresh timer and twenty `kanka-link token` at the moment the pair falls
/// due: one refresh, no refresh token ever reused, a token Kanka accepts for every caller.
/// A round that lasts until the renewed pair falls due too (a loaded machine: twenty debug
/// processes on two cores) may rightly refresh again and revoke a token a caller already had
/// (league 9 revokes the old access token on refresh): it is run again, not counted, and
/// still may reuse no refresh token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_token_calls_as_the_app_refreshes_share_one_refresh() {
    let rounds = rounds("KANKA_LINK_RACE_ROUNDS", 10);
    const CALLERS: usize = 20;
    // Ten seconds is the shortest lifetime the engine takes from a server: due at 7.5 s.
    const LIFETIME: Duration = Duration::from_secs(10);
    let machine = Machine::start("processes", LIFETIME).await;
    machine.connect().await;
    let _app = machine.linker.spawn_background();

    let (mut counted, mut too_slow) = (0u64, 0u32);
    while counted < u64::from(rounds) {
        let due = machine.linker.reload().next_refresh_at.expect("a refresh is planned");
        // Counted before the pair falls due: the app's timer wakes at `due` as this test does, and
        // its refresh may reach Kanka before this thread runs again on a busy machine.
        let refreshes_before = machine.sandbox.stats().refreshes;
        let wait = (due - chrono::Utc::now()).to_std().unwrap_or_default();
        tokio::time::sleep(wait).await;
        let mut callers: Vec<_> = (0..CALLERS)
            .map(|_| Some(machine.command(&["token"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()))
            .collect();
        // Each token is checked as soon as its caller has it: that is when the caller uses it.
        let mut refused = Vec::new();
        while callers.iter().any(Option::is_some) {
            for (i, slot) in callers.iter_mut().enumerate() {
                if slot.as_mut().is_some_and(|caller| caller.try_wait().unwrap().is_some()) {
                    let output = slot.take().unwrap().wait_with_output().unwrap();
                    if !machine.token_is_accepted(&output) {
                        refused.push(format!("caller {i}: {}", String::from_utf8_lossy(&output.stderr)));
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let stats = machine.sandbox.stats();
        let round = counted + 1;
        assert_eq!(stats.refresh_token_reuse, 0, "round {round}: a rotated refresh token was sent again");
        assert_eq!(stats.invalid_grant, 0, "round {round}");
        // The renewed pair falls due three quarters into its life after this round's refresh.
        let renewed_due = due + chrono::Duration::from_std(LIFETIME * 3 / 4).unwrap() - chrono::Duration::seconds(1);
        if chrono::Utc::now() >= renewed_due {
            too_slow += 1;
            assert!(too_slow <= rounds, "{too_slow} rounds outlasted the renewed pair: the machine is too slow");
            continue;
        }
        assert!(refused.is_empty(), "round {round}: {refused:?}");
        assert_eq!(stats.refreshes - refreshes_before, 1, "round {round}: exactly one refresh");
        counted += 1;
    }
    let stats = machine.sandbox.stats();
    println!(
        "concurrent refresh: {rounds} rounds of the app's timer and {CALLERS} `kanka-link token` at the moment the \
         pair fell due: one refresh a round, {} invalid_grant, {} reuses of a rotated refresh token; all {} \
         callers got a token Kanka accepts ({too_slow} rounds outlasted the renewed pair and were run again)",
        stats.invalid_grant,
        stats.refresh_token_reuse,
        u64::from(rounds) * CALLERS as u64,
    );
}

/// `kanka-link token | head -c0`: the reader is gone before the token is written. Every command
/// ends with status 1 and says nothing (no panic, which the release build would turn into an
/// abort); output that cannot be written for another reason is reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_went_away_ends_each_command_quietly() {
    let machine = Machine::start("processes", Duration::from_secs(365 * 24 * 3600)).await;
    machine.connect().await;
    // `disconnect` last: the others need the connection.
    let commands: [&[&str]; 6] =
        [&["token"], &["status"], &["status", "--json"], &["refresh"], &["--help"], &["disconnect"]];
    for args in commands {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = machine.command(args).stdout(writer).stderr(Stdio::piped()).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "kanka-link {args:?} into a closed pipe: {stderr}");
        assert!(stderr.is_empty(), "kanka-link {args:?} into a closed pipe said: {stderr}");
    }
    assert_eq!(machine.status().state, State::Disconnected, "the disconnect itself happened");

    let full = std::fs::File::options().write(true).open("/dev/full").unwrap();
    let output = machine.command(&["--help"]).stdout(full).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("Kanka Link could not write its output: No space left"), "{stderr}");
}

/// A `kanka-link` holding tokens leaves no core file when it crashes, and another program of
/// the same user cannot open its memory. Checked on a `kanka-link token` that waits for the
/// connection lock, which this test holds. Both it and the reader run without capabilities, so
/// the test means the same as root (CAP_SYS_PTRACE would open any process) as for a user.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_kanka_link_writes_no_core_and_hides_its_memory() {
    let machine = Machine::start("processes", Duration::from_secs(365 * 24 * 3600)).await;
    // A first run creates the lock file; then this test holds the lock.
    assert!(!machine.run(&["token"]).status.success(), "not connected yet");
    let lock_path = std::fs::read_dir(&machine.paths.data_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|e| e == "lock"))
        .expect("the connection's lock file");
    let lock = std::fs::File::options().write(true).open(&lock_path).unwrap();
    lock.lock().unwrap();

    let mut command = without_capabilities(machine.command(&["token"]));
    let mut waiting = command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let pid = waiting.id();
    let core_limit = |pid: &str| {
        let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
        let core = limits.lines().find(|l| l.starts_with("Max core file size")).unwrap().to_owned();
        core.split_whitespace().skip(4).take(2).map(str::to_owned).collect::<Vec<_>>()
    };
    // The soft limit is the one the kernel applies; the hard one stays the user's, for the
    // program `kanka-link exec` runs in its place.
    let hard = core_limit("self")[1].clone();
    let limits = eventually(|| {
        let core = core_limit(&pid.to_string());
        (core == ["0", hard.as_str()]).then_some(()).ok_or(core)
    });
    assert_eq!(limits, Ok(()), "the core file size limit of kanka-link (soft, hard)");

    // The reader works: it opens the memory of a process like kanka-link that is not hardened.
    let mut plain = without_capabilities(Command::new("sleep")).arg("30").spawn().unwrap();
    assert!(opens_memory_of(plain.id()), "the reader cannot open a plain process's memory");
    plain.kill().unwrap();
    plain.wait().unwrap();
    let hidden = eventually(|| if opens_memory_of(pid) { Err("still open") } else { Ok(()) });
    assert_eq!(hidden, Ok(()), "another process of the same user opens kanka-link's memory");

    assert!(waiting.try_wait().unwrap().is_none(), "kanka-link waited for the lock all along");
    drop(lock);
    assert_eq!(waiting.wait().unwrap().code(), Some(1), "then it says it is not connected");
}

/// `kanka-link check`: one line per probe, then what to do; exit 0 when both pass, 1 when a
/// setting is wrong, 3 when Kanka could not be reached. No secret is printed, nothing is signed in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_says_which_setting_is_wrong_and_exits_with_its_own_status() {
    let machine = Machine::start("processes", Duration::from_secs(365 * 24 * 3600)).await;
    let text = |output: &Output| {
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
    };
    let check = |vars: &[(&str, &str)]| machine.command(&["check"]).envs(vars.iter().copied()).output().unwrap();

    let passed = check(&[]);
    let said = text(&passed);
    assert_eq!(passed.status.code(), Some(0), "{said}");
    let lines: Vec<&str> = said.lines().collect();
    assert!(
        lines[1].starts_with("  token endpoint:")
            && lines[1].ends_with("passed: Kanka accepts the client id and secret"),
        "{said}"
    );
    assert!(lines[2].starts_with("  authorization endpoint:") && lines[2].contains("passed"), "{said}");
    assert!(!said.contains(&machine.sandbox.config().client_secret), "{said}");

    let wrong_secret = check(&[("KANKA_LINK_CLIENT_SECRET", "not-the-secret")]);
    assert_eq!(wrong_secret.status.code(), Some(1), "{}", text(&wrong_secret));
    assert!(text(&wrong_secret).contains("Kanka refused the client secret of client 7."), "{}", text(&wrong_secret));
    assert!(!text(&wrong_secret).contains("not-the-secret"));

    let unknown = check(&[("KANKA_LINK_CLIENT_ID", "8")]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown).contains("does not know the client id 8"), "{}", text(&unknown));

    let redirect = "http://localhost:47813/kanka-link/callback";
    let unregistered = check(&[("KANKA_LINK_REDIRECT_URI", redirect)]);
    assert_eq!(unregistered.status.code(), Some(1));
    assert!(
        text(&unregistered).contains(&format!(
            "Kanka does not know the redirect URL {redirect} for client 7: copy it into the client's settings in Kanka."
        )),
        "{}",
        text(&unregistered)
    );

    // kanka.io's own rules: refused before anything is sent.
    let custom = check(&[
        ("KANKA_LINK_URL", "https://app.kanka.io"),
        ("KANKA_LINK_REDIRECT_URI", "kanka-link://oauth/callback"),
    ]);
    assert_eq!(custom.status.code(), Some(1));
    assert!(
        text(&custom).contains("http or https") && text(&custom).contains("KANKA_LINK_REDIRECT_URI"),
        "{}",
        text(&custom)
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let nowhere = format!("http://127.0.0.1:{closed}");
    let unreachable = check(&[("KANKA_LINK_URL", nowhere.as_str())]);
    assert_eq!(unreachable.status.code(), Some(3), "{}", text(&unreachable));
    assert!(text(&unreachable).contains("no answer: Could not reach 127.0.0.1"), "{}", text(&unreachable));

    assert_eq!(machine.status().state, State::Disconnected, "a check signs nothing in");
    assert_eq!(machine.sandbox.stats().code_exchanges, 0);
}

/// `command` as a process with no capabilities: what any program of this user runs as.
#[cfg(target_os = "linux")]
fn without_capabilities(mut command: Command) -> Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: only prctl, which is async-signal-safe, runs between fork and exec. As root the
    // exec then grants the bounding set, now empty; as a user it fails and changes nothing.
    unsafe {
        command.pre_exec(|| {
            for capability in 0..64 {
                libc::prctl(libc::PR_CAPBSET_DROP, capability as libc::c_ulong, 0, 0, 0);
            }
            Ok(())
        });
    }
    command
}

/// Whether a process with no capabilities may open /proc/PID/mem (a ptrace access check).
#[cfg(target_os = "linux")]
fn opens_memory_of(pid: u32) -> bool {
    let mut reader = without_capabilities(Command::new("sh"));
    reader.args(["-c", &format!("exec 3</proc/{pid}/mem")]).stderr(Stdio::null());
    reader.status().unwrap().success()
}

/// `check` until it passes, for up to ten seconds; its last complaint otherwise.
#[cfg(target_os = "linux")]
fn eventually<E>(mut check: impl FnMut() -> Result<(), E>) -> Result<(), E> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let result = check();
        if result.is_ok() || Instant::now() >= deadline {
            return result;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `kanka-link token` (then `refresh`) when the keychain is locked as Kanka answers the refresh:
/// Kanka has rotated, and the renewed pair exists only in this process. It tries to save it again,
/// then says the connection is lost and why, exits 1 and prints no token: it never ends quietly
/// holding the only copy. On a keychain of its own (a child process with its own D-Bus), which
/// the test locks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_that_cannot_keep_the_renewed_pair_says_so_and_prints_nothing() {
    let Some(dir) = in_child("a_command_that_cannot_keep_the_renewed_pair_says_so_and_prints_nothing") else {
        return;
    };
    let mut keyring = Daemons::new(&dir);
    keyring.start();
    // Ten seconds is the shortest lifetime the engine takes from a server: due at 7.5 s.
    let machine = Machine::start("processes", Duration::from_secs(10)).await;
    machine.connect().await;
    let due = machine.linker.reload().next_refresh_at.expect("a refresh is planned");
    tokio::time::sleep((due - chrono::Utc::now()).to_std().unwrap_or_default()).await;

    machine.sandbox.inject(Fault::delay("/oauth/token", 400, 1));
    let token = machine.command(&["token"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    wait_until("the refresh request", || machine.sandbox.stats().faults_served == 1);
    keyring.lock();
    let output = token.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty(), "a token was printed");
    assert!(stderr.contains("keychain did not take them") && stderr.contains("lost"), "{stderr}");
    assert_eq!(machine.sandbox.stats().refreshes, 1, "Kanka rotated the pair");

    // Every later process says so at once, rather than after an invalid_grant months later.
    keyring.start_keyring();
    let status: Status = serde_json::from_slice(&machine.run(&["status", "--json"]).stdout).unwrap();
    assert_eq!(status.state, State::ReconnectNeeded, "{status:?}");

    // `kanka-link refresh` the same way, after signing in again, once the keychain answers.
    let item = format!("access-token:{}", machine.linker.config().scope());
    wait_until("the unlocked keychain", || secret_tool_lookup(&item).is_some());
    machine.connect().await;
    machine.sandbox.inject(Fault::delay("/oauth/token", 400, 1));
    let refresh = machine.command(&["refresh"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    wait_until("the refresh request", || machine.sandbox.stats().faults_served == 2);
    keyring.lock();
    let output = refresh.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty() && stderr.contains("lost"), "{stderr}");
    keyring.start_keyring();
    let status: Status = serde_json::from_slice(&machine.run(&["status", "--json"]).stdout).unwrap();
    assert_eq!(status.state, State::ReconnectNeeded, "{status:?}");
    let stats = machine.sandbox.stats();
    assert_eq!((stats.invalid_grant, stats.refresh_token_reuse), (0, 0), "{stats:?}");
}
