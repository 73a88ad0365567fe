//! The Secret Service (gnome-keyring, KeePassXC, KWallet's freedesktop service) as a keyring-core
//! store of our own, over libdbus (the `dbus` crate, a blocking connection: no executor threads).
//!
//! Why not `zbus-secret-service-keyring-store`: `kanka-link token` is called by other tools on
//! every run, and that store's session setup took ~8 ms of a ~19 ms command. Its Diffie-Hellman
//! (the `secret-service` crate, `session.rs` `powm`) is a bit-by-bit square-and-multiply on
//! `num-bigint` values; OpenSSL's `BN_mod_exp` does the same exchange in a fraction of a
//! millisecond. The transfer stays encrypted: the spec's point is to keep plain-text secrets out
//! of the bus daemon's memory and swap, and KWallet offers no `plain` session at all.
//!
//! The items are the ones the old store wrote, attributes `service` and `username` in the default
//! collection, so an upgrade reads and replaces them in place. The protocol is the freedesktop
//! Secret Service API 0.2: `OpenSession` with `dh-ietf1024-sha256-aes128-cbc-pkcs7` (RFC 2409's
//! 1024-bit group, HKDF-SHA256 without salt or info, AES-128-CBC with PKCS#7), `SearchItems`,
//! `Unlock` and its prompt, `GetSecrets`, `SetSecret`, `CreateItem` with `replace`, `Delete`.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use dbus::Path;
use dbus::arg::{PropMap, Variant};
use dbus::blocking::SyncConnection;
use dbus::message::MatchRule;
use keyring_core::api::{Credential, CredentialApi, CredentialStoreApi};
use keyring_core::{Entry, Error, Result};
use openssl::bn::{BigNum, BigNumContext};
use openssl::symm::Cipher;

const BUS_NAME: &str = "org.freedesktop.secrets";
const SERVICE_PATH: &str = "/org/freedesktop/secrets";
const SERVICE: &str = "org.freedesktop.Secret.Service";
const COLLECTION: &str = "org.freedesktop.Secret.Collection";
const ITEM: &str = "org.freedesktop.Secret.Item";
const PROMPT: &str = "org.freedesktop.Secret.Prompt";
const ALGORITHM: &str = "dh-ietf1024-sha256-aes128-cbc-pkcs7";
const CONTENT_TYPE: &str = "text/plain";
/// A keyring daemon that does not answer in this time is hung: the caller says so.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an unlock prompt may stay open: a person types a password.
const PROMPT_TIMEOUT: Duration = Duration::from_secs(120);

/// A secret on the wire: session, parameters (the AES IV), value, content type.
type WireSecret = (Path<'static>, Vec<u8>, Vec<u8>, String);

/// One connection and one encrypted session for the process. `Keychain` keeps the store and
/// makes a new one after a platform failure (the daemon restarted and the session is gone).
pub(crate) struct Store {
    session: Arc<Mutex<Session>>,
}

struct Session {
    bus: SyncConnection,
    path: Path<'static>,
    key: [u8; 16],
}

impl Store {
    pub(crate) fn new() -> Result<Arc<Store>> {
        let bus = super::session_bus().map_err(failure)?;
        let (path, key) = open_session(&bus)?;
        Ok(Arc::new(Store { session: Arc::new(Mutex::new(Session { bus, path, key })) }))
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretServiceStore")
    }
}

impl CredentialStoreApi for Store {
    fn vendor(&self) -> String {
        "Kanka Link: freedesktop Secret Service over libdbus".to_owned()
    }

    fn id(&self) -> String {
        format!("{:p}", Arc::as_ptr(&self.session))
    }

    fn build(&self, service: &str, user: &str, modifiers: Option<&HashMap<&str, &str>>) -> Result<Entry> {
        let label = match modifiers.and_then(|m| m.get("label")) {
            Some(label) => (*label).to_owned(),
            None => format!("{user}@{service}"),
        };
        Ok(Entry::new_with_credential(Arc::new(Item {
            session: self.session.clone(),
            service: service.to_owned(),
            user: user.to_owned(),
            label,
        })))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The item of one `service` and `username`, found anew at each call.
struct Item {
    session: Arc<Mutex<Session>>,
    service: String,
    user: String,
    label: String,
}

impl std::fmt::Debug for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Item").field("service", &self.service).field("user", &self.user).finish()
    }
}

impl Item {
    fn session(&self) -> Result<MutexGuard<'_, Session>> {
        self.session.lock().map_err(|_| failure("an earlier keychain call panicked"))
    }

    fn attributes(&self) -> HashMap<String, String> {
        HashMap::from([("service".to_owned(), self.service.clone()), ("username".to_owned(), self.user.clone())])
    }
}

impl CredentialApi for Item {
    fn set_secret(&self, secret: &[u8]) -> Result<()> {
        let session = self.session()?;
        let wire = session.encrypt(secret)?;
        match session.find(&self.attributes())?.as_slice() {
            [item] => {
                let () = session.call(item, ITEM, "SetSecret", (wire,))?;
                Ok(())
            }
            // None yet, or several (written by hand): one item replaces those with its attributes.
            _ => session.create(&self.label, self.attributes(), wire),
        }
    }

