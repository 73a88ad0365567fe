//! `POST {url}/oauth/token` for both grants, through the oauth2 crate. Kanka's clients are
//! confidential and read their credentials from the form (as Kanka's docs show), not from
//! HTTP Basic. Every answer in KANKA-NOTES.md's table becomes one typed error.

use std::time::Duration;

use chrono::{DateTime, Utc};

use oauth2::basic::{BasicClient, BasicErrorResponse, BasicErrorResponseType, BasicTokenResponse};
use oauth2::{
    AccessToken, AuthType, AuthUrl, AuthorizationCode, ClientSecret, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, TokenResponse, TokenUrl,
};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::text;

/// Lifetime assumed when a server leaves `expires_in` out (it is only RECOMMENDED by RFC 6749).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);
/// Bounds on what we believe, so a zero or absurd `expires_in` cannot cause a refresh storm
/// or a token we never refresh.
const MIN_LIFETIME: Duration = Duration::from_secs(10);
pub(crate) const MAX_LIFETIME: Duration = Duration::from_secs(10 * 366 * 24 * 3600);

/// A fresh pair from the token endpoint.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub access_token: AccessToken,
    pub refresh_token: RefreshToken,
    pub lifetime: Duration,
    /// When the request was sent: the lifetime counts from no later than that.
    pub obtained_at: DateTime<Utc>,
}

/// How token requests travel: our [`crate::http::Http`] client, or a canned answer in the fuzz targets.
pub trait Transport: for<'c> oauth2::AsyncHttpClient<'c, Error = Error> {}

impl<T: for<'c> oauth2::AsyncHttpClient<'c, Error = Error>> Transport for T {}

pub async fn exchange_code(
    http: &impl Transport,
    config: &Config,
    secret: &ClientSecret,
    code: AuthorizationCode,
    verifier: PkceCodeVerifier,
    now: DateTime<Utc>,
) -> Result<TokenGrant> {
    let response = client(config, Some(secret))
        .exchange_code(code)
        .set_pkce_verifier(verifier)
        .request_async(http)
        .await
        .map_err(map_error)?;
    let refresh_token = response.refresh_token().cloned().ok_or_else(|| Error::UnexpectedResponse {
        detail: "the token answer has no refresh token, so the connection could not be kept".to_owned(),
    })?;
    Ok(grant(&response, refresh_token, now))
}

/// Refreshes; a server that does not rotate (no new refresh token) lets us keep the old one.
pub async fn refresh(
    http: &impl Transport,
    config: &Config,
    secret: &ClientSecret,
    refresh_token: &RefreshToken,
    now: DateTime<Utc>,
) -> Result<TokenGrant> {
    let response = client(config, Some(secret))
        .exchange_refresh_token(refresh_token)
        .request_async(http)
        .await
        .map_err(map_error)?;
    let next = response.refresh_token().cloned().unwrap_or_else(|| refresh_token.clone());
    Ok(grant(&response, next, now))
}

/// Whether Kanka accepts the client id and secret, spending nothing: a code exchange with a code
/// that cannot be one. league/oauth2-server 9 (`AuthCodeGrant::respondToAccessTokenRequest`)
/// authenticates a confidential client (`validateClient`) before it reads the code: a wrong id or
/// secret answers 401 `invalid_client`, a right one 400 `invalid_request` ("Cannot decrypt the
/// authorization code").
pub async fn probe_client(http: &impl Transport, config: &Config, secret: &ClientSecret) -> Result<()> {
    let code = AuthorizationCode::new(PROBE_CODE.to_owned());
    let answer = client(config, Some(secret)).exchange_code(code).request_async(http).await.map_err(map_error);
    match answer {
        Err(Error::InvalidRequest { .. } | Error::InvalidGrant { .. }) => Ok(()),
        Err(e) => Err(e),
        Ok(_) => Err(Error::UnexpectedResponse {
            detail: "the token endpoint accepted a code that cannot be valid".to_owned(),
        }),
    }
}

/// Not a code any server issues (Kanka's are encrypted payloads of about 1,000 characters).
pub(crate) const PROBE_CODE: &str = "kanka-link-client-check";

fn grant(response: &BasicTokenResponse, refresh_token: RefreshToken, obtained_at: DateTime<Utc>) -> TokenGrant {
    let lifetime = response.expires_in().unwrap_or(DEFAULT_LIFETIME).clamp(MIN_LIFETIME, MAX_LIFETIME);
    TokenGrant { access_token: response.access_token().clone(), refresh_token, lifetime, obtained_at }
}

type KankaClient = oauth2::Client<
    BasicErrorResponse,
    BasicTokenResponse,
    oauth2::basic::BasicTokenIntrospectionResponse,
    oauth2::StandardRevocableToken,
    oauth2::basic::BasicRevocationErrorResponse,
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

