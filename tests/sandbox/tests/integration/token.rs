use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::*;

#[tokio::test]
async fn pkce_failures_are_refused_and_leave_the_code_usable() {
    let sandbox = sandbox().await;
    let http = http();
    let (code, pkce) = code_with_pkce(&http, &sandbox).await;

    let other = crate::common::pkce();
    let response = exchange(&http, &sandbox, &code, &other.verifier).await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_grant", Some("Failed to verify `code_verifier`.")).await;

    let missing = token_request(
        &http,
        &sandbox,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", "7"),
            ("client_secret", SECRET),
            ("redirect_uri", REDIRECT),
            ("code", &code),
        ],
    )
    .await;
    expect_error(missing, StatusCode::BAD_REQUEST, "invalid_request", Some("Check the `code_verifier` parameter"))
        .await;

    for malformed in ["too-short", &"a".repeat(129), &format!("{}!", "a".repeat(50))] {
        let response = exchange(&http, &sandbox, &code, malformed).await;
        expect_error(
            response,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some("Code Verifier must follow the specifications of RFC-7636."),
        )
        .await;
    }

    // league revokes a code only when the exchange succeeds.
    let response = exchange(&http, &sandbox, &code, &pkce.verifier).await;
    assert_eq!(response.status(), StatusCode::OK);
    let stats = sandbox.stats();
    assert_eq!(stats.invalid_grant, 1);
    assert_eq!(stats.invalid_request, 4);
    assert_eq!(stats.code_exchanges, 1);
}

#[tokio::test]
async fn a_code_works_once() {
    let sandbox = sandbox().await;
    let http = http();
    let (code, pkce) = code_with_pkce(&http, &sandbox).await;
    assert_eq!(exchange(&http, &sandbox, &code, &pkce.verifier).await.status(), StatusCode::OK);

    let reused = exchange(&http, &sandbox, &code, &pkce.verifier).await;
    let body =
        expect_error(reused, StatusCode::BAD_REQUEST, "invalid_grant", Some("Authorization code has been revoked"))
            .await;
    assert!(body["error_description"].as_str().unwrap().starts_with("The provided authorization grant"));
    assert!(body.get("message").is_none(), "league 9 sends no message key");

    let unknown = exchange(&http, &sandbox, "def50200not-a-code", &pkce.verifier).await;
    expect_error(unknown, StatusCode::BAD_REQUEST, "invalid_request", Some("Cannot decrypt the authorization code"))
        .await;
}

#[tokio::test]
async fn client_authentication_errors() {
    let sandbox = sandbox().await;
    let http = http();
    let (code, pkce) = code_with_pkce(&http, &sandbox).await;
    let fields = |client_id: Option<&'static str>, secret: Option<&'static str>| {
        let mut fields = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("redirect_uri", REDIRECT.to_owned()),
            ("code", code.clone()),
            ("code_verifier", pkce.verifier.clone()),
        ];
        fields.extend(client_id.map(|id| ("client_id", id.to_owned())));
        fields.extend(secret.map(|s| ("client_secret", s.to_owned())));
        fields
    };
    let send = |fields: Vec<(&'static str, String)>| {
        http.post(format!("{}/oauth/token", sandbox.base_url())).form(&fields).send()
    };

    let wrong = send(fields(Some("7"), Some("not-the-secret"))).await.unwrap();
    assert!(wrong.headers().get("www-authenticate").is_none(), "no Basic auth was used");
    let body = expect_error(wrong, StatusCode::UNAUTHORIZED, "invalid_client", None).await;
    assert_eq!(body["error_description"], "Client authentication failed");

    let unknown = send(fields(Some("8"), Some(SECRET))).await.unwrap();
    expect_error(unknown, StatusCode::UNAUTHORIZED, "invalid_client", None).await;

    let no_secret = send(fields(Some("7"), None)).await.unwrap();
    expect_error(no_secret, StatusCode::BAD_REQUEST, "invalid_request", Some("Check the `client_secret` parameter"))
        .await;

    let no_client = send(fields(None, Some(SECRET))).await.unwrap();
    expect_error(no_client, StatusCode::BAD_REQUEST, "invalid_request", Some("Check the `client_id` parameter")).await;

    let no_grant = token_request(&http, &sandbox, &[("client_id", "7"), ("client_secret", SECRET)]).await;
    expect_error(
        no_grant,
        StatusCode::BAD_REQUEST,
        "unsupported_grant_type",
        Some("Check that all required parameters have been provided"),
    )
    .await;

    let password = token_request(&http, &sandbox, &[("grant_type", "password"), ("client_id", "7")]).await;
    assert_eq!(password.status(), StatusCode::BAD_REQUEST);

    // None of these consumed the code.
    assert_eq!(send(fields(Some("7"), Some(SECRET))).await.unwrap().status(), StatusCode::OK);
    let stats = sandbox.stats();
    assert_eq!(stats.invalid_client, 2);
    assert_eq!(stats.invalid_request, 2);
}

