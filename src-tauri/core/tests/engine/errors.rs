//! Every kind of bad answer from Kanka's token endpoint and API, and a dead network, becomes
//! its own typed error with a message a user understands, and a valid connection survives it.

use std::time::Duration;

use kanka_link_core::{Error, ErrorCode, State};
use kanka_sandbox::Fault;

use crate::common::*;

const TOKEN: &str = "/oauth/token";
const PROFILE: &str = "/api/1.0/profile";

fn fault(status: u16, body: &str, content_type: &str) -> Fault {
    Fault {
        path: TOKEN.to_owned(),
        status: Some(status),
        body: Some(body.to_owned()),
        content_type: Some(content_type.to_owned()),
        ..Fault::default()
    }
}

/// Makes the next token request fail with `fault`, refreshes, and checks the connection held.
async fn refresh_fails_with(world: &World, fault: Fault) -> Error {
    let token = world.access_token().await;
    world.sandbox.inject(fault);
    let err = world.linker.refresh_now().await.unwrap_err();
    let status = world.linker.status();
    assert_eq!(status.last_error.as_ref().unwrap().message, err.to_string());
    assert!(status.last_error.as_ref().unwrap().hint.is_some());
    // Read past the engine: after an answer it could not keep, asking it for a token would first
    // refresh again to find out whether Kanka had rotated.
    let stored = secret_tool_lookup(&format!("access-token:{}", world.scope()));
    assert_eq!(stored.as_deref(), Some(token.as_str()), "the stored token is kept after {err:?}");
    assert!(world.sandbox.access_token_is_valid(&token));
    err
}

#[tokio::test]
async fn passing_server_trouble_is_typed_and_keeps_the_tokens() {
    let world = World::start().await;
    world.connect().await;
    let json = "application/json";

    let err = refresh_fails_with(&world, Fault::status(TOKEN, 503, 1)).await;
    assert!(matches!(err, Error::ServerError { status: 503 }), "{err:?}");
    assert_eq!(err.to_string(), "Kanka answered with a server error (HTTP 503).");
    let err = refresh_fails_with(&world, Fault::status(TOKEN, 500, 1)).await;
    assert!(matches!(err, Error::ServerError { status: 500 }), "{err:?}");

    let mut limited = fault(429, "{\"message\":\"Too Many Attempts.\"}", json);
    limited.retry_after = Some(7);
    let err = refresh_fails_with(&world, limited).await;
    assert!(matches!(err, Error::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(7)), "{err:?}");
    let err = refresh_fails_with(&world, fault(429, "{}", json)).await;
    assert!(matches!(err, Error::RateLimited { retry_after: None }), "{err:?}");

    let err = refresh_fails_with(&world, fault(200, "<html><body>Maintenance</body></html>", "text/html")).await;
    assert!(matches!(err, Error::UnexpectedResponse { .. }), "{err:?}");
    let err = refresh_fails_with(&world, fault(200, "{\"token_type\":\"Bearer\",\"access_tok", json)).await;
    assert!(matches!(err, Error::UnexpectedResponse { .. }), "{err:?}");
    let err = refresh_fails_with(&world, fault(200, "{\"token_type\":\"Bearer\",\"expires_in\":60}", json)).await;
    assert!(matches!(err, Error::UnexpectedResponse { .. }), "{err:?}");
    let err = refresh_fails_with(&world, fault(502, "", "text/plain")).await;
    assert!(matches!(err, Error::ServerError { status: 502 }), "{err:?}");

    assert_eq!(world.linker.status().state, State::Connected);
    // And when the trouble is over, the refresh goes through.
    world.linker.refresh_now().await.unwrap();
    assert!(world.linker.status().last_error.is_none());
}

