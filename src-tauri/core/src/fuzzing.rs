//! Entry points for the fuzz targets (`fuzz/`, cargo-fuzz): the code that reads untrusted
//! input, with no network or keychain around it. Each one also checks what must hold for any
//! input, so a broken promise shows as a crash.

use std::sync::LazyLock;

use chrono::Utc;
use oauth2::{AuthorizationCode, ClientSecret, PkceCodeVerifier, RefreshToken};

use crate::callback::{self, Answer, MAX_CALLBACK_LEN};
use crate::config::Config;
use crate::error::Error;
use crate::token_endpoint;

static CONFIG: LazyLock<Config> = LazyLock::new(|| {
    let env: std::collections::BTreeMap<&str, &str> = [("KANKA_LINK_CLIENT_ID", "7")].into();
    Config::from_sources(&env, std::path::Path::new("/nonexistent/config.toml")).expect("a valid configuration")
});

static RUNTIME: LazyLock<tokio::runtime::Runtime> =
    LazyLock::new(|| tokio::runtime::Builder::new_current_thread().build().expect("a runtime"));

/// A callback URL, as a deep link or the loopback listener delivers it.
pub fn callback_url(url: &str) {
    let Ok(callback) = callback::parse(url, &CONFIG) else { return };
    assert!(url.len() <= MAX_CALLBACK_LEN, "an oversized URL was accepted");
    assert!(!callback.state().is_empty() && callback.state().len() <= 512, "a bad state was accepted");
    if let Answer::Code(code) = &callback.answer {
        assert!(!code.secret().is_empty() && code.secret().len() <= 4096, "a bad code was accepted");
    }
}

/// An answer of the token endpoint to a code exchange and to a refresh.
pub fn token_response(status: u16, content_type: &str, body: &[u8]) {
    let Ok(status) = oauth2::http::StatusCode::from_u16(status) else { return };
    let mut response = oauth2::HttpResponse::new(body.to_vec());
    *response.status_mut() = status;
    if let Ok(value) = oauth2::http::HeaderValue::from_str(content_type) {
        response.headers_mut().insert(oauth2::http::header::CONTENT_TYPE, value);
    }
    let answer = |_request: oauth2::HttpRequest| std::future::ready(Ok::<_, Error>(response.clone()));
    let secret = ClientSecret::new("secret".to_owned());
    RUNTIME.block_on(async {
        let code = AuthorizationCode::new("code".to_owned());
        let verifier = PkceCodeVerifier::new("v".repeat(43));
        let exchanged = token_endpoint::exchange_code(&answer, &CONFIG, &secret, code, verifier, Utc::now()).await;
        let refreshed =
            token_endpoint::refresh(&answer, &CONFIG, &secret, &RefreshToken::new("r".to_owned()), Utc::now()).await;
        for result in [exchanged, refreshed] {
            match result {
                Ok(grant) => assert!(grant.lifetime.as_secs() >= 10, "a lifetime below the floor"),
                Err(error) => assert!(!error.to_string().is_empty()),
            }
        }
    });
}

/// The body of `GET /profile`.
pub fn profile(body: &[u8]) {
    if let Ok(account) = crate::api::parse_profile(body) {
        assert!(!account.name.trim().is_empty() && account.name.chars().count() <= 200);
    }
}