#[tokio::test]
async fn basic_auth_client_credentials() {
    let sandbox = sandbox().await;
    let http = http();
    let (code, pkce) = code_with_pkce(&http, &sandbox).await;
    let fields = [
        ("grant_type", "authorization_code"),
        ("redirect_uri", REDIRECT),
        ("code", code.as_str()),
        ("code_verifier", pkce.verifier.as_str()),
    ];
    let url = format!("{}/oauth/token", sandbox.base_url());

    let wrong = http.post(&url).basic_auth("7", Some("nope")).form(&fields).send().await.unwrap();
    assert_eq!(wrong.headers()["www-authenticate"], "Basic realm=\"OAuth\"");
    expect_error(wrong, StatusCode::UNAUTHORIZED, "invalid_client", None).await;

    let good = http
        .post(&url)
        .header("authorization", format!("Basic {}", STANDARD.encode(format!("7:{SECRET}"))))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(good.status(), StatusCode::OK);
    let fields = sandbox.stats().last_token_request_fields;
    assert_eq!(fields, ["code", "code_verifier", "grant_type", "redirect_uri"]);
}

#[tokio::test]
async fn redirect_uri_must_repeat_the_authorize_one() {
    let sandbox = sandbox().await;
    let http = http();
    let (code, pkce) = code_with_pkce(&http, &sandbox).await;
    let with_redirect = |redirect: Option<&'static str>| {
        let mut fields = vec![
            ("grant_type", "authorization_code"),
            ("client_id", "7"),
            ("client_secret", SECRET),
            ("code", code.as_str()),
            ("code_verifier", pkce.verifier.as_str()),
        ];
        fields.extend(redirect.map(|r| ("redirect_uri", r)));
        fields
    };

    let different = token_request(&http, &sandbox, &with_redirect(Some("kanka-link://oauth/other"))).await;
    expect_error(different, StatusCode::BAD_REQUEST, "invalid_request", Some("Invalid redirect URI")).await;
    let missing = token_request(&http, &sandbox, &with_redirect(None)).await;
    expect_error(missing, StatusCode::BAD_REQUEST, "invalid_request", Some("Check the `redirect_uri` parameter")).await;
    let good = token_request(&http, &sandbox, &with_redirect(Some(REDIRECT))).await;
    assert_eq!(good.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_verifier_for_a_code_without_challenge_is_a_downgrade() {
    let sandbox = sandbox().await;
    let http = http();
    let token = open_consent(&http, &authorize_url(&sandbox, &[])).await;
    let code = query_of(&location(&approve(&http, &sandbox, &token).await))["code"].clone();

    let response = exchange(&http, &sandbox, &code, &pkce().verifier).await;
    expect_error(
        response,
        StatusCode::BAD_REQUEST,
        "invalid_request",
        Some("code_verifier received when no code_challenge is present"),
    )
    .await;
}

#[tokio::test]
async fn scopes_are_refused_and_secrets_never_recorded() {
    let sandbox = sandbox().await;
    let http = http();
    let (code, pkce) = code_with_pkce(&http, &sandbox).await;
    let response = token_request(
        &http,
        &sandbox,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", "7"),
            ("client_secret", SECRET),
            ("redirect_uri", REDIRECT),
            ("code", &code),
            ("code_verifier", &pkce.verifier),
            ("scope", "*"),
        ],
    )
    .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_scope", Some("Check the `*` scope")).await;

    let stats = serde_json::to_string(&sandbox.stats()).unwrap();
    assert!(!stats.contains(SECRET) && !stats.contains(&code) && !stats.contains(&pkce.verifier));
    let recorded: Value = serde_json::from_str(&stats).unwrap();
    assert_eq!(recorded["last_token_request_fields"][6], "scope");
}
