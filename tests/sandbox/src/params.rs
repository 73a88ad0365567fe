//! Request parameters the way PHP sees them.

use axum::http::{HeaderMap, header};
use url::form_urlencoded;

pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn from_query(query: Option<&str>) -> Params {
        Params::parse(query.unwrap_or("").as_bytes())
    }

    /// PHP only parses urlencoded bodies into form fields; anything else
    /// (e.g. JSON) leaves the form empty.
    pub(crate) fn from_form_body(headers: &HeaderMap, body: &[u8]) -> Params {
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
        Params::parse(if is_form { body } else { b"" })
    }

    fn parse(bytes: &[u8]) -> Params {
        Params(form_urlencoded::parse(bytes).into_owned().collect())
    }

    /// The last value wins when a name repeats, as in PHP.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub(crate) fn sorted_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.0.iter().map(|(k, _)| k.clone()).collect();
        names.sort();
        names
    }
}
