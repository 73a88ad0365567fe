//! `POST /oauth/token`: league 9's authorization_code and refresh_token grants,
//! checks in league's order so the first error a client sees is the real one.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;

use crate::config::SandboxConfig;
use crate::errors::OAuthError;
use crate::params::Params;
use crate::pkce;
use crate::state::{Inner, Shared};
use crate::store::{Issued, Revocation};

/// The success body, fields in league's order.
#[derive(Serialize)]
struct TokenBody {
    token_type: &'static str,
    expires_in: u64,
    access_token: String,
    refresh_token: String,
}

pub(crate) async fn issue(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let form = Params::from_form_body(&headers, &body);
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let mut inner = shared.lock();
    inner.stats.token_requests += 1;
    inner.stats.last_token_request_fields = form.sorted_names();
    inner.stats.last_token_request_accept =
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).map(str::to_owned);
    match grant(&shared.config, &mut inner, &form, authorization) {
        Ok(issued) => success(issued),
        Err(error) => {
            inner.stats.count_oauth_error(error.error);
            error.token_response(authorization)
        }
    }
}

fn grant(
    config: &SandboxConfig,
    inner: &mut Inner,
    form: &Params,
    authorization: Option<&str>,
) -> Result<Issued, OAuthError> {
    match form.get("grant_type") {
        Some("authorization_code") => {
            authenticate_client(config, form, authorization)?;
            check_scope(form)?;
            exchange_code(config, inner, form)
        }
        Some("refresh_token") => {
            note_reuse(inner, form);
            authenticate_client(config, form, authorization)?;
            refresh(config, inner, form)
        }
        _ => Err(OAuthError::unsupported_grant_type()),
    }
}

/// Client credentials from the form, else from HTTP Basic auth (league reads both).
/// The sandbox has one client, so success means `config.client_id`.
fn authenticate_client(config: &SandboxConfig, form: &Params, authorization: Option<&str>) -> Result<(), OAuthError> {
    let basic = authorization.and_then(basic_credentials);
    let (basic_id, basic_secret) = match &basic {
        Some((id, secret)) => (Some(id.as_str()), Some(secret.as_str())),
        None => (None, None),
    };
    let client_id = match form.get("client_id") {
        Some(id) => id,
        None => basic_id.ok_or_else(|| OAuthError::invalid_request("client_id"))?,
    };
    if client_id != config.client_id {
        return Err(OAuthError::invalid_client());
    }
    let secret =
        form.get("client_secret").or(basic_secret).ok_or_else(|| OAuthError::invalid_request("client_secret"))?;
    if secret != config.client_secret {
        return Err(OAuthError::invalid_client());
    }
    Ok(())
}

/// `Basic base64(id:secret)`, as league's `getBasicAuthCredentials` reads it.
fn basic_credentials(header: &str) -> Option<(String, String)> {
    let encoded = header.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Kanka defines no scopes, so any requested scope is unknown.
fn check_scope(form: &Params) -> Result<(), OAuthError> {
    match form.get("scope").and_then(|s| s.split(' ').find(|s| !s.is_empty())) {
        Some(scope) => Err(OAuthError::invalid_scope(scope)),
        None => Ok(()),
    }
}

fn exchange_code(config: &SandboxConfig, inner: &mut Inner, form: &Params) -> Result<Issued, OAuthError> {
    let client_id = config.client_id.as_str();
    let code = form.get("code").ok_or_else(|| OAuthError::invalid_request("code"))?;
    let record = inner
        .store
        .codes
        .get(code)
        .ok_or_else(|| OAuthError::invalid_request_hint("Cannot decrypt the authorization code"))?;
    if Instant::now() > record.expires_at {
        return Err(OAuthError::invalid_grant("Authorization code has expired"));
    }
    if record.revoked {
        return Err(OAuthError::invalid_grant("Authorization code has been revoked"));
    }
    if record.client_id != client_id {
        return Err(OAuthError::invalid_request_hint("Authorization code was not issued to this client"));
    }
    let redirect_uri = form.get("redirect_uri");
    if record.redirect_uri.is_some() && redirect_uri.is_none() {
        return Err(OAuthError::invalid_request("redirect_uri"));
    }
    if record.redirect_uri.as_deref() != redirect_uri {
        return Err(OAuthError::invalid_request_hint("Invalid redirect URI"));
    }
    let verifier = form.get("code_verifier");
    if let Some(verifier) = verifier {
        inner.verifiers.push(verifier.to_owned());
    }
    match (&record.challenge, verifier) {
        (None, None) => {}
        // league 9 blocks a PKCE downgrade: a verifier for a code issued without a challenge.
        (None, Some(_)) => {
            return Err(OAuthError::invalid_request_hint("code_verifier received when no code_challenge is present"));
        }
        (Some(_), None) => return Err(OAuthError::invalid_request("code_verifier")),
        (Some(challenge), Some(verifier)) => {
            if !pkce::is_well_formed(verifier) {
                return Err(OAuthError::invalid_request_hint(
                    "Code Verifier must follow the specifications of RFC-7636.",
                ));
            }
            if !challenge.is_met_by(verifier) {
                return Err(OAuthError::invalid_grant("Failed to verify `code_verifier`."));
            }
        }
    }
    let user_id = record.user_id;
    // league revokes the code only once the exchange succeeds.
    if let Some(record) = inner.store.codes.get_mut(code) {
        record.revoked = true;
    }
    inner.stats.code_exchanges += 1;
    Ok(inner.issue_tokens(config, client_id, user_id))
}

/// Counts any attempt with a rotated-away refresh token, whatever else is wrong with it.
fn note_reuse(inner: &mut Inner, form: &Params) {
    let rotated = form
        .get("refresh_token")
        .and_then(|t| inner.store.refresh.get(t))
        .is_some_and(|t| t.revoked == Some(Revocation::Rotated));
    if rotated {
        inner.stats.refresh_token_reuse += 1;
    }
}

fn refresh(config: &SandboxConfig, inner: &mut Inner, form: &Params) -> Result<Issued, OAuthError> {
    let client_id = config.client_id.as_str();
    let token = form.get("refresh_token").ok_or_else(|| OAuthError::invalid_request("refresh_token"))?;
    let record = inner
        .store
        .refresh
        .get(token)
        .ok_or_else(|| OAuthError::invalid_refresh_token("Cannot decrypt the refresh token"))?;
    if record.client_id != client_id {
        return Err(OAuthError::invalid_refresh_token("Token is not linked to client"));
    }
    if Instant::now() > record.expires_at {
        return Err(OAuthError::invalid_refresh_token("Token has expired"));
    }
    if record.revoked.is_some() {
        return Err(OAuthError::invalid_refresh_token("Token has been revoked"));
    }
    check_scope(form)?;
    let user_id = record.user_id;
    // Rotation: the old pair dies, a new pair is issued to the same user.
    inner.store.rotate(token);
    inner.stats.refreshes += 1;
    Ok(inner.issue_tokens(config, client_id, user_id))
}

fn success(issued: Issued) -> Response {
    let body = TokenBody {
        token_type: "Bearer",
        expires_in: issued.expires_in,
        access_token: issued.access_token,
        refresh_token: issued.refresh_token,
    };
    let json = serde_json::to_string(&body).expect("token body serializes");
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json; charset=UTF-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        json,
    )
        .into_response()
}
