//! The HTTP surface: Kanka's routes, the sandbox controls, faults and logging.

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

use crate::state::Shared;
use crate::{api, authorize, control, faults, token};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/profile", get(api::profile))
        .route("/campaigns", get(api::campaigns))
        .route_layer(middleware::from_fn_with_state(shared.clone(), api::guard));
    Router::new()
        .route("/oauth/authorize", get(authorize::show).post(authorize::decide).delete(authorize::decide))
        .route("/oauth/token", post(token::issue))
        .nest("/api/1.0", api)
        .nest("/__sandbox", control::router())
        .layer(middleware::from_fn_with_state(shared.clone(), faults::apply))
        .layer(middleware::from_fn(log))
        .with_state(shared)
}

/// One line per request on stderr. The path only: query strings can carry
/// codes and state, and bodies and headers carry secrets.
async fn log(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    eprintln!("kanka-sandbox: {method} {path} {}", response.status().as_u16());
    response
}
