use reqwest::StatusCode;
use serde_json::Value;

use crate::common::*;

#[tokio::test]
async fn campaigns_are_listed() {
    let sandbox = sandbox().await;
    let http = http();
    let tokens = login(&http, &sandbox).await;
    let response = http
        .get(format!("{}/campaigns", sandbox.api_url()))
        .bearer_auth(&tokens.access)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"][0]["id"], 1);
    assert_eq!(body["data"][0]["name"], "The Sunken Crown");
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert_eq!(body["meta"]["total"], 2);
    assert_eq!(body["links"]["first"], format!("{}/campaigns?page=1", sandbox.api_url()));
}

#[tokio::test]
async fn errors_are_html_without_accept_json() {
    let sandbox = sandbox().await;
    let http = http();
    let url = format!("{}/profile", sandbox.api_url());

    let html = http.get(&url).bearer_auth("not-a-token").send().await.unwrap();
    assert_eq!(html.status(), StatusCode::UNAUTHORIZED);
    assert!(html.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(html.text().await.unwrap().contains("401"));

    let json = http.get(&url).header("accept", "application/json").send().await.unwrap();
    assert_eq!(json.status(), StatusCode::UNAUTHORIZED);
    assert!(json.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let body: Value = json.json().await.unwrap();
    assert_eq!(body["code"], 401);

    let stats = sandbox.stats();
    assert_eq!(stats.api_requests, 2);
    assert_eq!(stats.api_unauthorized, 2);
}

#[tokio::test]
async fn rate_limit_answers_429_after_30_calls() {
    let sandbox = sandbox().await;
    let http = http();
    let tokens = login(&http, &sandbox).await;

    // Rejected tokens spend nothing.
    assert_eq!(profile(&http, &sandbox, "bogus").await.status(), StatusCode::UNAUTHORIZED);

    for call in 1..=30u32 {
        let response = profile(&http, &sandbox, &tokens.access).await;
        assert_eq!(response.status(), StatusCode::OK, "call {call}");
        assert_eq!(response.headers()["x-ratelimit-limit"], "30");
        assert_eq!(response.headers()["x-ratelimit-remaining"], (30 - call).to_string().as_str());
    }
    let limited = profile(&http, &sandbox, &tokens.access).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()["x-ratelimit-remaining"], "0");
    let retry_after: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["message"], "Too Many Attempts.");

    // The limit is per account: a new token for the same user is limited too.
    let pkce = pkce();
    let url = authorize_url(&sandbox, &[("code_challenge", &pkce.challenge), ("code_challenge_method", "S256")]);
    let skipped = http.get(url).send().await.unwrap();
    let code = query_of(&location(&skipped))["code"].clone();
    let other = tokens_of(exchange(&http, &sandbox, &code, &pkce.verifier).await).await;
    assert_eq!(profile(&http, &sandbox, &other.access).await.status(), StatusCode::TOO_MANY_REQUESTS);
    // The check that does not touch the API still works.
    assert!(sandbox.access_token_is_valid(&other.access));

    let stats = sandbox.stats();
    assert_eq!(stats.rate_limited, 2);
    assert_eq!(stats.api_requests, 33);
}
