//! The status: one struct, derived from the record and what the engine is doing right now, and
//! the single source for the window and the command line.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::api::Account;
use crate::error::{Error, ErrorInfo};
use crate::record::Record;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum State {
    Disconnected,
    Connecting,
    Connected,
    Refreshing,
    ReconnectNeeded,
    Error,
}

/// One full snapshot; RFC 3339 times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Status {
    pub state: State,
    pub account: Option<Account>,
    pub expires_at: Option<DateTime<Utc>>,
    pub refreshed_at: Option<DateTime<Utc>>,
    pub next_refresh_at: Option<DateTime<Utc>>,
    /// When a failed attempt (a refresh, saving a pair, asking for the profile) is tried again,
    /// so a message can say when. `None` while nothing waits for a retry.
    #[serde(default)]
    pub retry_at: Option<DateTime<Utc>>,
    pub last_error: Option<ErrorInfo>,
    /// News that changes nothing and passes (a `kanka-link:` link that answered no sign-in). Kept
    /// in memory only, for a short while; never in the status file.
    #[serde(default)]
    pub notice: Option<ErrorInfo>,
}

/// What the engine is doing that the record does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Activity {
    #[default]
    Idle,
    Refreshing,
    /// A refresh failed for a passing reason and is tried again then.
    RetryAt(DateTime<Utc>),
}

