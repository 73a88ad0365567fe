//! A keychain that refuses a rotated pair: Kanka has answered a refresh (or a code exchange), the
//! pair before is revoked, and the keychain is locked when the new pair is written. The new pair
//! must never be lost by Kanka Link's own hand: saved first, before the revoked token could be
//! sent again; written only over the pair it replaced; retried by the timer in every state; and
//! no process may end quietly holding the only copy. Each scenario runs in a child process on a
//! D-Bus and gnome-keyring of its own (keychain_faults.rs), which it locks and unlocks.

use std::time::Duration;

use kanka_link_core::{Error, ErrorCode, Linker, State};
use kanka_sandbox::Fault;

use crate::common::*;

const TOKEN: &str = "/oauth/token";

/// Locks the keychain while Kanka answers a request of `operation`: Kanka rotates, the keychain
/// refuses the new pair. Returns what the operation returned.
async fn while_the_keychain_locks<T: Send + 'static>(
    world: &World,
    daemons: &Daemons,
    operation: impl Future<Output = T> + Send + 'static,
) -> T {
    plant_canary();
    world.sandbox.inject(Fault::delay(TOKEN, 300, 1));
    let served = world.sandbox.stats().faults_served;
    let task = tokio::spawn(operation);
    wait_for_sandbox(&world.sandbox, "the token request", |s| s.faults_served > served).await;
    daemons.lock();
    task.await.unwrap()
}

/// "Refresh now" into a locked keychain: the new pair lives in `linker`'s memory only.
async fn refresh_into_a_locked_keychain(world: &World, daemons: &Daemons, linker: &Linker) {
    let refreshes = world.sandbox.stats().refreshes;
    let linker = linker.clone();
    let result = while_the_keychain_locks(world, daemons, async move { linker.refresh_now().await }).await;
    let err = result.unwrap_err();
    assert_eq!(err.code(), ErrorCode::TokensNotSaved, "{err:?}");
    assert_eq!(world.sandbox.stats().refreshes, refreshes + 1, "Kanka rotated the pair");
}

