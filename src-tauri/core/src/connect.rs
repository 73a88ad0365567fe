//! Signing in: the authorization request, Kanka's answer, the code exchange and the profile.
//! An answer that is forged, stale, replayed or malformed is refused before anything is spent,
//! and nothing here removes a connection that was working.

use std::time::{Duration, Instant};

use oauth2::AccessToken;

use crate::authorize::{AuthorizationRequest, PendingAuthorization, state_digest};
use crate::callback::{self, Answer, Callback};
use crate::clock::millis;
use crate::config::Redirect;
use crate::error::{Error, ErrorCode, Result};
use crate::linker::Linker;
use crate::loopback;
use crate::record::{AttemptEnd, ClosedAttempt, fingerprint};
use crate::status::Status;
use crate::token_endpoint;

/// An answer matched to the sign-in in progress, which it spends.
struct Claimed {
    callback: Callback,
    pending: PendingAuthorization,
    digest: String,
}

impl Linker {
    /// Starts a sign-in and returns the page to open in the system browser. A sign-in already
    /// in progress is replaced; the current connection, if any, stays until the new one works.
    /// The setup check runs first (check.rs): a wrong setting fails the Connect before anything
    /// is stored, listened on or opened, with a message that says which setting and how to fix it.
    pub async fn begin_connect(&self) -> Result<AuthorizationRequest> {
        // Timed for BENCHMARKS.md ("Connect"): what the check adds before the browser opens.
        let began = Instant::now();
        let result = match self.check_before_connect().await {
            Ok(()) => {
                let checked = began.elapsed();
                let started = self.start_attempt().await;
                if started.is_ok() {
                    tracing::info!(
                        "the sign-in page is ready (setup check {}, in all {})",
                        millis(checked),
                        millis(began.elapsed())
                    );
                }
                started
            }
            Err(e) => Err(e),
        };
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
        let Some(stored) = self.inner.store.pending_sign_in().await? else {
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
                .store
                .pending_sign_in()
                .await?
                .and_then(|text| PendingAuthorization::from_keychain(&text).ok()),
        };
        let closed = pending.map(|pending| ClosedAttempt {
            state_digest: state_digest(pending.state.secret()),
            ended: AttemptEnd::Cancelled,
        });
        self.inner.store.forget_pending_sign_in().await?;
        self.end_attempt();
        self.inner
            .store
            .update(|r| {
                r.end_wait(closed);
                r.last_error = None;
            })
            .await?;
        tracing::info!("sign-in cancelled");
        Ok(self.status())
    }

    /// Takes Kanka's answer, from a deep link or the loopback listener. An answer that belongs to
    /// no sign-in in progress changes nothing, reads no secret and shows only as a passing notice;
    /// a refused answer to the sign-in in progress is reported in the status. Either way it is
    /// returned as the error, and the stored connection is untouched.
    pub async fn handle_callback(&self, url: &str) -> Result<Status> {
        let signed_in = {
            // Held for the answer and the code exchange only: Cancel, Connect and another
            // answer wait for no profile request.
            let _gate = self.inner.callback_gate.lock().await;
            match self.claim(url).await {
                Ok(claimed) => self.complete_sign_in(claimed).await,
                Err(stray) if stray.code().is_stray_callback() => {
                    self.note(&stray);
                    return Err(stray);
                }
                // The sign-in in progress could not be read (a locked keychain): that is news.
                Err(e) => Err(e),
            }
        };
        let (token, exchange, storage) = match signed_in {
            Ok(signed_in) => signed_in,
            Err(e) => {
                self.report(&e).await;
                self.inner.changed.notify_one();
                return Err(e);
            }
        };
        // Signed in. Not knowing the account yet is not a failure: the timer asks again, after
        // the wait a rate limit asks for.
        let asked = Instant::now();
        match self.fetch_account(Some(token)).await {
            Ok(account) => tracing::info!(
                "signed in to Kanka as account {} (token request {}, keychain and status file {}, profile {})",
                account.id,
                millis(exchange),
                millis(storage),
                millis(asked.elapsed())
            ),
            Err(e) if e.code() == ErrorCode::AccountAlreadyConnected => {
                self.inner.changed.notify_one();
                return Err(e);
            }
            Err(e) => {
                tracing::warn!("signed in, but the profile is not known yet: {e}");
                self.schedule_retry(&e).await;
            }
        }
        // The timer looks again only now: it would ask for the profile a second time.
        self.inner.changed.notify_one();
        Ok(self.status())
    }

