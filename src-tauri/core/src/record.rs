//! What Kanka Link remembers about a connection besides its secrets: a small JSON file in the
//! data dir, one per Kanka server and client, read by every process (window and command line)
//! and written only under the connection lock.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use oauth2::RefreshToken;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::api::Account;
use crate::error::{Error, ErrorInfo, Result, json_problem};
use crate::files;
use crate::lock::LockGuard;

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
}

impl Record {
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
    pub fn refresh_at(&self) -> DateTime<Utc> {
        let lifetime = self.expires_at - self.refreshed_at;
        self.refreshed_at + lifetime * 3 / 4
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

pub fn lifetime_end(now: DateTime<Utc>, lifetime: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::MAX)
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
        let record: Record =
            serde_json::from_slice(&bytes).map_err(|e| self.failed(format!("it is damaged ({})", json_problem(&e))))?;
        if record.version > FORMAT_VERSION {
            return Err(self.failed("it was written by a newer Kanka Link".to_owned()));
        }
        Ok(record)
    }

    /// Only under the connection lock, so two processes never interleave their changes.
    pub fn save(&self, _lock: &LockGuard<'_>, record: &Record) -> Result<()> {
        let record = Record { version: FORMAT_VERSION, ..record.clone() };
        let json = serde_json::to_vec_pretty(&record).expect("a record serialises");
        files::write_atomically(&self.path, &json)
    }

    pub fn remove(&self, _lock: &LockGuard<'_>) -> Result<()> {
        files::remove(&self.path)
    }

    fn failed(&self, detail: String) -> Error {
        Error::Storage { path: self.path.clone(), detail }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
