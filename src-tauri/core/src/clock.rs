//! Time, injectable. Token times are wall-clock (they come from a server and survive restarts);
//! sleeping is monotonic, and a monotonic clock stops while the machine is suspended. The
//! refresh timer therefore never sleeps longer than an hour before it looks at the wall clock.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// A duration for the log, in milliseconds.
pub(crate) fn millis(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1e3)
}

pub type Sleep<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
    fn sleep(&self, duration: Duration) -> Sleep<'_>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep(&self, duration: Duration) -> Sleep<'_> {
        Box::pin(tokio::time::sleep(duration))
    }
}

#[cfg(feature = "test-clock")]
pub use manual::ManualClock;

#[cfg(feature = "test-clock")]
mod manual {
    use super::*;
    use tokio::sync::watch;

    /// A clock that only moves when a test moves it. `advance` is ordinary time passing;
    /// `suspend` moves the wall clock while monotonic time stands still, as a sleeping laptop
    /// does; `set_wall` jumps the wall clock (a user or NTP changing it).
    pub struct ManualClock {
        state: watch::Sender<Time>,
    }

    struct Time {
        wall: DateTime<Utc>,
        /// Monotonic time since the clock was made.
        elapsed: Duration,
        /// When each current sleeper wakes, by sleeper.
        wake_ups: Vec<(u64, Duration)>,
        next_sleeper: u64,
    }

    impl Time {
        fn asleep(&self) -> usize {
            self.wake_ups.iter().filter(|(_, at)| *at > self.elapsed).count()
        }
    }

    impl ManualClock {
        pub fn new(start: DateTime<Utc>) -> ManualClock {
            let time = Time { wall: start, elapsed: Duration::ZERO, wake_ups: Vec::new(), next_sleeper: 0 };
            ManualClock { state: watch::channel(time).0 }
        }

        pub fn advance(&self, by: Duration) {
            self.state.send_modify(|t| {
                t.wall += by;
                t.elapsed += by;
            });
        }

        pub fn suspend(&self, by: Duration) {
            self.state.send_modify(|t| t.wall += by);
        }

        pub fn set_wall(&self, to: DateTime<Utc>) {
            self.state.send_modify(|t| t.wall = to);
        }

        /// Waits (in real time) until at least `count` tasks sleep on this clock and are not
        /// yet due, so a test moves time only once the code under test has gone back to sleep.
        pub async fn wait_for_sleepers(&self, count: usize) {
            let mut time = self.state.subscribe();
            time.wait_for(|t| t.asleep() >= count).await.expect("the clock lives");
        }
    }

    impl Clock for ManualClock {
        fn now(&self) -> DateTime<Utc> {
            self.state.borrow().wall
        }

        fn sleep(&self, duration: Duration) -> Sleep<'_> {
            let mut id = 0;
            let mut wake_at = Duration::ZERO;
            self.state.send_modify(|t| {
                id = t.next_sleeper;
                t.next_sleeper += 1;
                wake_at = t.elapsed + duration;
                t.wake_ups.push((id, wake_at));
            });
            let mut time = self.state.subscribe();
            // Made here, not inside the future, so a sleep dropped before its first poll
            // leaves the list too.
            let awake = Awake { state: &self.state, id };
            Box::pin(async move {
                let _awake = awake;
                time.wait_for(|t| t.elapsed >= wake_at).await.expect("the clock lives");
            })
        }
    }

    /// Takes a sleeper off the list when its sleep ends or is dropped (a `select!` moved on).
    struct Awake<'a> {
        state: &'a watch::Sender<Time>,
        id: u64,
    }

    impl Drop for Awake<'_> {
        fn drop(&mut self) {
            self.state.send_modify(|t| t.wake_ups.retain(|(id, _)| *id != self.id));
        }
    }
}
