//! Redirects back to the client, built like league's `makeRedirectUri`.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use url::{Url, form_urlencoded};

/// A 302 to `uri` with `pairs` appended: `?` or `&`, then form-urlencoded pairs.
/// (axum's `Redirect` offers only 303/307/308.)
pub(crate) fn found(uri: &str, pairs: &[(&str, &str)]) -> Response {
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    let separator = if uri.contains('?') { '&' } else { '?' };
    let location = format!("{uri}{separator}{query}");
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

/// league 9's `RedirectUriValidator::validateRedirectUri`: the requested URI must be one of the
/// registered ones exactly, except that for `http://127.0.0.1` and `http://[::1]` (RFC 8252 §7.3,
/// `isLoopbackUri`) the port is ignored (`matchUriExcludingPort`). `localhost` is matched exactly.
pub(crate) fn is_registered(registered: &[String], requested: &str) -> bool {
    let without_port = |uri: &str| {
        let mut url = Url::parse(uri).ok()?;
        url.set_port(None).ok()?;
        Some(url)
    };
    let loopback = Url::parse(requested)
        .is_ok_and(|url| url.scheme() == "http" && matches!(url.host_str(), Some("127.0.0.1" | "[::1]")));
    if !loopback {
        return registered.iter().any(|r| r == requested);
    }
    let requested = without_port(requested);
    requested.is_some() && registered.iter().any(|r| without_port(r) == requested)
}

#[cfg(test)]
mod tests {
    use super::is_registered;

    #[test]
    fn only_ip_loopback_redirects_ignore_the_port() {
        let registered = ["http://127.0.0.1:8080/cb".to_owned(), "http://[::1]/cb".to_owned()];
        assert!(is_registered(&registered, "http://127.0.0.1:9999/cb"));
        assert!(is_registered(&registered, "http://127.0.0.1/cb"));
        assert!(is_registered(&registered, "http://[::1]:47813/cb"));
        assert!(!is_registered(&registered, "http://127.0.0.1:8080/cb/"));
        assert!(!is_registered(&registered, "https://127.0.0.1:8080/cb"));
        let localhost = ["http://localhost:8080/cb".to_owned()];
        assert!(is_registered(&localhost, "http://localhost:8080/cb"));
        assert!(!is_registered(&localhost, "http://localhost:8081/cb"));
        assert!(!is_registered(&localhost, "http://127.0.0.1:8080/cb"));
    }
}
