//! Absurd times from outside: a token endpoint whose `Retry-After` asks for thousands of years, for
//! more seconds than a number holds, or for the year 9999, while the timer refreshes; and a status
//! file whose dates sit at chrono's limits. The release build aborts on a panic and the timer runs
//! at every launch, so one such answer used to stop the app for good. Now nothing panics, the next
//! try stays within an hour and half the token's remaining life, the tokens are kept, and a file
//! with impossible dates shows as damaged instead of being acted on.

use std::path::PathBuf;
use std::time::Duration;

use kanka_link_core::{ErrorCode, State};
use kanka_sandbox::Fault;

use crate::common::*;

const SECOND: Duration = Duration::from_secs(1);

/// Moves the clock once the timer is asleep, so each step is seen.
async fn advance(world: &World, by: Duration) {
    let clock = world.manual.as_ref().unwrap();
    clock.wait_for_sleepers(1).await;
    clock.advance(by);
}

/// A 429 from the token endpoint with this `Retry-After`.
fn rate_limited(retry_after: Option<u64>, retry_after_text: Option<&str>) -> Fault {
    Fault {
        path: "/oauth/token".to_owned(),
        status: Some(429),
        body: Some(r#"{"message":"Too Many Attempts."}"#.to_owned()),
        content_type: Some("application/json".to_owned()),
        retry_after,
        retry_after_text: retry_after_text.map(str::to_owned),
        ..Fault::default()
    }
}

#[tokio::test]
async fn an_absurd_retry_after_during_a_refresh_waits_within_the_bounds_and_keeps_the_tokens() {
    let world = Setup::default().token_lifetime(3600).manual_clock().start().await;
    world.connect().await;
    let token = world.access_token().await;
    let _timer = world.linker.spawn_background();
    let faults = [
        // Past what chrono can add to a date: the old code panicked, and the timer died.
        rate_limited(Some(u64::MAX), None),
        // 3,169 years: a date chrono holds, so the old code planned the retry for the year 5195.
        rate_limited(Some(99_999_999_999), None),
        rate_limited(None, Some("Fri, 31 Dec 9999 23:59:59 GMT")),
    ];
    for fault in &faults {
        world.sandbox.inject(fault.clone());
    }
    // Due at three quarters of the hour: 900 s of life left, so each wait is at most half of it.
    advance(&world, 2700 * SECOND).await;
    for attempt in 1..=faults.len() as u64 {
        wait_for_sandbox(&world.sandbox, "a rate-limited attempt", |s| s.faults_served == attempt).await;
        let status = wait_for_status(&world.linker, "the retry to be planned", |s| {
            s.last_error.as_ref().is_some_and(|e| e.code == ErrorCode::RateLimited)
                && s.next_refresh_at.is_some_and(|at| at > world.clock.now())
        })
        .await;
        assert_eq!(status.state, State::Connected, "attempt {attempt}: {status:?}");
        let now = world.clock.now();
        let gap = status.next_refresh_at.unwrap() - now;
        let remaining = status.expires_at.unwrap() - now;
        assert!(
            gap <= chrono::TimeDelta::hours(1) && gap <= remaining / 2 && gap >= chrono::TimeDelta::milliseconds(500),
            "attempt {attempt}: next try in {gap} with {remaining} of the token's life left"
        );
        // Read past the engine: asking it for a token would itself try to refresh.
        let stored = secret_tool_lookup(&format!("access-token:{}", world.scope()));
        assert_eq!(stored.as_deref(), Some(token.as_str()), "attempt {attempt}: the stored token is intact");
        // Nothing before the planned time: no storm.
        advance(&world, gap.to_std().unwrap() / 2).await;
        advance(&world, Duration::ZERO).await;
        assert_eq!(world.sandbox.stats().faults_served, attempt, "attempt {attempt}: retried early");
        advance(&world, gap.to_std().unwrap() / 2 + Duration::from_millis(10)).await;
    }
    wait_for_sandbox(&world.sandbox, "the refresh", |s| s.refreshes == 1).await;
    let status = wait_for_status(&world.linker, "the error to clear", |s| s.last_error.is_none()).await;
    assert_eq!(status.state, State::Connected);
    assert!(status.expires_at.unwrap() > world.clock.now(), "the token never expired: {status:?}");
    assert_eq!(world.sandbox.stats().refresh_token_reuse, 0);
    assert!(world.sandbox.access_token_is_valid(&world.access_token().await));
}

/// The status file of this world's connection.
fn record_path(world: &World) -> PathBuf {
    let data_dir = world.paths().data_dir;
    std::fs::read_dir(&data_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|p| {
            p.file_name().unwrap().to_string_lossy().starts_with("connection-")
                && p.extension().is_some_and(|e| e == "json")
        })
        .unwrap_or_else(|| panic!("no status file in {}", data_dir.display()))
}

/// Rewrites the connection's dates in the status file, as a damaged disk or a hand edit would.
fn write_dates(path: &PathBuf, refreshed_at: &str, expires_at: &str) {
    let mut record: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    record["connection"]["refreshed_at"] = refreshed_at.into();
    record["connection"]["expires_at"] = expires_at.into();
    std::fs::write(path, serde_json::to_vec_pretty(&record).unwrap()).unwrap();
}

#[tokio::test]
async fn a_status_file_with_impossible_dates_shows_as_damaged_and_starts_no_refresh() {
    let world = Setup::default().token_lifetime(3600).manual_clock().start().await;
    world.connect().await;
    let path = record_path(&world);
    let (now, yesterday) =
        (world.clock.now().to_rfc3339(), (world.clock.now() - chrono::TimeDelta::days(1)).to_rfc3339());
    let cases = [
        ("-262143-01-01T00:00:00Z", "+262142-12-31T23:59:59.999999999Z"),
        ("+262142-12-31T23:59:59.999999999Z", "+262142-12-31T23:59:59.999999999Z"),
        ("-262143-01-01T00:00:00Z", "-262143-01-01T00:00:00Z"),
        // An expiry before the pair was issued, and one centuries after.
        (now.as_str(), yesterday.as_str()),
        (now.as_str(), "9999-12-31T23:59:59Z"),
    ];
    for (refreshed_at, expires_at) in cases {
        write_dates(&path, refreshed_at, expires_at);
        let requests = world.sandbox.stats().token_requests + world.sandbox.stats().faults_served;
        // A fresh launch on that file, with its start-up check and timer.
        let app = world.open_another();
        let timer = app.spawn_background();
        let status = app.status();
        assert_eq!(status.state, State::Error, "{refreshed_at} .. {expires_at}: {status:?}");
        let error = status.last_error.as_ref().unwrap();
        assert_eq!(error.code, ErrorCode::Storage, "{refreshed_at} .. {expires_at}: {status:?}");
        assert!(error.message.contains("damaged") && error.message.contains("connection-"), "{}", error.message);
        assert_eq!((status.expires_at, status.next_refresh_at), (None, None), "no date from the file is shown");
        // Two hours of the app running: the timer looks at the file again and does nothing.
        for _ in 0..2 {
            advance(&world, 3600 * SECOND).await;
        }
        advance(&world, Duration::ZERO).await;
        assert_eq!(app.status().state, State::Error);
        let now_requests = world.sandbox.stats().token_requests + world.sandbox.stats().faults_served;
        assert_eq!(now_requests, requests, "{refreshed_at} .. {expires_at}: no request to Kanka");
        timer.stop().await;
    }
}

#[tokio::test]
async fn a_status_file_from_the_year_one_is_refreshed_once() {
    let world = Setup::default().token_lifetime(3600).manual_clock().start().await;
    world.connect().await;
    // Possible, if a clock was that wrong: loaded, due long ago, so refreshed at once, and once.
    write_dates(&record_path(&world), "0001-01-01T00:00:00Z", "0001-01-01T01:00:00Z");
    let app = world.open_another();
    let _timer = app.spawn_background();
    wait_for_sandbox(&world.sandbox, "the refresh at start-up", |s| s.refreshes == 1).await;
    let status =
        wait_for_status(&app, "the new pair", |s| s.refreshed_at.is_some_and(|at| at >= world.clock.now())).await;
    assert_eq!(status.state, State::Connected, "{status:?}");
    assert!(status.next_refresh_at.unwrap() > world.clock.now(), "{status:?}");
    for _ in 0..10 {
        advance(&world, 60 * SECOND).await;
    }
    advance(&world, Duration::ZERO).await;
    assert_eq!(world.sandbox.stats().refreshes, 1, "one refresh, not a storm");
    assert_eq!(world.sandbox.stats().token_requests, CHECK_TOKEN_REQUESTS + 2, "the sign-in and the refresh");
}