    /// Whether Kanka's answer `url` is for this connection's sign-in in progress (several
    /// connections: connections.rs hands an answer only to the one that waits for it, so its code
    /// goes only to that server's token endpoint). Reads the keychain only when the record says
    /// a sign-in started before a restart is waiting; a stray link reads no secret.
    pub async fn waits_for(&self, url: &str) -> bool {
        let Ok(callback) = callback::parse(url, &self.inner.config) else { return false };
        if let Some(pending) = self.inner.pending.lock().unwrap().as_ref() {
            return callback.state_matches(&pending.state);
        }
        let waiting = self.inner.store.latest().pending_until.is_some_and(|until| until > self.inner.clock.now());
        if !waiting {
            return false;
        }
        match self.inner.store.pending_sign_in().await {
            Ok(Some(stored)) => {
                PendingAuthorization::from_keychain(&stored).is_ok_and(|pending| callback.state_matches(&pending.state))
            }
            _ => false,
        }
    }

    /// Whether an answer belongs to the sign-in in progress, and which one. A refusal here is a
    /// stray answer ([`crate::ErrorCode::is_stray_callback`]), unless the keychain failed.
    async fn claim(&self, url: &str) -> Result<Claimed> {
        let callback = callback::parse(url, &self.inner.config)?;
        let digest = state_digest(callback.state());
        let pending = self.claim_pending(&callback, &digest).await?;
        Ok(Claimed { callback, pending, digest })
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
                if let Some(other) = self.inner.peers.get().and_then(|p| p.signing_in_on(&self.inner.scope, *port)) {
                    return Err(Error::SignInWaiting { address: config.redirect_uri.to_string(), other });
                }
                Some(loopback::bind(*host, *port).await?)
            }
            _ => None,
        };
        self.inner.store.save_pending_sign_in(pending.to_keychain()).await?;
        let attempt = self.end_attempt();
        self.inner
            .store
            .update(|r| {
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
        let _ = self.inner.store.forget_pending_sign_in().await;
        self.end_attempt();
        let expired = Error::AuthorizationExpired.info();
        if let Err(e) = self
            .inner
            .store
            .update(|r| {
                r.end_wait(digest.map(|state_digest| ClosedAttempt { state_digest, ended: AttemptEnd::Expired }));
                r.last_error = Some(expired);
            })
            .await
        {
            self.report(&e).await;
        }
    }

    /// Returns the new access token, and how long the token request and the storing took.
    async fn complete_sign_in(&self, claimed: Claimed) -> Result<(AccessToken, Duration, Duration)> {
        let Claimed { callback, pending, digest } = claimed;
        let config = &self.inner.config;
        // From here the attempt is spent, whatever Kanka answered.
        self.end_attempt();
        let answered = ClosedAttempt { state_digest: digest, ended: AttemptEnd::Answered };
        let spent = async {
            let forgotten = self.inner.store.forget_pending_sign_in().await;
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
            let guard = self.inner.store.lock().await?;
            // What the new pair replaces, read before Kanka issues it: should the keychain refuse
            // the pair, it is saved later only over this one (store/keep.rs). A keychain that cannot be
            // read fails here, before the code is spent.
            let replaces = self.inner.store.refresh_token().await?.map(|token| fingerprint(&token));
            let now = self.inner.clock.now();
            let requested = Instant::now();
            let grant =
                token_endpoint::exchange_code(&self.inner.http, config, &secret, code, pending.verifier, now).await?;
            let exchanged = Instant::now();
            let token = grant.access_token.clone();
            self.inner.store.store_grant(&guard, grant, replaces, None, Some(answered.clone())).await?;
            Ok((token, exchanged - requested, exchanged.elapsed()))
        };
        // The spent entry leaves the keychain while Kanka answers.
        let ((), result) = tokio::join!(spent, exchanged);
        if result.is_err() {
            self.inner.store.update(|r| r.end_wait(Some(answered))).await?;
        }
        result
    }

    /// The sign-in an answer belongs to, taken so it cannot be answered twice; refused (and
    /// left waiting) when the answer is for another one. The keychain is read only when the
    /// record says a sign-in is waiting (one started before a restart): a stray link reads no
    /// secret, so it cannot make the keychain ask to be unlocked.
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
        let record = self.inner.store.latest();
        let waiting = record.pending_until.is_some_and(|until| until > self.inner.clock.now());
        let refusal = || match &record.closed_attempt {
            Some(attempt) if attempt.state_digest == digest => attempt.refusal(),
            _ => Error::UnexpectedCallback,
        };
        if !waiting {
            return Err(refusal());
        }
        // Started before a restart: only the keychain knows it.
        let Some(stored) = self.inner.store.pending_sign_in().await? else {
            return Err(refusal());
        };
        let pending = PendingAuthorization::from_keychain(&stored)?;
        if !callback.state_matches(&pending.state) {
            return Err(Error::StateMismatch);
        }
        Ok(pending)
    }
}
