//! Entry points for the fuzz targets (`fuzz/`, cargo-fuzz): the code that reads untrusted
//! input, with no network or keychain around it. Each one also checks what must hold for any
//! input, so a broken promise shows as a crash.

use std::sync::LazyLock;
use std::time::Duration;

use chrono::{DateTime, Datelike, Timelike, Utc};
use oauth2::{AuthorizationCode, ClientSecret, PkceCodeVerifier, RefreshToken};
use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

use crate::callback::{self, Answer, MAX_CALLBACK_LEN};
use crate::config::Config;
use crate::error::Error;
use crate::http::{self, MAX_RETRY_AFTER};
use crate::record::{self, Record};
use crate::status::{Activity, Status};
use crate::timer;
use crate::token_endpoint::{self, MAX_LIFETIME};

static CONFIG: LazyLock<Config> = LazyLock::new(|| {
    let env: std::collections::BTreeMap<&str, &str> =
        [("KANKA_LINK_URL", "https://kanka.example"), ("KANKA_LINK_CLIENT_ID", "7")].into();
    Config::from_sources(&env, std::path::Path::new("/nonexistent/config.toml")).expect("a valid configuration")
});

static RUNTIME: LazyLock<tokio::runtime::Runtime> =
    LazyLock::new(|| tokio::runtime::Builder::new_current_thread().build().expect("a runtime"));

/// A callback URL, as a deep link or the loopback listener delivers it.
pub fn callback_url(url: &str) {
    let Ok(callback) = callback::parse(url, &CONFIG) else { return };
    assert!(url.len() <= MAX_CALLBACK_LEN, "an oversized URL was accepted");
    assert!(!callback.state().is_empty() && callback.state().len() <= 512, "a bad state was accepted");
    if let Answer::Code(code) = &callback.answer {
        assert!(!code.secret().is_empty() && code.secret().len() <= 4096, "a bad code was accepted");
    }
}

/// An answer of the token endpoint to a code exchange and to a refresh.
pub fn token_response(status: u16, content_type: &str, body: &[u8]) {
    let Ok(status) = oauth2::http::StatusCode::from_u16(status) else { return };
    let mut response = oauth2::HttpResponse::new(body.to_vec());
    *response.status_mut() = status;
    if let Ok(value) = oauth2::http::HeaderValue::from_str(content_type) {
        response.headers_mut().insert(oauth2::http::header::CONTENT_TYPE, value);
    }
    let answer = |_request: oauth2::HttpRequest| std::future::ready(Ok::<_, Error>(response.clone()));
    let secret = ClientSecret::new("secret".to_owned());
    RUNTIME.block_on(async {
        let code = AuthorizationCode::new("code".to_owned());
        let verifier = PkceCodeVerifier::new("v".repeat(43));
        let exchanged = token_endpoint::exchange_code(&answer, &CONFIG, &secret, code, verifier, Utc::now()).await;
        let refreshed =
            token_endpoint::refresh(&answer, &CONFIG, &secret, &RefreshToken::new("r".to_owned()), Utc::now()).await;
        for result in [exchanged, refreshed] {
            match result {
                Ok(grant) => assert!(grant.lifetime.as_secs() >= 10, "a lifetime below the floor"),
                Err(error) => assert!(!error.to_string().is_empty()),
            }
        }
    });
}

/// The body of `GET /profile`.
pub fn profile(body: &[u8]) {
    if let Ok(account) = crate::api::parse_profile(body) {
        assert!(!account.name.trim().is_empty() && account.name.chars().count() <= 200);
    }
}

