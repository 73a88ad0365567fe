use kanka_sandbox::SandboxConfig;
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::*;

#[tokio::test]
async fn full_code_flow_with_s256_pkce() {
    let sandbox = sandbox().await;
    let http = http();
    let pkce = pkce();
    let url = authorize_url(
        &sandbox,
        &[("state", "xyz 1/2"), ("code_challenge", &pkce.challenge), ("code_challenge_method", "S256")],
    );

    let page = http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.contains("<title>Authorization Request</title>"));
    assert!(html.contains("<strong>Kanka Link</strong> is requesting permission to access your account"));
    assert!(html.contains("Sandbox Sage"));
    assert!(html.contains(r#"<form method="post" action="/oauth/authorize" id="approve">"#));
    assert!(html.contains(r#"<form method="post" action="/oauth/authorize" id="deny">"#));
    assert!(html.contains(r#"<input type="hidden" name="_method" value="DELETE">"#));
    assert!(html.contains(r#"<button type="submit">Authorize</button>"#));
    assert!(!html.contains("http://") && !html.contains("https://"), "no external resources");

    let approved = approve(&http, &sandbox, &auth_token(&html)).await;
    assert_eq!(approved.status(), StatusCode::FOUND);
    let location = location(&approved);
    assert!(location.starts_with("kanka-link://oauth/callback?code=def50200"), "{location}");
    let params = query_of(&location);
    assert_eq!(params["state"], "xyz 1/2");
    assert!(params["code"].len() > 700);

    let response = exchange(&http, &sandbox, &params["code"], &pkce.verifier).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 31_536_000);
    let access = body["access_token"].as_str().unwrap();
    let parts: Vec<&str> = access.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT");
    let header = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, parts[0]).unwrap();
    assert_eq!(header, br#"{"typ":"JWT","alg":"RS256"}"#);
    assert!((900..=1200).contains(&access.len()), "JWT length {}", access.len());
    let refresh = body["refresh_token"].as_str().unwrap();
    assert!(refresh.starts_with("def50200") && refresh.len() > 650);

    let me = profile(&http, &sandbox, access).await;
    assert_eq!(me.status(), StatusCode::OK);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["data"]["id"], 1234);
    assert_eq!(me["data"]["name"], "Sandbox Sage");
    assert_eq!(me["data"]["rate_limit"], 30);

    let stats = sandbox.stats();
    assert_eq!(stats.authorize_requests, 1);
    assert_eq!(stats.consents_shown, 1);
    assert_eq!(stats.consents_approved, 1);
    assert_eq!(stats.code_exchanges, 1);
    assert_eq!(stats.token_requests, 1);
    assert_eq!(stats.api_requests, 1);
    assert_eq!(
        stats.last_token_request_fields,
        ["client_id", "client_secret", "code", "code_verifier", "grant_type", "redirect_uri"]
    );
    assert_eq!(stats.last_token_request_accept.as_deref(), Some("application/json"));
}

#[tokio::test]
async fn deny_redirects_with_access_denied_and_state() {
    let sandbox = sandbox().await;
    let http = http();
    let url = authorize_url(&sandbox, &[("state", "abc")]);

    // The Cancel form: POST with _method=DELETE.
    let token = open_consent(&http, &url).await;
    let denied = http
        .post(format!("{}/oauth/authorize", sandbox.base_url()))
        .form(&[("_method", "DELETE"), ("auth_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), StatusCode::FOUND);
    let target = location(&denied);
    assert!(target.starts_with("kanka-link://oauth/callback?error=access_denied&"), "{target}");
    let params = query_of(&target);
    assert_eq!(params["state"], "abc");
    assert_eq!(params["error_description"], "The resource owner or authorization server denied the request.");
    assert_eq!(params["hint"], "The user denied the request");
    assert!(!params.contains_key("code"));

    // The auth_token was single use.
    let again = approve(&http, &sandbox, &token).await;
    expect_error(again, StatusCode::BAD_REQUEST, "invalid_request", Some("Check the `auth_token` parameter")).await;

    // A real HTTP DELETE denies too.
    let token = open_consent(&http, &url).await;
    let denied = http
        .delete(format!("{}/oauth/authorize", sandbox.base_url()))
        .form(&[("auth_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), StatusCode::FOUND);
    assert_eq!(query_of(&location(&denied))["error"], "access_denied");

    let stats = sandbox.stats();
    assert_eq!(stats.consents_denied, 2);
    assert_eq!(stats.consents_approved, 0);
}

#[tokio::test]
async fn unregistered_redirect_or_client_gets_a_401_page_without_redirect() {
    let config =
        SandboxConfig { redirect_uris: vec!["http://localhost:8765/callback".into()], ..SandboxConfig::default() };
    let sandbox = sandbox_with(config).await;
    let http = http();
    let authorize = format!("{}/oauth/authorize", sandbox.base_url());
    for (client_id, redirect_uri) in [
        ("7", "http://localhost:8766/callback"), // port differs
        ("7", "http://localhost:8765/callback/"),
        ("7", "kanka-link://oauth/callback"),
        ("8", "http://localhost:8765/callback"), // unknown client
    ] {
        let response = http
            .get(&authorize)
            .query(&[("response_type", "code"), ("client_id", client_id), ("redirect_uri", redirect_uri)])
            .send()
            .await
            .unwrap();
        assert!(response.headers().get("location").is_none());
        let body = expect_error(response, StatusCode::UNAUTHORIZED, "invalid_client", None).await;
        assert_eq!(body["error_description"], "Client authentication failed");
        assert_eq!(body["message"], "Client authentication failed");
    }

    // Without redirect_uri, the single registered one is used.
    let response = http.get(&authorize).query(&[("response_type", "code"), ("client_id", "7")]).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(sandbox.stats().invalid_client, 4);
}

#[tokio::test]
async fn malformed_authorize_requests_are_refused() {
    let sandbox = sandbox().await;
    let http = http();
    let base = format!("{}/oauth/authorize", sandbox.base_url());

    let token_flow = http.get(&base).query(&[("response_type", "token"), ("client_id", "7")]).send().await.unwrap();
    let body = expect_error(
        token_flow,
        StatusCode::BAD_REQUEST,
        "unsupported_grant_type",
        Some("Check that all required parameters have been provided"),
    )
    .await;
    assert_eq!(body["error_description"], "The authorization grant type is not supported by the authorization server.");

    let bad_method = pkce();
    let url = authorize_url(&sandbox, &[("code_challenge", &bad_method.challenge), ("code_challenge_method", "S512")]);
    let response = http.get(url).send().await.unwrap();
    expect_error(
        response,
        StatusCode::BAD_REQUEST,
        "invalid_request",
        Some("Code challenge method must be one of `S256`, `plain`"),
    )
    .await;

    // Kanka has no scopes: a named one comes back to the client as invalid_scope.
    let url = authorize_url(&sandbox, &[("state", "s1"), ("scope", "campaigns")]);
    let response = http.get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let params = query_of(&location(&response));
    assert_eq!(params["error"], "invalid_scope");
    assert_eq!(params["hint"], "Check the `campaigns` scope");
    assert_eq!(params["state"], "s1");
}

#[tokio::test]
async fn challenge_method_defaults_to_plain() {
    let sandbox = sandbox().await;
    let http = http();
    let pkce = pkce();
    // Sending the S256 challenge without a method makes it a plain challenge.
    let url = authorize_url(&sandbox, &[("code_challenge", &pkce.challenge)]);
    let token = open_consent(&http, &url).await;
    let code = query_of(&location(&approve(&http, &sandbox, &token).await))["code"].clone();

    let response = exchange(&http, &sandbox, &code, &pkce.verifier).await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_grant", Some("Failed to verify `code_verifier`.")).await;
    let response = exchange(&http, &sandbox, &code, &pkce.challenge).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn consent_is_skipped_while_a_valid_token_exists() {
    let sandbox = sandbox().await;
    let http = http();
    login(&http, &sandbox).await;

    let pkce = pkce();
    let url = authorize_url(
        &sandbox,
        &[("state", "again"), ("code_challenge", &pkce.challenge), ("code_challenge_method", "S256")],
    );
    let response = http.get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND, "no consent page");
    let params = query_of(&location(&response));
    assert_eq!(params["state"], "again");
    let second = exchange(&http, &sandbox, &params["code"], &pkce.verifier).await;
    assert_eq!(second.status(), StatusCode::OK);

    let stats = sandbox.stats();
    assert_eq!(stats.consents_shown, 1);
    assert_eq!(stats.consents_skipped, 1);

    // Once the user revokes the app, consent is asked again.
    sandbox.revoke_all();
    let response = http.get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(sandbox.stats().consents_shown, 2);
}

#[tokio::test]
async fn redirect_uri_with_a_query_gets_parameters_appended() {
    let registered = "http://localhost:8765/callback?app=kanka-link";
    let config = SandboxConfig { redirect_uris: vec![registered.into()], ..SandboxConfig::default() };
    let sandbox = sandbox_with(config).await;
    let http = http();
    let response = http
        .get(format!("{}/oauth/authorize", sandbox.base_url()))
        .query(&[("response_type", "code"), ("client_id", "7"), ("redirect_uri", registered), ("state", "q")])
        .send()
        .await
        .unwrap();
    let token = auth_token(&response.text().await.unwrap());
    let location = location(&approve(&http, &sandbox, &token).await);
    assert!(location.starts_with("http://localhost:8765/callback?app=kanka-link&code="), "{location}");
    assert!(location.ends_with("&state=q"), "{location}");
}