/// An item of the test's own, to tell when the keychain answers again.
fn plant_canary() {
    let mut store = std::process::Command::new("secret-tool")
        .args(["store", "--label=canary", "service", "kanka-link-test", "username", "canary"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    store.stdin.take().unwrap().write_all(b"canary").unwrap();
    assert!(store.wait().unwrap().success(), "the canary is stored");
}

fn unlock(daemons: &mut Daemons) {
    daemons.start_keyring();
    wait_until("the unlocked keychain", || {
        let lookup = std::process::Command::new("secret-tool")
            .args(["lookup", "service", "kanka-link-test", "username", "canary"])
            .output()
            .unwrap();
        lookup.status.success() && lookup.stdout == b"canary"
    });
}

fn stored_access_token(world: &World) -> Option<String> {
    secret_tool_lookup(&format!("access-token:{}", world.scope()))
}

/// Kanka Link caused no `invalid_grant` and never sent a rotated refresh token.
fn assert_no_reuse(world: &World) {
    let stats = world.sandbox.stats();
    assert_eq!((stats.invalid_grant, stats.refresh_token_reuse), (0, 0), "{stats:?}");
}

/// A connected world on a keychain of the test's own (in a child process; `None` in the parent).
async fn connected_on_its_own_keychain(test: &str) -> Option<(Daemons, World)> {
    let dir = in_child(&format!("rotation_faults::{test}"))?;
    let mut daemons = Daemons::new(&dir);
    daemons.start();
    let world = World::start().await;
    world.connect().await;
    Some((daemons, world))
}

#[tokio::test]
async fn refresh_now_saves_the_refused_pair_and_never_sends_the_token_it_replaced() {
    let Some((mut daemons, world)) =
        connected_on_its_own_keychain("refresh_now_saves_the_refused_pair_and_never_sends_the_token_it_replaced").await
    else {
        return;
    };
    refresh_into_a_locked_keychain(&world, &daemons, &world.linker).await;
    let held = world.linker.access_token().await.unwrap().secret().clone();
    assert!(world.sandbox.access_token_is_valid(&held), "the pair in memory is the one Kanka issued");

    // The user unlocks and clicks "Refresh now", the button the window offers.
    unlock(&mut daemons);
    let status = world.linker.refresh_now().await.unwrap();
    assert_eq!(status.state, State::Connected, "{status:?}");
    assert!(status.last_error.is_none(), "{status:?}");
    assert_eq!(stored_access_token(&world).as_deref(), Some(held.as_str()), "the keychain holds the new pair");
    assert_eq!(world.sandbox.stats().refreshes, 1, "saving needed no second refresh");
    assert_no_reuse(&world);
    assert_eq!(world.open_another().access_token().await.unwrap().secret(), &held);
}

#[tokio::test]
async fn another_process_is_told_rather_than_handed_a_revoked_token() {
    let Some((mut daemons, world)) =
        connected_on_its_own_keychain("another_process_is_told_rather_than_handed_a_revoked_token").await
    else {
        return;
    };
    refresh_into_a_locked_keychain(&world, &daemons, &world.linker).await;
    unlock(&mut daemons);

    // `kanka-link token` while the window still holds the only copy of the new pair.
    let requests = world.sandbox.stats().token_requests;
    let other = world.open_another();
    let err = other.access_token().await.unwrap_err();
    assert!(matches!(err, Error::TokensHeldElsewhere), "{err:?}");
    assert!(err.hint().unwrap().contains("Unlock your keychain"), "{err:?}");
    assert_eq!(world.sandbox.stats().token_requests, requests, "the revoked refresh token was not sent");
    assert_eq!(other.reload().state, State::Connected, "nothing was ended");

    // The window saves; the other process then gets the new token.
    world.linker.refresh_now().await.unwrap();
    let token = other.access_token().await.unwrap();
    assert!(world.sandbox.access_token_is_valid(token.secret()));
    assert_no_reuse(&world);
}

#[tokio::test]
async fn a_refused_pair_is_never_written_over_a_newer_one_nor_into_an_emptied_keychain() {
    let Some((mut daemons, world)) =
        connected_on_its_own_keychain("a_refused_pair_is_never_written_over_a_newer_one_nor_into_an_emptied_keychain")
            .await
    else {
        return;
    };

    // Disconnected from the command line while the window holds a refused pair.
    refresh_into_a_locked_keychain(&world, &daemons, &world.linker).await;
    unlock(&mut daemons);
    let other = world.open_another();
    other.disconnect().await.unwrap();
    let err = world.linker.refresh_now().await.unwrap_err();
    assert!(matches!(err, Error::NotConnected), "{err:?}");
    assert!(secret_tool_search(&world.scope()).is_empty(), "the disconnect was not undone");
    assert_eq!(world.linker.status().state, State::Disconnected);

    // Signed in anew elsewhere while the window held a refused pair: the newer pair stays.
    world.connect().await;
    refresh_into_a_locked_keychain(&world, &daemons, &world.linker).await;
    unlock(&mut daemons);
    let request = other.begin_connect().await.unwrap();
    let callback = world.consent(&request.url, true).await;
    other.handle_callback(&callback).await.unwrap();
    let newer = stored_access_token(&world).unwrap();
    world.linker.refresh_now().await.unwrap();
    assert_eq!(stored_access_token(&world).as_deref(), Some(newer.as_str()), "the newer pair stays");
    assert!(world.sandbox.access_token_is_valid(&newer));
    assert_eq!(world.linker.status().state, State::Connected);
    assert_no_reuse(&world);
}

#[tokio::test]
async fn the_timer_saves_the_refused_pair_of_a_first_sign_in() {
    let Some(dir) = in_child("rotation_faults::the_timer_saves_the_refused_pair_of_a_first_sign_in") else {
        return;
    };
    let mut daemons = Daemons::new(&dir);
    daemons.start();
    let world = World::start().await;
    let _timer = world.linker.spawn_background();
    let request = world.linker.begin_connect().await.unwrap();
    let callback = world.consent(&request.url, true).await;
    let linker = world.linker.clone();
    let result =
        while_the_keychain_locks(&world, &daemons, async move { linker.handle_callback(&callback).await }).await;
    let err = result.unwrap_err();
    assert_eq!(err.code(), ErrorCode::TokensNotSaved, "{err:?}");

    unlock(&mut daemons);
    let status = wait_for_status(&world.linker, "the first pair saved", |s| {
        s.state == State::Connected && s.account.is_some() && s.last_error.is_none()
    })
    .await;
    assert_eq!(status.account.unwrap().name, "Sandbox Sage");
    let stored = stored_access_token(&world).expect("the keychain holds the pair");
    assert!(world.sandbox.access_token_is_valid(&stored));
    assert_no_reuse(&world);
}

#[tokio::test]
async fn a_process_that_cannot_save_its_pair_ends_loudly_and_names_the_loss() {
    let Some((mut daemons, world)) =
        connected_on_its_own_keychain("a_process_that_cannot_save_its_pair_ends_loudly_and_names_the_loss").await
    else {
        return;
    };
    // `kanka-link refresh` into a keychain that stays locked.
    let cli = world.open_another();
    refresh_into_a_locked_keychain(&world, &daemons, &cli).await;
    let err = cli.settle(3, Duration::from_millis(20)).await.unwrap_err();
    assert!(matches!(&err, Error::ReconnectNeeded { reason, .. } if reason.contains("lost")), "{err:?}");
    assert!(err.to_string().contains("keychain did not take them"), "{err}");

    // Every process sees why, at once, rather than after an invalid_grant months later.
    unlock(&mut daemons);
    let status = world.linker.reload();
    assert_eq!(status.state, State::ReconnectNeeded, "{status:?}");
    assert!(status.last_error.unwrap().message.contains("lost when this command ended"));
    assert_no_reuse(&world);
}

#[tokio::test]
async fn a_stray_link_reads_no_secret() {
    let Some((daemons, world)) = connected_on_its_own_keychain("a_stray_link_reads_no_secret").await else { return };
    let record = std::fs::read_dir(world.paths().data_dir).unwrap().count();
    daemons.lock();
    let err = world.linker.handle_callback(&format!("{DEEP_LINK}?code=c&state=s")).await.unwrap_err();
    assert!(matches!(err, Error::UnexpectedCallback), "a keychain read would have failed instead: {err:?}");
    let status = world.linker.status();
    assert_eq!(status.state, State::Connected);
    assert!(status.last_error.is_none(), "{status:?}");
    assert_eq!(status.notice.unwrap().code, ErrorCode::UnexpectedCallback);
    assert_eq!(std::fs::read_dir(world.paths().data_dir).unwrap().count(), record);
}

/// `npm run stress` runs it with 100 rounds (KANKA_LINK_KEYCHAIN_ROUNDS); `npm test` with 4.
#[tokio::test]
async fn rotated_pairs_the_keychain_refused_survive_every_round() {
    let Some((mut daemons, world)) =
        connected_on_its_own_keychain("rotated_pairs_the_keychain_refused_survive_every_round").await
    else {
        return;
    };
    let rounds: u32 = std::env::var("KANKA_LINK_KEYCHAIN_ROUNDS").ok().and_then(|n| n.parse().ok()).unwrap_or(4);
    let other = world.open_another();
    for round in 0..rounds {
        refresh_into_a_locked_keychain(&world, &daemons, &world.linker).await;
        unlock(&mut daemons);
        // Whoever comes first after the unlock: "Refresh now", a token request, the exit path.
        match round % 3 {
            0 => drop(world.linker.refresh_now().await.unwrap()),
            1 => {
                assert!(matches!(other.access_token().await, Err(Error::TokensHeldElsewhere)));
                drop(world.linker.access_token().await.unwrap());
            }
            _ => world.linker.settle(1, Duration::ZERO).await.unwrap(),
        }
        let stored = stored_access_token(&world).expect("a pair in the keychain");
        assert!(world.sandbox.access_token_is_valid(&stored), "round {round}: the keychain's pair works");
        assert_eq!(other.reload().state, State::Connected, "round {round}");
        assert_no_reuse(&world);
    }
    let stats = world.sandbox.stats();
    println!(
        "keychain fault: refused a rotated pair in {rounds} rounds: {} kept, 0 connections lost, {} invalid_grant, \
         {} reuses of a rotated refresh token",
        rounds, stats.invalid_grant, stats.refresh_token_reuse
    );
}
