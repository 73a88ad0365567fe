//! The Kanka accounts the sandbox knows, and which one is signed in at the browser.
//!
//! Kanka's consent page acts for whoever is signed in to app.kanka.io in the browser
//! (Passport's `AuthorizationController::authorize` takes `$request->user()`), so a second
//! account is reached by signing out and in as another user, which is what
//! [`Users::sign_in`] stands for. Codes and tokens remember their user, and the API answers
//! for the token's user, never for whoever is signed in now.

use crate::config::USER_ID;

/// One Kanka account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct User {
    pub id: u64,
    pub name: String,
}

#[derive(Debug)]
pub(crate) struct Users {
    known: Vec<User>,
    /// Index into `known`: the browser's signed-in account.
    signed_in: usize,
}

impl Users {
    /// The configured account, signed in.
    pub(crate) fn new(name: &str) -> Users {
        Users { known: vec![User { id: USER_ID, name: name.to_owned() }], signed_in: 0 }
    }

    /// Signs the browser in as `id`, creating the account (or renaming it, as editing one's
    /// profile in Kanka would) on the way.
    pub(crate) fn sign_in(&mut self, id: u64, name: &str) {
        match self.known.iter().position(|u| u.id == id) {
            Some(index) => {
                self.known[index].name = name.to_owned();
                self.signed_in = index;
            }
            None => {
                self.known.push(User { id, name: name.to_owned() });
                self.signed_in = self.known.len() - 1;
            }
        }
    }

    /// Who approves a consent shown now.
    pub(crate) fn signed_in(&self) -> &User {
        &self.known[self.signed_in]
    }

    /// The account a code or token was issued to. Accounts are never deleted, so a token's
    /// user is always known; the first account stands in should that ever change.
    pub(crate) fn get(&self, id: u64) -> &User {
        self.known.iter().find(|u| u.id == id).unwrap_or(&self.known[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_in_adds_an_account_once_and_switches_to_it() {
        let mut users = Users::new("Sandbox Sage");
        assert_eq!(users.signed_in(), &User { id: USER_ID, name: "Sandbox Sage".into() });
        users.sign_in(5678, "Second Player");
        assert_eq!(users.signed_in().id, 5678);
        users.sign_in(USER_ID, "Sandbox Sage");
        assert_eq!(users.signed_in().id, USER_ID);
        users.sign_in(5678, "Renamed");
        assert_eq!(users.signed_in().name, "Renamed");
        assert_eq!(users.known.len(), 2);
        assert_eq!(users.get(5678).name, "Renamed");
    }
}
