//! Signing in: the authorization request, Kanka's answer, the code exchange and the profile.
//! An answer that is forged, stale, replayed or malformed is refused before anything is spent,
//! and nothing here removes a connection that was working.

use std::time::{Duration, Instant};

use oauth2::AccessToken;

use crate::api::{self, Account};
use crate::authorize::{AuthorizationRequest, PendingAuthorization, state_digest};
use crate::callback::{self, Answer, Callback};
use crate::config::Redirect;
use crate::error::{Error, Result};
use crate::keychain::Item;
use crate::linker::Linker;
use crate::loopback;
use crate::record::{AttemptEnd, ClosedAttempt};
use crate::refresh::Reason;
use crate::status::Status;
use crate::token_endpoint;

/// A duration for the log, in milliseconds.
pub(crate) fn millis(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1e3)
}

/// Kanka counts requests per minute: without a `Retry-After`, wait the whole window.
const RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);
const RATE_LIMIT_RETRIES: u32 = 2;

impl Linker {
    /// Starts a sign-in and returns the page to open in the system browser. A sign-in already
    /// in progress is replaced; the current connection, if any, stays until the new one works.
    pub async fn begin_connect(&self) -> Result<AuthorizationRequest> {
        let result = self.start_attempt().await;
        if let Err(e) = &result {
            self.report(e).await;
        }
        result
    }

    /// The sign-in in progress, to open its page again (rebuilt from the keychain, so it works
    /// after a restart too).
    pub async fn pending_request(&self) -> Result<Option<AuthorizationRequest>> {
        let now = self.inner.clock.now();
        let request =
            |pending: &PendingAuthorization| (pending.expires_at > now).then(|| pending.request(&self.inner.config));
        if let Some(pending) = self.inner.pending.lock().unwrap().as_ref() {
            return Ok(request(pending));
        }
        let Some(stored) = self.inner.keychain.read(Item::PendingAuthorization).await? else {
            return Ok(None);
        };
        Ok(request(&PendingAuthorization::from_keychain(&stored)?))
    }

    /// Stops waiting for Kanka.
    pub async fn cancel_connect(&self) -> Result<Status> {
        let _gate = self.inner.callback_gate.lock().await;
        let remembered = self.inner.pending.lock().unwrap().take();
        let pending = match remembered {
            Some(pending) => Some(pending),
            None => self
                .inner
                .keychain
                .read(Item::PendingAuthorization)
                .await?
                .and_then(|text| PendingAuthorization::from_keychain(&text).ok()),
        };
        let closed = pending.map(|pending| ClosedAttempt {
            state_digest: state_digest(pending.state.secret()),
            ended: AttemptEnd::Cancelled,
        });
        self.inner.keychain.delete(Item::PendingAuthorization).await?;
        self.end_attempt();
        self.update_record(|r| {
            r.end_wait(closed);
            r.last_error = None;
        })
        .await?;
        tracing::info!("sign-in cancelled");
        Ok(self.status())
    }

    /// Takes Kanka's answer, from a deep link or the loopback listener. A refused answer is
    /// reported in the status and returned as the error; the stored connection is untouched.
    pub async fn handle_callback(&self, url: &str) -> Result<Status> {
        let _gate = self.inner.callback_gate.lock().await;
        let (token, exchange, storage) = match self.complete_sign_in(url).await {
            Ok(signed_in) => signed_in,
            Err(e) => {
                self.report(&e).await;
                return Err(e);
            }
        };
        // Signed in. Not knowing the account yet is not a failure: the timer asks again.
        let asked = Instant::now();
        match self.fetch_account(Some(token)).await {
            Ok(account) => tracing::info!(
                "signed in to Kanka as account {} (token request {}, keychain and status file {}, profile {})",
                account.id,
                millis(exchange),
                millis(storage),
                millis(asked.elapsed())
            ),
            Err(e) => {
                tracing::warn!("signed in, but the profile is not known yet: {e}");
                self.report(&e).await;
            }
        }
        Ok(self.status())
    }

