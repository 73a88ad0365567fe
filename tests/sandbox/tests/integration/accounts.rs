//! Two Kanka accounts on one server: the browser signs in as one, then as the other. Kanka
//! Link's "two accounts on one server" tests stand on the sandbox telling them apart the way
//! Kanka does: consent per account, codes and tokens remembering their user, the API and its
//! throttle per token's user, revocation per account.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

const SECOND: u64 = 5678;

async fn who(http: &reqwest::Client, sandbox: &kanka_sandbox::Sandbox, access: &str) -> (u64, String) {
    let response = profile(http, sandbox, access).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    (body["data"]["id"].as_u64().unwrap(), body["data"]["name"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn each_account_signs_in_refreshes_and_is_revoked_on_its_own() {
    let sandbox = sandbox().await;
    let http = http();
    let first = login(&http, &sandbox).await;

    sandbox.sign_in_as(SECOND, "Second Player");
    // The first account's live token does not skip the second one's consent, and the page
    // names who is approving.
    let pkce = pkce();
    let url = authorize_url(&sandbox, &[("code_challenge", &pkce.challenge), ("code_challenge_method", "S256")]);
    let page = http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "the second account is asked for consent");
    let html = page.text().await.unwrap();
    assert!(html.contains("Second Player") && !html.contains("Sandbox Sage"), "{html}");
    let approved = approve(&http, &sandbox, &auth_token(&html)).await;
    let code = query_of(&location(&approved))["code"].clone();
    let second = tokens_of(exchange(&http, &sandbox, &code, &pkce.verifier).await).await;
    assert_eq!(sandbox.stats().consents_shown, 2);

    // The API answers for the token's user, not for whoever is signed in now.
    assert_eq!(who(&http, &sandbox, &first.access).await, (1234, "Sandbox Sage".into()));
    assert_eq!(who(&http, &sandbox, &second.access).await, (SECOND, "Second Player".into()));

    // A refresh keeps the token's user.
    let rotated = tokens_of(refresh(&http, &sandbox, &second.refresh).await).await;
    assert_eq!(who(&http, &sandbox, &rotated.access).await.0, SECOND);

    // One account revokes the app: the other keeps its tokens.
    sandbox.revoke_user(SECOND);
    assert!(!sandbox.access_token_is_valid(&rotated.access));
    assert!(sandbox.access_token_is_valid(&first.access));
    expect_error(
        refresh(&http, &sandbox, &rotated.refresh).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        Some("Token has been revoked"),
    )
    .await;
    let kept = tokens_of(refresh(&http, &sandbox, &first.refresh).await).await;
    assert_eq!(who(&http, &sandbox, &kept.access).await.0, 1234);
}

#[tokio::test]
async fn the_throttle_counts_each_account_apart() {
    let sandbox = sandbox().await;
    let http = http();
    let first = login(&http, &sandbox).await;
    sandbox.sign_in_as(SECOND, "Second Player");
    let second = login(&http, &sandbox).await;
    for _ in 0..30 {
        assert_eq!(profile(&http, &sandbox, &first.access).await.status(), StatusCode::OK);
    }
    assert_eq!(profile(&http, &sandbox, &first.access).await.status(), StatusCode::TOO_MANY_REQUESTS);
    let response = profile(&http, &sandbox, &second.access).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-ratelimit-remaining"], "29");
}

#[tokio::test]
async fn scripts_switch_and_revoke_accounts_over_http() {
    let sandbox = sandbox().await;
    let http = http();
    let control = |path: &str| format!("{}/__sandbox/{path}", sandbox.base_url());
    let first = login(&http, &sandbox).await;
    let switched =
        http.post(control("sign-in")).json(&json!({"id": SECOND, "name": "Player Two"})).send().await.unwrap();
    assert_eq!(switched.status(), StatusCode::OK);
    let second = login(&http, &sandbox).await;
    assert_eq!(who(&http, &sandbox, &second.access).await, (SECOND, "Player Two".into()));

    let revoked = http.post(control("revoke")).json(&json!({"user_id": SECOND})).send().await.unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    assert!(!sandbox.access_token_is_valid(&second.access) && sandbox.access_token_is_valid(&first.access));
    let garbled = http.post(control("revoke")).body("{\"user_id\": \"all\"}").send().await.unwrap();
    assert_eq!(garbled.status(), StatusCode::BAD_REQUEST);
    assert!(sandbox.access_token_is_valid(&first.access), "a garbled request revokes nothing");
    // No body: every account, as before.
    assert_eq!(http.post(control("revoke")).send().await.unwrap().status(), StatusCode::OK);
    assert!(!sandbox.access_token_is_valid(&first.access));
}
