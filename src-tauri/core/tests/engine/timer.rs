//! The refresh timer with an injected clock that only the test moves. HTTP, the sandbox and the
//! keychain stay real (a paused tokio clock cannot be used here: it jumps ahead whenever the
//! runtime waits on a socket, and fires the HTTP timeouts while the sandbox is answering).

use std::time::Duration;

use kanka_link_core::clock::Clock;
use kanka_link_core::{ErrorCode, Linker, MAX_NAP, State, Status};
use kanka_sandbox::Fault;

use crate::common::*;

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test]
async fn refreshes_at_three_quarters_of_the_lifetime() {
    let world = Setup::default().token_lifetime(40).manual_clock().start().await;
    let first = world.connect().await;
    let _timer = world.linker.spawn_background();
    assert_eq!((first.next_refresh_at.unwrap() - first.refreshed_at.unwrap()).num_seconds(), 30);

    world.advance(29 * SECOND).await;
    world.advance(Duration::ZERO).await;
    assert_eq!(world.sandbox.stats().refreshes, 0, "nothing before 30 s");
    world.advance(SECOND).await;
    wait_for_sandbox(&world.sandbox, "the refresh at 30 s", |s| s.refreshes == 1).await;
    let status = wait_for_status(&world.linker, "the new pair", |s| s.refreshed_at > first.refreshed_at).await;
    assert_eq!(status.state, State::Connected);
    assert_eq!((status.refreshed_at.unwrap() - first.refreshed_at.unwrap()).num_seconds(), 30);
    assert_eq!((status.next_refresh_at.unwrap() - status.refreshed_at.unwrap()).num_seconds(), 30);
    assert!(world.sandbox.access_token_is_valid(&world.access_token().await));

    // And again 30 s later, with the rotated refresh token.
    world.advance(30 * SECOND).await;
    wait_for_sandbox(&world.sandbox, "the second refresh", |s| s.refreshes == 2).await;
    assert_eq!(world.sandbox.stats().refresh_token_reuse, 0);
    assert_eq!(world.sandbox.stats().invalid_grant, 0);
}

#[tokio::test]
async fn an_overdue_pair_is_refreshed_at_start_up() {
    let world = Setup::default().token_lifetime(40).manual_clock().start().await;
    let first = world.connect().await;
    world.manual.as_ref().unwrap().suspend(35 * SECOND);
    let restarted = world.open_another();
    let _timer = restarted.spawn_background();
    wait_for_sandbox(&world.sandbox, "the refresh at start-up", |s| s.refreshes == 1).await;
    let status = wait_for_status(&restarted, "the new pair", |s| s.refreshed_at > first.refreshed_at).await;
    assert_eq!(status.state, State::Connected);
    assert!(status.next_refresh_at.unwrap() > world.clock.now());
}

/// A connection whose pair is overdue, opened again as an app starting would open it: the world,
/// the status before, the restarted engine and the token requests the sandbox had by then.
async fn overdue_at_start_up() -> (World, Status, Linker, u64) {
    let world = Setup::default().token_lifetime(40).manual_clock().start().await;
    let first = world.connect().await;
    world.manual.as_ref().unwrap().suspend(35 * SECOND);
    let restarted = world.open_another();
    let before = world.sandbox.stats().token_requests;
    (world, first, restarted, before)
}

/// The window holds its timers' work until it is up (`spawn_background_when`): an overdue pair
/// is not refreshed before, and is at once after.
#[tokio::test]
async fn a_timer_held_until_the_window_is_up_starts_its_work_then() {
    let (world, first, restarted, before) = overdue_at_start_up().await;
    let (up, window_up) = tokio::sync::oneshot::channel::<()>();
    let _timer = restarted.spawn_background_when(async move {
        let _ = window_up.await;
    });
    // Unheld, the overdue refresh goes out at once (an_overdue_pair_is_refreshed_at_start_up).
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(world.sandbox.stats().token_requests, before, "a token request before the window was up");
    up.send(()).unwrap();
    wait_for_sandbox(&world.sandbox, "the refresh once the window is up", |s| s.refreshes == 1).await;
    let status = wait_for_status(&restarted, "the new pair", |s| s.refreshed_at > first.refreshed_at).await;
    assert_eq!(status.state, State::Connected);
}

