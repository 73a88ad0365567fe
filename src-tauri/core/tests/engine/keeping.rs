//! A working connection is never ended by Kanka Link's own hand: not by a refused client secret
//! (nothing was rotated), not by a changed API address (the tokens simply stay home), not by a
//! stray link, a settings change in the middle of a refresh, or a slow profile; and a failed
//! "Refresh now" is tried again, soon, as the window promises.

use std::time::Duration;

use kanka_link_core::{ClientSecret, Error, ErrorCode, Linker, State};
use kanka_sandbox::{Fault, Sandbox, SandboxConfig};
use url::Url;

use crate::common::*;

const SECOND: Duration = Duration::from_secs(1);
const PROFILE: &str = "/api/1.0/profile";

fn record_json(world: &World) -> serde_json::Value {
    let file = std::fs::read_dir(world.paths().data_dir)
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|e| e == "json"))
        .expect("a status file");
    serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap()
}

#[tokio::test]
async fn a_refused_client_secret_keeps_the_connection_until_the_settings_are_fixed() {
    let world = World::start().await;
    world.connect().await;
    let token = world.access_token().await;

    // `KANKA_LINK_CLIENT_SECRET=old kanka-link refresh`, or a mistyped secret saved in Settings.
    let mut mistyped = world.config.clone();
    mistyped.client_secret = Some(ClientSecret::new("an-old-secret".to_owned()));
    let err = Linker::open(mistyped, &world.paths(), world.clock.clone()).refresh_now().await.unwrap_err();
    assert!(matches!(err, Error::InvalidClient), "{err:?}");
    let status = world.linker.reload();
    assert_eq!(status.state, State::Error, "a blocking error: {status:?}");
    let error = status.last_error.unwrap();
    assert_eq!(error.code, ErrorCode::InvalidClient);
    assert!(error.message.contains("client id or secret") && error.hint.unwrap().contains("Settings"));
    assert_eq!(status.account.unwrap().name, "Sandbox Sage", "the connection is kept");
    assert_eq!(record_json(&world)["refresh_sent"], serde_json::Value::Null);
    assert_eq!(record_json(&world)["connection"]["reconnect_needed"], false);
    assert_eq!(world.sandbox.stats().refreshes, 0, "nothing was rotated");
    assert!(world.sandbox.access_token_is_valid(&token));

    // With the right secret (the settings fixed), the check clears the error by itself...
    let _timer = world.linker.spawn_background();
    let status = wait_for_status(&world.linker, "the error gone", |s| s.last_error.is_none()).await;
    assert_eq!(status.state, State::Connected);
    let stats = world.sandbox.stats();
    assert_eq!(stats.invalid_client, 1, "the refused refresh; the check with the right secret got a 400");
    // ... and the very same pair refreshes.
    world.linker.refresh_now().await.unwrap();
    let stats = world.sandbox.stats();
    assert_eq!((stats.refreshes, stats.invalid_grant, stats.refresh_token_reuse), (1, 0, 0));
}

#[tokio::test]
async fn tokens_go_only_to_the_api_they_were_issued_for() {
    let world = World::start().await;
    world.connect().await;
    let elsewhere = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let mut moved = world.config.clone();
    moved.api_url = Url::parse(&elsewhere.api_url()).unwrap();
    // What the settings form says when it saves the change.
    let said = world.linker.moving_to(&moved).expect("a change of API is said");
    assert!(said.contains(&elsewhere.api_url()) && said.contains("new sign-in"), "{said}");
    assert_eq!(world.linker.moving_to(&world.config), None, "nothing to say when nothing changes");
    let mut other_server = world.config.clone();
    other_server.kanka_url = Url::parse(&elsewhere.base_url()).unwrap();
    let said = world.linker.moving_to(&other_server).expect("a change of server is said");
    assert!(said.contains(&elsewhere.base_url()) && said.contains("stays stored"), "{said}");
    let app = Linker::open(moved, &world.paths(), world.clock.clone());

    let status = app.status();
    assert_eq!(status.state, State::ReconnectNeeded, "{status:?}");
    let message = status.last_error.unwrap().message;
    assert!(message.contains(&world.sandbox.api_url()) && message.contains(&elsewhere.api_url()), "{message}");
    assert!(matches!(app.access_token().await, Err(Error::ReconnectNeeded { .. })));
    assert!(matches!(app.refresh_now().await, Err(Error::ReconnectNeeded { .. })));
    let _timer = app.spawn_background();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(elsewhere.stats().api_requests, 0, "no bearer token went to the other host");
    assert_eq!(world.sandbox.stats().refreshes, 0);

    // Where the tokens belong, nothing changed.
    let status = world.linker.reload();
    assert_eq!(status.state, State::Connected);
    assert!(status.last_error.is_none(), "{status:?}");
    assert!(world.sandbox.access_token_is_valid(&world.access_token().await));
}