    async fn start_attempt(&self) -> Result<AuthorizationRequest> {
        // A Cancel clicked while this runs waits for it, then cancels what it started.
        let _gate = self.inner.callback_gate.lock().await;
        let config = &self.inner.config;
        let pending = PendingAuthorization::new(self.inner.clock.now());
        // Bind first: a busy port must fail the attempt before anything is stored.
        let listeners = match &config.redirect {
            Redirect::Loopback { host, port, .. } => {
                self.stop_loopback().await;
                Some(loopback::bind(*host, *port).await?)
            }
            _ => None,
        };
        self.inner.keychain.write(Item::PendingAuthorization, pending.to_keychain()).await?;
        let attempt = self.end_attempt();
        self.update_record(|r| {
            r.pending_until = Some(pending.expires_at);
            r.last_error = None;
        })
        .await?;
        if let Some(listeners) = listeners {
            self.serve_loopback(listeners, attempt);
        }
        let digest = state_digest(pending.state.secret());
        tokio::spawn(self.clone().expire_attempt(attempt, pending.expires_at, Some(digest)));
        tracing::info!("sign-in started; waiting for Kanka until {}", pending.expires_at);
        let request = pending.request(config);
        *self.inner.pending.lock().unwrap() = Some(pending);
        Ok(request)
    }

    /// Moves on to the next attempt; the listener and expiry watch of the old one stop.
    pub(crate) fn end_attempt(&self) -> u64 {
        self.inner.attempt.send_modify(|n| *n += 1);
        *self.inner.attempt.borrow()
    }

    /// Resumes a sign-in that was pending when the app stopped.
    pub(crate) fn resume_attempt(&self) {
        let Some(until) = self.record().pending_until.filter(|until| *until > self.inner.clock.now()) else {
            return;
        };
        let attempt = *self.inner.attempt.borrow();
        tokio::spawn(self.clone().expire_attempt(attempt, until, None));
        if let Redirect::Loopback { host, port, .. } = self.inner.config.redirect {
            let linker = self.clone();
            tokio::spawn(async move {
                match loopback::bind(host, port).await {
                    Ok(listeners) => linker.serve_loopback(listeners, attempt),
                    Err(e) => linker.report(&e).await,
                }
            });
        }
    }

    /// Ends the attempt when its time is up. `digest` names it when known (not after a restart,
    /// which would need a keychain read at start-up just for this).
    async fn expire_attempt(self, attempt: u64, until: chrono::DateTime<chrono::Utc>, digest: Option<String>) {
        let mut attempts = self.inner.attempt.subscribe();
        let wait = (until - self.inner.clock.now()).to_std().unwrap_or_default();
        tokio::select! {
            _ = self.inner.clock.sleep(wait) => {}
            _ = attempts.wait_for(|current| *current != attempt) => return,
        }
        let _gate = self.inner.callback_gate.lock().await;
        if *self.inner.attempt.borrow() != attempt {
            return;
        }
        tracing::info!("sign-in expired without an answer from Kanka");
        // The keychain may be gone by now; the record still says the wait is over.
        *self.inner.pending.lock().unwrap() = None;
        let _ = self.inner.keychain.delete(Item::PendingAuthorization).await;
        self.end_attempt();
        let expired = Error::AuthorizationExpired.info();
        if let Err(e) = self
            .update_record(|r| {
                r.end_wait(digest.map(|state_digest| ClosedAttempt { state_digest, ended: AttemptEnd::Expired }));
                r.last_error = Some(expired);
            })
            .await
        {
            self.report(&e).await;
        }
    }

