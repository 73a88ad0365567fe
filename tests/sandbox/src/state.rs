//! State shared by the handlers and the [`crate::Sandbox`] handle.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::config::SandboxConfig;
use crate::faults::{Fault, FaultQueue};
use crate::ratelimit::RateWindow;
use crate::stats::{Secrets, Stats};
use crate::store::{Issued, Store};
use crate::users::Users;

pub(crate) struct Shared {
    pub config: SandboxConfig,
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
    inner: Mutex<Inner>,
}

pub(crate) struct Inner {
    /// Lifetime of tokens issued from now on; starts as the configured one.
    pub token_lifetime: Duration,
    pub store: Store,
    pub stats: Stats,
    pub faults: FaultQueue,
    /// Laravel's throttle keys on the user: one window per account.
    pub rate: HashMap<u64, RateWindow>,
    pub users: Users,
    /// PKCE verifiers received, for [`Secrets`].
    pub verifiers: Vec<String>,
    /// The client's registered redirect URIs; start as the configured ones, and change as a
    /// user editing the client in Kanka would change them.
    pub redirect_uris: Vec<String>,
}

impl Shared {
    pub(crate) fn new(config: SandboxConfig, base_url: String) -> Shared {
        let inner = Inner {
            token_lifetime: config.token_lifetime,
            store: Store::default(),
            stats: Stats::default(),
            faults: FaultQueue::default(),
            rate: HashMap::new(),
            users: Users::new(&config.user_name),
            verifiers: Vec::new(),
            redirect_uris: config.redirect_uris.clone(),
        };
        Shared { config, base_url, inner: Mutex::new(inner) }
    }

    /// Handlers never hold the lock across an await, so a poisoned lock only
    /// means a handler panicked; its data is still usable.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn stats(&self) -> Stats {
        self.lock().stats.clone()
    }

    pub(crate) fn reset_stats(&self) {
        self.lock().stats = Stats::default();
    }

    pub(crate) fn inject(&self, fault: Fault) -> Result<(), String> {
        fault.check()?;
        self.lock().faults.push(fault);
        Ok(())
    }

    pub(crate) fn revoke(&self, user_id: Option<u64>) {
        self.lock().store.revoke(user_id);
    }

    pub(crate) fn sign_in(&self, id: u64, name: &str) {
        self.lock().users.sign_in(id, name);
    }

    pub(crate) fn set_token_lifetime(&self, lifetime: Duration) {
        self.lock().token_lifetime = lifetime;
    }

    pub(crate) fn set_redirect_uris(&self, uris: Vec<String>) {
        self.lock().redirect_uris = uris;
    }

    pub(crate) fn access_token_is_valid(&self, token: &str) -> bool {
        self.lock().store.access_token_user(token).is_some()
    }

    pub(crate) fn secrets(&self) -> Secrets {
        let inner = self.lock();
        let (codes, access_tokens, refresh_tokens) = inner.store.issued();
        Secrets {
            client_secret: self.config.client_secret.clone(),
            codes,
            code_verifiers: inner.verifiers.clone(),
            access_tokens,
            refresh_tokens,
        }
    }
}

impl Inner {
    /// Fresh tokens with the current lifetimes; the refresh token follows the
    /// access token lifetime unless one was configured.
    pub(crate) fn issue_tokens(&mut self, config: &SandboxConfig, client_id: &str, user_id: u64) -> Issued {
        let refresh = config.refresh_token_lifetime.unwrap_or(self.token_lifetime);
        self.store.issue_tokens(client_id, user_id, self.token_lifetime, refresh)
    }
}
