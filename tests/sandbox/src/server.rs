//! The running server and the handle tests hold.

use std::future::IntoFuture;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::sync::oneshot;

use crate::config::SandboxConfig;
use crate::faults::Fault;
use crate::routes;
use crate::state::Shared;
use crate::stats::Stats;

/// A running sandbox. It serves from its own thread and tokio runtime, so it
/// keeps real time and keeps answering even when the caller's runtime is
/// paused or blocked. Dropping it (or [`Sandbox::shutdown`]) stops it.
pub struct Sandbox {
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    stopped: Option<oneshot::Receiver<()>>,
}

impl Sandbox {
    /// Binds 127.0.0.1 (only) and starts serving.
    pub async fn start(config: SandboxConfig) -> io::Result<Sandbox> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))?;
        listener.set_nonblocking(true)?;
        let addr: SocketAddr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config, format!("http://{addr}")));
        let app = routes::router(shared.clone());
        let (stop_tx, stop_rx) = oneshot::channel();
        let (ready_tx, ready_rx) = oneshot::channel();
        let (stopped_tx, stopped_rx) = oneshot::channel();
        std::thread::Builder::new()
            .name("kanka-sandbox".into())
            .spawn(move || serve(listener, app, ready_tx, stop_rx, stopped_tx))?;
        ready_rx.await.map_err(|_| io::Error::other("kanka-sandbox server thread exited"))??;
        Ok(Sandbox { shared, stop: Some(stop_tx), stopped: Some(stopped_rx) })
    }

    /// `http://127.0.0.1:PORT`; OAuth lives at `{base}/oauth/...`.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// `http://127.0.0.1:PORT/api/1.0`
    pub fn api_url(&self) -> String {
        format!("{}/api/1.0", self.shared.base_url)
    }

    /// The configuration the sandbox started with.
    pub fn config(&self) -> &SandboxConfig {
        &self.shared.config
    }

    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// Queues a fault. Panics on a malformed one (path not starting with `/`,
    /// `count` 0, invalid status): that is a bug in the test.
    pub fn inject(&self, fault: Fault) {
        if let Err(message) = self.shared.inject(fault) {
            panic!("kanka-sandbox: {message}");
        }
    }

    /// Revokes every authorization code, access token and refresh token, as a
    /// user revoking the app in Kanka's settings would.
    pub fn revoke_all(&self) {
        self.shared.revoke(None);
    }

    /// Revokes one account's codes and tokens, as that user revoking the app in Kanka's
    /// settings would; other accounts keep theirs.
    pub fn revoke_user(&self, user_id: u64) {
        self.shared.revoke(Some(user_id));
    }

    /// Signs the browser in to Kanka as another account (created on first use): consents
    /// shown from now on are that user's, and so are the codes and tokens they lead to.
    /// The sandbox starts signed in as account 1234, named after `user_name`.
    pub fn sign_in_as(&self, user_id: u64, name: &str) {
        self.shared.sign_in(user_id, name);
    }

    /// Lifetime of access tokens issued from now on (and of refresh tokens,
    /// unless `refresh_token_lifetime` was configured).
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.shared.set_token_lifetime(lifetime);
    }

    /// Replaces the client's registered redirect URIs, as editing the client in Kanka does.
    pub fn set_redirect_uris(&self, uris: Vec<String>) {
        self.shared.set_redirect_uris(uris);
    }

    /// Whether the API would accept this access token, without spending rate limit.
    pub fn access_token_is_valid(&self, token: &str) -> bool {
        self.shared.access_token_is_valid(token)
    }

    /// Every secret that passed through: the client secret, codes, verifiers and tokens.
    pub fn secrets(&self) -> crate::Secrets {
        self.shared.secrets()
    }

    /// Stops the server and waits until its port is closed.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(stopped) = self.stopped.take() {
            let _ = stopped.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The server thread: its own current-thread runtime, until told to stop.
fn serve(
    listener: std::net::TcpListener,
    app: Router,
    ready: oneshot::Sender<io::Result<()>>,
    stop: oneshot::Receiver<()>,
    stopped: oneshot::Sender<()>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = ready.send(Err(error));
            return;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(error) => {
                let _ = ready.send(Err(error));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        // A dropped handle counts as a stop too.
        tokio::select! {
            _ = axum::serve(listener, app).into_future() => {}
            _ = stop => {}
        }
    });
    // Dropping the runtime drops open connections and in-flight (e.g. delayed) requests.
    drop(runtime);
    let _ = stopped.send(());
}
