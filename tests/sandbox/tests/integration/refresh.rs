use std::time::Duration;

use kanka_sandbox::SandboxConfig;
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::*;

#[tokio::test]
async fn refresh_rotates_and_the_old_token_is_refused() {
    let sandbox = sandbox().await;
    let http = http();
    let first = login(&http, &sandbox).await;

    let second = tokens_of(refresh(&http, &sandbox, &first.refresh).await).await;
    assert_ne!(second.access, first.access);
    assert_ne!(second.refresh, first.refresh);
    assert!(!sandbox.access_token_is_valid(&first.access), "rotation revokes the old access token");
    assert!(sandbox.access_token_is_valid(&second.access));
    assert_eq!(
        sandbox.stats().last_token_request_fields,
        ["client_id", "client_secret", "grant_type", "refresh_token"]
    );

    let reused = refresh(&http, &sandbox, &first.refresh).await;
    let body = expect_error(reused, StatusCode::BAD_REQUEST, "invalid_grant", Some("Token has been revoked")).await;
    assert_eq!(body["error_description"], "The refresh token is invalid.");
    assert_eq!(sandbox.stats().refresh_token_reuse, 1);

    // Reuse does not revoke the new pair.
    assert!(sandbox.access_token_is_valid(&second.access));
    let third = tokens_of(refresh(&http, &sandbox, &second.refresh).await).await;
    assert!(sandbox.access_token_is_valid(&third.access));

    let unknown = refresh(&http, &sandbox, "def50200abc").await;
    expect_error(unknown, StatusCode::BAD_REQUEST, "invalid_grant", Some("Cannot decrypt the refresh token")).await;
    let missing = token_request(
        &http,
        &sandbox,
        &[("grant_type", "refresh_token"), ("client_id", "7"), ("client_secret", SECRET)],
    )
    .await;
    expect_error(missing, StatusCode::BAD_REQUEST, "invalid_request", Some("Check the `refresh_token` parameter"))
        .await;

    let stats = sandbox.stats();
    assert_eq!(stats.refreshes, 2);
    assert_eq!(stats.refresh_token_reuse, 1);
    assert_eq!(stats.invalid_grant, 2);
}

#[tokio::test]
async fn revoke_all_ends_every_grant() {
    let sandbox = sandbox().await;
    let http = http();
    // The code first: once a token exists, authorize skips the consent page.
    let (code, pkce) = code_with_pkce(&http, &sandbox).await;
    let tokens = login(&http, &sandbox).await;

    let revoked = http.post(format!("{}/__sandbox/revoke", sandbox.base_url())).send().await.unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);

    assert!(!sandbox.access_token_is_valid(&tokens.access));
    let me = profile(&http, &sandbox, &tokens.access).await;
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    let body: Value = me.json().await.unwrap();
    assert_eq!(body["code"], 401);
    assert_eq!(body["error"], "Invalid authentication token. Please generate a new token.");

    let refreshed = refresh(&http, &sandbox, &tokens.refresh).await;
    expect_error(refreshed, StatusCode::BAD_REQUEST, "invalid_grant", Some("Token has been revoked")).await;
    assert_eq!(sandbox.stats().refresh_token_reuse, 0, "revoked by the user, not rotated");

    let exchanged = exchange(&http, &sandbox, &code, &pkce.verifier).await;
    expect_error(exchanged, StatusCode::BAD_REQUEST, "invalid_grant", Some("Authorization code has been revoked"))
        .await;
}

#[tokio::test]
async fn tokens_expire_after_their_lifetime() {
    let sandbox = sandbox().await;
    let http = http();
    sandbox.set_token_lifetime(Duration::from_secs(1));
    let (code, pkce) = code_with_pkce(&http, &sandbox).await;
    let response = exchange(&http, &sandbox, &code, &pkce.verifier).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["expires_in"], 1);
    let access = body["access_token"].as_str().unwrap();
    let refresh_token = body["refresh_token"].as_str().unwrap();
    assert_eq!(profile(&http, &sandbox, access).await.status(), StatusCode::OK);

    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert!(!sandbox.access_token_is_valid(access));
    assert_eq!(profile(&http, &sandbox, access).await.status(), StatusCode::UNAUTHORIZED);
    // The refresh token follows the access token lifetime unless configured.
    let refreshed = refresh(&http, &sandbox, refresh_token).await;
    expect_error(refreshed, StatusCode::BAD_REQUEST, "invalid_grant", Some("Token has expired")).await;
}

#[tokio::test]
async fn a_longer_refresh_lifetime_outlives_the_access_token() {
    let config = SandboxConfig {
        token_lifetime: Duration::from_secs(1),
        refresh_token_lifetime: Some(Duration::from_secs(3600)),
        ..SandboxConfig::default()
    };
    let sandbox = sandbox_with(config).await;
    let http = http();
    let tokens = login(&http, &sandbox).await;
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert!(!sandbox.access_token_is_valid(&tokens.access));

    let renewed = tokens_of(refresh(&http, &sandbox, &tokens.refresh).await).await;
    assert!(sandbox.access_token_is_valid(&renewed.access));
}