/// The oauth2 client for Kanka. Shared with the authorization request (which needs no secret)
/// so both send the same client id and redirect URI.
pub(crate) fn client(config: &Config, secret: Option<&ClientSecret>) -> KankaClient {
    let client = BasicClient::new(config.client_id.clone());
    let client = match secret {
        Some(secret) => client.set_client_secret(secret.clone()),
        None => client,
    };
    client
        .set_auth_uri(AuthUrl::from_url(config.authorize_url()))
        .set_token_uri(TokenUrl::from_url(config.token_url()))
        .set_redirect_uri(RedirectUrl::from_url(config.redirect_uri.clone()))
        .set_auth_type(AuthType::RequestBody)
}

fn map_error(error: RequestTokenError<Error, BasicErrorResponse>) -> Error {
    match error {
        RequestTokenError::Request(error) => error,
        RequestTokenError::ServerResponse(response) => {
            // Kanka's words reach the status file, the log, the window and a terminal: shown
            // filtered and cut, like every text from outside.
            let code = text::shown(response.error().as_ref(), text::MAX_MESSAGE);
            let description = response
                .error_description()
                .map(|d| text::shown(d, text::MAX_MESSAGE))
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| code.clone());
            match response.error() {
                BasicErrorResponseType::InvalidGrant => Error::InvalidGrant { description },
                BasicErrorResponseType::InvalidClient | BasicErrorResponseType::UnauthorizedClient => {
                    Error::InvalidClient
                }
                BasicErrorResponseType::InvalidRequest
                | BasicErrorResponseType::InvalidScope
                | BasicErrorResponseType::UnsupportedGrantType => Error::InvalidRequest { description },
                BasicErrorResponseType::Extension(_) => {
                    Error::UnexpectedResponse { detail: format!("unknown error \"{code}\": {description}") }
                }
            }
        }
        // The body of an unparseable answer may hold tokens: report where it broke, never what it said.
        RequestTokenError::Parse(error, body) => {
            let what = if body.first().is_some_and(|b| *b == b'<') { "an HTML page" } else { "malformed JSON" };
            Error::UnexpectedResponse { detail: format!("the token endpoint sent {what} (at {})", error.path()) }
        }
        // oauth2's own words, which may quote a header of the answer.
        RequestTokenError::Other(detail) => {
            Error::UnexpectedResponse { detail: text::shown(&detail, text::MAX_MESSAGE) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_never_repeat_the_body() {
        let body = br#"{"access_token":"SECRET-TOKEN","token_type":7}"#.to_vec();
        let parse = serde_path_to_error_of(&body);
        let error = map_error(RequestTokenError::Parse(parse, body));
        let message = format!("{error} {error:?}");
        assert!(!message.contains("SECRET-TOKEN"), "{message}");
        assert!(matches!(error, Error::UnexpectedResponse { .. }));
    }

    fn refused(error: BasicErrorResponseType, description: &str) -> Error {
        let response = BasicErrorResponse::new(error, Some(description.to_owned()), None);
        map_error(RequestTokenError::ServerResponse(response))
    }

    /// Kanka's `error_description` goes to the status file, the log and a terminal.
    #[test]
    fn error_descriptions_are_shown_without_control_characters_and_cut() {
        let hostile = "Bad \u{1b}[31mred\u{1b}[0m\r\nFAKE: Connected\u{7}\u{9b}2J \u{202E}txt.exe\u{2066}";
        for error in [BasicErrorResponseType::InvalidRequest, BasicErrorResponseType::InvalidGrant] {
            let message = refused(error, hostile).to_string();
            assert!(message.ends_with("Bad [31mred[0mFAKE: Connected2J txt.exe"), "{message:?}");
        }
        let unknown = refused(BasicErrorResponseType::Extension("odd\u{1b}]0;title\u{7}".to_owned()), hostile);
        assert!(
            matches!(&unknown, Error::UnexpectedResponse { detail } if detail.starts_with("unknown error \"odd]0;title\""))
        );

        let long = refused(BasicErrorResponseType::InvalidRequest, &"x".repeat(10_000)).to_string();
        assert!(long.chars().count() < 400 && long.ends_with("x…"), "{} characters", long.chars().count());

        // Nothing left to show: the error code says what happened.
        let empty = refused(BasicErrorResponseType::InvalidGrant, "\u{1b}\n");
        assert!(matches!(&empty, Error::InvalidGrant { description } if description == "invalid_grant"), "{empty:?}");

        for error in [refused(BasicErrorResponseType::InvalidRequest, hostile), unknown] {
            let message = error.to_string();
            assert!(!message.chars().any(|c| c.is_control() || ('\u{202A}'..='\u{202E}').contains(&c)), "{message:?}");
        }
    }

    fn serde_path_to_error_of(body: &[u8]) -> serde_path_to_error::Error<serde_json::Error> {
        let mut de = serde_json::Deserializer::from_slice(body);
        serde_path_to_error::deserialize::<_, BasicTokenResponse>(&mut de).unwrap_err()
    }
}
