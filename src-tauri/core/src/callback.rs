//! Reading Kanka's answer from a callback URL, whether it came as a deep link or to the loopback
//! listener. Parsing is strict and says what is wrong; whether the answer belongs to the sign-in
//! in progress is decided by the linker, which compares `state` with [`Callback::state_matches`].

use oauth2::{AuthorizationCode, CsrfToken};
use subtle::ConstantTimeEq;
use url::Url;

use crate::config::{Config, DEEP_LINK_CALLBACK, Redirect};
use crate::error::{Error, Result};
use crate::text;

/// Far above a real answer (a Kanka code is about 1,000 characters).
pub const MAX_CALLBACK_LEN: usize = 8 * 1024;
const MAX_STATE_LEN: usize = 512;
const MAX_CODE_LEN: usize = 4096;
/// What Kanka (league/oauth2-server) and RFC 9207 put in a redirect. Anything else means the URL
/// was not made by Kanka.
const KNOWN_PARAMETERS: [&str; 8] =
    ["code", "state", "error", "error_description", "error_uri", "hint", "message", "iss"];

#[derive(Debug)]
pub(crate) enum Answer {
    Code(AuthorizationCode),
    Denied,
    Refused { code: String, description: String },
}

#[derive(Debug)]
pub(crate) struct Callback {
    state: CsrfToken,
    pub answer: Answer,
}

impl Callback {
    /// Compares in constant time, so the comparison says nothing about how close a guess was.
    pub fn state_matches(&self, expected: &CsrfToken) -> bool {
        self.state.secret().as_bytes().ct_eq(expected.secret().as_bytes()).into()
    }

    pub fn state(&self) -> &str {
        self.state.secret()
    }
}

pub(crate) fn parse(url: &str, config: &Config) -> Result<Callback> {
    let malformed = |reason: &str| Error::MalformedCallback { reason: reason.to_owned() };
    if url.len() > MAX_CALLBACK_LEN {
        return Err(malformed("it is far too long"));
    }
    let url = Url::parse(url.trim()).map_err(|_| malformed("it is not a URL"))?;
    if !is_our_callback(&url, config) {
        return Err(malformed("it is not the callback address"));
    }
    let mut params: Vec<(String, String)> = Vec::new();
    for (key, value) in url.query_pairs() {
        if !KNOWN_PARAMETERS.contains(&key.as_ref()) {
            return Err(malformed(&format!("it has an unexpected parameter \"{}\"", printable(&key))));
        }
        if params.iter().any(|(k, _)| *k == key) {
            return Err(malformed(&format!("the parameter \"{key}\" appears twice")));
        }
        params.push((key.into_owned(), value.into_owned()));
    }
    let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let state = match get("state") {
        None | Some("") => return Err(malformed("it has no state")),
        Some(s) if s.len() > MAX_STATE_LEN => return Err(malformed("its state is too long")),
        Some(s) => CsrfToken::new(s.to_owned()),
    };
    let answer = match (get("code"), get("error")) {
        (Some(_), Some(_)) => return Err(malformed("it has both a code and an error")),
        (None, None) => return Err(malformed("it has neither a code nor an error")),
        (Some(code), None) if code.is_empty() || code.len() > MAX_CODE_LEN => {
            return Err(malformed("its code is empty or too long"));
        }
        (Some(code), None) => Answer::Code(AuthorizationCode::new(code.to_owned())),
        (None, Some("access_denied")) => Answer::Denied,
        (None, Some(error)) => Answer::Refused {
            code: printable(error),
            description: printable(get("error_description").unwrap_or(error)),
        },
    };
    Ok(Callback { state, answer })
}

/// The deep link, or the exact loopback address we listen on; a bridge page forwards to the deep
/// link, so a bridge redirect is answered there too.
fn is_our_callback(url: &Url, config: &Config) -> bool {
    let deep_link = Url::parse(DEEP_LINK_CALLBACK).expect("a valid constant");
    let same_place = |expected: &Url| {
        url.scheme() == expected.scheme()
            && url.host() == expected.host()
            && url.port_or_known_default() == expected.port_or_known_default()
            && url.path() == expected.path()
            && url.username().is_empty()
            && url.password().is_none()
    };
    match config.redirect {
        Redirect::DeepLink | Redirect::Bridge => same_place(&deep_link),
        Redirect::Loopback { .. } => same_place(&config.redirect_uri),
    }
}

