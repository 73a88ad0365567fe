//! Desktop notifications against a real notification service: the recording one of the test
//! support crate, on the private session bus of tests/run.sh, with the sandbox Kanka and the
//! private keychain. A binary of its own, so the service owns the bus name only while these tests
//! run: cargo runs test binaries one after another, and the engine tests' writes find no service.

#[allow(dead_code)]
#[path = "engine/common.rs"]
mod common;

use std::time::Duration;

use common::*;
use kanka_link_core::State;
use kanka_sandbox::Fault;

/// The service owns one bus name: one test at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const DAY: Duration = Duration::from_secs(86_400);

/// What the record file says was last notified.
fn remembered(world: &World) -> Option<String> {
    let data = world.paths().data_dir;
    let record = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .expect("a record file");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(record).unwrap()).unwrap();
    json.get("notified").and_then(|n| n.as_str()).map(str::to_owned)
}

#[tokio::test]
async fn reconnect_needed_is_notified_once_per_change_of_state() {
    let _serial = SERIAL.lock().await;
    let service = NotificationService::start();
    let world = World::start().await;
    world.connect().await;
    assert_eq!(service.take(), vec![], "a fine connection notifies nothing");

    world.sandbox.revoke_all();
    let ended = world.linker.refresh_now().await.expect_err("Kanka refuses the revoked token");
    assert_eq!(world.linker.status().state, State::ReconnectNeeded, "{ended}");
    let shown = service.take();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0].app_name, "Kanka Link");
    assert!(shown[0].summary.contains("reconnect"), "{shown:?}");
    assert!(shown[0].body.contains("Sandbox Sage needs to sign in") && shown[0].body.contains("Open Kanka Link"));
    assert_eq!(remembered(&world).as_deref(), Some("reconnect_needed"));

    // The same state written again, by this process and by another one that starts: nothing.
    let _ = world.linker.refresh_now().await.expect_err("still refused");
    let another = world.open_another();
    assert_eq!(another.status().state, State::ReconnectNeeded);
    let _ = another.refresh_now().await.expect_err("still refused");
    assert_eq!(service.take(), vec![], "one notification per change of state");

    // Fine again: forgotten, so the next problem is news again.
    world.connect().await;
    assert_eq!(remembered(&world), None);
    assert_eq!(service.take(), vec![]);
    world.sandbox.revoke_all();
    let _ = world.linker.refresh_now().await.expect_err("refused again");
    assert_eq!(service.take().len(), 1, "a second problem is a second notification");
}

#[tokio::test]
async fn a_token_expiring_within_thirty_days_unrenewed_is_notified_once() {
    let _serial = SERIAL.lock().await;
    let service = NotificationService::start();
    let world = Setup::default().manual_clock().start().await;
    world.connect().await;
    let clock = world.manual.as_ref().unwrap();
    let expires_at = world.linker.status().expires_at.expect("connected");

    // Kanka answers no refresh for weeks. Past the refresh time, but more than 30 days left:
    // the status shows the retry, the desktop is not bothered.
    world.sandbox.inject(Fault::status("/oauth/token", 503, 4));
    clock.advance(300 * DAY);
    let _ = world.linker.refresh_now().await.expect_err("the server fails");
    assert!(expires_at - clock_now(&world) > chrono::TimeDelta::days(30));
    assert_eq!(service.take(), vec![]);

    clock.advance(40 * DAY);
    let _ = world.linker.refresh_now().await.expect_err("the server still fails");
    let shown = service.take();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(shown[0].summary.contains("expires soon"), "{shown:?}");
    let day = expires_at.format("%Y-%m-%d").to_string();
    assert!(shown[0].body.contains(&day) && shown[0].body.contains("Open Kanka Link"), "{shown:?}");
    assert_eq!(remembered(&world).as_deref(), Some("expiring_soon"));

    // Failing again, here and in a process started later: still the same state.
    clock.advance(DAY);
    let _ = world.linker.refresh_now().await.expect_err("the server still fails");
    let _ = world.open_another().refresh_now().await.expect_err("and for another process");
    assert_eq!(service.take(), vec![], "one notification per change of state");

    // The server is back (the four failures are spent): renewed, forgotten, without a word.
    world.linker.refresh_now().await.expect("the refresh works again");
    assert_eq!(remembered(&world), None);
    assert_eq!(service.take(), vec![]);
}

fn clock_now(world: &World) -> chrono::DateTime<chrono::Utc> {
    world.clock.now()
}

/// In a child process on a bus of its own, whose keychain the test stops while Kanka answers a
/// refresh (as keychain_faults.rs does), with the recording service on that bus.
#[tokio::test]
async fn tokens_the_keychain_refused_are_notified_once() {
    let Some(dir) = in_child("tokens_the_keychain_refused_are_notified_once") else {
        return;
    };
    let mut daemons = Daemons::new(&dir);
    daemons.start();
    let service = NotificationService::start();
    let world = World::start().await;
    world.connect().await;

    world.sandbox.inject(Fault::delay("/oauth/token", 1000, 1));
    let served = world.sandbox.stats().faults_served;
    let refresh = tokio::spawn({
        let linker = world.linker.clone();
        async move { linker.refresh_now().await }
    });
    wait_for_sandbox(&world.sandbox, "the refresh request", |s| s.faults_served > served).await;
    daemons.stop_keyring();
    let err = refresh.await.unwrap().unwrap_err();
    assert_eq!(err.code(), kanka_link_core::ErrorCode::TokensNotSaved, "{err:?}");
    let shown = service.take();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(shown[0].summary.contains("could not save the tokens"), "{shown:?}");
    assert!(shown[0].body.contains("Unlock your keychain") && shown[0].body.contains("Sandbox Sage"), "{shown:?}");

    // Still refused: the same state, no second notification.
    let again = world.linker.refresh_now().await.unwrap_err();
    assert_eq!(again.code(), kanka_link_core::ErrorCode::TokensNotSaved, "{again:?}");
    assert_eq!(service.take(), vec![], "one notification per change of state");

    // The keychain is back: the pair is saved, the state forgotten, nothing shown.
    daemons.start_keyring();
    world.linker.refresh_now().await.expect("the pair is saved");
    assert_eq!(remembered(&world), None);
    assert_eq!(service.take(), vec![]);
    println!("notification: tokens not saved → one notification, none while still refused, forgotten once saved");
}
