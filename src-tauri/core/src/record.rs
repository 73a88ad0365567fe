//! What Kanka Link remembers about a connection besides its secrets: a small JSON file in the
//! data dir, one per Kanka server and client, read by every process (window and command line)
//! and written only under the connection lock.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Datelike, TimeDelta, Utc};
use oauth2::RefreshToken;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::api::Account;
use crate::error::{Error, ErrorInfo, Result, Stored, json_problem};
use crate::files;
use crate::lock::LockGuard;
use crate::token_endpoint::MAX_LIFETIME;

const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    #[serde(default)]
    pub version: u32,
    pub connection: Option<Connection>,
    /// A sign-in is waiting for Kanka's answer until then; its secrets are in the keychain.
    pub pending_until: Option<DateTime<Utc>>,
    pub last_error: Option<ErrorInfo>,
    /// The last sign-in attempt that ended, to explain an answer that arrives for it later.
    pub closed_attempt: Option<ClosedAttempt>,
    /// Written just before a refresh request: the fingerprint of the refresh token it sends.
    /// Cleared once the answer is kept. Still there after a crash, it says the outcome is unknown.
    pub refresh_sent: Option<String>,
    /// A digest of the last settings the setup check passed (check.rs, `settings_digest`): a
    /// Connect with them goes ahead when the check gets no answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_passed: Option<String>,
    /// The state that needs the user which a desktop notification last announced (notify.rs), so
    /// it is announced once, not at every start; cleared when the connection is fine again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notified: Option<Attention>,
}

/// What about a connection needs the user, as a desktop notification announced it (notify.rs).
/// Stored in the record (`notified`): no secret in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attention {
    /// Kanka no longer accepts the tokens (or they were lost): only a sign-in helps.
    ReconnectNeeded,
    /// Kanka renewed the tokens and the keychain did not take them (store/keep.rs).
    TokensNotSaved,
    /// The token expires soon and no refresh has succeeded since one was due.
    ExpiringSoon,
}

impl Record {
    /// The file's contents, checked. The error says in words why they are refused.
    pub(crate) fn parse(bytes: &[u8]) -> std::result::Result<Record, String> {
        let record: Record =
            serde_json::from_slice(bytes).map_err(|e| format!("it is damaged ({})", json_problem(&e)))?;
        if record.version > FORMAT_VERSION {
            return Err("it was written by a newer Kanka Link".to_owned());
        }
        record.check_dates().map_err(|problem| format!("it is damaged ({problem})"))?;
        Ok(record)
    }