/// A `Retry-After` value and a status file, through all the date arithmetic they reach: the
/// header's parsing, the retry planning, the file's loading, the refresh point, the status and
/// the expiry of a new pair. The clock reads a real date, chrono's first and last dates, and each
/// date in the file, since a clock can be anywhere and a file can say anything. The file is also
/// used unchecked, as `serde` reads it, so dates that loading refuses reach the arithmetic too.
pub fn dates(retry_after_value: &[u8], status_file: Option<&[u8]>) {
    let checked = status_file.map(Record::parse);
    if let Some(Ok(record)) = &checked {
        check_loaded(record);
    }
    let unchecked: Option<Record> = status_file.and_then(|bytes| serde_json::from_slice(bytes).ok());
    let records: Vec<Record> = [checked.and_then(Result::ok), unchecked].into_iter().flatten().collect();
    let header = HeaderValue::from_bytes(retry_after_value).ok();
    let seconds = std::str::from_utf8(retry_after_value).ok().and_then(|v| v.trim().parse::<u64>().ok());

    let real_now = DateTime::from_timestamp(1_795_000_000, 0).expect("a date in 2026");
    let mut clocks = vec![real_now, DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC];
    for record in &records {
        clocks.extend(record.connection.iter().flat_map(|c| [c.refreshed_at, c.expires_at]));
        clocks.extend(record.pending_until);
    }
    // A clock never reads a leap second (chrono makes none from the system time), and chrono's
    // arithmetic from one is a second off by design, which the bounds below would report.
    for now in clocks.into_iter().map(|now| now.with_nanosecond(now.nanosecond() % 1_000_000_000).unwrap_or(now)) {
        let wait = header.clone().and_then(|value| {
            let mut headers = HeaderMap::new();
            headers.insert(RETRY_AFTER, value);
            http::retry_after(&headers, now)
        });
        assert!(wait.is_none_or(|w| w <= MAX_RETRY_AFTER), "Retry-After beyond its bound: {wait:?}");
        if let Some(seconds) = seconds {
            let end = record::lifetime_end(now, Duration::from_secs(seconds));
            assert!(end >= now && (end - now).to_std().is_ok_and(|l| l <= MAX_LIFETIME), "lifetime_end: {end}");
        }
        let error = Error::RateLimited { retry_after: wait };
        check_retry(now, &error, None);
        for record in &records {
            let connection = record.connection.as_ref();
            let retry_at = check_retry(now, &error, connection.map(|c| c.expires_at));
            if let Some(c) = connection {
                let due = c.refresh_at();
                if c.expires_at >= c.refreshed_at {
                    assert!(c.refreshed_at <= due && due <= c.expires_at, "refresh_at {due} outside the lifetime");
                } else {
                    assert_eq!(due, c.refreshed_at, "a negative lifetime is due at once");
                }
            }
            for activity in [Activity::Idle, Activity::Refreshing, Activity::RetryAt(retry_at)] {
                let status = Status::derive(record, activity, now);
                let expected = match (connection, activity) {
                    (Some(c), _) if c.reconnect_needed => None,
                    (Some(_), Activity::RetryAt(at)) => Some(at),
                    (Some(c), _) => Some(c.refresh_at()),
                    (None, _) => None,
                };
                assert_eq!(status.next_refresh_at, expected, "the status's next refresh");
                assert_eq!(status.expires_at, connection.map(|c| c.expires_at));
            }
        }
    }
}

/// What loading promises about the dates of a file it accepts.
fn check_loaded(record: &Record) {
    let dates = record.connection.iter().flat_map(|c| [c.refreshed_at, c.expires_at]).chain(record.pending_until);
    for date in dates {
        assert!((0..=9999).contains(&date.year()), "a loaded date outside RFC 3339's years: {date}");
    }
    if let Some(c) = &record.connection {
        let lifetime = (c.expires_at - c.refreshed_at).to_std();
        assert!(lifetime.is_ok_and(|l| l <= MAX_LIFETIME), "a loaded lifetime out of bounds: {lifetime:?}");
    }
}

/// Plans a retry and checks its bounds (`timer::retry_bounds`), after few and after many failures.
fn check_retry(now: DateTime<Utc>, error: &Error, expires_at: Option<DateTime<Utc>>) -> DateTime<Utc> {
    let mut highest = None;
    for failures in [0, 1, 3, 17, u32::MAX] {
        let at = timer::retry_time(now, failures, error, expires_at);
        if let Err(broken) = timer::retry_bounds(now, error, expires_at, at) {
            panic!("{broken}");
        }
        highest = highest.max(Some(at));
    }
    highest.unwrap_or(now)
}