impl Status {
    pub(crate) fn derive(record: &Record, activity: Activity, now: DateTime<Utc>) -> Status {
        let connection = record.connection.as_ref();
        let pending = record.pending_until.is_some_and(|until| until > now);
        let blocked = record.last_error.as_ref().is_some_and(|e| e.code.blocks_operation());
        let failed = record.last_error.as_ref().is_some_and(|e| !e.code.is_refused_callback());
        let state = match connection {
            _ if activity == Activity::Refreshing => State::Refreshing,
            _ if pending => State::Connecting,
            _ if blocked => State::Error,
            Some(c) if c.reconnect_needed => State::ReconnectNeeded,
            Some(_) => State::Connected,
            None if failed => State::Error,
            None => State::Disconnected,
        };
        let next_refresh_at = match (connection, activity) {
            (Some(c), _) if c.reconnect_needed => None,
            (Some(_), Activity::RetryAt(at)) => Some(at),
            (Some(c), _) => Some(c.refresh_at()),
            (None, _) => None,
        };
        Status {
            state,
            account: connection.and_then(|c| c.account.clone()),
            expires_at: connection.map(|c| c.expires_at),
            refreshed_at: connection.map(|c| c.refreshed_at),
            next_refresh_at,
            retry_at: match activity {
                Activity::RetryAt(at) => Some(at),
                _ => None,
            },
            // A reconnect always says why and to whom, in the core's words, even when the record
            // kept no error (the window shows the error, never wording of its own).
            last_error: record.last_error.clone().or_else(|| {
                (state == State::ReconnectNeeded).then(|| {
                    let account = connection.and_then(|c| c.account.as_ref()).map(|a| a.name.clone());
                    Error::ReconnectNeeded { account, reason: String::new() }.info()
                })
            }),
            notice: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::record::Connection;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-27T12:00:00Z").unwrap().with_timezone(&Utc)
    }

    fn connected() -> Record {
        Record {
            connection: Some(Connection {
                account: Some(Account { id: 1, name: "Ada".to_owned() }),
                refreshed_at: now(),
                expires_at: now() + chrono::Duration::seconds(400),
                reconnect_needed: false,
                fingerprint: "f".to_owned(),
                api_url: None,
            }),
            ..Record::default()
        }
    }

    #[test]
    fn states_follow_the_record() {
        assert_eq!(Status::derive(&Record::default(), Activity::Idle, now()).state, State::Disconnected);
        let status = Status::derive(&connected(), Activity::Idle, now());
        assert_eq!(status.state, State::Connected);
        assert_eq!(status.next_refresh_at, Some(now() + chrono::Duration::seconds(300)));
        assert_eq!(status.account.unwrap().name, "Ada");
        assert_eq!(Status::derive(&connected(), Activity::Refreshing, now()).state, State::Refreshing);
        let retry = now() + chrono::Duration::seconds(2);
        assert_eq!(Status::derive(&connected(), Activity::RetryAt(retry), now()).next_refresh_at, Some(retry));
        assert_eq!(Status::derive(&connected(), Activity::RetryAt(retry), now()).retry_at, Some(retry));
        assert_eq!(Status::derive(&Record::default(), Activity::RetryAt(retry), now()).retry_at, Some(retry));
        assert_eq!(Status::derive(&connected(), Activity::Idle, now()).retry_at, None);
    }

    #[test]
    fn a_pending_sign_in_shows_until_it_expires() {
        let record = Record { pending_until: Some(now() + chrono::Duration::seconds(1)), ..Record::default() };
        assert_eq!(Status::derive(&record, Activity::Idle, now()).state, State::Connecting);
        assert_eq!(
            Status::derive(&record, Activity::Idle, now() + chrono::Duration::seconds(2)).state,
            State::Disconnected
        );
    }

    #[test]
    fn reconnect_needed_keeps_the_account_and_stops_refreshing() {
        let mut record = connected();
        record.connection.as_mut().unwrap().reconnect_needed = true;
        let status = Status::derive(&record, Activity::Idle, now());
        assert_eq!(status.state, State::ReconnectNeeded);
        assert_eq!(status.account.unwrap().name, "Ada");
        assert_eq!(status.next_refresh_at, None);
        // With no error kept, the core still says it, so the window has no wording of its own.
        let said = status.last_error.unwrap();
        assert_eq!(said.code, crate::error::ErrorCode::ReconnectNeeded);
        assert_eq!(said.message, "Ada needs to sign in to Kanka again.");
        assert_eq!(said.hint.as_deref(), Some("Click Connect to Kanka to sign in again."));
        record.last_error = Some(Error::InvalidGrant { description: "Revoked.".to_owned() }.info());
        let kept = Status::derive(&record, Activity::Idle, now()).last_error.unwrap();
        assert_eq!(kept.code, crate::error::ErrorCode::InvalidGrant);
    }

    #[test]
    fn errors_that_block_work_show_as_error_and_refused_callbacks_do_not() {
        let mut record = connected();
        record.last_error = Some(Error::KeychainLocked { detail: "prompt dismissed".to_owned() }.info());
        assert_eq!(Status::derive(&record, Activity::Idle, now()).state, State::Error);
        record.last_error = Some(Error::StateMismatch.info());
        assert_eq!(Status::derive(&record, Activity::Idle, now()).state, State::Connected);
        let cancelled = Record { last_error: Some(Error::Cancelled.info()), ..Record::default() };
        assert_eq!(Status::derive(&cancelled, Activity::Idle, now()).state, State::Disconnected);
        let failed = Record {
            last_error: Some(Error::InvalidGrant { description: "x".to_owned() }.info()),
            ..Record::default()
        };
        assert_eq!(Status::derive(&failed, Activity::Idle, now()).state, State::Error);
    }

    proptest::proptest! {
        /// Any dates, as a damaged file or a clock anywhere in chrono's range may give.
        #[test]
        fn derive_never_panics_for_any_dates(
            connection in proptest::option::of(crate::record::tests::any_connection()),
            pending_until in proptest::option::of(crate::record::tests::any_date()),
            retry_at in crate::record::tests::any_date(),
            now in crate::record::tests::any_date(),
        ) {
            let record = Record { connection: connection.clone(), pending_until, ..Record::default() };
            for activity in [Activity::Idle, Activity::Refreshing, Activity::RetryAt(retry_at)] {
                let status = Status::derive(&record, activity, now);
                let expected = match &connection {
                    Some(c) if c.reconnect_needed => None,
                    Some(_) if activity == Activity::RetryAt(retry_at) => Some(retry_at),
                    Some(c) => Some(c.refresh_at()),
                    None => None,
                };
                proptest::prop_assert_eq!(status.next_refresh_at, expected);
                proptest::prop_assert_eq!(status.expires_at, connection.as_ref().map(|c| c.expires_at));
                proptest::prop_assert_eq!(status.state == State::Connecting, activity != Activity::Refreshing
                    && pending_until.is_some_and(|until| until > now));
            }
        }
    }

    #[test]
    fn the_status_serialises_as_documented() {
        let json = serde_json::to_value(Status::derive(&connected(), Activity::Idle, now())).unwrap();
        assert_eq!(json["state"], "connected");
        assert_eq!(json["account"], serde_json::json!({"id": 1, "name": "Ada"}));
        assert_eq!(json["expires_at"], "2026-11-27T12:06:40Z");
        assert_eq!(json["refreshed_at"], "2026-11-27T12:00:00Z");
        assert_eq!(json["next_refresh_at"], "2026-11-27T12:05:00Z");
        assert_eq!(json["last_error"], serde_json::Value::Null);
        assert_eq!(json["notice"], serde_json::Value::Null);
    }
}
