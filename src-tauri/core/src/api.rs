//! Kanka's API, as far as Kanka Link needs it: who the token belongs to.

use chrono::Utc;
use oauth2::AccessToken;
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::error::{Error, Result, json_problem};
use crate::http::{Http, check_transient_status, read_body, transport_error};
use crate::text;

/// The Kanka account a connection belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Account {
    pub id: u64,
    pub name: String,
}

/// `GET {api}/profile`. A 401 is [`Error::Unauthorized`] whatever the body says: Kanka's body
/// for it has changed over the years, its status has not.
pub async fn fetch_profile(http: &Http, config: &Config, token: &AccessToken) -> Result<Account> {
    let url = config.profile_url();
    let response =
        http.get(url.clone()).bearer_auth(token.secret()).send().await.map_err(|e| transport_error(&url, &e))?;
    if response.status() == StatusCode::UNAUTHORIZED {
        return Err(Error::Unauthorized);
    }
    check_transient_status(&response, Utc::now())?;
    let status = response.status();
    if !status.is_success() {
        return Err(Error::UnexpectedResponse { detail: format!("the profile request got HTTP {status}") });
    }
    let body = read_body(response, &url).await?;
    parse_profile(&body)
}

/// A name is shown on one line; longer ones are cut.
const MAX_NAME: usize = 200;

pub(crate) fn parse_profile(body: &[u8]) -> Result<Account> {
    #[derive(Deserialize)]
    struct Profile {
        data: Account,
    }
    let profile: Profile = serde_json::from_slice(body).map_err(|e| Error::UnexpectedResponse {
        detail: format!("the profile is not what Kanka sends ({})", json_problem(&e)),
    })?;
    // Shown in the window and the terminal: no control characters, a sane length.
    let name = text::shown(&profile.data.name, MAX_NAME);
    if name.is_empty() {
        return Err(Error::UnexpectedResponse { detail: "the profile has no name".to_owned() });
    }
    Ok(Account { id: profile.data.id, name })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kanka_profile_is_read() {
        let body = br#"{"data":{"id":1234,"name":"Sandbox Sage","avatar":null,"avatar_thumb":null,"locale":"en","timezone":"UTC","date_format":"Y-m-d","default_pagination":15,"last_campaign_id":null,"is_patreon":false,"is_subscriber":false,"rate_limit":30}}"#;
        assert_eq!(parse_profile(body).unwrap(), Account { id: 1234, name: "Sandbox Sage".to_owned() });
    }

    #[test]
    fn broken_profiles_are_refused_clearly() {
        // A name of control characters only was let through once: fuzzing found it.
        let control_only = br#"{"data":{"id":1,"name":"\u0001\u001b \u0007"}}"#;
        for body in [
            &b"<html>"[..],
            b"{\"data\":{\"id\":1}}",
            b"{\"data\":{\"id\":1,\"name\":\"  \"}}",
            control_only,
            b"{\"data\":",
        ] {
            let err = parse_profile(body).unwrap_err();
            assert!(matches!(err, Error::UnexpectedResponse { .. }), "{err}");
        }
    }
}
