//! The two requests of the setup check, and how each answer is read. Both spend nothing and can
//! never make Kanka issue a code: each is one Kanka must refuse, and where it refuses says what
//! it accepted first. Neither follows a redirect (`http::Http` follows none).

use chrono::{DateTime, Utc};
use oauth2::ClientSecret;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, LOCATION};
use serde::Deserialize;
use url::Url;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::{self, Http};
use crate::text;
use crate::token_endpoint::PROBE_CODE;

/// Not an RFC 7636 challenge (`^[A-Za-z0-9-._~]{43,128}$` wants 43 characters or more), so league
/// refuses it with `invalid_request` after it validated the client and the redirect.
pub(crate) const PROBE_CHALLENGE: &str = "kanka-link-setup-check";

/// What an answer says about the settings. Anything that says nothing (the network, the server's
/// load, an answer not understood) is an [`Error`] instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// The server validated what this probe checks.
    Passed,
    /// league's `invalid_client` (401).
    InvalidClient,
    /// league's `unauthorized_client`: the client may not use the authorization-code grant.
    UnauthorizedClient,
    /// The address answers, but not as Kanka's OAuth server (404, a redirect elsewhere …).
    NotKanka(String),
}

/// An HTTP answer as the probes read it.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// league 9's error body (`OAuthServerException::getPayload`): `error`, `error_description`,
/// `hint` when there is one.
#[derive(Deserialize)]
struct ErrorBody {
    error: String,
}

/// A code exchange with a code no server issued. league/oauth2-server 9
/// (`AuthCodeGrant::respondToAccessTokenRequest`) calls `AbstractGrant::validateClient` first: an
/// unknown client (`getClientEntityOrFail`) or a wrong secret (`ClientRepositoryInterface::
/// validateClient`) answers 401 `invalid_client`; a client that may not use the grant 400
/// `unauthorized_client`. Only then is the code decrypted, which fails with 400 `invalid_request`
/// ("Cannot decrypt the authorization code") or `invalid_grant`. league 9 no longer checks the
/// redirect URI there, so this probe says nothing about it.
pub(crate) async fn token(http: &Http, config: &Config, secret: &ClientSecret) -> Result<Answer> {
    let url = config.token_url();
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", PROBE_CODE)
        .append_pair("redirect_uri", config.redirect_uri.as_str())
        .append_pair("client_id", config.client_id.as_str())
        .append_pair("client_secret", secret.secret())
        .finish();
    let request = http.post(url.clone()).header(CONTENT_TYPE, "application/x-www-form-urlencoded").body(form);
    let reply = send(request, &url).await?;
    read_token(&reply, &url, Utc::now())
}

/// An authorization request with a malformed PKCE challenge. Passport 13's
/// `AuthorizationController::authorize` calls league's `AuthorizationServer::
/// validateAuthorizationRequest` before it looks for a signed-in user, and league 9's
/// `AuthCodeGrant::validateAuthorizationRequest` checks, in this order: the client
/// (`getClientEntityOrFail`: 401 `invalid_client`), the redirect URI (`AbstractGrant::
/// validateRedirectUri`: 401 `invalid_client` unless registered; `RedirectUriValidator` ignores
/// the port for 127.0.0.1 and [::1] only), the scopes, and only then the challenge: one that is not
/// RFC 7636-shaped throws `OAuthServerException::invalidRequest('code_challenge', …)`, 400 with no
/// redirect. So no code is ever issued, even for a user who already approved the client (Passport
/// would skip the consent screen and redirect with a code); `invalid_request` means the client and
/// the redirect passed.
pub(crate) async fn authorize(http: &Http, config: &Config) -> Result<Answer> {
    let mut url = config.authorize_url();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", config.client_id.as_str())
        .append_pair("redirect_uri", config.redirect_uri.as_str())
        .append_pair("code_challenge", PROBE_CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    let endpoint = config.authorize_url();
    let reply = send(http.get(url), &endpoint).await?;
    read_authorize(&reply, &endpoint, &config.redirect_uri, Utc::now())
}

async fn send(request: reqwest::RequestBuilder, url: &Url) -> Result<Reply> {
    let response = request.send().await.map_err(|e| http::transport_error(url, &e))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = http::read_body(response, url).await?;
    Ok(Reply { status, headers, body })
}

/// What both endpoints answer alike: a server in trouble, or an address that is not Kanka's.
fn common(reply: &Reply, endpoint: &Url, now: DateTime<Utc>) -> Option<Result<Answer>> {
    let status = reply.status;
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Some(Err(Error::RateLimited { retry_after: http::retry_after(&reply.headers, now) }));
    }
    if status.is_server_error() {
        return Some(Err(Error::ServerError { status: status.as_u16() }));
    }
    if matches!(status, StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED) {
        return Some(Ok(Answer::NotKanka(format!("{endpoint} answers HTTP {}", status.as_u16()))));
    }
    None
}

