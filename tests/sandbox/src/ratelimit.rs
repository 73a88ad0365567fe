//! Laravel's `throttle` middleware: a fixed one-minute window per account.

use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub(crate) struct RateWindow {
    started: Option<Instant>,
    hits: u32,
}

pub(crate) enum Verdict {
    Allowed { remaining: u32 },
    Limited { retry_after_secs: u64 },
}

impl RateWindow {
    pub(crate) fn hit(&mut self, limit: u32, now: Instant) -> Verdict {
        let started = match self.started {
            Some(started) if now < started + WINDOW => started,
            _ => {
                self.hits = 0;
                *self.started.insert(now)
            }
        };
        if self.hits >= limit {
            let left = (started + WINDOW).saturating_duration_since(now);
            // Round up: retrying after the advertised seconds must succeed.
            let retry_after_secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            return Verdict::Limited { retry_after_secs: retry_after_secs.max(1) };
        }
        self.hits += 1;
        Verdict::Allowed { remaining: limit - self.hits }
    }
}
