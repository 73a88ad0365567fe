//! The refresh timer: one task that sleeps until the pair is due, refreshes, and sleeps again.
//! No polling: it wakes when the pair is due, when a retry is due, when the connection changes,
//! and at least hourly to compare the wall clock (a suspended machine's monotonic clock stops).

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::linker::Linker;
use crate::refresh::Reason;
use crate::status::Activity;

pub const MAX_NAP: Duration = Duration::from_secs(3600);
const FIRST_RETRY: Duration = Duration::from_secs(1);
/// The longest wait before a retry, whatever the failure and whatever a server asks.
pub(crate) const MAX_RETRY_GAP: Duration = Duration::from_secs(3600);
pub(crate) const MIN_RETRY_GAP: Duration = Duration::from_millis(500);

impl Linker {
    /// The background work of a long-running app: the refresh timer, and the expiry (and
    /// loopback listener) of a sign-in that was pending when the app last stopped.
    pub fn spawn_background(&self) -> JoinHandle<()> {
        self.resume_attempt();
        tokio::spawn(self.clone().run_timer())
    }

    async fn run_timer(self) {
        let mut failures = 0;
        // At start-up, check once that keychain and record agree (a crash may have parted them).
        let mut check = self.record().connection.is_some();
        loop {
            let now = self.inner.clock.now();
            let wake_at = self.next_wake(now);
            if check || wake_at.is_some_and(|at| at <= now) {
                check = false;
                match self.background_step().await {
                    Ok(()) => {
                        failures = 0;
                        self.set_activity(Activity::Idle);
                    }
                    Err(e) => {
                        // Passing trouble is retried soon; anything else waits for the user
                        // (a change of connection wakes the timer) or an hour.
                        failures += 1;
                        let retry_at = if e.is_transient() {
                            retry_time(now, failures, &e, self.expires_at())
                        } else {
                            now + MAX_RETRY_GAP
                        };
                        tracing::warn!("background refresh failed ({failures} in a row), next try at {retry_at}: {e}");
                        self.report(&e).await;
                        self.set_activity(Activity::RetryAt(retry_at));
                    }
                }
                continue;
            }
            let nap = wake_at.map_or(MAX_NAP, |at| (at - now).to_std().unwrap_or_default().min(MAX_NAP));
            tokio::select! {
                _ = self.inner.clock.sleep(nap) => {
                    // Another process (the command line) may have refreshed meanwhile.
                    self.reload();
                }
                _ = self.inner.changed.notified() => {
                    failures = 0;
                    if matches!(*self.inner.activity.lock().unwrap(), Activity::RetryAt(_)) {
                        self.set_activity(Activity::Idle);
                    }
                }
            }
        }
    }

    /// When there is next something to do, if ever.
    fn next_wake(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let connection = self.record().connection.filter(|c| !c.reconnect_needed)?;
        let retry_at = match *self.inner.activity.lock().unwrap() {
            Activity::RetryAt(at) => Some(at),
            _ => None,
        };
        let unfinished = self.has_unsaved() || connection.account.is_none();
        Some(retry_at.unwrap_or(if unfinished { now } else { connection.refresh_at() }))
    }

    async fn background_step(&self) -> Result<()> {
        self.save_unsaved().await?;
        self.refresh(Reason::Due).await?;
        if self.account().is_none() {
            self.fetch_account(None).await?;
        }
        // Passing trouble that is over no longer needs showing.
        if self.record().last_error.is_some_and(|e| e.code.is_transient()) {
            self.update_record(|r| r.last_error = None).await?;
        }
        Ok(())
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
    let gap = gap.max(MIN_RETRY_GAP);
    // At most an hour, so the conversion holds; only a clock at chrono's last date can overflow
    // the sum, and then the last date is the answer.
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
            let gap = (next - now).to_std().ok();
            prop_assert!(gap.is_some_and(|gap| gap <= MAX_RETRY_GAP), "{now} -> {next}");
            let gap = gap.unwrap();
            let saturated = next == DateTime::<Utc>::MAX_UTC;
            prop_assert!(saturated || gap >= MIN_RETRY_GAP, "{now} -> {next}");
            let remaining = expires_at.and_then(|at| (at - now).to_std().ok());
            if let Some(remaining) = remaining.filter(|r| *r >= 2 * MIN_RETRY_GAP) {
                prop_assert!(gap <= remaining / 2, "{gap:?} of {remaining:?}");
            }
            if let Error::RateLimited { retry_after: Some(wait) } = error {
                let floor = wait.min(MAX_RETRY_GAP).min(remaining.map_or(Duration::MAX, |r| r / 2)).max(MIN_RETRY_GAP);
                prop_assert!(saturated || gap >= floor, "{gap:?} < {floor:?}");
            }
        }
    }
}
