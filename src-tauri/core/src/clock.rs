//! Time, injectable. Token times are wall-clock (they come from a server and survive restarts);
//! sleeping is monotonic, and a monotonic clock stops while the machine is suspended. The
//! refresh timer therefore never sleeps longer than an hour before it looks at the wall clock.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chrono::{DateTime, Utc};

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
    use std::sync::Mutex;
    use tokio::sync::watch;

    /// A clock that only moves when a test moves it. `advance` is ordinary time passing;
    /// `suspend` moves the wall clock while monotonic time stands still, as a sleeping laptop does;
    /// `set_wall` jumps the wall clock (a user or NTP changing it).
    pub struct ManualClock {
        wall: Mutex<DateTime<Utc>>,
        /// Monotonic time since the clock was made; sleepers watch it.
        elapsed: watch::Sender<Duration>,
        sleepers: watch::Sender<usize>,
    }

    impl ManualClock {
        pub fn new(start: DateTime<Utc>) -> ManualClock {
            ManualClock {
                wall: Mutex::new(start),
                elapsed: watch::channel(Duration::ZERO).0,
                sleepers: watch::channel(0).0,
            }
        }

        pub fn advance(&self, by: Duration) {
            *self.wall.lock().unwrap() += by;
            self.elapsed.send_modify(|elapsed| *elapsed += by);
        }

        pub fn suspend(&self, by: Duration) {
            *self.wall.lock().unwrap() += by;
        }

        pub fn set_wall(&self, to: DateTime<Utc>) {
            *self.wall.lock().unwrap() = to;
        }

        /// How many tasks are asleep on this clock right now.
        pub fn sleepers(&self) -> usize {
            *self.sleepers.borrow()
        }

        /// Waits (in real time) until at least `count` tasks sleep on this clock, so a test
        /// advances time only once the code under test has gone to sleep.
        pub async fn wait_for_sleepers(&self, count: usize) {
            let mut sleepers = self.sleepers.subscribe();
            sleepers.wait_for(|n| *n >= count).await.expect("clock alive");
        }
    }

    impl Clock for ManualClock {
        fn now(&self) -> DateTime<Utc> {
            *self.wall.lock().unwrap()
        }

        fn sleep(&self, duration: Duration) -> Sleep<'_> {
            let wake_at = *self.elapsed.borrow() + duration;
            let mut elapsed = self.elapsed.subscribe();
            Box::pin(async move {
                self.sleepers.send_modify(|n| *n += 1);
                let _awake = Awake(&self.sleepers);
                elapsed.wait_for(|now| *now >= wake_at).await.expect("clock alive");
            })
        }
    }

    /// Counts a sleeper out when its sleep ends or is dropped (a `select!` that moved on).
    struct Awake<'a>(&'a watch::Sender<usize>);

    impl Drop for Awake<'_> {
        fn drop(&mut self) {
            self.0.send_modify(|n| *n -= 1);
        }
    }
}