    /// Refuses dates no Kanka Link writes, rather than acting on them: every date here is a clock
    /// reading, or one plus a lifetime that `token_endpoint` bounds. Believed, a date at chrono's
    /// limits or an expiry centuries away would keep a dead token unrefreshed for good, and an
    /// expiry before the pair was issued says the file is not what it claims. A refused file
    /// shows as a storage error; signing in again writes a good one.
    fn check_dates(&self) -> std::result::Result<(), &'static str> {
        let mut dates = self.connection.iter().flat_map(|c| [c.refreshed_at, c.expires_at]).chain(self.pending_until);
        // RFC 3339, the file's format, has four-digit years; chrono also reads and writes others.
        if dates.any(|date| !(0..=9999).contains(&date.year())) {
            return Err("a date outside the years 0 to 9999");
        }
        if let Some(c) = &self.connection {
            let lifetime = c.expires_at - c.refreshed_at;
            if lifetime < TimeDelta::zero() {
                return Err("the token expires before it was issued");
            }
            if lifetime.to_std().is_ok_and(|lifetime| lifetime > MAX_LIFETIME) {
                return Err("the token lives longer than any Kanka Link believes");
            }
        }
        Ok(())
    }

    /// The sign-in wait is over. How it ended, when known, explains a late answer to it.
    pub fn end_wait(&mut self, closed: Option<ClosedAttempt>) {
        self.pending_until = None;
        self.closed_attempt = closed.or(self.closed_attempt.take());
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedAttempt {
    /// A one-way digest of its `state`.
    pub state_digest: String,
    pub ended: AttemptEnd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptEnd {
    Answered,
    Expired,
    Cancelled,
}

impl ClosedAttempt {
    /// Why an answer for this attempt is refused now.
    pub fn refusal(&self) -> Error {
        match self.ended {
            AttemptEnd::Answered => Error::ReplayedCallback,
            AttemptEnd::Expired => Error::ExpiredCallback,
            AttemptEnd::Cancelled => Error::AbandonedCallback,
        }
    }
}

/// The token pair in the keychain, described.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub account: Option<Account>,
    /// When this pair was obtained (by sign-in or refresh).
    pub refreshed_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub reconnect_needed: bool,
    /// Which refresh token this describes: a crash between the keychain write and this file's
    /// write leaves them apart, and then the keychain is right.
    pub fingerprint: String,
    /// The API the tokens were issued for: they are sent nowhere else. Missing in files written
    /// before 0.2, where the first check binds it to the API configured then.
    #[serde(default)]
    pub api_url: Option<url::Url>,
}

impl Connection {
    /// Three quarters into the token's life: early enough to survive a few failed attempts.
    /// Always between `refreshed_at` and `expires_at`; at `refreshed_at` (due at once, so a
    /// refresh replaces the pair) if the expiry is not after it, which a loaded file never has.
    pub fn refresh_at(&self) -> DateTime<Utc> {
        // The difference of two dates fits a TimeDelta with room to spare (chrono's range is
        // about ±262,000 years, a TimeDelta's about ±292 million), so these only fail for a
        // negative lifetime, and then the checked forms say so instead of panicking.
        let lifetime = (self.expires_at - self.refreshed_at).max(TimeDelta::zero());
        lifetime
            .checked_mul(3)
            .and_then(|l| l.checked_div(4))
            .and_then(|l| self.refreshed_at.checked_add_signed(l))
            .unwrap_or(self.refreshed_at)
    }

    pub fn describes(&self, refresh_token: &RefreshToken) -> bool {
        self.fingerprint == fingerprint(refresh_token)
    }
}

/// A digest that identifies a refresh token without revealing it.
pub fn fingerprint(refresh_token: &RefreshToken) -> String {
    let digest = Sha256::digest(refresh_token.secret().as_bytes());
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// When a pair obtained at `now` expires. The lifetime is taken as at most [`MAX_LIFETIME`] (what
/// `token_endpoint` believes), so loading never refuses what this wrote. Past chrono's last date
/// (a clock reading there is not a real one) it saturates rather than panicking.
pub fn lifetime_end(now: DateTime<Utc>, lifetime: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(lifetime.min(MAX_LIFETIME))
        .ok()
        .and_then(|lifetime| now.checked_add_signed(lifetime))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[derive(Debug)]
pub struct RecordFile {
    path: PathBuf,
}

impl RecordFile {
    pub fn new(path: PathBuf) -> RecordFile {
        RecordFile { path }
    }

    #[cfg(test)]
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// A missing file is a fresh start; a damaged one is an error that names the file.
    pub fn load(&self) -> Result<Record> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Record::default()),
            Err(e) => return Err(self.failed(e.to_string())),
        };
        Record::parse(&bytes).map_err(|detail| self.failed(detail))
    }

    /// Only under the connection lock, so two processes never interleave their changes.
    pub fn save(&self, _lock: &LockGuard<'_>, record: &Record) -> Result<()> {
        let record = Record { version: FORMAT_VERSION, ..record.clone() };
        let json = serde_json::to_vec_pretty(&record).expect("a record serialises");
        files::write_atomically(Stored::StatusFile, &self.path, &json)
    }

    pub fn remove(&self, _lock: &LockGuard<'_>) -> Result<()> {
        files::remove(Stored::StatusFile, &self.path)
    }

    fn failed(&self, detail: String) -> Error {
        Error::Storage { what: Stored::StatusFile, path: Some(self.path.clone()), detail }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(timestamp: i64, nanos: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(timestamp, nanos).expect("a timestamp within chrono's range")
    }

    /// Any date chrono can hold, with its first and last days and the present weighted in.
    pub(crate) fn any_date() -> impl Strategy<Value = DateTime<Utc>> {
        let (min, max) = (DateTime::<Utc>::MIN_UTC.timestamp(), DateTime::<Utc>::MAX_UTC.timestamp());
        prop_oneof![
            (min..=max, 0..1_000_000_000u32).prop_map(|(s, n)| at(s, n)),
            (1_700_000_000..1_900_000_000i64).prop_map(|s| at(s, 0)),
            (0..400 * 86_400i64).prop_map(move |s| at(max - s, 999_999_999)),
            (0..400 * 86_400i64).prop_map(move |s| at(min + s, 0)),
            Just(DateTime::<Utc>::MIN_UTC),
            Just(DateTime::<Utc>::MAX_UTC),
        ]
    }

    /// A connection with any dates, as a damaged or hostile file may hold.
    pub(crate) fn any_connection() -> impl Strategy<Value = Connection> {
        (any_date(), any_date(), any::<bool>()).prop_map(|(refreshed_at, expires_at, reconnect_needed)| Connection {
            account: None,
            refreshed_at,
            expires_at,
            reconnect_needed,
            fingerprint: "f".repeat(24),
            api_url: None,
        })
    }

    fn file_with(refreshed_at: &str, expires_at: &str) -> Vec<u8> {
        let connection = serde_json::json!({
            "account": null, "refreshed_at": refreshed_at, "expires_at": expires_at,
            "reconnect_needed": false, "fingerprint": "f",
        });
        serde_json::to_vec(&serde_json::json!({ "version": 1, "connection": connection })).unwrap()
    }

    proptest! {
        #[test]
        fn lifetime_end_never_panics_and_adds_at_most_the_believed_lifetime(
            now in any_date(), secs in any::<u64>(), nanos in 0..1_000_000_000u32,
        ) {
            let lifetime = Duration::new(secs, nanos);
            let end = lifetime_end(now, lifetime);
            let added = (end - now).to_std().ok();
            prop_assert!(added.is_some_and(|added| added <= lifetime.min(MAX_LIFETIME)), "{now} + {lifetime:?} = {end}");
            if end != DateTime::<Utc>::MAX_UTC {
                prop_assert_eq!(added, Some(lifetime.min(MAX_LIFETIME)));
            }
        }

        #[test]
        fn refresh_at_never_panics_and_lies_within_the_lifetime(connection in any_connection()) {
            let due = connection.refresh_at();
            if connection.expires_at >= connection.refreshed_at {
                prop_assert!(connection.refreshed_at <= due && due <= connection.expires_at, "{connection:?}: {due}");
            } else {
                prop_assert_eq!(due, connection.refreshed_at);
            }
        }

        /// Dates as chrono writes them (years past 9999 with a sign) and as anything may write them.
        #[test]
        fn loading_never_panics_and_accepts_only_possible_dates(
            refreshed_at in any_date(), expires_at in any_date(), pending_until in proptest::option::of(any_date()),
            junk in "\\PC{0,40}", junk_in in 0..4u8,
        ) {
            let text = |date: DateTime<Utc>| serde_json::to_value(date).unwrap();
            let mut connection = serde_json::json!({
                "account": null, "refreshed_at": text(refreshed_at), "expires_at": text(expires_at),
                "reconnect_needed": false, "fingerprint": "f",
            });
            let mut pending = pending_until.map(text);
            match junk_in {
                0 => connection["refreshed_at"] = junk.clone().into(),
                1 => connection["expires_at"] = junk.clone().into(),
                2 => pending = Some(junk.clone().into()),
                _ => {}
            }
            let file = serde_json::json!({ "version": 1, "connection": connection, "pending_until": pending });
            let Ok(record) = Record::parse(&serde_json::to_vec(&file).unwrap()) else { return Ok(()) };
            let c = record.connection.as_ref().unwrap();
            let dates = [Some(c.refreshed_at), Some(c.expires_at), record.pending_until];
            prop_assert!(dates.iter().flatten().all(|d| (0..=9999).contains(&d.year())), "{record:?}");
            prop_assert!((c.expires_at - c.refreshed_at).to_std().is_ok_and(|l| l <= MAX_LIFETIME), "{record:?}");
            if junk_in == 3 {
                let possible = |d: DateTime<Utc>| (0..=9999).contains(&d.year());
                prop_assert!(possible(refreshed_at) && possible(expires_at) && pending_until.is_none_or(possible));
            }
        }

        #[test]
        fn loading_never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = Record::parse(&bytes);
        }
    }

    #[test]
    fn impossible_dates_are_refused_as_damage_and_possible_ones_kept() {
        // Each read as a date (chrono reads six-digit years with a sign), then refused for it.
        let refused = |refreshed: &str, expires: &str, why: &str| {
            let err = Record::parse(&file_with(refreshed, expires)).unwrap_err();
            assert_eq!(err, format!("it is damaged ({why})"), "{refreshed} {expires}");
        };
        let (outside, before, too_long) = (
            "a date outside the years 0 to 9999",
            "the token expires before it was issued",
            "the token lives longer than any Kanka Link believes",
        );
        refused("2026-11-27T12:00:00Z", "2026-11-27T11:59:59Z", before);
        refused("-262143-01-01T00:00:00Z", "+262142-12-31T23:59:59.999999999Z", outside);
        refused("+262142-12-31T23:59:59.999999999Z", "+262142-12-31T23:59:59.999999999Z", outside);
        refused("-0001-12-31T23:59:59Z", "2026-11-27T12:00:00Z", outside);
        refused("2026-11-27T12:00:00Z", "9999-12-31T23:59:59Z", too_long);
        refused("9999-12-31T23:00:00Z", "+10000-01-01T00:00:00Z", outside);
        let kept = |refreshed: &str, expires: &str| Record::parse(&file_with(refreshed, expires)).unwrap();
        kept("2026-11-27T12:00:00Z", "2027-11-27T12:00:00Z");
        kept("2026-11-27T12:00:00Z", "2026-11-27T12:00:00Z");
        let start = at(1_795_000_000, 0);
        kept(&start.to_rfc3339(), &lifetime_end(start, Duration::MAX).to_rfc3339());
        let pending = serde_json::json!({ "version": 1, "pending_until": "+262142-12-31T23:59:59Z" });
        assert_eq!(Record::parse(&serde_json::to_vec(&pending).unwrap()), Err(format!("it is damaged ({outside})")));
    }

    #[test]
    fn a_refused_file_is_reported_with_its_path() {
        let dir = crate::files::tests::temp_dir("record-dates");
        let file = RecordFile::new(dir.join("connection.json"));
        std::fs::write(file.path(), file_with("2026-11-27T12:00:00Z", "2020-01-01T00:00:00Z")).unwrap();
        let err = file.load().unwrap_err();
        assert!(matches!(err, Error::Storage { .. }), "{err:?}");
        assert!(err.to_string().contains("connection.json") && err.to_string().contains("expires before"), "{err}");
    }

    #[test]
    fn refresh_is_due_three_quarters_into_the_lifetime() {
        let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().with_timezone(&Utc);
        let connection = |secs: u64| Connection {
            account: None,
            refreshed_at: start,
            expires_at: lifetime_end(start, Duration::from_secs(secs)),
            reconnect_needed: false,
            fingerprint: String::new(),
            api_url: None,
        };
        assert_eq!(connection(40).refresh_at(), start + chrono::Duration::seconds(30));
        // Kanka's one-year tokens: refreshed after about nine months.
        assert_eq!(connection(31_536_000).refresh_at(), start + chrono::Duration::seconds(23_652_000));
    }

    #[test]
    fn fingerprints_identify_without_revealing() {
        let token = RefreshToken::new("def50200abcdef".to_owned());
        let print = fingerprint(&token);
        assert_eq!(print.len(), 24);
        assert!(!print.contains("def50200"));
        assert_ne!(print, fingerprint(&RefreshToken::new("def50200abcdeg".to_owned())));
    }

    #[test]
    fn a_damaged_file_is_reported_with_its_path() {
        let dir = crate::files::tests::temp_dir("record");
        let file = RecordFile::new(dir.join("connection.json"));
        assert_eq!(file.load().unwrap(), Record::default());
        std::fs::write(file.path(), b"{\"connection\": {").unwrap();
        let err = file.load().unwrap_err();
        assert!(err.to_string().contains("connection.json") && err.to_string().contains("damaged"), "{err}");
    }
}
