//! The moment the window is up (the page's first command), which the start-up work the window
//! does not need in order to show itself waits for: each connection's start-up check (a keychain
//! session and two reads) and the HTTP client's set-up (core's `Linker::spawn_background_when`),
//! and the check of the `kanka-link:` registration. On two cores they took CPU from the web
//! process starting: the window came up about 20 ms later (BENCHMARKS.md, launch). A page that
//! never asks (one that failed to load) holds nothing back for long: the gate also opens by
//! itself, [`AT_LATEST`] after start-up.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

/// How long start-up work waits at most for a page that does not ask.
pub const AT_LATEST: Duration = Duration::from_secs(3);

/// Opens once, and stays open.
#[derive(Clone)]
pub struct WindowUp(watch::Sender<bool>);

impl WindowUp {
    pub fn new() -> WindowUp {
        WindowUp(watch::Sender::new(false))
    }

    /// The window is up: what waits goes ahead. Whether this call opened it (only the first does).
    pub fn open(&self) -> bool {
        self.0.send_if_modified(|up| !std::mem::replace(up, true))
    }

    /// Opens the gate `after` from now, whatever the page does. Inside the async runtime.
    pub fn open_at_latest(&self, after: Duration) {
        let gate = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            if gate.open() {
                tracing::info!("the page did not ask for the statuses in {after:?}: the start-up work goes ahead");
            }
        });
    }

    /// Resolves once the gate is open (at once if it is).
    pub fn wait(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut up = self.0.subscribe();
        async move {
            // An error means the gate is gone with the app: nothing is held back any more.
            let _ = up.wait_for(|up| *up).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A_WHILE: Duration = Duration::from_millis(200);

    #[tokio::test]
    async fn what_waits_goes_ahead_when_the_window_is_up_and_not_before() {
        let gate = WindowUp::new();
        let waiting = tokio::spawn(gate.wait());
        tokio::time::sleep(A_WHILE).await;
        assert!(!waiting.is_finished(), "went ahead before the window was up");
        assert!(gate.open(), "the first open opens");
        tokio::time::timeout(Duration::from_secs(10), waiting).await.expect("still waiting").unwrap();
        assert!(!gate.open(), "a second open opens nothing");
        tokio::time::timeout(Duration::from_secs(10), gate.wait()).await.expect("an open gate holds back");
    }

    #[tokio::test]
    async fn a_page_that_never_asks_holds_nothing_back_past_the_deadline() {
        let gate = WindowUp::new();
        gate.open_at_latest(A_WHILE);
        let waiting = tokio::spawn(gate.wait());
        tokio::time::timeout(Duration::from_secs(10), waiting).await.expect("the deadline did not open it").unwrap();
        assert!(!gate.open(), "the deadline opened it");
    }
}
