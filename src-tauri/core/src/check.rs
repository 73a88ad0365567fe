//! Checks of the setup that spend nothing: no code, no refresh token, no rate-limited API call.
//! The setup check asks both OAuth endpoints (probe.rs) and turns their two answers into one
//! verdict, with a message that names the setting and the fix. It runs from "Check and save",
//! from `kanka-link check` and before every Connect.

use oauth2::{AuthUrl, ClientId, ClientSecret, RedirectUrl, TokenUrl};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

use crate::config::Config;
use crate::error::{Error, ErrorCode, ErrorInfo, Result};
use crate::linker::Linker;
use crate::probe::{self, Answer};
use crate::token_endpoint;

/// What one probe found, for a line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProbeOutcome {
    /// The server validated what this probe checks.
    Passed,
    /// league's `invalid_client`.
    InvalidClient,
    /// league's `unauthorized_client`: the client may not use the authorization-code grant.
    UnauthorizedClient,
    /// The address answers, but not as Kanka's sign-in server.
    NotKanka { detail: String },
    /// No answer that tells: the network, the server's load, an answer not understood.
    NoAnswer { problem: ErrorInfo },
    /// Not asked: there is no client secret to send.
    NotAsked,
}

/// The token endpoint's answer to a code no server issued: it tells the client id and secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TokenProbe {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub endpoint: TokenUrl,
    pub outcome: ProbeOutcome,
    /// One line for a person.
    pub summary: String,
}

/// The authorization endpoint's answer to a request it must refuse: it tells the client id and
/// the redirect URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuthorizeProbe {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub endpoint: AuthUrl,
    pub outcome: ProbeOutcome,
    pub summary: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Both probes passed: Connect opens Kanka's page.
    Passed,
    /// A setting is wrong; `problem` names it and the fix.
    SettingWrong,
    /// The server could not be reached, or its answer told nothing: no setting is known wrong.
    Unreachable,
}

/// The setup check's findings, for the window and the command line. No secret in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SetupReport {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub kanka_url: Url,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub client_id: ClientId,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub redirect_uri: RedirectUrl,
    pub token: TokenProbe,
    pub authorize: AuthorizeProbe,
    pub verdict: Verdict,
    /// What is wrong and what to do, unless the check passed.
    pub problem: Option<ErrorInfo>,
}

impl Verdict {
    fn of(result: &Result<()>) -> Verdict {
        match result {
            Ok(()) => Verdict::Passed,
            Err(e) if e.code().is_unanswered_check() => Verdict::Unreachable,
            Err(_) => Verdict::SettingWrong,
        }
    }
}

/// The one verdict of both answers. The token endpoint tells the id and secret (not the
/// redirect, which league 9 no longer checks there); the authorization endpoint tells the id and
/// the redirect. Together they tell which of the three is wrong. `token` is `None` without a secret.
pub(crate) fn judge(config: &Config, token: Option<Result<Answer>>, authorize: Result<Answer>) -> Result<()> {
    let client_id = config.client_id.to_string();
    let kanka_url = config.kanka_url.as_str().trim_end_matches('/').to_owned();
    let token = match (token, authorize) {
        (_, Ok(Answer::NotKanka(detail))) | (Some(Ok(Answer::NotKanka(detail))), _) => {
            // An address that is not Kanka's makes every other answer meaningless.
            return Err(Error::NotKanka { url: kanka_url, detail });
        }
        (None, _) => return Err(Error::MissingClientSecret { client_id }),
        (Some(token), authorize) => (token, authorize),
    };
    match token {
        (Ok(Answer::Passed), Ok(Answer::Passed)) => Ok(()),
        (Ok(Answer::UnauthorizedClient), _) | (_, Ok(Answer::UnauthorizedClient)) => {
            Err(Error::ClientNotAllowed { client_id, kanka_url })
        }
        // The client and its redirect are known: only the secret can be wrong.
        (Ok(Answer::InvalidClient), Ok(Answer::Passed)) => Err(Error::SecretRefused { client_id, kanka_url }),
        (Ok(Answer::InvalidClient), Ok(Answer::InvalidClient)) => Err(Error::ClientUnknown { client_id, kanka_url }),
        // The id and secret are right: the redirect is what the authorization endpoint refused.
        (Ok(Answer::Passed), Ok(Answer::InvalidClient)) => {
            Err(Error::RedirectNotRegistered { client_id, redirect_uri: config.redirect_uri.to_string(), kanka_url })
        }
        (Ok(Answer::InvalidClient), Err(_)) => Err(Error::InvalidClient),
        (Err(e), _) | (_, Err(e)) => Err(e),
        (Ok(Answer::NotKanka(detail)), _) | (_, Ok(Answer::NotKanka(detail))) => {
            Err(Error::NotKanka { url: kanka_url, detail })
        }
    }
}

fn outcome(answer: Option<&Result<Answer>>) -> ProbeOutcome {
    match answer {
        None => ProbeOutcome::NotAsked,
        Some(Ok(Answer::Passed)) => ProbeOutcome::Passed,
        Some(Ok(Answer::InvalidClient)) => ProbeOutcome::InvalidClient,
        Some(Ok(Answer::UnauthorizedClient)) => ProbeOutcome::UnauthorizedClient,
        Some(Ok(Answer::NotKanka(detail))) => ProbeOutcome::NotKanka { detail: detail.clone() },
        Some(Err(e)) => ProbeOutcome::NoAnswer { problem: e.info() },
    }
}