/// Text from a URL, safe to show: control characters dropped, length bounded.
fn printable(text: &str) -> String {
    text::shown(text, text::MAX_MESSAGE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// A server that takes every kind of redirect (kanka.io refuses the deep link).
    const SELF_HOSTED: &str = "https://kanka.example";

    fn config(redirect: &'static str) -> Config {
        let env: BTreeMap<&str, &str> =
            [("KANKA_LINK_URL", SELF_HOSTED), ("KANKA_LINK_CLIENT_ID", "7"), ("KANKA_LINK_REDIRECT_URI", redirect)]
                .into();
        Config::from_sources(&env, std::path::Path::new("/nonexistent/config.toml")).unwrap()
    }

    fn reason(url: &str) -> String {
        match parse(url, &config("kanka-link://oauth/callback")) {
            Err(Error::MalformedCallback { reason }) => reason,
            other => panic!("{url}: expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_code_answer_is_read() {
        let callback =
            parse("kanka-link://oauth/callback?code=abc&state=xyz", &config("kanka-link://oauth/callback")).unwrap();
        assert!(matches!(&callback.answer, Answer::Code(code) if code.secret() == "abc"));
        assert!(callback.state_matches(&CsrfToken::new("xyz".to_owned())));
        assert!(!callback.state_matches(&CsrfToken::new("xyZ".to_owned())));
        assert!(!callback.state_matches(&CsrfToken::new("xy".to_owned())));
    }

    #[test]
    fn kanka_denial_is_read_as_a_cancellation() {
        let url = "kanka-link://oauth/callback?state=s&error=access_denied&error_description=The+resource+owner+or+authorization+server+denied+the+request.&hint=The+user+denied+the+request&message=The+resource+owner+or+authorization+server+denied+the+request.";
        let callback = parse(url, &config("kanka-link://oauth/callback")).unwrap();
        assert!(matches!(callback.answer, Answer::Denied));
    }

    #[test]
    fn other_errors_keep_their_description() {
        let url =
            "kanka-link://oauth/callback?state=s&error=invalid_scope&error_description=The%20scope%20is%20invalid";
        let callback = parse(url, &config("kanka-link://oauth/callback")).unwrap();
        assert!(
            matches!(callback.answer, Answer::Refused { ref description, .. } if description == "The scope is invalid")
        );
    }

    #[test]
    fn forged_and_malformed_urls_are_refused_with_a_reason() {
        assert_eq!(reason("kanka-link://oauth/callback?code=a"), "it has no state");
        assert_eq!(reason("kanka-link://oauth/callback?code=a&state="), "it has no state");
        assert_eq!(reason("kanka-link://oauth/callback?state=s"), "it has neither a code nor an error");
        assert_eq!(reason("kanka-link://oauth/callback?state=s&code=a&error=x"), "it has both a code and an error");
        assert_eq!(reason("kanka-link://oauth/callback?state=s&code=a&code=b"), "the parameter \"code\" appears twice");
        assert_eq!(
            reason("kanka-link://oauth/callback?state=s&state=t&code=a"),
            "the parameter \"state\" appears twice"
        );
        assert_eq!(
            reason("kanka-link://oauth/callback?state=s&code=a&redirect=evil"),
            "it has an unexpected parameter \"redirect\""
        );
        assert_eq!(reason("kanka-link://oauth/other?state=s&code=a"), "it is not the callback address");
        assert_eq!(reason("kanka-link://evil/callback?state=s&code=a"), "it is not the callback address");
        assert_eq!(reason("https://oauth/callback?state=s&code=a"), "it is not the callback address");
        assert_eq!(reason("kanka-link://user@oauth/callback?state=s&code=a"), "it is not the callback address");
        assert_eq!(reason("not a url"), "it is not a URL");
        assert_eq!(reason(""), "it is not a URL");
    }

    #[test]
    fn oversized_urls_are_refused_before_parsing() {
        let long = format!("kanka-link://oauth/callback?state=s&code={}", "a".repeat(MAX_CALLBACK_LEN));
        assert_eq!(reason(&long), "it is far too long");
        let long_state = format!("kanka-link://oauth/callback?state={}&code=a", "s".repeat(MAX_STATE_LEN + 1));
        assert_eq!(reason(&long_state), "its state is too long");
        let long_code = format!("kanka-link://oauth/callback?state=s&code={}", "c".repeat(MAX_CODE_LEN + 1));
        assert_eq!(reason(&long_code), "its code is empty or too long");
    }

    #[test]
    fn loopback_callbacks_must_match_port_and_path() {
        let config = config("http://localhost:8765/kanka/callback");
        assert!(parse("http://localhost:8765/kanka/callback?state=s&code=a", &config).is_ok());
        assert!(parse("http://localhost:8766/kanka/callback?state=s&code=a", &config).is_err());
        assert!(parse("http://localhost:8765/other?state=s&code=a", &config).is_err());
        assert!(parse("kanka-link://oauth/callback?state=s&code=a", &config).is_err());
    }

    #[test]
    fn a_bridge_redirect_is_answered_through_the_deep_link() {
        let config = config("https://bridge.example/kanka-link/");
        assert!(parse("kanka-link://oauth/callback?state=s&code=a", &config).is_ok());
        assert!(parse("https://bridge.example/kanka-link/?state=s&code=a", &config).is_err());
    }

    #[test]
    fn error_text_is_made_printable() {
        let url = "kanka-link://oauth/callback?state=s&error=x&error_description=line%0Abreak%1B";
        let callback = parse(url, &config("kanka-link://oauth/callback")).unwrap();
        assert!(matches!(callback.answer, Answer::Refused { ref description, .. } if description == "linebreak"));
    }
}
