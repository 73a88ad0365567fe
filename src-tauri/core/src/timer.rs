//! The refresh timer: one task that sleeps until the pair is due, refreshes, and sleeps again.
//! No polling: it wakes when the pair is due, when a retry is due, when the connection changes,
//! and at least hourly to compare the wall clock (a suspended machine's monotonic clock stops).

use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::{Error, ErrorCode, Result};
use crate::linker::Linker;
use crate::refresh::Reason;
use crate::status::Activity;

pub const MAX_NAP: Duration = Duration::from_secs(3600);
const FIRST_RETRY: Duration = Duration::from_secs(1);
/// The longest wait before a retry, whatever the failure and whatever a server asks.
const MAX_RETRY_GAP: Duration = Duration::from_secs(3600);
const MIN_RETRY_GAP: Duration = Duration::from_millis(500);

/// The background work of a long-running app, stopped at a safe point: never while a refresh
/// is under way, whose answer would be lost with it.
pub struct Background {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Background {
    /// Stops the timer once what it is doing is done (a refresh answered and its pair kept).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

impl Linker {
    /// The background work of a long-running app: the refresh timer, and the expiry (and
    /// loopback listener) of a sign-in that was pending when the app last stopped.
    pub fn spawn_background(&self) -> Background {
        self.spawn_background_when(std::future::ready(()))
    }

    /// The same, with the timer's own work held until `ready` resolves: a window starting on two
    /// cores shows itself about 20 ms sooner when the start-up check (a keychain session, two
    /// reads) and the HTTP client's set-up wait until it is up (BENCHMARKS.md, launch). A
    /// pending sign-in's expiry and loopback listener do not wait: they cost nothing and the
    /// browser may answer at any time. Stopped before `ready`, the timer does nothing at all.
    pub fn spawn_background_when(&self, ready: impl Future<Output = ()> + Send + 'static) -> Background {
        self.resume_attempt();
        let (stop, mut stopped) = watch::channel(false);
        let linker = self.clone();
        let task = tokio::spawn(async move {
            tokio::select! {
                () = ready => {}
                _ = stopped.changed() => return,
            }
            // A process with a timer stays, and will send requests: its HTTP client is built now.
            linker.inner.http.warm_up();
            linker.run_timer(stopped).await;
        });
        Background { stop, task }
    }

