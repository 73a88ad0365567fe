//! Test-only controls under `/__sandbox/`. The server binds 127.0.0.1 only,
//! so these are reachable from the loopback interface alone.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
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

/// `POST /__sandbox/revoke`: with no body (or `{}`) every account's grants, with
/// `{"user_id": N}` that account's only.
#[derive(Deserialize, Default)]
struct RevokeRequest {
    user_id: Option<u64>,
}

/// `POST /__sandbox/sign-in`: the browser is now signed in to Kanka as this account, created
/// on first use.
#[derive(Deserialize)]
struct SignIn {
    id: u64,
    name: String,
}

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/faults", post(inject))
        .route("/revoke", post(revoke))
        .route("/sign-in", post(sign_in))
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

async fn revoke(State(shared): State<Arc<Shared>>, body: Bytes) -> (StatusCode, Json<Value>) {
    // An empty body is the old "revoke everything" call, still used by the e2e scripts.
    let request = if body.iter().all(u8::is_ascii_whitespace) {
        Ok(RevokeRequest::default())
    } else {
        serde_json::from_slice::<RevokeRequest>(&body)
    };
    match request {
        Ok(request) => {
            shared.revoke(request.user_id);
            (StatusCode::OK, Json(json!({"ok": true})))
        }
        Err(error) => (StatusCode::BAD_REQUEST, Json(json!({"ok": false, "error": error.to_string()}))),
    }
}

async fn sign_in(State(shared): State<Arc<Shared>>, Json(who): Json<SignIn>) -> Json<Value> {
    shared.sign_in(who.id, &who.name);
    Json(json!({"ok": true, "id": who.id}))
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
