//! Answers that are not Kanka's answer to our sign-in: each is refused with a clear message,
//! never reaches the token endpoint and leaves the connection as it was.

use std::time::Duration;

use kanka_link_core::{Error, ErrorCode, MAX_CALLBACK_LEN, State};

use crate::common::*;

fn answer(code: &str, state: &str) -> String {
    format!("{DEEP_LINK}?code={code}&state={state}")
}

#[tokio::test]
async fn a_forged_answer_is_refused_and_the_real_one_still_completes() {
    let world = World::start().await;
    world.connect().await;
    let token = world.access_token().await;
    let requests = world.sandbox.stats().token_requests;

    let request = world.linker.begin_connect().await.unwrap();
    let err = world.linker.handle_callback(&answer("attacker-code", "attacker-state")).await.unwrap_err();
    assert!(matches!(err, Error::StateMismatch), "{err:?}");
    assert_eq!(world.sandbox.stats().token_requests, requests, "a forged answer reaches no endpoint");
    let status = world.linker.status();
    assert_eq!(status.state, State::Connecting, "the real answer is still awaited");
    assert_eq!(status.last_error.unwrap().code, ErrorCode::StateMismatch);
    assert_eq!(world.access_token().await, token, "the stored connection is intact");

    let callback = world.consent(&request.url, true).await;
    let status = world.linker.handle_callback(&callback).await.unwrap();
    assert_eq!(status.state, State::Connected);
    assert!(status.last_error.is_none());
}

#[tokio::test]
async fn an_answer_with_no_sign_in_in_progress_is_refused() {
    let world = World::start().await;
    let err = world.linker.handle_callback(&answer("c", "s")).await.unwrap_err();
    assert!(matches!(err, Error::UnexpectedCallback), "{err:?}");
    let status = world.linker.status();
    assert_eq!(status.state, State::Disconnected);
    assert_eq!(status.last_error.unwrap().code, ErrorCode::UnexpectedCallback);
    assert_eq!(world.sandbox.stats().token_requests, 0);
}

#[tokio::test]
async fn a_replayed_answer_is_recognised() {
    let world = World::start().await;
    let request = world.linker.begin_connect().await.unwrap();
    let callback = world.consent(&request.url, true).await;
    world.linker.handle_callback(&callback).await.unwrap();
    let requests = world.sandbox.stats().token_requests;

    let err = world.linker.handle_callback(&callback).await.unwrap_err();
    assert!(matches!(err, Error::ReplayedCallback), "{err:?}");
    assert_eq!(world.sandbox.stats().token_requests, requests);
    assert_eq!(world.linker.status().state, State::Connected);
}

#[tokio::test]
async fn malformed_and_oversized_answers_are_refused_before_anything_is_read() {
    let world = World::start().await;
    let request = world.linker.begin_connect().await.unwrap();
    let state = request.url.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let long = format!("{DEEP_LINK}?state={state}&code={}", "x".repeat(MAX_CALLBACK_LEN));
    for bad in [
        long,
        format!("{DEEP_LINK}?state={state}&state={state}&code=a"),
        format!("{DEEP_LINK}?state={state}&code=a&next=https://evil.example"),
        format!("{DEEP_LINK}?code=a"),
        format!("kanka-link://oauth/elsewhere?state={state}&code=a"),
        "kanka-link://".to_owned(),
    ] {
        let err = world.linker.handle_callback(&bad).await.unwrap_err();
        assert!(matches!(err, Error::MalformedCallback { .. }), "{bad:.80}: {err:?}");
    }
    assert_eq!(world.sandbox.stats().token_requests, 0);
    assert_eq!(world.linker.status().state, State::Connecting, "the attempt is still open");
    let callback = world.consent(&request.url, true).await;
    world.linker.handle_callback(&callback).await.unwrap();
}

#[tokio::test]
async fn an_answer_after_ten_minutes_is_expired() {
    let world = Setup::default().manual_clock().start().await;
    let manual = clock_of(&world);
    let request = world.linker.begin_connect().await.unwrap();
    let callback = world.consent(&request.url, true).await;
    // The machine slept: the wall clock moved, the expiry watch did not get to run.
    manual.suspend(Duration::from_secs(601));
    let err = world.linker.handle_callback(&callback).await.unwrap_err();
    assert!(matches!(err, Error::AuthorizationExpired), "{err:?}");
    assert_eq!(world.sandbox.stats().token_requests, 0);
    assert_eq!(world.linker.status().state, State::Disconnected);
}

#[tokio::test]
async fn a_sign_in_nobody_answers_ends_after_ten_minutes() {
    let world = Setup::default().manual_clock().start().await;
    let manual = clock_of(&world);
    let request = world.linker.begin_connect().await.unwrap();
    manual.wait_for_sleepers(1).await;
    manual.advance(Duration::from_secs(599));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(world.linker.status().state, State::Connecting);
    manual.advance(Duration::from_secs(1));
    let status = wait_for_status(&world.linker, "the sign-in to expire", |s| s.state != State::Connecting).await;
    assert_eq!(status.state, State::Disconnected);
    assert_eq!(status.last_error.unwrap().code, ErrorCode::AuthorizationExpired);

    // Kanka's answer, arriving late, is explained rather than used.
    let callback = world.consent(&request.url, true).await;
    let err = world.linker.handle_callback(&callback).await.unwrap_err();
    assert!(matches!(err, Error::AuthorizationExpired), "{err:?}");
    assert_eq!(world.sandbox.stats().token_requests, 0);
}

#[tokio::test]
async fn an_answer_to_a_cancelled_sign_in_is_ignored() {
    let world = World::start().await;
    let request = world.linker.begin_connect().await.unwrap();
    let callback = world.consent(&request.url, true).await;
    let status = world.linker.cancel_connect().await.unwrap();
    assert_eq!(status.state, State::Disconnected);
    let err = world.linker.handle_callback(&callback).await.unwrap_err();
    assert!(matches!(err, Error::AbandonedCallback), "{err:?}");
    assert_eq!(world.sandbox.stats().token_requests, 0);
    assert!(secret_tool_search(&world.scope()).is_empty());
}

#[tokio::test]
async fn other_kanka_errors_keep_their_description() {
    let world = World::start().await;
    let request = world.linker.begin_connect().await.unwrap();
    let mut with_scope = request.url.clone();
    with_scope.query_pairs_mut().append_pair("scope", "campaigns");
    let callback = world.consent(&with_scope, true).await;
    assert!(callback.contains("error=invalid_scope"), "{callback}");
    let err = world.linker.handle_callback(&callback).await.unwrap_err();
    assert!(matches!(&err, Error::AuthorizationRefused { code, .. } if code == "invalid_scope"), "{err:?}");
    assert!(err.to_string().starts_with("Kanka refused the connection: "), "{err}");
}

#[tokio::test]
async fn a_pending_sign_in_survives_a_restart() {
    let world = World::start().await;
    let request = world.linker.begin_connect().await.unwrap();
    let callback = world.consent(&request.url, true).await;
    let restarted = world.open_another();
    assert_eq!(restarted.status().state, State::Connecting);
    let status = restarted.handle_callback(&callback).await.unwrap();
    assert_eq!(status.state, State::Connected);
}

fn clock_of(world: &World) -> std::sync::Arc<kanka_link_core::clock::ManualClock> {
    world.manual.clone().expect("a manual clock")
}