    async fn run_timer(self, mut stop: watch::Receiver<bool>) {
        // At start-up, check once that keychain and record agree (a crash may have parted them).
        let mut check = self.record().connection.is_some_and(|c| self.bound_elsewhere(&c).is_none());
        loop {
            if *stop.borrow() {
                return;
            }
            let now = self.inner.clock.now();
            let wake_at = self.next_wake(now);
            if check || wake_at.is_some_and(|at| at <= now) {
                check = false;
                match self.background_step().await {
                    Ok(()) => self.recovered().await,
                    Err(e) => self.schedule_retry(&e).await,
                }
                continue;
            }
            let nap = wake_at.map_or(MAX_NAP, |at| (at - now).to_std().unwrap_or_default().min(MAX_NAP));
            tokio::select! {
                _ = self.inner.clock.sleep(nap) => {
                    // Another process (the command line) may have refreshed meanwhile.
                    self.reload();
                }
                // A retry set by "Refresh now", a sign-in or a disconnect: look again.
                _ = self.inner.changed.notified() => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// When there is next something to do, if ever.
    fn next_wake(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let retry_at = match *self.inner.activity.lock().unwrap() {
            Activity::RetryAt(at) => Some(at),
            _ => None,
        };
        // A pair the keychain refused is tried again whatever the connection's state, a first
        // sign-in's included: it may be the only copy.
        if self.inner.store.has_unsaved() {
            return Some(retry_at.unwrap_or(now));
        }
        let record = self.record();
        let connection = record.connection.filter(|c| !c.reconnect_needed && self.bound_elsewhere(c).is_none())?;
        let client_refused = record.last_error.is_some_and(|e| e.code == ErrorCode::InvalidClient);
        let unfinished = connection.account.is_none() || connection.api_url.is_none() || client_refused;
        Some(retry_at.unwrap_or(if unfinished { now } else { connection.refresh_at() }))
    }

    /// One wake of the timer, for a process that does not stay (`kanka-link refresh --if-due`,
    /// the login check): the pair is refreshed only when it is due by the timer's own rule
    /// ([`Reason::Due`], under the connection lock, after reading the record again, so a window
    /// or another command that refreshed first leaves nothing to do), and what the timer would
    /// finish (the API binding, an unknown profile) is finished. Without a connection there is
    /// nothing to keep linked: that is [`Error::NotConnected`]. Failures are kept in the record
    /// for the window; there is no retry, the process ends.
    pub async fn refresh_if_due(&self) -> Result<()> {
        let result = match self.record().connection {
            None => Err(Error::NotConnected),
            Some(_) => self.background_step().await,
        };
        match &result {
            Ok(()) => self.recovered().await,
            Err(e) => self.report(e).await,
        }
        result
    }

    async fn background_step(&self) -> Result<()> {
        if self.record().last_error.is_some_and(|e| e.code == ErrorCode::InvalidClient) {
            self.verify_client().await?;
        }
        match self.refresh(Reason::Due).await {
            // A pair saved or dropped, and no connection (yet): nothing more to do.
            Err(Error::NotConnected) if self.record().connection.is_none() => return Ok(()),
            result => result?,
        }
        let Some(connection) = self.record().connection else { return Ok(()) };
        if connection.api_url.is_none() {
            self.bind_to_api().await?;
        }
        if connection.account.is_none() {
            self.fetch_account(None).await?;
        }
        Ok(())
    }

    /// Passing trouble is retried with backoff (about 1 s, 2 s, 4 s …); anything else waits for
    /// the user (a change of connection wakes the timer) or an hour. The status says when.
    pub(crate) async fn schedule_retry(&self, error: &Error) {
        let failures = self.inner.failures.fetch_add(1, Ordering::SeqCst).saturating_add(1);
        let now = self.inner.clock.now();
        let retry_at = if error.is_transient() {
            retry_time(now, failures, error, self.expires_at())
        } else {
            after(now, MAX_RETRY_GAP)
        };
        tracing::warn!("refresh failed ({failures} in a row), next try at {retry_at}: {error}");
        self.report(error).await;
        self.set_activity(Activity::RetryAt(retry_at));
    }

    /// Things work again: the backoff starts over and passing trouble that is over no longer
    /// needs showing.
    pub(crate) async fn recovered(&self) {
        self.inner.failures.store(0, Ordering::SeqCst);
        self.set_activity(Activity::Idle);
        if self.record().last_error.is_some_and(|e| e.code.is_transient())
            && let Err(e) = self.inner.store.update(|r| r.last_error = None).await
        {
            tracing::warn!("could not clear the last error: {e}");
        }
    }
}

/// Exponential backoff with jitter: about 1 s, 2 s, 4 s … capped at an hour. A rate limit waits
/// at least the server's `Retry-After`, but never more than an hour either: the value comes from
/// the server, and a wait of years (or one past chrono's last date, which panicked here) would
/// stop refreshing for good. No wait is longer than half the token's remaining life, so there are
/// always more attempts before it expires; none is shorter than [`MIN_RETRY_GAP`].
pub(crate) fn retry_time(
    now: DateTime<Utc>,
    failures: u32,
    error: &Error,
    expires_at: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    let exponential = FIRST_RETRY.saturating_mul(1 << failures.saturating_sub(1).min(16));
    let jittered = exponential.min(MAX_RETRY_GAP).mul_f64(rand::random_range(0.8..1.2));
    let mut gap = jittered;
    if let Error::RateLimited { retry_after: Some(wait) } = error {
        gap = gap.max(*wait);
    }
    gap = gap.min(MAX_RETRY_GAP);
    // Subtracting dates cannot overflow in chrono; an expired token has no life to halve.
    if let Some(remaining) = expires_at.and_then(|at| (at - now).to_std().ok()) {
        gap = gap.min(remaining / 2);
    }
    after(now, gap.max(MIN_RETRY_GAP))
}

/// Whether a planned retry keeps `retry_time`'s promises: not before `now`, at most an hour, at
/// least half a second (unless the clock is at chrono's last date), at least what the server
/// asked within those, and at most half the token's remaining life when that is at least a second.
/// The one statement of them, for the property test and the `dates` fuzz target.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn retry_bounds(
    now: DateTime<Utc>,
    error: &Error,
    expires_at: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> std::result::Result<(), String> {
    let gap = (at - now).to_std().map_err(|_| format!("a retry before now: {at} < {now}"))?;
    if gap > MAX_RETRY_GAP {
        return Err(format!("a retry after more than an hour: {gap:?}"));
    }
    let saturated = at == DateTime::<Utc>::MAX_UTC;
    if !saturated && gap < MIN_RETRY_GAP {
        return Err(format!("a retry sooner than the minimum: {gap:?}"));
    }
    let remaining = expires_at.and_then(|e| (e - now).to_std().ok());
    if let Some(remaining) = remaining.filter(|r| *r >= 2 * MIN_RETRY_GAP)
        && gap > remaining / 2
    {
        return Err(format!("a retry past half the remaining life: {gap:?} of {remaining:?}"));
    }
    if let Error::RateLimited { retry_after: Some(wait) } = error {
        let floor = (*wait).min(MAX_RETRY_GAP).min(remaining.map_or(Duration::MAX, |r| r / 2)).max(MIN_RETRY_GAP);
        if !saturated && gap < floor {
            return Err(format!("a retry sooner than Retry-After allows: {gap:?} < {floor:?}"));
        }
    }
    Ok(())
}

/// `now + gap`, checked. Gaps here are at most an hour, so the conversion holds; only a clock at
/// chrono's last date can overflow the sum, and then the last date is the answer.
fn after(now: DateTime<Utc>, gap: Duration) -> DateTime<Utc> {
    chrono::TimeDelta::from_std(gap)
        .ok()
        .and_then(|gap| now.checked_add_signed(gap))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::tests::any_date;
    use proptest::prelude::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    fn gap(failures: u32, error: &Error, expires_at: Option<DateTime<Utc>>) -> f64 {
        (retry_time(at(0), failures, error, expires_at) - at(0)).as_seconds_f64()
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped_at_an_hour() {
        let network = Error::Network { host: "x".into(), detail: "down".into() };
        for (failures, base) in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (12, 2048.0)] {
            for _ in 0..50 {
                let g = gap(failures, &network, None);
                assert!((base * 0.8..=base * 1.2).contains(&g), "attempt {failures}: {g}");
            }
        }
        for failures in [13, 20, 40, 1000] {
            assert!(gap(failures, &network, None) <= 3600.0);
        }
    }

    #[test]
    fn retries_stay_before_expiry_and_respect_retry_after() {
        let network = Error::Network { host: "x".into(), detail: "down".into() };
        assert!(gap(20, &network, Some(at(600))) <= 300.0);
        assert!(gap(20, &network, Some(at(1))) >= 0.5);
        let limited = Error::RateLimited { retry_after: Some(Duration::from_secs(45)) };
        assert!(gap(1, &limited, None) >= 45.0);
    }

    #[test]
    fn a_huge_retry_after_waits_an_hour_at_most_and_half_the_remaining_life() {
        for seconds in [u64::MAX, 99_999_999_999] {
            let limited = Error::RateLimited { retry_after: Some(Duration::from_secs(seconds)) };
            assert_eq!(gap(1, &limited, None), 3600.0, "Retry-After: {seconds}");
            assert_eq!(gap(1, &limited, Some(at(600))), 300.0, "Retry-After: {seconds}");
            assert_eq!(gap(1, &limited, Some(at(-60))), 3600.0, "an expired token has no life to halve");
        }
        let limited = Error::RateLimited { retry_after: Some(Duration::from_secs(45)) };
        assert_eq!(gap(1, &limited, Some(at(60))), 30.0);
        assert_eq!(gap(1, &limited, Some(at(0))), 0.5, "never sooner than the minimum");
    }

    #[test]
    fn the_bounds_catch_a_retry_that_breaks_them() {
        let network = Error::Network { host: "x".into(), detail: "down".into() };
        let limited = Error::RateLimited { retry_after: Some(Duration::from_secs(45)) };
        assert!(retry_bounds(at(0), &network, None, at(-1)).is_err(), "before now");
        assert!(retry_bounds(at(0), &network, None, at(3601)).is_err(), "over an hour");
        assert!(retry_bounds(at(0), &network, Some(at(600)), at(301)).is_err(), "past half the life left");
        assert!(retry_bounds(at(0), &limited, None, at(44)).is_err(), "sooner than Retry-After");
        assert!(retry_bounds(at(0), &limited, None, at(45)).is_ok());
    }

    #[test]
    fn a_clock_at_chronos_last_date_plans_no_overflow() {
        let last = DateTime::<Utc>::MAX_UTC;
        let limited = Error::RateLimited { retry_after: Some(Duration::from_secs(30)) };
        assert_eq!(retry_time(last, 1, &limited, None), last);
        let first = DateTime::<Utc>::MIN_UTC;
        assert!(retry_time(first, 1, &limited, Some(last)) - first >= chrono::TimeDelta::seconds(30));
    }

    fn any_error() -> impl Strategy<Value = Error> {
        let wait = (any::<u64>(), 0..1_000_000_000u32).prop_map(|(s, n)| Duration::new(s, n));
        prop_oneof![
            proptest::option::of(wait).prop_map(|retry_after| Error::RateLimited { retry_after }),
            (500..600u16).prop_map(|status| Error::ServerError { status }),
        ]
    }

    proptest! {
        #[test]
        fn retry_time_never_panics_and_keeps_its_bounds(
            now in any_date(), failures in any::<u32>(), error in any_error(),
            expires_at in proptest::option::of(any_date()),
        ) {
            let next = retry_time(now, failures, &error, expires_at);
            let kept = retry_bounds(now, &error, expires_at, next);
            prop_assert!(kept.is_ok(), "{now} -> {next}: {kept:?}");
        }
    }
}
