//! Injected failures: what a flaky network or proxy in front of Kanka does.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::state::Shared;

/// For the next `count` requests whose path equals `path`: wait `delay_ms`,
/// then answer `status` with `body` if a status is set, else serve normally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Fault {
    pub path: String,
    pub count: u32,
    pub status: Option<u16>,
    pub delay_ms: u64,
    /// Default: a small HTML error page, like a proxy's.
    pub body: Option<String>,
    /// Default: `text/html`.
    pub content_type: Option<String>,
    /// Seconds, sent as `Retry-After`.
    pub retry_after: Option<u64>,
    /// Sent as `Retry-After` as it is, instead of `retry_after`: an HTTP date, or anything else.
    pub retry_after_text: Option<String>,
}

impl Default for Fault {
    fn default() -> Self {
        Fault {
            path: String::new(),
            count: 1,
            status: None,
            delay_ms: 0,
            body: None,
            content_type: None,
            retry_after: None,
            retry_after_text: None,
        }
    }
}

impl Fault {
    /// The next `count` requests to `path` get `status` and a proxy-style HTML page.
    pub fn status(path: &str, status: u16, count: u32) -> Fault {
        Fault { path: path.into(), count, status: Some(status), ..Fault::default() }
    }

    /// The next `count` requests to `path` are served normally after `delay_ms`.
    pub fn delay(path: &str, delay_ms: u64, count: u32) -> Fault {
        Fault { path: path.into(), count, delay_ms, ..Fault::default() }
    }

    pub(crate) fn check(&self) -> Result<(), String> {
        if !self.path.starts_with('/') {
            return Err(format!("fault path must start with '/': {:?}", self.path));
        }
        if self.count == 0 {
            return Err("fault count must be at least 1".into());
        }
        match self.status.map(StatusCode::from_u16) {
            Some(Err(_)) => Err(format!("invalid fault status {:?}", self.status)),
            _ => Ok(()),
        }
    }

    fn response(&self, status: StatusCode) -> Response {
        let body = self.body.clone().unwrap_or_else(|| {
            let line = format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or("Error"));
            format!("<html>\r\n<head><title>{line}</title></head>\r\n<body>\r\n<center><h1>{line}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
        });
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        let content_type = self.content_type.as_deref().unwrap_or("text/html");
        if let Ok(value) = HeaderValue::from_str(content_type) {
            headers.insert(header::CONTENT_TYPE, value);
        }
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(value) = self.retry_after_text.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// Queued faults, in order, per path.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue(HashMap<String, VecDeque<Fault>>);

impl FaultQueue {
    pub(crate) fn push(&mut self, fault: Fault) {
        self.0.entry(fault.path.clone()).or_default().push_back(fault);
    }

    /// The fault that applies to this request to `path`, if any.
    fn take(&mut self, path: &str) -> Option<Fault> {
        let queue = self.0.get_mut(path)?;
        let front = queue.front_mut()?;
        front.count -= 1;
        let fault = if front.count == 0 { queue.pop_front()? } else { front.clone() };
        if queue.is_empty() {
            self.0.remove(path);
        }
        Some(fault)
    }
}

/// Middleware in front of every route but the sandbox controls, which must
/// keep working whatever a test injected.
pub(crate) async fn apply(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path.starts_with("/__sandbox/") {
        return next.run(request).await;
    }
    let fault = {
        let mut inner = shared.lock();
        let fault = inner.faults.take(path);
        if fault.is_some() {
            inner.stats.faults_served += 1;
        }
        fault
    };
    let Some(fault) = fault else {
        return next.run(request).await;
    };
    if fault.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
    }
    match fault.status.and_then(|s| StatusCode::from_u16(s).ok()) {
        Some(status) => fault.response(status),
        None => next.run(request).await,
    }
}
