//! Answers that are not Kanka's answer to our sign-in: each is refused with a clear message (a
//! passing notice), never reaches the token endpoint and leaves the connection and the status
//! file as they were.

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
    let request = world.linker.begin_connect().await.unwrap();
    let requests = world.sandbox.stats().token_requests;
    let err = world.linker.handle_callback(&answer("attacker-code", "attacker-state")).await.unwrap_err();
    assert!(matches!(err, Error::StateMismatch), "{err:?}");
    assert_eq!(world.sandbox.stats().token_requests, requests, "a forged answer reaches no endpoint");
    let status = world.linker.status();
    assert_eq!(status.state, State::Connecting, "the real answer is still awaited");
    assert!(status.last_error.is_none(), "a stray answer is news, not an error: {status:?}");
    assert_eq!(status.notice.unwrap().code, ErrorCode::StateMismatch);
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
    assert!(status.last_error.is_none(), "{status:?}");
    assert_eq!(status.notice.unwrap().code, ErrorCode::UnexpectedCallback);
    assert!(std::fs::read_dir(world.paths().data_dir).map_or(true, |mut d| d.next().is_none()), "nothing written");
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
    assert_eq!(world.sandbox.stats().token_requests, CHECK_TOKEN_REQUESTS, "no code exchange");
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
    assert_eq!(world.sandbox.stats().token_requests, CHECK_TOKEN_REQUESTS, "no code exchange");
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
    assert!(matches!(err, Error::ExpiredCallback), "{err:?}");
    assert_eq!(world.sandbox.stats().token_requests, CHECK_TOKEN_REQUESTS, "no code exchange");
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
    assert_eq!(world.sandbox.stats().token_requests, CHECK_TOKEN_REQUESTS, "no code exchange");
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

/// What other programs may throw at the `kanka-link:` handler: stale, replayed, forged, padded
/// and garbled answers, hundreds of them. None reaches the token endpoint, each is refused with
/// a message, and the connection and the sign-in in progress stay as they were.
#[tokio::test]
async fn hostile_deep_links_never_reach_kanka_and_change_nothing() {
    let world = World::start().await;
    let first = world.linker.begin_connect().await.unwrap();
    let spent = world.consent(&first.url, true).await;
    world.linker.handle_callback(&spent).await.unwrap();
    let token = world.access_token().await;
    let cancelled = world.linker.begin_connect().await.unwrap();
    let abandoned = world.consent(&cancelled.url, true).await;
    world.linker.cancel_connect().await.unwrap();
    let request = world.linker.begin_connect().await.unwrap();
    let state = request.url.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let requests = world.sandbox.stats().token_requests;

    // Knowing the real state (only the browser does) is not enough with anything extra or doubled.
    let mut hostile = vec![
        spent.clone(),
        abandoned,
        format!("{DEEP_LINK}?code=x&state={state}&redirect_uri=https://evil.example"),
        format!("{DEEP_LINK}?code=x&code=y&state={state}"),
        format!("{DEEP_LINK}?code=x&state={state}&state={state}"),
        format!("{DEEP_LINK}?code=x&error=access_denied&state={state}"),
        format!("{DEEP_LINK}?code={}&state={state}", "A".repeat(MAX_CALLBACK_LEN)),
    ];
    let pieces = [
        "code=x",
        "state=forged",
        "state=",
        "code=",
        "error=access_denied",
        "error=server_error",
        "error_description=%3Cscript%3E",
        "redirect_uri=https://evil.example",
        "%00",
        "&&",
        "code=%FF%FE",
        "=",
        "iss=x",
    ];
    for _ in 0..300 {
        let mut query: Vec<String> =
            (0..rand::random_range(0..6)).map(|_| pieces[rand::random_range(0..pieces.len())].to_owned()).collect();
        if rand::random_bool(0.1) {
            query.push(format!("code={}", "A".repeat(rand::random_range(1..20_000))));
        }
        let base = [
            "kanka-link://oauth/callback",
            "kanka-link://oauth/callback/",
            "kanka-link://OAUTH/callback",
            "kanka-link:oauth/callback",
            "kanka-link://evil@oauth/callback",
        ][rand::random_range(0..5)];
        hostile.push(format!("{base}?{}", query.join("&")));
    }
    let mut refusals = std::collections::BTreeMap::new();
    for url in &hostile {
        let err = world.linker.handle_callback(url).await.unwrap_err();
        *refusals.entry(format!("{:?}", err.code())).or_insert(0) += 1;
        assert!(world.linker.status().notice.is_some_and(|e| !e.message.is_empty()));
        assert!(world.linker.status().last_error.is_none());
    }
    assert_eq!(world.sandbox.stats().token_requests, requests, "a hostile link reached the token endpoint");
    assert_eq!(world.access_token().await, token);
    assert_eq!(world.linker.status().state, State::Connecting, "the real sign-in still waits");
    let callback = world.consent(&request.url, true).await;
    world.linker.handle_callback(&callback).await.unwrap();
    println!("hostile deep links: {} refused without a token request ({refusals:?})", refusals.values().sum::<u32>());
}
