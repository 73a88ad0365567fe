//! league/oauth2-server 9 error answers, with its wording.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::redirect;

const INVALID_REQUEST: &str = "The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed.";
const INVALID_GRANT: &str = "The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.";

#[derive(Debug)]
pub(crate) struct OAuthError {
    status: StatusCode,
    pub error: &'static str,
    description: &'static str,
    hint: Option<String>,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: &'static str, hint: Option<String>) -> Self {
        OAuthError { status, error, description, hint }
    }

    /// A missing or bad parameter, with league's default hint.
    pub(crate) fn invalid_request(parameter: &str) -> Self {
        Self::invalid_request_hint(&format!("Check the `{parameter}` parameter"))
    }

    pub(crate) fn invalid_request_hint(hint: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", INVALID_REQUEST, Some(hint.into()))
    }

    pub(crate) fn invalid_client() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", "Client authentication failed", None)
    }

    pub(crate) fn invalid_grant(hint: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", INVALID_GRANT, Some(hint.into()))
    }

    /// league's `invalidRefreshToken`: an `invalid_grant` with its own description.
    pub(crate) fn invalid_refresh_token(hint: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", "The refresh token is invalid.", Some(hint.into()))
    }

    /// league answers both an unknown `grant_type` and an authorize request it
    /// cannot handle (bad `response_type`, no `client_id`) with this.
    pub(crate) fn unsupported_grant_type() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
            Some("Check that all required parameters have been provided".into()),
        )
    }

    pub(crate) fn invalid_scope(scope: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "The requested scope is invalid, unknown, or malformed",
            Some(format!("Check the `{scope}` scope")),
        )
    }

    pub(crate) fn access_denied() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "access_denied",
            "The resource owner or authorization server denied the request.",
            Some("The user denied the request".into()),
        )
    }

    /// The token endpoint body: `error`, `error_description`, `hint` (no `message` since league 9).
    /// `authorization_header` is the request's `Authorization` header, if any:
    /// league then adds `WWW-Authenticate` to `invalid_client`.
    pub(crate) fn token_response(&self, authorization_header: Option<&str>) -> Response {
        let mut body = json!({"error": self.error, "error_description": self.description});
        if let Some(hint) = &self.hint {
            body["hint"] = json!(hint);
        }
        let mut response = (self.status, axum::Json(body)).into_response();
        if let (Some(auth), "invalid_client") = (authorization_header, self.error) {
            let scheme = if auth.starts_with("Bearer") { "Bearer" } else { "Basic" };
            let value = format!("{scheme} realm=\"OAuth\"").parse().expect("static header value");
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }

    /// An error page shown in the browser at /oauth/authorize (no redirect):
    /// as the brief records Kanka's, it also carries `message`.
    pub(crate) fn authorize_response(&self) -> Response {
        let mut body = json!({
            "error": self.error,
            "error_description": self.description,
            "message": self.description,
        });
        if let Some(hint) = &self.hint {
            body["hint"] = json!(hint);
        }
        (self.status, axum::Json(body)).into_response()
    }

    /// The error sent back to the client's redirect URI (302).
    pub(crate) fn redirect(&self, redirect_uri: &str, state: Option<&str>) -> Response {
        let mut pairs = vec![("error", self.error), ("error_description", self.description)];
        if let Some(hint) = &self.hint {
            pairs.push(("hint", hint));
        }
        pairs.push(("message", self.description));
        if let Some(state) = state {
            pairs.push(("state", state));
        }
        redirect::found(redirect_uri, &pairs)
    }
}
