//! `kanka-link`, the program the desktop runs for the menu entry and for a `kanka-link:` URL, on
//! the private session's real D-Bus: with no Kanka Link running it starts the window's binary
//! (`kanka-link-window`, beside it) with the URL, or with nothing; with one running it hands the
//! URL over the single-instance interface and starts nothing; a subcommand starts no window.
#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use dbus::blocking::Connection;
use dbus::channel::MatchingReceiver;
use dbus::message::MatchRule;
use kanka_test_support::{fresh_dir, require_private_keychain};

const CLI: &str = env!("CARGO_BIN_EXE_kanka-link");
const URL: &str = "kanka-link://oauth/callback?code=c0de&state=5tate";

/// The command line in a folder of its own, beside a stand-in window binary that writes down the
/// arguments it was started with.
fn installed() -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = fresh_dir("handover");
    let handover = dir.join("kanka-link");
    std::fs::copy(CLI, &handover).unwrap();
    let started = dir.join("window-started-with");
    let window = dir.join("kanka-link-window");
    std::fs::write(&window, format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n", started.display())).unwrap();
    Command::new("chmod").arg("+x").arg(&window).status().unwrap();
    (handover, started)
}

fn run(handover: &Path, args: &[&str]) {
    // A display to open the window on (the stand-in opens none): without one, nothing starts.
    let out = Command::new(handover).args(args).env("DISPLAY", ":kanka-link-test").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// As over ssh: a running window still takes Kanka's answer, which needs only the session bus.
fn run_without_display(handover: &Path, args: &[&str]) {
    let out = Command::new(handover).args(args).env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_url_reaches_the_running_window_or_starts_one() {
    // The keychain guard also proves this is the private session's bus, not the developer's.
    require_private_keychain();
    let (handover, started) = installed();

    run(&handover, &[URL]);
    assert_eq!(std::fs::read_to_string(&started).unwrap(), format!("{URL}\n"), "no window ran: one starts");

    std::fs::remove_file(&started).unwrap();
    run(&handover, &[]);
    assert_eq!(std::fs::read_to_string(&started).unwrap(), "\n", "no arguments: the window, with none");

    std::fs::remove_file(&started).unwrap();
    run(&handover, &["--help"]);
    assert!(!started.exists(), "the command line answers its commands itself");

    // A running window, as the single-instance plugin serves it.
    let (calls, received) = mpsc::channel();
    let answered = Arc::new(AtomicBool::new(false));
    let done = answered.clone();
    let serving = std::thread::spawn(move || {
        let bus = Connection::new_session().unwrap();
        bus.request_name("app.kankalink.desktop.SingleInstance", false, false, true).unwrap();
        bus.start_receive(
            MatchRule::new_method_call(),
            Box::new(move |call, bus| {
                if call.member().as_deref() == Some("ExecuteCallback") {
                    let (argv, cwd): (Vec<String>, String) = call.read2().unwrap();
                    bus.channel().send(call.method_return()).unwrap();
                    calls.send((call.path().map(|p| p.to_string()), argv, cwd)).unwrap();
                    done.store(true, Ordering::SeqCst);
                }
                true
            }),
        );
        let until = std::time::Instant::now() + Duration::from_secs(20);
        while !answered.load(Ordering::SeqCst) && std::time::Instant::now() < until {
            bus.process(Duration::from_millis(100)).unwrap();
        }
    });
    // The name is ours once the thread is serving; until then the URL would start a window.
    wait_for_owner("app.kankalink.desktop.SingleInstance");
    run_without_display(&handover, &[URL]);
    let (path, argv, cwd) = received.recv_timeout(Duration::from_secs(10)).expect("the window got the URL");
    assert_eq!(path.as_deref(), Some("/app/kankalink/desktop/SingleInstance"));
    assert_eq!(argv, vec![handover.with_file_name("kanka-link-window").display().to_string(), URL.to_string()]);
    assert_eq!(cwd, std::env::current_dir().unwrap().display().to_string());
    assert!(!started.exists(), "a running window means no second one");
    serving.join().unwrap();
}

fn wait_for_owner(name: &str) {
    let bus = Connection::new_session().unwrap();
    let dbus = bus.with_proxy("org.freedesktop.DBus", "/org/freedesktop/DBus", Duration::from_secs(5));
    for _ in 0..100 {
        let (owned,): (bool,) = dbus.method_call("org.freedesktop.DBus", "NameHasOwner", (name,)).unwrap();
        if owned {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{name} never got its owner");
}
