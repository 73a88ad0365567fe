//! Test-only controls under `/__sandbox/`. The server binds 127.0.0.1 only,
//! so these are reachable from the loopback interface alone.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::faults::Fault;
use crate::state::Shared;
use crate::stats::Stats;

#[derive(Deserialize)]
struct ConfigChange {
    token_lifetime_secs: Option<u64>,
    /// The client's registered redirect URIs, replaced (Kanka's client form).
    redirect_uris: Option<Vec<String>>,
}

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/faults", post(inject))
        .route("/revoke", post(revoke))
        .route("/config", post(configure))
        .route("/stats", get(stats))
        .route("/secrets", get(secrets))
        .route("/reset-stats", post(reset_stats))
}

async fn inject(State(shared): State<Arc<Shared>>, Json(fault): Json<Fault>) -> (StatusCode, Json<Value>) {
    match shared.inject(fault) {
        Ok(()) => (StatusCode::OK, Json(json!({"ok": true}))),
        Err(message) => (StatusCode::BAD_REQUEST, Json(json!({"ok": false, "error": message}))),
    }
}

async fn revoke(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.revoke_all();
    Json(json!({"ok": true}))
}

async fn configure(State(shared): State<Arc<Shared>>, Json(change): Json<ConfigChange>) -> Json<Value> {
    if let Some(secs) = change.token_lifetime_secs {
        shared.set_token_lifetime(Duration::from_secs(secs));
    }
    if let Some(uris) = change.redirect_uris {
        shared.set_redirect_uris(uris);
    }
    let inner = shared.lock();
    Json(json!({
        "ok": true,
        "token_lifetime_secs": inner.token_lifetime.as_secs(),
        "redirect_uris": inner.redirect_uris,
    }))
}

async fn stats(State(shared): State<Arc<Shared>>) -> Json<Stats> {
    Json(shared.stats())
}

async fn reset_stats(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.reset_stats();
    Json(json!({"ok": true}))
}

async fn secrets(State(shared): State<Arc<Shared>>) -> Json<crate::Secrets> {
    Json(shared.secrets())
}