    /// Returns the new access token, and how long the token request and the storing took.
    async fn complete_sign_in(&self, url: &str) -> Result<(AccessToken, Duration, Duration)> {
        let config = &self.inner.config;
        let callback = callback::parse(url, config)?;
        let digest = state_digest(callback.state());
        let pending = self.claim_pending(&callback, &digest).await?;
        // From here the attempt is spent, whatever Kanka answered.
        self.end_attempt();
        let answered = ClosedAttempt { state_digest: digest, ended: AttemptEnd::Answered };
        let spent = async {
            let forgotten = self.inner.keychain.delete(Item::PendingAuthorization).await;
            if let Err(e) = &forgotten {
                // Harmless: Kanka takes a code once, and the entry expires with the attempt.
                tracing::warn!("the spent sign-in stays in the keychain: {e}");
            }
        };
        let code = match callback.answer {
            _ if pending.expires_at <= self.inner.clock.now() => Err(Error::AuthorizationExpired),
            Answer::Code(code) => Ok(code),
            Answer::Denied => Err(Error::Cancelled),
            Answer::Refused { code, description } => Err(Error::AuthorizationRefused { code, description }),
        };
        let exchanged = async {
            let code = code?;
            let secret = self.client_secret().await?;
            let guard = self.inner.lock.acquire().await?;
            let now = self.inner.clock.now();
            let requested = Instant::now();
            let grant =
                token_endpoint::exchange_code(&self.inner.http, config, &secret, code, pending.verifier, now).await?;
            let exchanged = Instant::now();
            self.store_grant(&guard, &grant, None, Some(answered.clone())).await?;
            Ok((grant.access_token, exchanged - requested, exchanged.elapsed()))
        };
        // The spent entry leaves the keychain while Kanka answers.
        let ((), result) = tokio::join!(spent, exchanged);
        if result.is_err() {
            self.update_record(|r| r.end_wait(Some(answered))).await?;
        }
        self.inner.changed.notify_one();
        result
    }

    /// The sign-in an answer belongs to, taken so it cannot be answered twice; refused (and
    /// left waiting) when the answer is for another one.
    async fn claim_pending(&self, callback: &Callback, digest: &str) -> Result<PendingAuthorization> {
        {
            let mut remembered = self.inner.pending.lock().unwrap();
            if let Some(pending) = remembered.as_ref() {
                // Not ours: the real answer may still come, so the attempt stays open.
                return match callback.state_matches(&pending.state) {
                    true => Ok(remembered.take().expect("a remembered sign-in")),
                    false => Err(Error::StateMismatch),
                };
            }
        }
        // Started before a restart: only the keychain knows it.
        let Some(stored) = self.inner.keychain.read(Item::PendingAuthorization).await? else {
            let closed = self.inner.record_file.load().ok().and_then(|r| r.closed_attempt);
            return Err(match closed {
                Some(attempt) if attempt.state_digest == digest => attempt.refusal(),
                _ => Error::UnexpectedCallback,
            });
        };
        let pending = PendingAuthorization::from_keychain(&stored)?;
        if !callback.state_matches(&pending.state) {
            return Err(Error::StateMismatch);
        }
        Ok(pending)
    }

    /// Asks Kanka who the token belongs to and remembers it. A rejected token is refreshed once
    /// and tried again; rejected again, the connection needs the user.
    pub(crate) async fn fetch_account(&self, known: Option<AccessToken>) -> Result<Account> {
        let mut refreshed = false;
        let mut waits = 0;
        let mut known = known;
        loop {
            let token = match known.take() {
                Some(token) => token,
                None => self.current_access_token().await?,
            };
            match api::fetch_profile(&self.inner.http, &self.inner.config, &token).await {
                Ok(account) => {
                    let known = account.clone();
                    self.update_record(|r| {
                        if let Some(connection) = r.connection.as_mut() {
                            connection.account = Some(known);
                        }
                    })
                    .await?;
                    return Ok(account);
                }
                Err(Error::Unauthorized) if !refreshed => {
                    refreshed = true;
                    self.refresh(Reason::Now).await?;
                }
                Err(Error::Unauthorized) => return Err(self.end_connection(&Error::Unauthorized).await),
                Err(Error::RateLimited { retry_after }) if waits < RATE_LIMIT_RETRIES => {
                    waits += 1;
                    self.inner.clock.sleep(retry_after.unwrap_or(RATE_LIMIT_WAIT).min(RATE_LIMIT_WAIT)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The access token in use: one the keychain has not taken yet, else the keychain's.
    pub(crate) async fn current_access_token(&self) -> Result<AccessToken> {
        if let Some(grant) = self.inner.unsaved.lock().unwrap().as_ref() {
            return Ok(grant.access_token.clone());
        }
        match self.inner.keychain.read(Item::AccessToken).await? {
            Some(token) => Ok(AccessToken::new(token)),
            None => Err(self.end_connection(&Error::NotConnected).await),
        }
    }
}
