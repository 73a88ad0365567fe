//! Desktop notifications when a connection needs the user, so it never lapses unseen: the
//! window may be closed for months while the login check (`kanka-link refresh --if-due`) or
//! another program keeps the tokens. Decided where the record is written (store/mod.rs,
//! `Store::update_locked`), so every process that changes the persisted status notifies, and the
//! record remembers what was last notified: one notification per change of state, none at each
//! start, and a connection that is fine again clears it, so the next problem notifies again.

use chrono::{DateTime, TimeDelta, Utc};

use crate::error::ErrorCode;
use crate::platform_impl;
pub use crate::record::Attention;
use crate::record::Record;

/// A token this close to its expiry, with its refresh due and not done, is worth a notification.
pub const EXPIRY_WARNING: TimeDelta = TimeDelta::days(30);

/// What in `record` needs the user at `now`, the most urgent first.
pub(crate) fn attention(record: &Record, now: DateTime<Utc>) -> Option<Attention> {
    let connection = record.connection.as_ref()?;
    if connection.reconnect_needed {
        return Some(Attention::ReconnectNeeded);
    }
    if record.last_error.as_ref().is_some_and(|e| e.code == ErrorCode::TokensNotSaved) {
        return Some(Attention::TokensNotSaved);
    }
    // Past the refresh time and more than halfway from it to the expiry: a refresh was due and
    // none has succeeded since (a success moves both). The halfway rule only matters for short
    // lifetimes (a test sandbox's minutes), where "within 30 days" is always true; for Kanka's
    // one-year tokens, refreshed three months before they expire, the 30 days decide.
    let left = connection.expires_at - now;
    let window = connection.expires_at - connection.refresh_at();
    (left <= EXPIRY_WARNING && left * 2 < window).then_some(Attention::ExpiringSoon)
}

/// Called with the record about to be saved: notifies a new state that needs the user and
/// remembers it; forgets it once the connection is fine again. A notification that could not be
/// shown (no notification service, no session bus) is not remembered: the next write tries again.
pub(crate) fn follow(record: &mut Record, now: DateTime<Utc>) {
    let current = attention(record, now);
    if current == record.notified {
        return;
    }
    let Some(state) = current else {
        record.notified = None;
        return;
    };
    let (summary, body) = message(state, record);
    match platform_impl::show_notification(&summary, &body) {
        Ok(()) => {
            tracing::info!("notified the desktop: {summary}");
            record.notified = Some(state);
        }
        Err(why) => tracing::info!("no desktop notification ({why}): {summary}"),
    }
}

/// The notification's title and text: what happened and what to do. Built from the record's
/// account name, dates and error message, none of which is a secret.
pub(crate) fn message(state: Attention, record: &Record) -> (String, String) {
    let connection = record.connection.as_ref();
    let account = connection.and_then(|c| c.account.as_ref()).map(|a| a.name.as_str());
    let of = account.map(|name| format!(" of {name}")).unwrap_or_default();
    match state {
        Attention::ReconnectNeeded => {
            let why = record.last_error.as_ref().map(|e| format!("{} ", e.message)).unwrap_or_default();
            (
                "Kanka Link: reconnect to Kanka".to_owned(),
                format!("{why}Open Kanka Link and reconnect (Connect to Kanka)."),
            )
        }
        Attention::TokensNotSaved => (
            "Kanka Link could not save the tokens".to_owned(),
            format!(
                "Kanka renewed the connection{of}, but the keychain did not take the new tokens. Unlock your \
                 keychain and open Kanka Link, or the connection ends and you must reconnect."
            ),
        ),
        Attention::ExpiringSoon => {
            let day = connection.map(|c| c.expires_at.format("%Y-%m-%d").to_string()).unwrap_or_default();
            (
                "Kanka Link: the connection expires soon".to_owned(),
                format!(
                    "The Kanka connection{of} expires on {day} and Kanka Link could not renew it. Open Kanka Link \
                     and click Refresh now, or reconnect."
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Account;
    use crate::error::Error;
    use crate::record::{Connection, lifetime_end};
    use std::time::Duration;

    const YEAR: Duration = Duration::from_secs(365 * 86_400);

    fn start() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().with_timezone(&Utc)
    }

    fn connected(lifetime: Duration) -> Record {
        Record {
            connection: Some(Connection {
                account: Some(Account { id: 1, name: "Ada".to_owned() }),
                refreshed_at: start(),
                expires_at: lifetime_end(start(), lifetime),
                reconnect_needed: false,
                fingerprint: "f".to_owned(),
                api_url: None,
            }),
            ..Record::default()
        }
    }

    fn days(n: i64) -> TimeDelta {
        TimeDelta::days(n)
    }

    #[test]
    fn a_year_token_warns_thirty_days_before_it_expires() {
        let record = connected(YEAR);
        let expires = record.connection.as_ref().unwrap().expires_at;
        assert_eq!(attention(&record, start()), None);
        assert_eq!(attention(&record, expires - days(31)), None, "due, but more than 30 days left");
        assert_eq!(attention(&record, expires - days(30)), Some(Attention::ExpiringSoon));
        assert_eq!(attention(&record, expires + days(1)), Some(Attention::ExpiringSoon), "expired unrenewed");
    }

    #[test]
    fn a_short_token_warns_only_when_its_refresh_is_well_overdue() {
        // 40 s: due at 30 s, when a routine refresh writes the record: no warning then.
        let record = connected(Duration::from_secs(40));
        assert_eq!(attention(&record, start() + TimeDelta::seconds(30)), None);
        assert_eq!(attention(&record, start() + TimeDelta::seconds(36)), Some(Attention::ExpiringSoon));
    }

    #[test]
    fn reconnect_comes_before_unsaved_tokens_and_nothing_without_a_connection() {
        assert_eq!(attention(&Record::default(), start()), None);
        let mut record = connected(YEAR);
        record.last_error = Some(Error::TokensNotSaved { detail: "locked".to_owned() }.info());
        assert_eq!(attention(&record, start()), Some(Attention::TokensNotSaved));
        record.connection.as_mut().unwrap().reconnect_needed = true;
        assert_eq!(attention(&record, start()), Some(Attention::ReconnectNeeded));
    }

    #[test]
    fn messages_say_what_to_do_and_name_the_account() {
        let mut record = connected(YEAR);
        record.last_error =
            Some(Error::ReconnectNeeded { account: Some("Ada".to_owned()), reason: "Refused.".to_owned() }.info());
        let (summary, body) = message(Attention::ReconnectNeeded, &record);
        assert!(summary.contains("reconnect"), "{summary}");
        assert!(body.starts_with("Ada needs to sign in to Kanka again. Refused.") && body.contains("Open Kanka Link"));
        let (_, body) = message(Attention::ExpiringSoon, &record);
        assert!(body.contains("of Ada expires on 2027-01-01") && body.contains("Open Kanka Link"), "{body}");
        let (_, body) = message(Attention::TokensNotSaved, &record);
        assert!(body.contains("Unlock your keychain"), "{body}");
    }

    #[test]
    fn the_remembered_state_is_cleared_when_the_connection_is_fine() {
        let mut record = connected(YEAR);
        record.notified = Some(Attention::ReconnectNeeded);
        follow(&mut record, start());
        assert_eq!(record.notified, None);
        // The same state again notifies nothing, and keeps what was remembered.
        record.connection.as_mut().unwrap().reconnect_needed = true;
        record.notified = Some(Attention::ReconnectNeeded);
        follow(&mut record, start());
        assert_eq!(record.notified, Some(Attention::ReconnectNeeded));
    }
}
