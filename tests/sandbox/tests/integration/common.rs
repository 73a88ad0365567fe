//! Helpers that drive the sandbox the way a client and a browser would.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kanka_sandbox::{Sandbox, SandboxConfig};
use rand::Rng;
use rand::distr::Alphanumeric;
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const REDIRECT: &str = "kanka-link://oauth/callback";
pub const SECRET: &str = "sandbox-secret-0123456789abcdef0123456789abcdef";

pub async fn sandbox() -> Sandbox {
    sandbox_with(SandboxConfig::default()).await
}

pub async fn sandbox_with(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.expect("sandbox starts")
}

/// A client that does not follow redirects, so tests can read `Location`.
pub fn http() -> Client {
    Client::builder().redirect(Policy::none()).build().expect("client builds")
}

pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

pub fn pkce() -> Pkce {
    let verifier: String = rand::rng().sample_iter(Alphanumeric).take(64).map(char::from).collect();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(&verifier));
    Pkce { verifier, challenge }
}

pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

/// `/oauth/authorize` with the usual parameters plus `extra`.
pub fn authorize_url(sandbox: &Sandbox, extra: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse(&format!("{}/oauth/authorize", sandbox.base_url())).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", "7")
        .append_pair("redirect_uri", REDIRECT)
        .extend_pairs(extra);
    url.to_string()
}

/// The `auth_token` of the consent page, found the way a script would.
pub fn auth_token(html: &str) -> String {
    let marker = r#"<input type="hidden" name="auth_token" value=""#;
    let start = html.find(marker).expect("consent page has an auth_token") + marker.len();
    let end = html[start..].find('"').unwrap();
    html[start..start + end].to_owned()
}

/// GETs the consent page and returns its `auth_token`.
pub async fn open_consent(http: &Client, url: &str) -> String {
    let response = http.get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "consent page expected");
    auth_token(&response.text().await.unwrap())
}

/// Submits the Authorize form.
pub async fn approve(http: &Client, sandbox: &Sandbox, auth_token: &str) -> Response {
    http.post(format!("{}/oauth/authorize", sandbox.base_url()))
        .form(&[("auth_token", auth_token)])
        .send()
        .await
        .unwrap()
}

pub fn location(response: &Response) -> String {
    response.headers().get("location").expect("a Location header").to_str().unwrap().to_owned()
}

/// The query parameters of a redirect target.
pub fn query_of(location: &str) -> HashMap<String, String> {
    let query = location.split_once('?').map_or("", |(_, q)| q);
    url::form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

/// Authorize (with S256 PKCE) and approve: returns the code and its PKCE pair.
pub async fn code_with_pkce(http: &Client, sandbox: &Sandbox) -> (String, Pkce) {
    let pkce = pkce();
    let url = authorize_url(
        sandbox,
        &[("state", "st4te"), ("code_challenge", &pkce.challenge), ("code_challenge_method", "S256")],
    );
    let token = open_consent(http, &url).await;
    let response = approve(http, sandbox, &token).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let code = query_of(&location(&response))["code"].clone();
    (code, pkce)
}

pub async fn token_request(http: &Client, sandbox: &Sandbox, fields: &[(&str, &str)]) -> Response {
    http.post(format!("{}/oauth/token", sandbox.base_url()))
        .header("accept", "application/json")
        .form(fields)
        .send()
        .await
        .unwrap()
}

pub async fn exchange(http: &Client, sandbox: &Sandbox, code: &str, verifier: &str) -> Response {
    token_request(
        http,
        sandbox,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", "7"),
            ("client_secret", SECRET),
            ("redirect_uri", REDIRECT),
            ("code", code),
            ("code_verifier", verifier),
        ],
    )
    .await
}

pub async fn refresh(http: &Client, sandbox: &Sandbox, refresh_token: &str) -> Response {
    token_request(
        http,
        sandbox,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "7"),
            ("client_secret", SECRET),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

pub async fn tokens_of(response: Response) -> Tokens {
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    Tokens {
        access: body["access_token"].as_str().unwrap().to_owned(),
        refresh: body["refresh_token"].as_str().unwrap().to_owned(),
    }
}

/// The whole code flow with PKCE.
pub async fn login(http: &Client, sandbox: &Sandbox) -> Tokens {
    let (code, pkce) = code_with_pkce(http, sandbox).await;
    tokens_of(exchange(http, sandbox, &code, &pkce.verifier).await).await
}

pub async fn profile(http: &Client, sandbox: &Sandbox, access: &str) -> Response {
    http.get(format!("{}/profile", sandbox.api_url()))
        .bearer_auth(access)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
}

/// Asserts an OAuth error answer and returns its body.
pub async fn expect_error(response: Response, status: StatusCode, error: &str, hint: Option<&str>) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    match hint {
        Some(hint) => assert_eq!(body["hint"], hint, "{body}"),
        None => assert!(body.get("hint").is_none(), "{body}"),
    }
    body
}