/// The `error` of a league error body, shown filtered; `None` when the body is not one.
fn error_code(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<ErrorBody>(body).ok().map(|b| text::shown(&b.error, text::MAX_MESSAGE))
}

/// Says what an answer that is no league error was, without quoting it.
fn not_understood(reply: &Reply, which: &str) -> Error {
    let what = match reply.body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'<') => "an HTML page",
        None => "an empty answer",
        _ => "an answer that is not an OAuth error",
    };
    Error::UnexpectedResponse { detail: format!("the {which} endpoint sent {what} (HTTP {})", reply.status.as_u16()) }
}

pub(crate) fn read_token(reply: &Reply, endpoint: &Url, now: DateTime<Utc>) -> Result<Answer> {
    if let Some(answer) = common(reply, endpoint, now) {
        return answer;
    }
    if reply.status.is_redirection() {
        return Ok(Answer::NotKanka(format!("{endpoint} redirects to {}", location(reply))));
    }
    if reply.status.is_success() {
        return Err(Error::UnexpectedResponse {
            detail: "the token endpoint accepted a code that cannot be valid".to_owned(),
        });
    }
    match error_code(&reply.body).as_deref() {
        Some("invalid_request" | "invalid_grant") => Ok(Answer::Passed),
        Some("invalid_client") => Ok(Answer::InvalidClient),
        Some("unauthorized_client") => Ok(Answer::UnauthorizedClient),
        Some("unsupported_grant_type") => Ok(Answer::NotKanka(format!("{endpoint} does not take authorization codes"))),
        Some(other) => Err(Error::UnexpectedResponse {
            detail: format!("the token endpoint answered \"{other}\" (HTTP {})", reply.status.as_u16()),
        }),
        None => Err(not_understood(reply, "token")),
    }
}

pub(crate) fn read_authorize(reply: &Reply, endpoint: &Url, redirect_uri: &Url, now: DateTime<Utc>) -> Result<Answer> {
    if let Some(answer) = common(reply, endpoint, now) {
        return answer;
    }
    if reply.status.is_redirection() {
        return read_authorize_redirect(reply, endpoint, redirect_uri);
    }
    if reply.status.is_success() {
        // league refuses the malformed challenge before anything is shown.
        return Err(Error::UnexpectedResponse {
            detail: "the authorization endpoint showed a page for a request Kanka refuses".to_owned(),
        });
    }
    match error_code(&reply.body).as_deref() {
        Some("invalid_request") => Ok(Answer::Passed),
        Some("invalid_client") => Ok(Answer::InvalidClient),
        Some("unauthorized_client") => Ok(Answer::UnauthorizedClient),
        Some("unsupported_grant_type") => {
            Ok(Answer::NotKanka(format!("{endpoint} does not take authorization requests")))
        }
        Some(other) => Err(Error::UnexpectedResponse {
            detail: format!("the authorization endpoint answered \"{other}\" (HTTP {})", reply.status.as_u16()),
        }),
        None => Err(not_understood(reply, "authorization")),
    }
}

/// A server may send the refusal back to the (validated) redirect URI: then the client and the
/// redirect passed too. A redirect anywhere else says the address is not Kanka's sign-in page.
fn read_authorize_redirect(reply: &Reply, endpoint: &Url, redirect_uri: &Url) -> Result<Answer> {
    let target = reply.headers.get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let back_to_us = target
        .strip_prefix(redirect_uri.as_str())
        .is_some_and(|rest| rest.starts_with(['?', '&', '#']) || rest.is_empty());
    if !back_to_us {
        return Ok(Answer::NotKanka(format!("{endpoint} redirects to {}", location(reply))));
    }
    let pairs: Vec<(String, String)> = Url::parse(target)
        .map(|url| {
            let fragment = url.fragment().unwrap_or_default().to_owned();
            url.query_pairs()
                .into_owned()
                .chain(url::form_urlencoded::parse(fragment.as_bytes()).into_owned())
                .collect()
        })
        .unwrap_or_default();
    let value = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    if value("code").is_some() {
        return Err(Error::UnexpectedResponse {
            detail: "the authorization endpoint issued a code for a request Kanka refuses".to_owned(),
        });
    }
    match value("error") {
        Some("invalid_request") => Ok(Answer::Passed),
        Some(other) => Err(Error::UnexpectedResponse {
            detail: format!("the authorization endpoint answered \"{}\"", text::shown(other, text::MAX_MESSAGE)),
        }),
        None => Err(Error::UnexpectedResponse {
            detail: "the authorization endpoint redirected back without an answer".to_owned(),
        }),
    }
}

/// Where a redirect goes, without its query (which could carry a code).
fn location(reply: &Reply) -> String {
    let target = reply.headers.get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("nowhere");
    text::shown(target.split(['?', '#']).next().unwrap_or_default(), text::MAX_MESSAGE)
}

#[cfg(test)]
#[path = "probe_tests.rs"]
mod tests;