fn token_summary(outcome: &ProbeOutcome) -> String {
    match outcome {
        ProbeOutcome::Passed => "passed: Kanka accepts the client id and secret".to_owned(),
        ProbeOutcome::InvalidClient => "refused: invalid_client (the client id or the secret is wrong)".to_owned(),
        ProbeOutcome::UnauthorizedClient => {
            "refused: unauthorized_client (the client may not sign people in)".to_owned()
        }
        ProbeOutcome::NotKanka { detail } => format!("not Kanka: {detail}"),
        ProbeOutcome::NoAnswer { problem } => format!("no answer: {}", problem.message),
        ProbeOutcome::NotAsked => "not asked: no client secret is set".to_owned(),
    }
}

fn authorize_summary(outcome: &ProbeOutcome, config: &Config) -> String {
    match outcome {
        ProbeOutcome::Passed => format!("passed: Kanka knows the client and the redirect URL {}", config.redirect_uri),
        ProbeOutcome::InvalidClient => format!(
            "refused: invalid_client (the client id is unknown or the redirect URL {} is not registered)",
            config.redirect_uri
        ),
        other => token_summary(other),
    }
}

/// Which settings passed, without any secret: a digest of the addresses, the client id, the
/// redirect and a digest of the secret.
pub(crate) fn settings_digest(config: &Config, secret: &ClientSecret) -> String {
    let mut digest = Sha256::new();
    for part in
        [config.kanka_url.as_str(), config.api_url.as_str(), config.client_id.as_str(), config.redirect_uri.as_str()]
    {
        digest.update(part.as_bytes());
        digest.update([0]);
    }
    digest.update(Sha256::digest(secret.secret().as_bytes()));
    digest.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect()
}

impl Linker {
    /// Asks Kanka whether it accepts this client id and secret (`token_endpoint::probe_client`).
    /// When it does, a "client id or secret refused" error goes: the settings were fixed (or the
    /// refusal came from another process's settings), and the connection, kept all along, works.
    pub(crate) async fn verify_client(&self) -> Result<()> {
        let secret = self.client_secret().await?;
        token_endpoint::probe_client(&self.inner.http, &self.inner.config, &secret).await?;
        if self.record().last_error.is_some_and(|e| e.code == ErrorCode::InvalidClient) {
            self.inner
                .store
                .update(|r| r.last_error = r.last_error.take().filter(|e| e.code != ErrorCode::InvalidClient))
                .await?;
        }
        Ok(())
    }

    /// The setup check: two requests at most (one without a secret), sent together. A pass is
    /// remembered (`Record::setup_passed`) and clears a setup error the status showed.
    pub async fn check_setup(&self) -> SetupReport {
        self.run_setup_check().await.0
    }

    /// The report, the verdict as an error, and the digest of the settings checked.
    pub(crate) async fn run_setup_check(&self) -> (SetupReport, Result<()>, Option<String>) {
        let config = &self.inner.config;
        let http = &self.inner.http;
        let (secret, secret_error) = match self.client_secret().await {
            Ok(secret) => (Some(secret), None),
            Err(e) => (None, Some(e)),
        };
        let (token, authorize) = match &secret {
            Some(secret) => {
                let (token, authorize) =
                    tokio::join!(probe::token(http, config, secret), probe::authorize(http, config));
                (Some(token), authorize)
            }
            None => (None, probe::authorize(http, config).await),
        };
        let token_outcome = outcome(token.as_ref());
        let authorize_outcome = outcome(Some(&authorize));
        let mut result = judge(config, token, authorize);
        // A keychain that could not be read is said as such, not as a missing secret.
        if let (Err(Error::MissingClientSecret { .. }), Some(e)) = (&result, secret_error) {
            result = Err(e);
        }
        let digest = secret.as_ref().map(|s| settings_digest(config, s));
        if result.is_ok() {
            let passed = digest.clone();
            let remembered = self
                .inner
                .store
                .update(|r| {
                    r.setup_passed = passed;
                    r.last_error = r.last_error.take().filter(|e| !e.code.is_setup_problem());
                })
                .await;
            if let Err(e) = remembered {
                tracing::warn!("the passed setup check is not remembered: {e}");
            }
        }
        let report = SetupReport {
            kanka_url: config.kanka_url.clone(),
            client_id: config.client_id.clone(),
            redirect_uri: RedirectUrl::from_url(config.redirect_uri.clone()),
            token: TokenProbe {
                endpoint: TokenUrl::from_url(config.token_url()),
                summary: token_summary(&token_outcome),
                outcome: token_outcome,
            },
            authorize: AuthorizeProbe {
                endpoint: AuthUrl::from_url(config.authorize_url()),
                summary: authorize_summary(&authorize_outcome, config),
                outcome: authorize_outcome,
            },
            verdict: Verdict::of(&result),
            problem: result.as_ref().err().map(Error::info),
        };
        (report, result, digest)
    }

    /// Before a Connect: the check's failure, unless it is only that Kanka could not be reached
    /// and these very settings passed before (then the browser shows what Kanka says).
    pub(crate) async fn check_before_connect(&self) -> Result<()> {
        let (_, result, digest) = self.run_setup_check().await;
        match result {
            Err(e) if e.code().is_unanswered_check() => {
                let record = self.inner.store.latest();
                match (digest, record.setup_passed) {
                    (Some(now), Some(passed)) if now == passed => {
                        tracing::warn!("the setup check got no answer ({e}); these settings passed before");
                        Ok(())
                    }
                    _ => Err(e),
                }
            }
            other => other,
        }
    }
}

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