#[tokio::test]
async fn oauth_errors_from_the_token_endpoint_are_typed() {
    let world = World::start().await;
    let json = "application/json";
    let cases = [
        (
            fault(
                400,
                r#"{"error":"invalid_request","error_description":"The request is missing a required parameter.","hint":"Check the `redirect_uri` parameter"}"#,
                json,
            ),
            ErrorCode::InvalidRequest,
        ),
        (
            fault(401, r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#, json),
            ErrorCode::InvalidClient,
        ),
        (
            fault(
                400,
                r#"{"error":"invalid_grant","error_description":"The provided authorization grant is invalid."}"#,
                json,
            ),
            ErrorCode::InvalidGrant,
        ),
        (
            fault(
                400,
                r#"{"error":"unsupported_grant_type","error_description":"The authorization grant type is not supported."}"#,
                json,
            ),
            ErrorCode::InvalidRequest,
        ),
        (fault(400, "<html>Bad Request</html>", "text/html"), ErrorCode::UnexpectedResponse),
    ];
    for (fault, expected) in cases {
        let request = world.linker.begin_connect().await.unwrap();
        let callback = world.consent(&request.url, true).await;
        world.sandbox.inject(fault);
        let err = world.linker.handle_callback(&callback).await.unwrap_err();
        assert_eq!(err.code(), expected, "{err:?}");
        assert!(err.hint().is_some());
        assert!(secret_tool_search(&world.scope()).is_empty(), "nothing stored after {err:?}");
    }
}

/// Kanka's `error_description` is shown in the window, the status file and `kanka-link status`:
/// none of its control characters or bidirectional overrides arrive there, and its length is cut.
#[tokio::test]
async fn kanka_s_error_description_arrives_without_control_characters() {
    let world = World::start().await;
    world.connect().await;
    let json = "application/json";
    let hostile = r#"{"error":"invalid_request","error_description":"Bad \u001b[31mred\u001b[0m\r\nFAKE: Connected\u0007\u009b2J \u202etxt.exe"}"#;
    let err = refresh_fails_with(&world, fault(400, hostile, json)).await;
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    assert!(err.to_string().ends_with(": Bad [31mred[0mFAKE: Connected2J txt.exe"), "{err}");
    assert_shown_safely(&world, &err);

    let long = format!(r#"{{"error":"invalid_request","error_description":"{}"}}"#, "a".repeat(10_000));
    let err = refresh_fails_with(&world, fault(400, &long, json)).await;
    assert!(err.to_string().chars().count() < 400, "{} characters", err.to_string().chars().count());
    assert_shown_safely(&world, &err);
    assert_eq!(world.linker.status().state, State::Connected);
}

/// The error, `status.last_error` and every text in the status file on disk are safe to show.
fn assert_shown_safely(world: &World, err: &Error) {
    let unsafe_char = |c: char| c.is_control() || ('\u{202A}'..='\u{202E}').contains(&c);
    let status = world.linker.status();
    let last = status.last_error.as_ref().unwrap();
    let mut texts = vec![err.to_string(), last.message.clone(), last.hint.clone().unwrap_or_default()];
    let files = std::fs::read_dir(world.paths().data_dir).unwrap();
    let mut status_files = 0;
    for file in files.map(|f| f.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "json")) {
        let value: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        collect_strings(&value, &mut texts);
        status_files += 1;
    }
    assert_eq!(status_files, 1, "one status file");
    assert!(texts.iter().any(|t| t == &err.to_string()), "the status file holds the error: {texts:?}");
    for text in texts {
        assert!(!text.chars().any(unsafe_char), "{text:?}");
        assert!(text.chars().count() < 400, "{} characters", text.chars().count());
    }
}

fn collect_strings(value: &serde_json::Value, into: &mut Vec<String>) {
    match value {
        serde_json::Value::String(text) => into.push(text.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_strings(v, into)),
        serde_json::Value::Object(fields) => fields.values().for_each(|v| collect_strings(v, into)),
        _ => {}
    }
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let world = Setup { request_timeout: Some(Duration::from_millis(800)), ..Setup::default() }.start().await;
    world.connect().await;
    let err = refresh_fails_with(&world, Fault::delay(TOKEN, 3000, 1)).await;
    assert!(matches!(&err, Error::Timeout { host } if host == "127.0.0.1"), "{err:?}");
    assert_eq!(err.to_string(), "127.0.0.1 did not answer in time.");
}

#[tokio::test]
async fn a_refused_connection_is_a_network_error() {
    let world = World::start().await;
    world.connect().await;
    let token = world.access_token().await;
    let World { sandbox, linker, .. } = world;
    sandbox.shutdown().await;
    let err = linker.refresh_now().await.unwrap_err();
    assert!(
        matches!(&err, Error::Network { host, detail } if host == "127.0.0.1" && detail.contains("refused")),
        "{err:?}"
    );
    assert!(err.hint().unwrap().contains("internet connection"));
    assert_eq!(linker.access_token().await.unwrap().secret(), &token, "the stored token is kept");
    assert_eq!(linker.status().state, State::Connected);
}

#[tokio::test]
async fn an_unknown_host_is_a_dns_error() {
    let mut world = World::start().await;
    world.config.kanka_url = "https://kanka-link-test.invalid".parse().unwrap();
    let linker = world.open_another();
    world.linker = linker;
    // The setup check before the Connect is the first request to the unknown host.
    let err = world.linker.begin_connect().await.unwrap_err();
    assert!(
        matches!(&err, Error::Network { host, detail } if host == "kanka-link-test.invalid" && detail.contains("DNS")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_rejected_access_token_is_refreshed_once_and_tried_again() {
    let world = World::start().await;
    world.sandbox.inject(fault_on(PROFILE, 401));
    let status = world.connect().await;
    assert_eq!(status.account.unwrap().name, "Sandbox Sage");
    let stats = world.sandbox.stats();
    assert_eq!(stats.refreshes, 1, "one refresh after the 401");
    assert_eq!(stats.refresh_token_reuse, 0);
}

#[tokio::test]
async fn an_access_token_rejected_twice_needs_a_reconnect() {
    let world = World::start().await;
    let mut rejected = fault_on(PROFILE, 401);
    rejected.count = 2;
    world.sandbox.inject(rejected);
    let request = world.linker.begin_connect().await.unwrap();
    let callback = world.consent(&request.url, true).await;
    world.linker.handle_callback(&callback).await.unwrap();
    let status = world.linker.status();
    assert_eq!(status.state, State::ReconnectNeeded, "{status:?}");
    assert_eq!(status.last_error.unwrap().code, ErrorCode::ReconnectNeeded);
    assert_eq!(world.sandbox.stats().refreshes, 1, "exactly one refresh before giving up");
}

#[tokio::test]
async fn a_revoked_connection_needs_a_reconnect_and_keeps_the_name() {
    let world = World::start().await;
    world.connect().await;
    world.sandbox.revoke_all();
    let err = world.linker.refresh_now().await.unwrap_err();
    assert!(matches!(&err, Error::ReconnectNeeded { account: Some(name), .. } if name == "Sandbox Sage"), "{err:?}");
    assert!(err.to_string().starts_with("Sandbox Sage needs to sign in to Kanka again."), "{err}");
    let status = world.linker.status();
    assert_eq!(status.state, State::ReconnectNeeded);
    assert_eq!(status.account.unwrap().name, "Sandbox Sage");
    assert_eq!(status.next_refresh_at, None);
    // Nothing more is tried until the user signs in again.
    let requests = world.sandbox.stats().token_requests;
    assert!(matches!(world.linker.access_token().await, Err(Error::ReconnectNeeded { .. })));
    assert_eq!(world.sandbox.stats().token_requests, requests);
    world.connect().await;
}

fn fault_on(path: &str, status: u16) -> Fault {
    Fault {
        path: path.to_owned(),
        status: Some(status),
        body: Some(r#"{"code":401,"error":"Invalid authentication token."}"#.to_owned()),
        content_type: Some("application/json".to_owned()),
        ..Fault::default()
    }
}
