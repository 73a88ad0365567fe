use std::io::{Read, Write};
use std::time::{Duration, Instant};

use kanka_sandbox::{Fault, Stats};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

#[tokio::test]
async fn a_503_twice_then_normal_service() {
    let sandbox = sandbox().await;
    let http = http();
    let (code, pkce) = code_with_pkce(&http, &sandbox).await;
    sandbox.inject(Fault::status("/oauth/token", 503, 2));

    for _ in 0..2 {
        let response = exchange(&http, &sandbox, &code, &pkce.verifier).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(response.text().await.unwrap().contains("503 Service Unavailable"));
    }
    let response = exchange(&http, &sandbox, &code, &pkce.verifier).await;
    assert_eq!(response.status(), StatusCode::OK, "the code survived: the server never saw those requests");

    let stats = sandbox.stats();
    assert_eq!(stats.faults_served, 2);
    assert_eq!(stats.token_requests, 1);
}

#[tokio::test]
async fn a_delay_then_normal_service() {
    let sandbox = sandbox().await;
    let http = http();
    let tokens = login(&http, &sandbox).await;
    sandbox.inject(Fault::delay("/api/1.0/profile", 400, 1));

    let started = Instant::now();
    let response = profile(&http, &sandbox, &tokens.access).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(400));

    let started = Instant::now();
    assert_eq!(profile(&http, &sandbox, &tokens.access).await.status(), StatusCode::OK);
    assert!(started.elapsed() < Duration::from_millis(400));
    assert_eq!(sandbox.stats().faults_served, 1);
}

#[tokio::test]
async fn faults_queue_in_order_over_http() {
    let sandbox = sandbox().await;
    let http = http();
    let controls = format!("{}/__sandbox", sandbox.base_url());
    let faults = [
        json!({"path": "/oauth/token", "count": 1, "status": 429, "retry_after": 7}),
        json!({"path": "/oauth/token", "count": 1, "status": 502, "delay_ms": 0, "body": "{\"oops\":true}",
               "content_type": "application/json", "retry_after": null}),
    ];
    for fault in &faults {
        let response = http.post(format!("{controls}/faults")).json(fault).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    let bad = http.post(format!("{controls}/faults")).json(&json!({"path": "/x", "count": 0})).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    let first = token_request(&http, &sandbox, &[]).await;
    assert_eq!(first.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(first.headers()["retry-after"], "7");
    let second = token_request(&http, &sandbox, &[]).await;
    assert_eq!(second.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(second.headers()["content-type"], "application/json");
    assert_eq!(second.text().await.unwrap(), "{\"oops\":true}");
    let third = token_request(&http, &sandbox, &[]).await;
    expect_error(
        third,
        StatusCode::BAD_REQUEST,
        "unsupported_grant_type",
        Some("Check that all required parameters have been provided"),
    )
    .await;

    let stats: Stats = http.get(format!("{controls}/stats")).send().await.unwrap().json().await.unwrap();
    assert_eq!(stats.faults_served, 2);
    assert_eq!(stats.token_requests, 1);
    assert_eq!(stats, sandbox.stats());

    let reset = http.post(format!("{controls}/reset-stats")).send().await.unwrap();
    assert_eq!(reset.status(), StatusCode::OK);
    assert_eq!(sandbox.stats(), Stats::default());
}

#[tokio::test]
async fn token_lifetime_is_configurable_over_http() {
    let sandbox = sandbox().await;
    let http = http();
    let response = http
        .post(format!("{}/__sandbox/config", sandbox.base_url()))
        .json(&json!({"token_lifetime_secs": 40}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_lifetime_secs"], 40);

    let (code, pkce) = code_with_pkce(&http, &sandbox).await;
    let body: Value = exchange(&http, &sandbox, &code, &pkce.verifier).await.json().await.unwrap();
    assert_eq!(body["expires_in"], 40);
}

/// The sandbox runs on its own thread and runtime: it answers even while the
/// test's (current-thread) runtime is blocked in synchronous code.
#[tokio::test]
async fn serves_while_the_test_runtime_is_blocked() {
    let sandbox = sandbox().await;
    let address = sandbox.base_url().trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "GET /oauth/authorize?response_type=code&client_id=7 HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("Authorization Request"));
}

#[tokio::test]
async fn shutdown_closes_the_port() {
    let sandbox = sandbox().await;
    let address = sandbox.base_url().trim_start_matches("http://").to_owned();
    assert!(std::net::TcpStream::connect(&address).is_ok());
    sandbox.shutdown().await;
    assert!(std::net::TcpStream::connect(&address).is_err());
}
