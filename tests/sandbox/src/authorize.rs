//! `/oauth/authorize`: league's request validation, Passport's consent flow.
//! A sandbox user is always signed in (`crate::users`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;

use crate::config::{CLIENT_NAME, SandboxConfig};
use crate::consent;
use crate::errors::OAuthError;
use crate::params::Params;
use crate::pkce::{self, Challenge};
use crate::redirect;
use crate::state::Shared;
use crate::store::PendingAuth;

/// Why an authorization request went no further.
enum Rejection {
    /// Shown in the browser; the client never hears of it.
    Page(OAuthError),
    /// Sent back to the (already validated) redirect URI.
    Redirect { error: OAuthError, redirect_uri: String, state: Option<String> },
}

/// `GET /oauth/authorize`: consent page, or a code at once when the user
/// already holds a valid token for the client (Passport skips the prompt).
pub(crate) async fn show(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let query = Params::from_query(uri.query());
    let mut inner = shared.lock();
    inner.stats.authorize_requests += 1;
    let user = inner.users.signed_in().clone();
    let request = match validate(&shared.config, &inner.redirect_uris, &query, user.id) {
        Ok(request) => request,
        Err(Rejection::Page(error)) => {
            inner.stats.count_oauth_error(error.error);
            return error.authorize_response();
        }
        Err(Rejection::Redirect { error, redirect_uri, state }) => {
            inner.stats.count_oauth_error(error.error);
            return error.redirect(&redirect_uri, state.as_deref());
        }
    };
    if inner.store.has_valid_token(&request.client_id, user.id) {
        inner.stats.consents_skipped += 1;
        let code = inner.store.issue_code(&request);
        return code_redirect(&request, &code);
    }
    inner.stats.consents_shown += 1;
    let auth_token = inner.store.park(request);
    consent::page(CLIENT_NAME, &user.name, &auth_token)
}

/// `POST /oauth/authorize` approves; `DELETE` (or a POST with `_method=DELETE`,
/// Laravel's method spoofing) denies.
pub(crate) async fn decide(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Params::from_form_body(&headers, &body);
    let query = Params::from_query(uri.query());
    let deny =
        method == Method::DELETE || input(&form, &query, "_method").is_some_and(|m| m.eq_ignore_ascii_case("DELETE"));
    let mut inner = shared.lock();
    let pending = input(&form, &query, "auth_token").and_then(|t| inner.store.take_pending(t));
    let Some(request) = pending else {
        let error = OAuthError::invalid_request("auth_token");
        inner.stats.count_oauth_error(error.error);
        return error.authorize_response();
    };
    if deny {
        inner.stats.consents_denied += 1;
        return OAuthError::access_denied().redirect(&request.redirect_uri, request.state.as_deref());
    }
    inner.stats.consents_approved += 1;
    let code = inner.store.issue_code(&request);
    code_redirect(&request, &code)
}

/// Laravel's `$request->input()`: the body first, then the query string.
fn input<'a>(form: &'a Params, query: &'a Params, name: &str) -> Option<&'a str> {
    form.get(name).or_else(|| query.get(name))
}

fn code_redirect(request: &PendingAuth, code: &str) -> Response {
    let mut pairs = vec![("code", code)];
    if let Some(state) = &request.state {
        pairs.push(("state", state));
    }
    redirect::found(&request.redirect_uri, &pairs)
}

/// league's AuthorizationServer + AuthCodeGrant checks, in their order.
/// (`AuthCodeGrant::validateAuthorizationRequest`: client, redirect, scopes, PKCE challenge; all
/// before Passport's `AuthorizationController::authorize` looks for a signed-in user.)
fn validate(
    config: &SandboxConfig,
    registered: &[String],
    query: &Params,
    user_id: u64,
) -> Result<PendingAuth, Rejection> {
    // No grant "can respond" without response_type=code and a client_id.
    let client_id = match (query.get("response_type"), query.get("client_id")) {
        (Some("code"), Some(client_id)) => client_id,
        _ => return Err(Rejection::Page(OAuthError::unsupported_grant_type())),
    };
    if client_id != config.client_id {
        return Err(Rejection::Page(OAuthError::invalid_client()));
    }
    let requested_redirect_uri = query.get("redirect_uri");
    let redirect_uri = match (requested_redirect_uri, registered) {
        (Some(uri), registered) if redirect::is_registered(registered, uri) => uri.to_owned(),
        (None, [only]) => only.clone(),
        _ => return Err(Rejection::Page(OAuthError::invalid_client())),
    };
    let state = query.get("state").map(str::to_owned);
    // Kanka defines no scopes: any named scope is unknown.
    if let Some(scope) = query.get("scope").and_then(|s| s.split(' ').find(|s| !s.is_empty())) {
        let error = OAuthError::invalid_scope(scope);
        return Err(Rejection::Redirect { error, redirect_uri, state });
    }
    let challenge = match query.get("code_challenge") {
        None => None,
        Some(value) => {
            // Kanka's default when a challenge comes without a method.
            let method = query.get("code_challenge_method").unwrap_or("plain");
            let Some(method) = pkce::Method::parse(method) else {
                let hint = "Code challenge method must be one of `S256`, `plain`";
                return Err(Rejection::Page(OAuthError::invalid_request_hint(hint)));
            };
            if !pkce::is_well_formed(value) {
                let hint = "Code challenge must follow the specifications of RFC-7636.";
                return Err(Rejection::Page(OAuthError::invalid_request_hint(hint)));
            }
            Some(Challenge { value: value.to_owned(), method })
        }
    };
    Ok(PendingAuth {
        client_id: client_id.to_owned(),
        redirect_uri,
        requested_redirect_uri: requested_redirect_uri.map(str::to_owned),
        state,
        challenge,
        user_id,
    })
}
