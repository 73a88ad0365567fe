//! Random credentials shaped like Passport's, so clients meet realistic sizes
//! (e.g. the Windows credential store limit) without any real crypto.

use std::fmt::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::distr::Alphanumeric;
use rand::{Rng, RngCore};

const JWT_HEADER: &str = r#"{"typ":"JWT","alg":"RS256"}"#;

/// An access token that looks like Passport's RS256 JWT (about 1,000 chars).
/// The signature is random bytes: nothing verifies it but the sandbox's own map.
pub(crate) fn access_token(client_id: &str, user_id: u64, lifetime: Duration) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64();
    let claims = serde_json::json!({
        "aud": client_id,
        "jti": hex(&random_bytes(40)),
        "iat": now,
        "nbf": now,
        "exp": now + lifetime.as_secs_f64(),
        "sub": user_id.to_string(),
        "scopes": [],
    });
    // 512 bytes: the size of an RS256 signature with Passport's 4096-bit keys.
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(JWT_HEADER),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(random_bytes(512))
    )
}

/// An opaque value like league's encrypted codes and refresh tokens ("def50200…", ~700 chars).
pub(crate) fn opaque() -> String {
    format!("def50200{}", hex(&random_bytes(350)))
}

/// A consent-page handle, like Passport's `Str::random(40)`.
pub(crate) fn auth_token() -> String {
    rand::rng().sample_iter(Alphanumeric).take(40).map(char::from).collect()
}

fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}
