//! The keychain failing under a connection: missing at start-up and back later, locked, and
//! gone between a successful refresh and the keychain write. Each scenario runs in a child
//! process on a D-Bus of its own, whose gnome-keyring the scenario starts, kills and locks.

use kanka_link_core::{ErrorCode, State};
use kanka_sandbox::Fault;

use crate::common::*;

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