/// Settings saved before the window was up stop a held timer: it never starts (and the stop
/// does not wait for a window that never comes up).
#[tokio::test]
async fn a_timer_stopped_while_held_never_starts() {
    let (world, first, restarted, before) = overdue_at_start_up().await;
    let timer = restarted.spawn_background_when(std::future::pending());
    tokio::time::timeout(Duration::from_secs(10), timer.stop()).await.expect("the stop waited for the window");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(world.sandbox.stats().token_requests, before, "a stopped timer sent a request");
    assert_eq!(restarted.status().refreshed_at, first.refreshed_at);
}

#[tokio::test]
async fn server_errors_back_off_exponentially_then_the_refresh_succeeds() {
    let world = Setup::default().token_lifetime(3600).manual_clock().start().await;
    world.connect().await;
    let _timer = world.linker.spawn_background();
    let failures = 5;
    world.sandbox.inject(Fault::status("/oauth/token", 503, failures));
    // Faulted requests never reach the token endpoint: the sandbox counts them as faults served.
    let before = world.sandbox.stats().token_requests;
    world.advance(2700 * SECOND).await;

    let mut gaps = Vec::new();
    for attempt in 1..=failures {
        wait_for_sandbox(&world.sandbox, "a failed attempt", |s| s.faults_served == u64::from(attempt)).await;
        let status = wait_for_status(&world.linker, "the retry to be planned", |s| {
            s.state == State::Connected
                && s.last_error.as_ref().is_some_and(|e| e.code == ErrorCode::ServerError)
                && s.next_refresh_at.is_some_and(|at| at > world.clock.now())
        })
        .await;
        let gap = (status.next_refresh_at.unwrap() - world.clock.now()).as_seconds_f64();
        gaps.push(gap);
        // Nothing happens before the planned time: no storm.
        world.advance(Duration::from_secs_f64(gap * 0.5)).await;
        world.advance(Duration::ZERO).await;
        assert_eq!(world.sandbox.stats().faults_served, u64::from(attempt), "retried early, gaps {gaps:?}");
        world.advance(Duration::from_secs_f64(gap * 0.5 + 0.01)).await;
    }
    wait_for_sandbox(&world.sandbox, "the successful attempt", |s| s.refreshes == 1).await;
    let status = wait_for_status(&world.linker, "the error to clear", |s| s.last_error.is_none()).await;
    assert_eq!(status.state, State::Connected);
    assert_eq!(world.sandbox.stats().faults_served, u64::from(failures));
    assert_eq!(world.sandbox.stats().token_requests, before + 1);
    for (i, gap) in gaps.iter().enumerate() {
        let base = f64::from(1u32 << i);
        assert!((base * 0.8..=base * 1.2).contains(gap), "attempt {}: gap {gap} s, all {gaps:?}", i + 1);
    }
}

#[tokio::test]
async fn two_processes_due_at_once_refresh_only_once() {
    let world = Setup::default().token_lifetime(40).manual_clock().start().await;
    world.connect().await;
    let other = world.open_another();
    let clock = world.manual.as_ref().unwrap();
    for round in 1..=10u64 {
        clock.advance(31 * SECOND);
        let (a, b) = tokio::join!(world.linker.access_token(), other.access_token());
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.secret(), b.secret(), "round {round}: both got the new token");
        assert!(world.sandbox.access_token_is_valid(a.secret()));
        let stats = world.sandbox.stats();
        assert_eq!(stats.refreshes, round, "round {round}: one refresh, not two");
        assert_eq!(stats.refresh_token_reuse, 0);
        assert_eq!(stats.invalid_grant, 0);
    }
}

#[tokio::test]
async fn a_suspended_machine_catches_up_within_the_hour() {
    let world = Setup::default().token_lifetime(24 * 3600).manual_clock().start().await;
    world.connect().await;
    let _timer = world.linker.spawn_background();
    let clock = world.manual.as_ref().unwrap();
    // Asleep for 19 hours: the wall clock passed the refresh point (18 h), the timer's did not.
    clock.wait_for_sleepers(1).await;
    clock.suspend(19 * 3600 * SECOND);
    world.advance(MAX_NAP - SECOND).await;
    world.advance(Duration::ZERO).await;
    assert_eq!(world.sandbox.stats().refreshes, 0);
    world.advance(SECOND).await;
    wait_for_sandbox(&world.sandbox, "the catch-up refresh", |s| s.refreshes == 1).await;
}

