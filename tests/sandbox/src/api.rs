//! The slice of Kanka's API under `/api/1.0` that Kanka Link uses, behind
//! Passport's token guard and Laravel's per-account throttle.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Value, json};

use crate::ratelimit::Verdict;
use crate::state::Shared;
use crate::users::User;

/// Authentication runs before throttling (Laravel's middleware priority), so
/// a rejected token spends no rate limit. The handlers answer for the token's user, which the
/// guard hands on as a request extension (Passport's `auth:api` guard sets `$request->user()`).
pub(crate) async fn guard(State(shared): State<Arc<Shared>>, mut request: Request, next: Next) -> Response {
    let wants_json = wants_json(request.headers());
    let token = bearer(request.headers());
    let verdict = {
        let mut inner = shared.lock();
        inner.stats.api_requests += 1;
        let Some(user_id) = token.and_then(|t| inner.store.access_token_user(t)) else {
            inner.stats.api_unauthorized += 1;
            return unauthorized(wants_json);
        };
        let user = inner.users.get(user_id).clone();
        let verdict = inner.rate.entry(user_id).or_default().hit(shared.config.rate_limit_per_minute, Instant::now());
        request.extensions_mut().insert(user);
        if let Verdict::Limited { .. } = verdict {
            inner.stats.rate_limited += 1;
        }
        verdict
    };
    let limit = HeaderValue::from(shared.config.rate_limit_per_minute);
    let mut response = match verdict {
        Verdict::Allowed { remaining } => {
            let mut response = next.run(request).await;
            response.headers_mut().insert("x-ratelimit-remaining", HeaderValue::from(remaining));
            response
        }
        Verdict::Limited { retry_after_secs } => {
            let mut response = too_many_attempts(wants_json);
            let headers = response.headers_mut();
            headers.insert("x-ratelimit-remaining", HeaderValue::from(0));
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            response
        }
    };
    response.headers_mut().insert("x-ratelimit-limit", limit);
    response
}

pub(crate) async fn profile(State(shared): State<Arc<Shared>>, Extension(user): Extension<User>) -> Json<Value> {
    Json(json!({
        "data": {
            "id": user.id,
            "name": user.name,
            "avatar": null,
            "avatar_thumb": null,
            "locale": "en",
            "timezone": "UTC",
            "date_format": "Y-m-d",
            "default_pagination": 15,
            "last_campaign_id": null,
            "is_patreon": false,
            "is_subscriber": false,
            "rate_limit": shared.config.rate_limit_per_minute,
        }
    }))
}

pub(crate) async fn campaigns(State(shared): State<Arc<Shared>>, Extension(user): Extension<User>) -> Json<Value> {
    let path = format!("{}/api/1.0/campaigns", shared.base_url);
    let campaign = |id: u64, name: &str, entry: &str, created: &str| {
        json!({
            "id": id,
            "name": name,
            "locale": "en",
            "entry": entry,
            "entry_parsed": entry,
            "image": null,
            "image_full": null,
            "image_thumb": null,
            "visibility": "private",
            "visibility_id": 1,
            "created_at": created,
            "updated_at": created,
            "members": [{"id": user.id, "user": {"id": user.id, "name": user.name, "avatar": null}}],
        })
    };
    Json(json!({
        "data": [
            campaign(1, "The Sunken Crown", "<p>A drowned kingdom stirs beneath the bay.</p>", "2024-03-02T18:04:11.000000Z"),
            campaign(2, "Ashes of Vell", "<p>The last city of the ember lords.</p>", "2025-01-19T09:30:00.000000Z"),
        ],
        "links": {
            "first": format!("{path}?page=1"),
            "last": format!("{path}?page=1"),
            "prev": null,
            "next": null,
        },
        "meta": {
            "current_page": 1,
            "from": 1,
            "last_page": 1,
            "path": path,
            "per_page": 15,
            "to": 2,
            "total": 2,
        }
    }))
}

/// Laravel's `expectsJson()`, as far as API clients go.
fn wants_json(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT).iter().filter_map(|v| v.to_str().ok()).any(|v| v.contains("application/json"))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(str::trim)
}

/// Without `Accept: application/json`, Laravel renders errors as HTML pages.
fn unauthorized(wants_json: bool) -> Response {
    if wants_json {
        let body = json!({"code": 401, "error": "Invalid authentication token. Please generate a new token."});
        (StatusCode::UNAUTHORIZED, Json(body)).into_response()
    } else {
        (StatusCode::UNAUTHORIZED, Html(error_page(401, "Unauthorized"))).into_response()
    }
}

fn too_many_attempts(wants_json: bool) -> Response {
    if wants_json {
        (StatusCode::TOO_MANY_REQUESTS, Json(json!({"message": "Too Many Attempts."}))).into_response()
    } else {
        (StatusCode::TOO_MANY_REQUESTS, Html(error_page(429, "Too Many Requests"))).into_response()
    }
}

/// Laravel's minimal error view.
fn error_page(code: u16, message: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{message}</title>\n</head>\n<body>\n<div>{code} | {message}</div>\n</body>\n</html>\n"
    )
}
