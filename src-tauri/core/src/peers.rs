//! What each connection of a [`crate::Connections`] knows of the others: which Kanka account each
//! one holds on which server. Kanka's consent page signs in whoever is signed in to Kanka in the
//! browser, and skips the question when that account already authorised the client (Passport's
//! `AuthorizationController::authorize`), so "Connect another account" with the browser still
//! signed in as the first account hands back the first account at once. The sign-in that lands on
//! an account another connection holds is refused (connect.rs) instead of making a second,
//! ambiguous connection of it.
//!
//! Two sign-ins with one `localhost` redirect (two accounts of one client, say) cannot both
//! listen on its port; the second is told which sign-in holds it, rather than that "another
//! program" does.
//!
//! Peers hold status receivers only, never an engine: no engine keeps another alive.

use std::sync::Mutex;

use tokio::sync::watch;

use crate::api::Account;
use crate::status::{State, Status};

struct Peer {
    /// The connection's keychain scope: unique among connections.
    scope: String,
    /// Its Kanka address, without a trailing slash.
    server: String,
    /// The port of its `localhost` redirect, if it has one.
    loopback_port: Option<u16>,
    status: watch::Receiver<Status>,
}

/// The connections of one `Connections`, shared by their engines.
#[derive(Default)]
pub(crate) struct Peers {
    list: Mutex<Vec<Peer>>,
    /// Held from asking whether an account is free to recording it as this connection's: two
    /// sign-ins of one account that finish together cannot both find it free.
    claim: tokio::sync::Mutex<()>,
}

impl Peers {
    pub(crate) fn join(&self, scope: &str, server: &str, loopback_port: Option<u16>, status: watch::Receiver<Status>) {
        let mut list = self.list.lock().unwrap();
        list.retain(|p| p.scope != scope);
        list.push(Peer { scope: scope.to_owned(), server: server.to_owned(), loopback_port, status });
    }

    /// One claim of an account at a time (account.rs): the guard is held until the account is in
    /// the claimant's status, or its grant refused.
    pub(crate) async fn claim(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.claim.lock().await
    }

    pub(crate) fn leave(&self, scope: &str) {
        self.list.lock().unwrap().retain(|p| p.scope != scope);
    }

    /// The account `id` on `server` as another connection than `me` holds it (signed in, or
    /// waiting for a new sign-in of that account).
    pub(crate) fn holding(&self, me: &str, server: &str, id: u64) -> Option<Account> {
        let list = self.list.lock().unwrap();
        list.iter()
            .filter(|p| p.scope != me && p.server == server)
            .find_map(|p| p.status.borrow().account.clone().filter(|a| a.id == id))
    }

    /// Another connection's sign-in in progress that listens on loopback `port`, described for a
    /// message: the account it reconnects, else its Kanka.
    pub(crate) fn signing_in_on(&self, me: &str, port: u16) -> Option<String> {
        let list = self.list.lock().unwrap();
        let peer = list
            .iter()
            .find(|p| p.scope != me && p.loopback_port == Some(port) && p.status.borrow().state == State::Connecting)?;
        let status = peer.status.borrow();
        Some(match &status.account {
            Some(account) => format!("{}'s, on {}", account.name, peer.server),
            None => format!("a new connection's, on {}", peer.server),
        })
    }
}