#[tokio::test]
async fn a_wall_clock_set_back_causes_no_storm() {
    let world = Setup::default().token_lifetime(40).manual_clock().start().await;
    world.connect().await;
    let _timer = world.linker.spawn_background();
    let clock = world.manual.as_ref().unwrap();
    clock.wait_for_sleepers(1).await;
    clock.set_wall(clock.now() - chrono::Duration::days(2));
    for _ in 0..20 {
        world.advance(10 * SECOND).await;
    }
    world.advance(Duration::ZERO).await;
    let sign_in = CHECK_TOKEN_REQUESTS + 1;
    assert_eq!(world.sandbox.stats().token_requests, sign_in, "only the sign-in; the pair is not due on the new clock");
    // The clock jumping forward again makes it due, and it refreshes once.
    clock.set_wall(clock.now() + chrono::Duration::days(2));
    world.advance(MAX_NAP).await;
    wait_for_sandbox(&world.sandbox, "one refresh", |s| s.refreshes == 1).await;
    world.advance(Duration::ZERO).await;
    assert_eq!(world.sandbox.stats().token_requests, sign_in + 1);
}

#[tokio::test]
async fn a_flaky_network_is_retried_until_the_refresh_goes_through() {
    let world = Setup { request_timeout: Some(Duration::from_millis(500)), ..Setup::default() }
        .token_lifetime(3600)
        .manual_clock()
        .start()
        .await;
    world.connect().await;
    let token = world.access_token().await;
    let _timer = world.linker.spawn_background();
    let fault = |status: u16, body: &str, content_type: &str, delay_ms: u64| Fault {
        path: "/oauth/token".to_owned(),
        status: Some(status),
        body: Some(body.to_owned()),
        content_type: Some(content_type.to_owned()),
        delay_ms,
        ..Fault::default()
    };
    // What a flaky network and a struggling Kanka answer, in turn. The slow answers end in an
    // error page, so Kanka never rotates behind the client's back.
    let faults = [
        (fault(504, "<html>Gateway Timeout</html>", "text/html", 1500), ErrorCode::Timeout),
        (fault(504, "<html>Gateway Timeout</html>", "text/html", 1500), ErrorCode::Timeout),
        (fault(502, "<html>Bad Gateway</html>", "text/html", 0), ErrorCode::ServerError),
        (fault(429, r#"{"message":"Too Many Attempts."}"#, "application/json", 0), ErrorCode::RateLimited),
        (
            fault(200, r#"{"token_type":"Bearer","expires_in":3600,"access_tok"#, "application/json", 0),
            ErrorCode::UnexpectedResponse,
        ),
        (fault(200, "<!doctype html><title>Maintenance</title>", "text/html", 0), ErrorCode::UnexpectedResponse),
        (fault(503, "", "text/plain", 0), ErrorCode::ServerError),
    ];
    let count = faults.len() as u64;
    for (fault, _) in &faults {
        world.sandbox.inject(fault.clone());
    }
    world.advance(2700 * SECOND).await;
    for (attempt, (_, expected)) in faults.iter().enumerate() {
        let status = wait_for_status(&world.linker, "the retry to be planned", |s| {
            s.last_error.as_ref().is_some_and(|e| e.code == *expected)
                && s.next_refresh_at.is_some_and(|at| at > world.clock.now())
        })
        .await;
        assert_eq!(status.state, State::Connected, "attempt {}: {status:?}", attempt + 1);
        // Read past the engine: asking it for a token would itself try to refresh.
        let stored = secret_tool_lookup(&format!("access-token:{}", world.scope()));
        assert_eq!(stored.as_deref(), Some(token.as_str()), "the stored token is intact while retrying");
        let gap = status.next_refresh_at.unwrap() - world.clock.now();
        world.advance(gap.to_std().unwrap() + Duration::from_millis(10)).await;
    }
    wait_for_sandbox(&world.sandbox, "the refresh", |s| s.refreshes == 1).await;
    let status = wait_for_status(&world.linker, "the error to clear", |s| s.last_error.is_none()).await;
    assert_eq!(status.state, State::Connected);
    assert_eq!(world.sandbox.stats().faults_served, count);
    assert_eq!(world.sandbox.stats().refresh_token_reuse, 0);
    assert!(world.sandbox.access_token_is_valid(&world.access_token().await));
    println!(
        "network faults: {count} failed refresh attempts (timeouts, 502, 429, cut-off JSON, HTML, 503) retried with backoff, tokens intact, then refreshed"
    );
}

/// Three simulated years of a laptop's life: days of use, nights asleep, the clock set wrong and
/// right again. While the app runs and Kanka is reachable, the token never expires, and it is
/// refreshed about as often as its lifetime says, no more.
#[tokio::test]
async fn years_of_sleep_and_clock_changes_never_let_the_token_expire() {
    const DAY: u64 = 24 * 3600;
    let world = Setup::default().token_lifetime(365 * DAY).manual_clock().start().await;
    world.connect().await;
    let _timer = world.linker.spawn_background();
    let clock = world.manual.as_ref().unwrap();
    let start = clock.now();
    let (mut suspends, mut jumps) = (0, 0);
    let mut step = 0u64;
    while clock.now() - start < chrono::Duration::days(3 * 365) {
        step += 1;
        clock.wait_for_sleepers(1).await;
        match rand::random_range(0..10) {
            // Asleep for a night or a long weekend: the wall clock moves, the timer's does not.
            0..=3 => {
                clock.suspend(Duration::from_secs(rand::random_range(6 * 3600..4 * DAY)));
                suspends += 1;
            }
            // The clock set a few days wrong, then right again an hour later.
            4 => {
                let wrong = chrono::Duration::days(rand::random_range(-5..=5));
                clock.set_wall(clock.now() + wrong);
                world.advance(3600 * SECOND).await;
                clock.wait_for_sleepers(1).await;
                clock.set_wall(clock.now() - wrong);
                jumps += 1;
            }
            // Hours of use.
            _ => world.advance(Duration::from_secs(rand::random_range(3600..DAY))).await,
        }
        // Awake again: within the hour the timer looks at the clock and catches up.
        world.advance(3600 * SECOND).await;
        clock.wait_for_sleepers(1).await;
        tokio::task::yield_now().await;
        let status = wait_for_status(&world.linker, "the timer to settle", |s| s.state == State::Connected).await;
        assert!(status.expires_at.unwrap() > clock.now(), "step {step}: the token expired: {status:?}");
    }
    let refreshes = world.sandbox.stats().refreshes;
    // Nine months apiece over three years, and a few early ones when the clock ran ahead.
    assert!((3..=8).contains(&refreshes), "{refreshes} refreshes in three years");
    assert_eq!(world.sandbox.stats().refresh_token_reuse, 0);
    println!(
        "clock: 3 simulated years in {step} steps ({suspends} suspends, {jumps} clock jumps): the token never \
         expired, {refreshes} refreshes"
    );
}

/// The login check's step (`refresh_if_due`) keeps the timer's rule: nothing is sent to the
/// token endpoint before three quarters of the lifetime, one refresh at it; a profile not known
/// yet is asked for, as the timer would; without a connection it is `NotConnected`.
#[tokio::test]
async fn refresh_if_due_refreshes_by_the_timers_rule_and_finishes_the_profile() {
    let world = Setup::default().token_lifetime(40).manual_clock().start().await;
    let error = world.linker.refresh_if_due().await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::NotConnected);

    world.sandbox.inject(Fault::status("/api/1.0/profile", 503, 1));
    world.connect().await;
    assert_eq!(world.linker.status().account, None, "the profile request failed");
    let requests = world.sandbox.stats().token_requests;
    // No timer runs here to sleep on the clock: it is moved at once.
    let clock = world.manual.as_ref().unwrap();
    clock.advance(29 * SECOND);
    let check = world.open_another();
    check.refresh_if_due().await.unwrap();
    assert_eq!(world.sandbox.stats().token_requests, requests, "asked the token endpoint before it was due");
    assert!(check.status().account.is_some(), "the unknown profile was not asked for");

    clock.advance(SECOND);
    world.open_another().refresh_if_due().await.unwrap();
    world.open_another().refresh_if_due().await.unwrap();
    let stats = world.sandbox.stats();
    assert_eq!((stats.token_requests, stats.refreshes), (requests + 1, 1), "one refresh once due");
    assert!(world.sandbox.access_token_is_valid(&world.access_token().await));
}