#[tokio::test]
async fn a_stray_link_leaves_the_status_as_it_was_and_shows_a_passing_notice() {
    let world = Setup::default().manual_clock().start().await;
    world.connect().await;
    // A warning on show, which a forged link must not hide.
    world.sandbox.inject(Fault::status("/oauth/token", 503, 1));
    world.linker.refresh_now().await.unwrap_err();
    let before = record_json(&world);
    let warning = world.linker.status().last_error.unwrap();

    let err = world.linker.handle_callback(&format!("{DEEP_LINK}?code=forged&state=forged")).await.unwrap_err();
    assert!(matches!(err, Error::UnexpectedCallback), "{err:?}");
    assert!(err.code().is_stray_callback());
    let status = world.linker.status();
    assert_eq!(status.last_error.as_ref(), Some(&warning), "the warning is still on show");
    assert_eq!(status.notice.unwrap().code, ErrorCode::UnexpectedCallback);
    assert_eq!(record_json(&world), before, "the status file is as it was");

    // The notice passes.
    world.advance(21 * SECOND).await;
    wait_for_status(&world.linker, "the notice gone", |s| s.notice.is_none()).await;
}

#[tokio::test]
async fn a_rate_limited_profile_does_not_hold_up_the_sign_in() {
    let world = Setup::default().manual_clock().start().await;
    let _timer = world.linker.spawn_background();
    let mut limited = Fault::status(PROFILE, 429, 1);
    limited.retry_after = Some(60);
    world.sandbox.inject(limited);
    // Signed in without the clock moving: nothing waits the minute out.
    let status = world.connect().await;
    assert!(status.account.is_none(), "{status:?}");
    let now = world.clock.now();
    let retry = status.next_refresh_at.unwrap();
    assert!(retry >= now + chrono::Duration::seconds(60), "the next try honours Retry-After: {retry} vs {now}");

    // A minute on, the timer asks again.
    world.advance(61 * SECOND).await;
    let status = wait_for_status(&world.linker, "the account", |s| s.account.is_some()).await;
    assert!(status.last_error.is_none(), "{status:?}");
    assert_eq!(status.account.unwrap().name, "Sandbox Sage");
}

#[tokio::test]
async fn connect_and_cancel_do_not_wait_for_a_slow_profile() {
    let world = World::start().await;
    let request = world.linker.begin_connect().await.unwrap();
    let callback = world.consent(&request.url, true).await;
    world.sandbox.inject(Fault::delay(PROFILE, 2000, 1));
    let served = world.sandbox.stats().faults_served;
    let sign_in = tokio::spawn({
        let linker = world.linker.clone();
        async move { linker.handle_callback(&callback).await }
    });
    wait_for_sandbox(&world.sandbox, "the profile request", |s| s.faults_served > served).await;
    // The profile is still on its way: another Connect and a Cancel go through meanwhile.
    world.linker.begin_connect().await.unwrap();
    world.linker.cancel_connect().await.unwrap();
    assert!(!sign_in.is_finished(), "the profile request was still under way");
    let status = sign_in.await.unwrap().unwrap();
    assert_eq!(status.account.unwrap().name, "Sandbox Sage");
}

#[tokio::test]
async fn stopping_the_timer_during_a_refresh_keeps_the_new_pair() {
    let world = Setup::default().token_lifetime(40).manual_clock().start().await;
    let first = world.connect().await;
    let timer = world.linker.spawn_background();
    world.sandbox.inject(Fault::delay("/oauth/token", 500, 1));
    world.advance(30 * SECOND).await;
    wait_for_sandbox(&world.sandbox, "the refresh request", |s| s.faults_served == 1).await;
    // Settings saved now: the engine stops the old timer.
    timer.stop().await;
    let status = world.open_another().status();
    assert!(status.refreshed_at > first.refreshed_at, "the new pair was kept: {status:?}");
    let stored = secret_tool_lookup(&format!("access-token:{}", world.scope())).unwrap();
    assert!(world.sandbox.access_token_is_valid(&stored));
    assert_eq!(world.sandbox.stats().refreshes, 1);
    assert_eq!(world.open_another().access_token().await.unwrap().secret(), &stored);
    assert_eq!(world.sandbox.stats().refresh_token_reuse, 0);
}

#[tokio::test]
async fn a_failed_refresh_now_is_tried_again_a_second_later() {
    let world = Setup::default().manual_clock().start().await;
    world.connect().await;
    let _timer = world.linker.spawn_background();
    world.sandbox.inject(Fault::status("/oauth/token", 503, 1));
    let err = world.linker.refresh_now().await.unwrap_err();
    assert!(matches!(err, Error::ServerError { status: 503 }), "{err:?}");
    let status = world.linker.status();
    let wait = (status.next_refresh_at.unwrap() - world.clock.now()).as_seconds_f64();
    assert!((0.5..=1.2).contains(&wait), "the next try is about a second away: {wait} s");
    assert_eq!(status.retry_at, status.next_refresh_at, "the status says when the next try is");
    assert_eq!(status.last_error.unwrap().code, ErrorCode::ServerError);

    world.advance(2 * SECOND).await;
    wait_for_sandbox(&world.sandbox, "the retried refresh", |s| s.refreshes == 1).await;
    let status = wait_for_status(&world.linker, "the error gone", |s| s.last_error.is_none()).await;
    assert_eq!(status.state, State::Connected);
    assert!(status.next_refresh_at.unwrap() > world.clock.now() + chrono::Duration::days(200));
}
