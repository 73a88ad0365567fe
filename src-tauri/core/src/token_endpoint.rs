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
            let description = response.error_description().cloned().unwrap_or_else(|| response.error().to_string());
            match response.error() {
                BasicErrorResponseType::InvalidGrant => Error::InvalidGrant { description },
                BasicErrorResponseType::InvalidClient | BasicErrorResponseType::UnauthorizedClient => {
                    Error::InvalidClient
                }
                BasicErrorResponseType::InvalidRequest
                | BasicErrorResponseType::InvalidScope
                | BasicErrorResponseType::UnsupportedGrantType => Error::InvalidRequest { description },
                BasicErrorResponseType::Extension(code) => {
                    Error::UnexpectedResponse { detail: format!("unknown error \"{code}\": {description}") }
                }
            }
        }
        // The body of an unparseable answer may hold tokens: report where it broke, never what it said.
        RequestTokenError::Parse(error, body) => {
            let what = if body.first().is_some_and(|b| *b == b'<') { "an HTML page" } else { "malformed JSON" };
            Error::UnexpectedResponse { detail: format!("the token endpoint sent {what} (at {})", error.path()) }
        }
        RequestTokenError::Other(detail) => Error::UnexpectedResponse { detail },
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

    fn serde_path_to_error_of(body: &[u8]) -> serde_path_to_error::Error<serde_json::Error> {
        let mut de = serde_json::Deserializer::from_slice(body);
        serde_path_to_error::deserialize::<_, BasicTokenResponse>(&mut de).unwrap_err()
    }
}
