//! Redirects back to the client, built like league's `makeRedirectUri`.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use url::form_urlencoded;

/// A 302 to `uri` with `pairs` appended: `?` or `&`, then form-urlencoded pairs.
/// (axum's `Redirect` offers only 303/307/308.)
pub(crate) fn found(uri: &str, pairs: &[(&str, &str)]) -> Response {
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    let separator = if uri.contains('?') { '&' } else { '?' };
    let location = format!("{uri}{separator}{query}");
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}
