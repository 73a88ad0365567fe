//! The two requests of Kanka Link's setup check, answered as Kanka answers them: league 9's order
//! of checks at /oauth/authorize (client, redirect, scopes, PKCE challenge; all before anyone is
//! asked to sign in) and at /oauth/token (client before code).

use kanka_sandbox::SandboxConfig;
use reqwest::StatusCode;

use crate::common::*;

/// Not RFC 7636-shaped: fewer than 43 characters.
const BAD_CHALLENGE: &str = "kanka-link-setup-check";
const CHALLENGE_HINT: &str = "Code challenge must follow the specifications of RFC-7636.";

async fn probe_authorize(sandbox: &kanka_sandbox::Sandbox, client_id: &str, redirect_uri: &str) -> reqwest::Response {
    http()
        .get(format!("{}/oauth/authorize", sandbox.base_url()))
        .query(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("code_challenge", BAD_CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_malformed_challenge_is_refused_only_after_the_client_and_the_redirect() {
    let sandbox = sandbox().await;
    let ok = probe_authorize(&sandbox, "7", REDIRECT).await;
    assert!(ok.headers().get("location").is_none());
    let body = expect_error(ok, StatusCode::BAD_REQUEST, "invalid_request", Some(CHALLENGE_HINT)).await;
    assert_eq!(
        body["error_description"],
        "The request is missing a required parameter, includes an invalid parameter value, includes a parameter \
         more than once, or is otherwise malformed."
    );
    for (client_id, redirect_uri) in [("8", REDIRECT), ("7", "http://localhost:47813/kanka-link/callback")] {
        let refused = probe_authorize(&sandbox, client_id, redirect_uri).await;
        assert!(refused.headers().get("location").is_none());
        let body = expect_error(refused, StatusCode::UNAUTHORIZED, "invalid_client", None).await;
        assert_eq!(body["error_description"], "Client authentication failed");
    }
    let stats = sandbox.stats();
    assert_eq!((stats.authorize_requests, stats.consents_shown, stats.invalid_client), (3, 0, 2));
}

/// Passport skips the consent screen for a user who already approved the client and redirects
/// with a code at once; the malformed challenge is refused before that, so no code is issued.
#[tokio::test]
async fn an_approved_client_gets_no_code_for_the_probe() {
    let sandbox = sandbox().await;
    login(&http(), &sandbox).await;
    let codes = sandbox.secrets().codes.len();
    // The same request with a good challenge would get a code straight away...
    let url = authorize_url(&sandbox, &[("code_challenge", &pkce().challenge), ("code_challenge_method", "S256")]);
    let skipped = http().get(url).send().await.unwrap();
    assert_eq!(skipped.status(), StatusCode::FOUND);
    assert!(location(&skipped).contains("code="));
    assert_eq!(sandbox.secrets().codes.len(), codes + 1);
    // ... the probe gets none.
    let probe = probe_authorize(&sandbox, "7", REDIRECT).await;
    expect_error(probe, StatusCode::BAD_REQUEST, "invalid_request", Some(CHALLENGE_HINT)).await;
    assert_eq!(sandbox.secrets().codes.len(), codes + 1);
}

#[tokio::test]
async fn the_token_endpoint_checks_the_client_before_the_code() {
    let sandbox = sandbox().await;
    let http = http();
    for (client_id, secret, status, error) in [
        ("7", SECRET, StatusCode::BAD_REQUEST, "invalid_request"),
        ("7", "wrong", StatusCode::UNAUTHORIZED, "invalid_client"),
        ("8", SECRET, StatusCode::UNAUTHORIZED, "invalid_client"),
    ] {
        let fields = [
            ("grant_type", "authorization_code"),
            ("code", "kanka-link-client-check"),
            // league 9 checks no redirect here: an unregistered one changes nothing.
            ("redirect_uri", "http://localhost:1/not-registered"),
            ("client_id", client_id),
            ("client_secret", secret),
        ];
        let response = token_request(&http, &sandbox, &fields).await;
        let body = serde_json::from_str::<serde_json::Value>(&response_text(response, status).await).unwrap();
        assert_eq!(body["error"], error, "{client_id}/{secret}: {body}");
    }
    assert_eq!(sandbox.stats().code_exchanges, 0);
}

async fn response_text(response: reqwest::Response, status: StatusCode) -> String {
    assert_eq!(response.status(), status);
    response.text().await.unwrap()
}

#[tokio::test]
async fn ip_loopback_redirects_match_without_their_port_as_in_league() {
    let config = SandboxConfig {
        redirect_uris: vec!["http://127.0.0.1:8765/cb".into(), "http://localhost:8765/cb".into()],
        ..SandboxConfig::default()
    };
    let sandbox = sandbox_with(config).await;
    for (uri, status) in [
        ("http://127.0.0.1:9999/cb", StatusCode::BAD_REQUEST),
        ("http://127.0.0.1/cb", StatusCode::BAD_REQUEST),
        ("http://localhost:8765/cb", StatusCode::BAD_REQUEST),
        ("http://localhost:9999/cb", StatusCode::UNAUTHORIZED),
        ("http://127.0.0.1:9999/cb/", StatusCode::UNAUTHORIZED),
    ] {
        assert_eq!(probe_authorize(&sandbox, "7", uri).await.status(), status, "{uri}");
    }
}

#[tokio::test]
async fn registered_redirects_change_as_in_kanka_s_client_form() {
    let sandbox = sandbox().await;
    let loopback = "http://localhost:47813/kanka-link/callback";
    assert_eq!(probe_authorize(&sandbox, "7", loopback).await.status(), StatusCode::UNAUTHORIZED);
    sandbox.set_redirect_uris(vec![loopback.to_owned()]);
    assert_eq!(probe_authorize(&sandbox, "7", loopback).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(probe_authorize(&sandbox, "7", REDIRECT).await.status(), StatusCode::UNAUTHORIZED);

    // The same over the control endpoint, for scripts and the end-to-end tests.
    let answer: serde_json::Value = http()
        .post(format!("{}/__sandbox/config", sandbox.base_url()))
        .json(&serde_json::json!({"redirect_uris": [REDIRECT]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["redirect_uris"], serde_json::json!([REDIRECT]));
    assert_eq!(probe_authorize(&sandbox, "7", REDIRECT).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(probe_authorize(&sandbox, "7", loopback).await.status(), StatusCode::UNAUTHORIZED);
}