    fn get_secret(&self) -> Result<Vec<u8>> {
        let session = self.session()?;
        let items = session.find(&self.attributes())?;
        if items.is_empty() {
            return Err(Error::NoEntry);
        }
        let (secrets,): (HashMap<Path<'static>, WireSecret>,) =
            session.call(&service_path(), SERVICE, "GetSecrets", (items.clone(), session.path.clone()))?;
        let mut values = Vec::new();
        for item in &items {
            // Gone between the search and the read: as if never found.
            if let Some(wire) = secrets.get(item) {
                values.push(session.decrypt(wire)?);
            }
        }
        values.dedup();
        match values.len() {
            0 => Err(Error::NoEntry),
            1 => Ok(values.remove(0)),
            n => Err(Error::Invalid("username".to_owned(), format!("{n} keychain items with different secrets"))),
        }
    }

    fn delete_credential(&self) -> Result<()> {
        let session = self.session()?;
        let items = session.find(&self.attributes())?;
        if items.is_empty() {
            return Err(Error::NoEntry);
        }
        for item in &items {
            let (prompt,): (Path<'static>,) = session.call(item, ITEM, "Delete", ())?;
            session.prompt(&prompt)?;
        }
        Ok(())
    }

    fn get_credential(&self) -> Result<Option<Arc<Credential>>> {
        Ok(None)
    }

    fn get_specifiers(&self) -> Option<(String, String)> {
        Some((self.service.clone(), self.user.clone()))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Session {
    fn call<A: dbus::arg::AppendAll, R: dbus::arg::ReadAll>(
        &self,
        path: &Path<'static>,
        interface: &str,
        method: &str,
        args: A,
    ) -> Result<R> {
        self.bus
            .with_proxy(BUS_NAME, path.clone(), CALL_TIMEOUT)
            .method_call(interface, method, args)
            .map_err(bus_error)
    }

    /// The items with these attributes, unlocked (which may prompt the user).
    fn find(&self, attributes: &HashMap<String, String>) -> Result<Vec<Path<'static>>> {
        let (mut unlocked, locked): (Vec<Path<'static>>, Vec<Path<'static>>) =
            self.call(&service_path(), SERVICE, "SearchItems", (attributes.clone(),))?;
        if !locked.is_empty() {
            self.unlock(locked.clone())?;
            unlocked.extend(locked);
        }
        Ok(unlocked)
    }

    fn unlock(&self, objects: Vec<Path<'static>>) -> Result<()> {
        let (_, prompt): (Vec<Path<'static>>, Path<'static>) =
            self.call(&service_path(), SERVICE, "Unlock", (objects,))?;
        self.prompt(&prompt)
    }

    /// A new item in the default collection, replacing one with the same attributes.
    fn create(&self, label: &str, attributes: HashMap<String, String>, secret: WireSecret) -> Result<()> {
        let (collection,): (Path<'static>,) = self.call(&service_path(), SERVICE, "ReadAlias", ("default",))?;
        if &*collection == "/" {
            return Err(failure("the Secret Service has no default keyring"));
        }
        let create = || -> Result<Path<'static>> {
            let mut properties = PropMap::new();
            properties.insert(format!("{ITEM}.Label"), Variant(Box::new(label.to_owned())));
            properties.insert(format!("{ITEM}.Attributes"), Variant(Box::new(attributes.clone())));
            let (_item, prompt): (Path<'static>, Path<'static>) =
                self.call(&collection, COLLECTION, "CreateItem", (properties, secret.clone(), true))?;
            Ok(prompt)
        };
        let prompt = match create() {
            // A locked collection: unlocked (the user may be asked), then once more.
            Err(Error::NoStorageAccess(_)) => {
                self.unlock(vec![collection.clone()])?;
                create()?
            }
            result => result?,
        };
        self.prompt(&prompt)
    }

    /// Shows a prompt the service asks for ("/" is none) and waits for the user's answer.
    fn prompt(&self, prompt: &Path<'static>) -> Result<()> {
        if &**prompt == "/" {
            return Ok(());
        }
        let answer: Arc<Mutex<Option<bool>>> = Arc::default();
        let seen = answer.clone();
        let rule = MatchRule::new_signal(PROMPT, "Completed").with_path(prompt.clone());
        let token = self
            .bus
            .add_match(rule, move |(dismissed,): (bool,), _, _| {
                *seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(dismissed);
                false
            })
            .map_err(bus_error)?;
        let result = self.call::<_, ()>(prompt, PROMPT, "Prompt", ("",)).and_then(|()| {
            let deadline = Instant::now() + PROMPT_TIMEOUT;
            loop {
                if let Some(dismissed) = *answer.lock().unwrap_or_else(|e| e.into_inner()) {
                    return if dismissed { Err(no_access("the keychain prompt was dismissed")) } else { Ok(()) };
                }
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(no_access("nobody answered the keychain prompt"));
                }
                self.bus.process(left.min(Duration::from_millis(500))).map_err(bus_error)?;
            }
        });
        let _ = self.bus.remove_match(token);
        result
    }

    fn encrypt(&self, secret: &[u8]) -> Result<WireSecret> {
        let mut iv = [0u8; 16];
        openssl::rand::rand_bytes(&mut iv).map_err(failure)?;
        let value = openssl::symm::encrypt(Cipher::aes_128_cbc(), &self.key, Some(&iv), secret).map_err(failure)?;
        Ok((self.path.clone(), iv.to_vec(), value, CONTENT_TYPE.to_owned()))
    }

    fn decrypt(&self, (_, iv, value, _): &WireSecret) -> Result<Vec<u8>> {
        if iv.len() != 16 {
            return Err(failure("the Secret Service sent a secret without a valid IV"));
        }
        openssl::symm::decrypt(Cipher::aes_128_cbc(), &self.key, Some(iv), value)
            .map_err(|_| failure("a secret from the Secret Service did not decrypt"))
    }
}

/// `OpenSession` with a Diffie-Hellman exchange: our public key in, the service's out, and the
/// AES key both derive from the shared secret.
fn open_session(bus: &SyncConnection) -> Result<(Path<'static>, [u8; 16])> {
    let prime = BigNum::get_rfc2409_prime_1024().map_err(failure)?;
    let generator = BigNum::from_u32(2).map_err(failure)?;
    let mut context = BigNumContext::new().map_err(failure)?;
    let mut private = [0u8; 128];
    openssl::rand::rand_bytes(&mut private).map_err(failure)?;
    let private = BigNum::from_slice(&private).map_err(failure)?;
    let mut public = BigNum::new().map_err(failure)?;
    public.mod_exp(&generator, &private, &prime, &mut context).map_err(failure)?;
    let proxy = bus.with_proxy(BUS_NAME, SERVICE_PATH, CALL_TIMEOUT);
    let (output, path): (Variant<Vec<u8>>, Path<'static>) =
        proxy.method_call(SERVICE, "OpenSession", (ALGORITHM, Variant(public.to_vec()))).map_err(bus_error)?;
    let theirs = BigNum::from_slice(&output.0).map_err(failure)?;
    // 1 < theirs < p - 1: anything else would make the shared secret guessable.
    let mut highest = BigNum::new().map_err(failure)?;
    highest.checked_sub(&prime, BigNum::from_u32(1).map_err(failure)?.as_ref()).map_err(failure)?;
    if theirs <= *BigNum::from_u32(1).map_err(failure)? || theirs >= highest {
        return Err(failure("the Secret Service sent an unusable public key"));
    }
    let mut shared = BigNum::new().map_err(failure)?;
    shared.mod_exp(&theirs, &private, &prime, &mut context).map_err(failure)?;
    let shared = shared.to_vec_padded(128).map_err(failure)?;
    Ok((path, derive_key(&shared)?))
}

/// HKDF-SHA256 without salt or info, 16 bytes: the spec's key for AES-128.
fn derive_key(shared: &[u8]) -> Result<[u8; 16]> {
    use openssl::md::Md;
    use openssl::pkey::Id;
    use openssl::pkey_ctx::PkeyCtx;
    let mut key = [0u8; 16];
    let mut hkdf = PkeyCtx::new_id(Id::HKDF).map_err(failure)?;
    hkdf.derive_init().map_err(failure)?;
    hkdf.set_hkdf_md(Md::sha256()).map_err(failure)?;
    hkdf.set_hkdf_key(shared).map_err(failure)?;
    hkdf.derive(Some(&mut key)).map_err(failure)?;
    Ok(key)
}

fn service_path() -> Path<'static> {
    Path::from(SERVICE_PATH)
}

/// D-Bus errors in keyring-core's terms: locked or refused is no access (the user can fix it),
/// a vanished item is no entry, anything else (no bus, no service, a lost session) a platform
/// failure, after which `Keychain` connects anew.
fn bus_error(error: dbus::Error) -> Error {
    let detail = error.message().unwrap_or("the Secret Service failed").to_owned();
    match error.name() {
        Some("org.freedesktop.Secret.Error.IsLocked") => no_access(detail),
        Some("org.freedesktop.Secret.Error.NoSuchObject") => Error::NoEntry,
        Some("org.freedesktop.DBus.Error.AccessDenied") => no_access(detail),
        _ => failure(detail),
    }
}

fn failure(detail: impl ToString) -> Error {
    Error::PlatformFailure(detail.to_string().into())
}

fn no_access(detail: impl ToString) -> Error {
    Error::NoStorageAccess(detail.to_string().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hkdf_gives_the_rfc_5869_answer() {
        // RFC 5869, A.3: SHA-256, 22 bytes of 0x0b, no salt, no info; the first 16 bytes of OKM.
        let key = derive_key(&[0x0b; 22]).unwrap();
        let expected = [0x8d, 0xa4, 0xe7, 0x75, 0xa5, 0x63, 0xc1, 0x8f, 0x71, 0x5f, 0x80, 0x2a, 0x06, 0x3c, 0x5a, 0x31];
        assert_eq!(key, expected);
    }
}
